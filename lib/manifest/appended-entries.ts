/**
 * Follows one rendition's entries from call to call and says which were appended since the last
 * call, or that the list did not merely grow (the window slid, a new presentation began, a state was
 * restored), in which case a follower starts over from all entries. What is derived from a DVR
 * history (its playlist lines, its bandwidth, its URLs) is then extended per segment instead of
 * recomputed over the whole history. Entries are never changed once listed, so the identity of the
 * first and last entry seen, with the count, is enough to tell.
 */
import type { PlaylistEntry } from './rendition';

export class AppendedEntries {
  private count = 0;
  private first: PlaylistEntry | undefined;
  private last: PlaylistEntry | undefined;

  /** The entries appended since the last call, or undefined: start over from `entries`. */
  since(entries: readonly PlaylistEntry[]): readonly PlaylistEntry[] | undefined {
    const k = this.count;
    const grew = k > 0 && entries.length >= k && entries[0] === this.first && entries[k - 1] === this.last;
    this.count = entries.length;
    this.first = entries[0];
    this.last = entries[entries.length - 1];
    return grew ? entries.slice(k) : undefined;
  }
}
