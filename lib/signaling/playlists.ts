/**
 * The latest playlist versions the swarm is told about: the master playlist of each stream and the
 * media playlist of each swarm, exactly as manifest rendered them. A joining peer gets both in its
 * welcome, and every new version is pushed to the swarm, so viewers in a swarm need not poll the
 * origin for playlists. A pushed version is the delta from the one before it when that is smaller
 * (each version is numbered), else the whole text. Playlists come from the operator's flow
 * (manifest's output), never from clients; the bounds only guard against a flow that cycles through
 * stream names forever.
 */
import * as v from 'valibot';
import { BOUNDS, encodeServerFrame, firstVariantRendition, utf8Bytes, type PlaylistDeltaFrame, type PlaylistFrame, type PushedPlaylist } from '../protocol';
import { parseMsg, PlaylistMsgSchema } from '../protocol/msgs';
import { playlistDigest, playlistEdits } from './playlist-delta';
import { renditionKeyOf } from './registry';

/**
 * A playlist version of a stream (the protocol's pushed playlist plus its stream). `presentation`:
 * after an ENDLIST, manifest serves the next session as a new playlist at `?presentation=N`; a copy
 * of one must never answer a player asking for another, whose playlist may not change after its
 * ENDLIST (RFC 8216 §6.2.1).
 */
export type PlaylistVersion = Omit<PushedPlaylist, 'version' | 'ageMs'> & { stream: string };

/**
 * A version as stored: with when it arrived, so a joiner learns how old its copy is, and its number
 * (counted across the store, so a number names one version of one playlist on this server).
 */
export type StoredVersion = PlaylistVersion & { storedAt: number; version: number };

/** What set() stored, and the version it replaced (the base of a delta). */
export interface StoredChange {
  current: StoredVersion;
  previous?: StoredVersion;
}

export class PlaylistStore {
  /** `stream` (master) or `stream/rendition` (media) → latest version, least recently updated first. */
  private readonly latest = new Map<string, StoredVersion>();
  private versions = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a version; undefined when it is too large to push or repeats the current one. */
  set(version: PlaylistVersion): StoredChange | undefined {
    // The bound is in UTF-8 bytes, what the frame costs on the wire (a character count let 300 KB through).
    if (utf8Bytes(version.text) > BOUNDS.maxPushedPlaylistBytes) {
      this.latest.delete(keyOf(version.stream, version.rendition));
      return undefined;
    }
    const key = keyOf(version.stream, version.rendition);
    const previous = this.latest.get(key);
    if (previous && previous.text === version.text && previous.ended === version.ended) return undefined;
    this.latest.delete(key);
    const current: StoredVersion = { ...version, storedAt: this.now(), version: ++this.versions };
    this.latest.set(key, current);
    if (this.latest.size > this.maxEntries) this.latest.delete(this.latest.keys().next().value as string);
    return previous ? { current, previous } : { current };
  }

  /** The rendition of the stream's latest master playlist's first variant, when one is known. */
  firstVariant(stream: string): string | undefined {
    const master = this.latest.get(keyOf(stream, null));
    return master ? firstVariantRendition(master.text) : undefined;
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

/**
 * The frame that pushes a stored change to the peers holding the version before it: the delta from
 * that version when it is of the same presentation and smaller, else the whole text. A peer holding
 * another version finds the delta's `from` is not its own and asks for the whole text (`resync`).
 */
export function playlistFrame({ current, previous }: StoredChange): string {
  const whole = encodeServerFrame({ type: 'playlist', ...frameBody(current) } satisfies PlaylistFrame);
  if (!previous || previous.presentation !== current.presentation) return whole;
  const edits = playlistEdits(previous.text, current.text);
  if (!edits) return whole;
  const delta: PlaylistDeltaFrame = {
    type: 'playlist-delta',
    rendition: current.rendition,
    ended: current.ended,
    ...(current.presentation ? { presentation: current.presentation } : {}),
    from: previous.version,
    version: current.version,
    edits,
    digest: playlistDigest(current.text),
  };
  const frame = encodeServerFrame(delta);
  return frame.length < whole.length ? frame : whole;
}

function frameBody(version: StoredVersion): PushedPlaylist {
  // Presentation 0 is left out, as in manifest's msgs: the frames of a stream that never ended are unchanged.
  return {
    rendition: version.rendition,
    text: version.text,
    ended: version.ended,
    ...(version.presentation ? { presentation: version.presentation } : {}),
    version: version.version,
  };
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
