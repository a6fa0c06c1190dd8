/**
 * EXT-X-PROGRAM-DATE-TIME for every entry. The encoder's value is used when it keeps the date-to-
 * segment mapping unambiguous; otherwise (no value, or a clock that went backwards) the date
 * continues from the previous entry, or starts at the wall clock after a discontinuity.
 */
import type { PlaylistEntry } from './rendition';

/** rfc8216bis §6.2.1 allows sub-second overlaps; anything more would map one date to two segments. */
const OVERLAP_TOLERANCE_MS = 500;

export function chooseProgramDateTime(previous: PlaylistEntry | undefined, fromEncoder: string | undefined, discontinuity: boolean, now: number): string {
  const previousEnd = previous ? Date.parse(previous.programDateTime) + Math.round(previous.duration * 1000) : undefined;
  if (fromEncoder !== undefined) {
    const encoderTime = Date.parse(fromEncoder);
    if (previousEnd === undefined || encoderTime >= previousEnd - OVERLAP_TOLERANCE_MS) return new Date(encoderTime).toISOString();
  }
  if (previousEnd === undefined) return new Date(now).toISOString();
  return new Date(discontinuity ? Math.max(now, previousEnd) : previousEnd).toISOString();
}
