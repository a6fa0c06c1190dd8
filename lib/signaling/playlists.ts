/**
 * The latest playlist versions the swarm is told about: the master playlist of each stream and the
 * media playlist of each swarm, exactly as manifest rendered them. A joining peer gets both in its
 * welcome, and every new version is pushed to the swarm, so viewers in a swarm need not poll the
 * origin for playlists. Playlists come from the operator's flow (manifest's output), never from
 * clients; the bounds only guard against a flow that cycles through stream names forever.
 */
import * as v from 'valibot';
import { BOUNDS, encodeServerFrame, utf8Bytes, type PlaylistFrame, type PushedPlaylist } from '../protocol';
import { parseMsg, PlaylistMsgSchema } from '../protocol/msgs';
import { renditionKeyOf } from './registry';

/**
 * A playlist version of a stream (the protocol's pushed playlist plus its stream). `presentation`:
 * after an ENDLIST, manifest serves the next session as a new playlist at `?presentation=N`; a copy
 * of one must never answer a player asking for another, whose playlist may not change after its
 * ENDLIST (RFC 8216 §6.2.1).
 */
export type PlaylistVersion = PushedPlaylist & { stream: string };

/** A version as stored: with when it arrived, so a joiner learns how old its copy is. */
type StoredVersion = PlaylistVersion & { storedAt: number };

export class PlaylistStore {
  /** `stream` (master) or `stream/rendition` (media) → latest version, least recently updated first. */
  private readonly latest = new Map<string, StoredVersion>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a version; false when it is too large to push or repeats the current one. */
  set(version: PlaylistVersion): boolean {
    // The bound is in UTF-8 bytes, what the frame costs on the wire (a character count let 300 KB through).
    if (utf8Bytes(version.text) > BOUNDS.maxPushedPlaylistBytes) {
      this.latest.delete(keyOf(version.stream, version.rendition));
      return false;
    }
    const key = keyOf(version.stream, version.rendition);
    const current = this.latest.get(key);
    if (current && current.text === version.text && current.ended === version.ended) return false;
    this.latest.delete(key);
    this.latest.set(key, { ...version, storedAt: this.now() });
    if (this.latest.size > this.maxEntries) this.latest.delete(this.latest.keys().next().value as string);
    return true;
  }

  /**
   * What a peer joining stream/rendition is given (in its welcome, or inlined in the viewer page):
   * the master first, then its media playlist, each with its age. A media playlist is up to a
   * segment old when a viewer joins; a player that took it as fresh started that much further
   * behind live than one that loaded it over HTTP.
   */
  forJoin(stream: string, rendition: string): PushedPlaylist[] {
    const out: PushedPlaylist[] = [];
    const now = this.now();
    for (const version of [this.latest.get(keyOf(stream, null)), this.latest.get(keyOf(stream, rendition))]) {
      if (!version) continue;
      const ageMs = Math.min(BOUNDS.maxPlaylistAgeMs, Math.max(0, Math.round(now - version.storedAt)));
      out.push({ ...frameBody(version), ageMs });
    }
    return out;
  }
}

export function playlistFrame(version: PlaylistVersion): string {
  const frame: PlaylistFrame = { type: 'playlist', ...frameBody(version) };
  return encodeServerFrame(frame);
}

function frameBody(version: PlaylistVersion): PushedPlaylist {
  // Presentation 0 is left out, as in manifest's msgs: the frames of a stream that never ended are unchanged.
  return { rendition: version.rendition, text: version.text, ended: version.ended, ...(version.presentation ? { presentation: version.presentation } : {}) };
}

function keyOf(stream: string, rendition: string | null): string {
  return rendition === null ? stream : renditionKeyOf(stream, rendition);
}

/** What the swarm is told of a playlist msg: its text, whose it is, and whether it ended. */
const PlaylistInputSchema = v.object({
  payload: PlaylistMsgSchema.entries.payload,
  playlist: v.pick(PlaylistMsgSchema.entries.playlist, ['stream', 'rendition', 'ended', 'presentation']),
});

/**
 * The playlist version carried by one of manifest's `playlist` msgs; null for any other msg.
 * A playlist msg that is not manifest's shape is an input error (Catch sees it).
 */
export function playlistFromMsg(msg: { topic?: unknown; payload?: unknown; playlist?: unknown }): PlaylistVersion | null {
  if (msg.topic !== 'playlist') return null;
  const { payload, playlist } = parseMsg(PlaylistInputSchema, msg, 'playlist msg: msg', 'E_SIGNAL_INPUT');
  const { stream, rendition, ended, presentation } = playlist;
  return { stream, rendition, text: payload, ended, ...(presentation ? { presentation } : {}) };
}
