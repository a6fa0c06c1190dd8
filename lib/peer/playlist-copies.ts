/**
 * The playlists pushed over the signaling socket, as the server sent them, so the player's playlist
 * loader can answer from memory instead of polling the origin. A media playlist copy is trusted
 * while it is younger than 1.5 target durations (RFC 8216 lets a server take that long to add a
 * segment) or once it has ended; past that, or with the socket down, the loader uses HTTP.
 */
import type { PushedPlaylist } from '../protocol';

/** A pushed playlist as kept here: its text and end, when it came, and what the loader needs to judge it. */
export interface PlaylistCopy extends Pick<PushedPlaylist, 'text' | 'ended'> {
  receivedAt: number;
  /** EXT-X-TARGETDURATION in seconds (media playlists). */
  targetDuration?: number;
  /** Media sequence number of the last listed segment (media playlists). */
  lastSequence?: number;
  /** Media playlists: which presentation of the rendition (0 = the first; see lib/hls/playlist-query.ts). */
  presentation: number;
  /** The server's number for this version (protocol v4), when it gave one. */
  version?: number;
}

const MASTER = '\u0000master';
/** A master playlist handed over with the page (before the socket joined) is used this long. */
const SEEDED_MASTER_MAX_AGE_MS = 10_000;

export class PlaylistCopies {
  private readonly copies = new Map<string, PlaylistCopy>();
  private readonly waiters = new Set<() => void>();

  /**
   * The copy the player may be given now: the master when joined, or else a copy the page was just
   * given (seeded); a media playlist of the rendition played, fresh, of that presentation, listing
   * `msn` when one is asked for.
   */
  usable(
    rendition: string | null,
    msn: number | undefined,
    presentation: number | undefined,
    now: number,
    playing: { joined: boolean; rendition: string },
  ): PlaylistCopy | undefined {
    if (rendition === null) {
      // The master changes rarely and every change is pushed while joined.
      const master = this.master();
      return master && (playing.joined || now - master.receivedAt <= SEEDED_MASTER_MAX_AGE_MS) ? master : undefined;
    }
    if (rendition !== playing.rendition || presentation === undefined) return undefined;
    const copy = this.freshMedia(rendition, now, presentation);
    if (!copy) return undefined;
    if (msn !== undefined && !copy.ended && copy.lastSequence !== undefined && copy.lastSequence < msn) return undefined;
    return copy;
  }

  set(rendition: string | null, text: string, ended: boolean, receivedAt: number, presentation = 0, version?: number): void {
    const copy: PlaylistCopy = { text, receivedAt, ended, presentation, ...(version !== undefined ? { version } : {}) };
    if (rendition !== null) Object.assign(copy, describeMedia(text));
    this.copies.set(rendition ?? MASTER, copy);
    for (const wake of [...this.waiters]) wake();
  }

  master(): PlaylistCopy | undefined {
    return this.copies.get(MASTER);
  }

  media(rendition: string): PlaylistCopy | undefined {
    return this.copies.get(rendition);
  }

  /**
   * A media copy the loader may serve at `now` for that presentation: a copy of another one never
   * answers (after an ENDLIST the next session is a new playlist at its own URL).
   */
  freshMedia(rendition: string, now: number, presentation = 0): PlaylistCopy | undefined {
    const copy = this.copies.get(rendition);
    if (!copy || copy.presentation !== presentation) return undefined;
    if (copy.ended) return copy;
    const maxAgeMs = 1.5 * (copy.targetDuration ?? 6) * 1000;
    return now - copy.receivedAt <= maxAgeMs ? copy : undefined;
  }

  /** Forgets one copy (it no longer follows the server's versions): the loader uses HTTP for it. */
  drop(rendition: string | null): void {
    this.copies.delete(rendition ?? MASTER);
  }

  /** Forgets media copies (the peer left their swarm); the master stays. */
  clearMedia(): void {
    for (const key of [...this.copies.keys()]) if (key !== MASTER) this.copies.delete(key);
  }

  /** Resolves on the next set() (or after `timeoutMs`): used to answer a blocking playlist reload. */
  nextChange(timeoutMs: number, setTimer: (fn: () => void, ms: number) => unknown, clearTimer: (h: unknown) => void): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake);
        clearTimer(timer);
        resolve();
      };
      const timer = setTimer(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }
}

/** Target duration and the last media sequence number, read from the tags the loader needs. */
export function describeMedia(text: string): { targetDuration?: number; lastSequence?: number } {
  let targetDuration: number | undefined;
  let mediaSequence = 0;
  let segments = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22));
    else if (line.startsWith('#EXTINF:')) segments++;
  }
  const out: { targetDuration?: number; lastSequence?: number } = {};
  if (targetDuration !== undefined && Number.isFinite(targetDuration) && targetDuration > 0) out.targetDuration = targetDuration;
  if (segments > 0 && Number.isFinite(mediaSequence)) out.lastSequence = mediaSequence + segments - 1;
  return out;
}
