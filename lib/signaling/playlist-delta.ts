/**
 * A new playlist version as a delta of the one before it (signaling protocol v4, `playlist-delta`):
 * the line edits (lib/protocol/playlist-edits.ts), found with jsdiff's Myers diff over lines, and
 * the digest a viewer checks its result against. A whole copy is sent instead when the versions are
 * not of one playlist, or when the delta would not be smaller.
 */
import { createHash } from 'node:crypto';
import { diffArrays } from 'diff';
import { BOUNDS, PLAYLIST_DIGEST_HEX_CHARS, type PlaylistEdit } from '../protocol';

/**
 * Line changes beyond which the diff gives up: a live playlist changes by a handful of lines per
 * version, and Myers' cost grows with the square of the changes, so a rewrite (a new session, a
 * DVR window restored) is sent whole rather than diffed at length.
 */
const MAX_CHANGED_LINES = 200;

/** The edits that turn `from` into `to`; undefined when they would be too many (send `to` whole). */
export function playlistEdits(from: string, to: string): PlaylistEdit[] | undefined {
  const changes = diffArrays(from.split('\n'), to.split('\n'), { maxEditLength: MAX_CHANGED_LINES });
  if (!changes) return undefined;
  const edits: PlaylistEdit[] = [];
  for (const change of changes) {
    if (change.count === 0) continue;
    if (change.added) edits.push(change.value.join('\n'));
    else edits.push(change.removed ? -change.count : change.count);
  }
  return edits.length <= BOUNDS.maxPlaylistEdits ? edits : undefined;
}

/** The `digest` of a text: the first 16 bytes of its UTF-8 bytes' SHA-256, in hex. */
export function playlistDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, PLAYLIST_DIGEST_HEX_CHARS);
}
