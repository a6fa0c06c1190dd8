/**
 * Groups an encoder's consecutive part files into LL-HLS segments (rfc8216bis §4.4.4.9): a segment
 * starts at an independent part (one that begins with a random access point, ts-random-access.ts)
 * and takes every part after it up to the next independent one. For MPEG-TS a segment's bytes are
 * the concatenation of its parts' bytes (a TS stream cut at packet boundaries and joined again is
 * the same stream), so a packager needs no remuxing: see segmentBytes().
 *
 * Pure: the same parts give the same segments, whatever the order of the calls that built the list.
 */

export interface PartFile {
  uri: string;
  /** Seconds, the EXTINF the encoder wrote for the part file. */
  duration: number;
  independent: boolean;
  /** ISO 8601, the part's EXT-X-PROGRAM-DATE-TIME when the encoder writes it. */
  programDateTime?: string;
}

export interface PackedSegment {
  parts: PartFile[];
  /** Sum of its parts' durations, seconds. */
  duration: number;
}

export interface Packing {
  /** Whole segments: each is followed by an independent part, so nothing more can join it. */
  segments: PackedSegment[];
  /** The parts of the segment still being written (it starts with an independent part), or []. */
  open: PartFile[];
  /** Parts before the first independent one: no player could decode them, so no segment has them. */
  skipped: PartFile[];
}

export function packParts(parts: readonly PartFile[]): Packing {
  const first = parts.findIndex((p) => p.independent);
  if (first < 0) return { segments: [], open: [], skipped: [...parts] };
  const segments: PackedSegment[] = [];
  let current: PartFile[] = [];
  for (const part of parts.slice(first)) {
    if (part.independent && current.length > 0) {
      segments.push(segmentOf(current));
      current = [];
    }
    current.push(part);
  }
  return { segments, open: current, skipped: parts.slice(0, first) };
}

function segmentOf(parts: PartFile[]): PackedSegment {
  return { parts, duration: parts.reduce((sum, p) => sum + p.duration, 0) };
}

/** An MPEG-TS segment's bytes: its parts' bytes, joined in order. */
export function segmentBytes(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}
