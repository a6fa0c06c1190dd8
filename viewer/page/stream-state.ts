/**
 * What the viewer page says about the stream, decided from what the player saw (no DOM here):
 *   offline  the master playlist never loaded (not started yet, a wrong link, or the origin is away);
 *   live     the playhead moves;
 *   stalled  playback should move and has not for STALL_AFTER_MS, while the stream still advances;
 *   ended    the playlist says EXT-X-ENDLIST, or the stream stopped (its playlist stopped advancing,
 *            or it went away after it had played).
 * A state changes only on evidence that lasts (STALL_AFTER_MS without progress), so the words on
 * the page do not flip each second.
 */
export type StreamState = 'starting' | 'offline' | 'live' | 'stalled' | 'ended';

/** No progress for this long, while playing, is a stall (a segment late by a second is not). */
export const STALL_AFTER_MS = 3000;
/** A playlist that has not advanced for this many target durations is a stream that stopped. */
const STOPPED_AFTER_TARGETS = 4;

export class StreamStateTracker {
  private current: StreamState = 'starting';
  private everPlayed = false;
  private endList = false;
  private lostAfterPlaying = false;
  private lastTime: number | undefined;
  private lastProgressAt: number | undefined;
  private lastAdvanceAt: number | undefined;
  private lastEndSn: number | undefined;
  private targetMs = 2000;

  get state(): StreamState {
    return this.current;
  }

  /** Why it is ended: the encoder's ENDLIST, or a stream that stopped without one. */
  get endedBy(): 'endlist' | 'stopped' | undefined {
    if (this.current !== 'ended') return undefined;
    return this.endList ? 'endlist' : 'stopped';
  }

  /** The master playlist was parsed: the stream exists (again). */
  manifestLoaded(): void {
    this.lostAfterPlaying = false;
    if (this.current === 'offline' || (this.current === 'ended' && !this.endList)) this.current = 'starting';
  }

  /** A fatal network error: nothing to play (before it ever played) or the stream went away. */
  networkLost(): void {
    if (this.endList) return;
    if (this.everPlayed) {
      this.lostAfterPlaying = true;
      this.current = 'ended';
    } else this.current = 'offline';
  }

  /** A media playlist was loaded: is it over, and did it advance? */
  playlist(details: { live: boolean; endSN: number; targetduration: number }, now: number): void {
    if (details.targetduration > 0) this.targetMs = details.targetduration * 1000;
    if (details.endSN !== this.lastEndSn) {
      this.lastEndSn = details.endSN;
      this.lastAdvanceAt = now;
    }
    if (!details.live) {
      this.endList = true;
      this.current = 'ended';
    }
  }

  /**
   * Called about once a second with the playhead. `paused`: the viewer paused it (no stall then).
   * Returns the state after this look.
   */
  tick(currentTime: number, paused: boolean, now: number): StreamState {
    const moved = this.lastTime !== undefined && currentTime > this.lastTime;
    this.lastTime = currentTime;
    if (moved) {
      this.everPlayed = true;
      this.lastProgressAt = now;
    }
    if (this.endList || this.lostAfterPlaying) {
      this.current = 'ended';
      return this.current;
    }
    if (this.current === 'offline') return this.current;
    if (moved || (paused && this.everPlayed)) {
      this.current = 'live';
      return this.current;
    }
    if (!this.everPlayed || paused || this.lastProgressAt === undefined) return this.current;
    if (now - this.lastProgressAt < STALL_AFTER_MS) return this.current;
    const stopped = this.lastAdvanceAt !== undefined && now - this.lastAdvanceAt > STOPPED_AFTER_TARGETS * this.targetMs;
    this.current = stopped ? 'ended' : 'stalled';
    return this.current;
  }
}

/**
 * The page's own re-start after hls.js gave up (its loader has already retried): 2 s, 4 s, 8 s …
 * up to a minute, each ±20 % so that a crowd that lost the stream together does not come back in step.
 */
export const RETRY_FIRST_MS = 2000;
export const RETRY_CAP_MS = 60_000;

export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_CAP_MS, RETRY_FIRST_MS * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}
