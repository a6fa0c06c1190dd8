/**
 * The edit list of a `playlist-delta` frame (signaling protocol v4): how to turn the playlist version
 * a viewer holds into the next one, line by line. A live playlist changes at its ends (a segment
 * added, the window's oldest one dropped, MEDIA-SEQUENCE moved), so a few runs of kept lines and a
 * few inserted lines say it in a tenth of the bytes of the whole text.
 *
 * Lines are the text split at '\n' (a text that ends with '\n' has an empty last line). Read in
 * order, against the base's lines from the first:
 * - a positive integer n keeps the base's next n lines;
 * - a negative integer −n drops the base's next n lines;
 * - a string inserts its lines (the string split at '\n').
 * The runs kept and dropped cover the base exactly; any other list is not a delta of that base.
 */
import { BOUNDS } from './signaling/constants';
import { utf8Bytes } from './signaling/fields';

export type PlaylistEdit = number | string;

/** Hex characters of a delta's `digest`: the first 16 bytes of the SHA-256 of the resulting text (UTF-8). */
export const PLAYLIST_DIGEST_HEX_CHARS = 32;

/** The base with the edits applied, or undefined when the edits do not fit it (a viewer holding another version). */
export function applyPlaylistEdits(base: string, edits: readonly PlaylistEdit[]): string | undefined {
  const lines = base.split('\n');
  const out: string[] = [];
  let at = 0;
  for (const edit of edits) {
    if (typeof edit === 'string') {
      out.push(...edit.split('\n'));
      continue;
    }
    if (!Number.isSafeInteger(edit) || edit === 0) return undefined;
    const count = Math.abs(edit);
    if (at + count > lines.length) return undefined;
    if (edit > 0) out.push(...lines.slice(at, at + count));
    at += count;
  }
  if (at !== lines.length) return undefined;
  const text = out.join('\n');
  return utf8Bytes(text) <= BOUNDS.maxPushedPlaylistBytes ? text : undefined;
}
