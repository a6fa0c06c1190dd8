/**
 * A rendition's LL-HLS parts (rfc8216bis §4.4.4.9): those of the segment the encoder is still
 * writing (`open`, listed after the last whole segment), and, once that segment's msg arrives,
 * the same parts on its entry. Parts are best effort (lib/protocol/msgs/part.ts): a part that is
 * missing, out of order or of another session is not listed, and a segment whose parts do not add
 * up to it lists none, since a player that plays parts must find every one of them.
 */
import { RelaycastError } from '../errors';
import { extensionOf, partObjectName } from '../upload/keys';
import { formatDuration } from './media-renderer';
import type { PartInput } from './input';
import type { ListedPart, OpenSegment, PlaylistEntry, RenditionState } from './rendition';

/**
 * Whole segments before the open one whose parts are listed: parts far from the live edge serve no
 * player (PART-HOLD-BACK is three part targets, inside one segment), and rfc8216bis §6.2.2 says
 * parts more than three target durations from the end of the playlist SHOULD be removed, which a
 * third segment's first parts would be, once the open one has two.
 */
export const PARTS_LISTED_SEGMENTS = 2;

/** How far, in seconds, a segment's parts may add up away from its EXTINF (both are rounded to ms when written). */
export const PART_SUM_TOLERANCE = 0.002;

/** PART-TARGET as written: the encoder's, rounded up to the millisecond so every part still fits. */
export function partTargetOf(encoderPartTarget: number): number {
  return Math.ceil(Math.round(encoderPartTarget * 1e6) / 1e3) / 1e3;
}

/**
 * Adds a part to the rendition's open segment. Returns whether the listed parts changed. A part
 * longer than the PART-TARGET is refused with its code (listing it would break rfc8216bis §4.4.4.9).
 */
export function addPart(r: RenditionState, p: PartInput, partTarget: number): boolean {
  // A part of the segment already listed, or of a session not (or no longer) current: too late or too early.
  if (p.session !== r.currentSession || r.lastSourceSequence === undefined || p.sequence !== r.lastSourceSequence + 1) return false;
  if (r.open?.sourceSequence !== p.sequence) r.open = { sourceSequence: p.sequence, parts: [] };
  const open = r.open;
  if (open.broken || p.index !== open.parts.length) {
    // A part was lost: what follows it cannot be listed (a player must find every part in order).
    open.broken = true;
    return false;
  }
  if (Number(formatDuration(p.duration)) > partTarget) {
    open.broken = true;
    throw new RelaycastError(
      'E_MANIFEST_PART_TOO_LONG',
      `${r.stream}/${r.rendition}: part ${p.index} of segment ${p.sequence} lasts ${p.duration} s, above the PART-TARGET of ${partTarget} s; its segment lists no parts`,
    );
  }
  if (open.parts.length === 0 && !p.independent) {
    // A segment starts at a random access point: one whose first part is not cannot be joined by parts.
    open.broken = true;
    return false;
  }
  open.parts.push({ url: p.url, duration: p.duration, independent: p.independent, ...(p.key !== undefined ? { key: p.key } : {}) });
  return true;
}

/** The open parts that become the new entry's own, when they are all of it; and the open segment is closed. */
export function takeOpenParts(r: RenditionState, sourceSequence: number, duration: number): ListedPart[] | undefined {
  const open = r.open;
  r.open = undefined;
  if (!open || open.broken || open.sourceSequence !== sourceSequence || open.parts.length === 0) return undefined;
  const sum = open.parts.reduce((total, p) => total + Number(formatDuration(p.duration)), 0);
  return Math.abs(sum - Number(formatDuration(duration))) <= PART_SUM_TOLERANCE ? open.parts : undefined;
}

/** The open segment's parts, when they can be listed after the last entry (same session, nothing pending between). */
export function listableOpen(r: RenditionState): OpenSegment | undefined {
  const open = r.open;
  if (!open || open.broken || open.parts.length === 0 || r.pendingDiscontinuity) return undefined;
  return r.lastSourceSequence !== undefined && open.sourceSequence === r.lastSourceSequence + 1 ? open : undefined;
}

/** The last part listed, by MSN and index (blocking reload's `_HLS_part` compares against it). */
export function lastListedPart(r: RenditionState): { msn: number; index: number } | undefined {
  const open = listableOpen(r);
  if (open) return { msn: r.nextMsn, index: open.parts.length - 1 };
  const last: PlaylistEntry | undefined = r.entries[r.entries.length - 1];
  return last?.parts ? { msn: last.msn, index: last.parts.length - 1 } : undefined;
}

/**
 * The URL the next part will be stored at (EXT-X-PRELOAD-HINT): beside the last part listed, named
 * by r2-upload's rule (partObjectName). It continues the open segment while another part still fits
 * in the target duration, else it starts the next segment.
 */
export function nextPartUrl(r: RenditionState, partTarget: number, targetDuration: number): string | undefined {
  const open = listableOpen(r);
  const last = r.entries[r.entries.length - 1];
  const lastPart = open ? open.parts[open.parts.length - 1] : last?.parts?.[last.parts.length - 1];
  if (!lastPart || r.lastSourceSequence === undefined) return undefined;
  const openDuration = open ? open.parts.reduce((sum, p) => sum + p.duration, 0) : 0;
  const continues = open !== undefined && openDuration + partTarget <= targetDuration + PART_SUM_TOLERANCE;
  const name = continues
    ? partObjectName(open.sourceSequence, open.parts.length, extensionOf(lastPart.url))
    : partObjectName(r.lastSourceSequence + (open ? 2 : 1), 0, extensionOf(lastPart.url));
  return new URL(name, lastPart.url).toString();
}
