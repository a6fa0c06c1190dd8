/**
 * The problems an hls-watch part has right now, by key (folder, layout, watch, state,
 * rendition:<id>, a tracker's playlist): kept here so that both the watcher and each rendition
 * tracker report a lasting problem once, not on every file event or timer tick that sees it
 * again, and so that the node's status shows the code of the newest one until it is over.
 *
 * It only keeps books: whoever raises a problem reports it (raise() says whether that is news).
 */
import type { RelaycastError } from '../errors';

export class ProblemBook {
  /** key → code of its unresolved problem, in the order the problems began. */
  private readonly active = new Map<string, string>();
  /** key → what was reported last under it (code and message). */
  private readonly reported = new Map<string, string>();

  /**
   * `err` is (still) the problem under `key`. True when it is news: nothing, or something else,
   * was reported under that key since it last cleared.
   */
  raise(key: string, err: RelaycastError): boolean {
    this.active.set(key, err.code);
    const fingerprint = `${err.code} ${err.message}`;
    if (this.reported.get(key) === fingerprint) return false;
    this.reported.set(key, fingerprint);
    return true;
  }

  /** The problem under `key` is over. True when there was one (the status changes). */
  clear(key: string): boolean {
    this.reported.delete(key);
    return this.active.delete(key);
  }

  /** Code of the newest problem not yet over, if any. */
  get newestCode(): string | undefined {
    let newest: string | undefined;
    for (const code of this.active.values()) newest = code;
    return newest;
  }
}
