/**
 * Takes the playlists signaling pushes — whole (`playlist`, a welcome's, a page's seeded copies) or
 * as deltas (`playlist-delta`, protocol v4) — into the copies the player's loader answers from. A
 * delta is applied to the version it names; its result reaches the loader only once its digest
 * matches, so the player never sees a text manifest did not serve. A delta this peer cannot apply
 * (it holds another version, or the result's digest differs) drops the copy, so the loader goes to
 * HTTP, and asks the server once for whole copies (`resync`).
 */
import { applyPlaylistEdits, PLAYLIST_DIGEST_HEX_CHARS, type PlaylistDeltaFrame, type SeededPlaylist } from '../protocol';
import type { PlaylistCopies } from './playlist-copies';

/**
 * Resyncs are at least this far apart: one answer restores every copy, and the server takes at most
 * one a second (more counts against the connection as flooding), so a second loss soon after waits.
 */
const RESYNC_RETRY_MS = 5000;

/** The newest version of one playlist, verified or not: the base the next delta applies to. */
interface ChainLink {
  version: number;
  text: string;
  presentation: number;
}

export interface PlaylistReceiverHost {
  /** Lower-case hex SHA-256 (the platform's). */
  sha256(bytes: Uint8Array): Promise<string>;
  now(): number;
  /** Sends the `resync` message; false when the socket cannot take it now. */
  askResync(): boolean;
}

export class PlaylistReceiver {
  /** rendition (null: the master) → the newest version taken. */
  private readonly chain = new Map<string | null, ChainLink>();
  private resyncAskedAt: number | undefined;
  /** Deltas whose digest did not match (the stats a test or the console can read). */
  mismatches = 0;

  constructor(
    private readonly copies: PlaylistCopies,
    private readonly host: PlaylistReceiverHost,
  ) {}

  /**
   * A whole copy. A media playlist is dated by when the server got it (`ageMs` before it arrived
   * here): a welcome's copy may be a segment old, and its age places the live edge. A master is
   * dated by its arrival: it may be hours old and still current, and only the arrival matters for
   * trusting a seeded one before the join.
   */
  whole(p: SeededPlaylist, arrivedAt: number): void {
    if (typeof p.text !== 'string') return;
    const presentation = Number.isSafeInteger(p.presentation) && p.presentation! > 0 ? p.presentation! : 0;
    const ageMs = p.rendition !== null && Number.isSafeInteger(p.ageMs) && p.ageMs! > 0 ? p.ageMs! : 0;
    if (p.version !== undefined) this.chain.set(p.rendition, { version: p.version, text: p.text, presentation });
    else this.chain.delete(p.rendition);
    this.copies.set(p.rendition, p.text, p.ended === true, arrivedAt - ageMs, presentation, p.version);
  }

  /** A delta from the server: applied to the version it names, published once its digest matches. */
  delta(frame: PlaylistDeltaFrame, arrivedAt: number): void {
    const presentation = frame.presentation ?? 0;
    const base = this.chain.get(frame.rendition);
    const text = base && base.version === frame.from && base.presentation === presentation ? applyPlaylistEdits(base.text, frame.edits) : undefined;
    if (text === undefined) return this.lost(frame.rendition);
    this.chain.set(frame.rendition, { version: frame.version, text, presentation });
    this.host.sha256(new TextEncoder().encode(text)).then(
      (hex) => this.verified(frame, text, arrivedAt, hex.slice(0, PLAYLIST_DIGEST_HEX_CHARS) === frame.digest),
      () => this.verified(frame, text, arrivedAt, false),
    );
  }

  /** Forgets every media playlist's chain (the peer left their rendition); the master's stays. */
  clearMedia(): void {
    for (const key of [...this.chain.keys()]) if (key !== null) this.chain.delete(key);
  }

  private verified(frame: PlaylistDeltaFrame, text: string, arrivedAt: number, matches: boolean): void {
    const newest = this.chain.get(frame.rendition);
    if (!matches) {
      this.mismatches++;
      // Every later version was built on this text: none of them can be trusted either.
      if (newest && newest.version >= frame.version) this.lost(frame.rendition);
      return;
    }
    const shown = frame.rendition === null ? this.copies.master() : this.copies.media(frame.rendition);
    // Digests can settle out of order; a copy never goes back to an older version.
    if (shown?.version !== undefined && shown.version >= frame.version) return;
    if (!newest || newest.version < frame.version) return; // dropped meanwhile (a mismatch, a switch)
    this.copies.set(frame.rendition, text, frame.ended, arrivedAt, frame.presentation ?? 0, frame.version);
  }

  /** This peer's copy no longer follows the server's versions: the loader must not use it. */
  private lost(rendition: string | null): void {
    this.chain.delete(rendition);
    this.copies.drop(rendition);
    const now = this.host.now();
    if (this.resyncAskedAt !== undefined && now - this.resyncAskedAt < RESYNC_RETRY_MS) return;
    if (this.host.askResync()) this.resyncAskedAt = now;
  }
}
