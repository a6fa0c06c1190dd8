/**
 * The LL-HLS media playlist a part packager writes for hls-watch (part-packaging.ts): whole
 * segments, the EXT-X-PART lines of the last few of them and of the segment still being written,
 * as rfc8216bis §4.4.4.9 has an encoder list them. hls-watch reads it like any encoder's playlist
 * (lib/hls-watch/playlist.ts), so the packager needs no other channel into the pipeline.
 */
import type { PartFile } from './part-packager';

export interface ListedSegment {
  uri: string;
  duration: number;
  parts: readonly PartFile[];
}

export interface EncoderPlaylist {
  mediaSequence: number;
  /** Whole seconds, at least every segment's duration rounded. */
  targetDuration: number;
  /** Seconds, at least every part's duration. */
  partTarget: number;
  segments: readonly ListedSegment[];
  /** Parts of the segment being written. */
  open: readonly PartFile[];
  /** How many of the last whole segments list their parts too. */
  partsListedSegments: number;
  ended: boolean;
}

/** Decimal seconds as an encoder writes them (six places, as ffmpeg does). */
function seconds(value: number): string {
  return value.toFixed(6);
}

function partLine(p: PartFile): string {
  return `#EXT-X-PART:DURATION=${seconds(p.duration)},URI="${p.uri}"${p.independent ? ',INDEPENDENT=YES' : ''}`;
}

export function renderEncoderPlaylist(playlist: EncoderPlaylist): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${playlist.targetDuration}`,
    `#EXT-X-PART-INF:PART-TARGET=${seconds(playlist.partTarget)}`,
    `#EXT-X-MEDIA-SEQUENCE:${playlist.mediaSequence}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  const firstWithParts = playlist.segments.length - playlist.partsListedSegments;
  playlist.segments.forEach((segment, i) => {
    const start = segment.parts[0]?.programDateTime;
    if (start) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${start}`);
    if (i >= firstWithParts) lines.push(...segment.parts.map(partLine));
    lines.push(`#EXTINF:${seconds(segment.duration)},`, segment.uri);
  });
  if (playlist.open.length > 0 && !playlist.ended) {
    const start = playlist.open[0].programDateTime;
    if (start) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${start}`);
    lines.push(...playlist.open.map(partLine));
  }
  if (playlist.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}
