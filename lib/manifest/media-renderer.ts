/**
 * Renders one rendition's Media Playlist (RFC 8216 §4.3; rfc8216bis §6.2). Correct by construction:
 * the version is the lowest the tags need (never lowered between versions), EXT-X-MAP is written
 * whenever the init section changes or a discontinuity starts, and no EXT-X-PLAYLIST-TYPE is ever
 * written (a sliding live playlist may not carry one; an ended DVR playlist is a complete VOD by ENDLIST).
 *
 * A playlist is a header, one block of lines per entry, and a trailer. An entry's block depends only
 * on the entry and the EXT-X-MAP in force before it, so the blocks of a growing playlist never need
 * to be written again (see media-body.ts); renderMediaPlaylist() is the whole of it, at once.
 */
import type { ListedPart, PlaylistEntry, RenditionState } from './rendition';

/**
 * What an LL-HLS playlist adds (rfc8216bis §4.4.3.7, §4.4.4.9, §4.4.5.3): the PART-TARGET, the parts
 * of the segment in progress, and the URL of the part after them. Absent: the playlist has no
 * LL-HLS tag at all, byte for byte what it was before parts existed.
 */
export interface LowLatencyView {
  /** Seconds, already rounded up to the millisecond (lib/manifest/parts.ts). */
  partTarget: number;
  /** The whole segments at the end whose parts are listed. */
  partsListedSegments: number;
  /** Parts of the segment in progress. */
  open: readonly ListedPart[];
  hintUrl?: string;
}

/** PART-HOLD-BACK in part targets: rfc8216bis says at least 2, and recommends 3 (hls.js plays 3 behind). */
export const PART_HOLD_BACK_PART_TARGETS = 3;

/** EXTINF precision: milliseconds, what encoders can actually cut on. */
export function formatDuration(seconds: number): string {
  return seconds.toFixed(3);
}

/** The lowest EXT-X-VERSION the entries need: decimal EXTINF → 3, EXT-X-MAP → 6, EXT-X-GAP → 8. */
export function requiredVersion(entries: readonly PlaylistEntry[]): number {
  let version = 3;
  for (const e of entries) {
    if (e.initUrl) version = Math.max(version, 6);
    if (e.gap) version = Math.max(version, 8);
  }
  return version;
}

/** Everything before the first entry. */
export function renderHeader(r: RenditionState, targetDuration: number, blockingReload = false, ll?: LowLatencyView): string {
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${r.version}`,
    `#EXT-X-TARGETDURATION:${targetDuration}`,
    ...(ll ? lowLatencyHeader(ll.partTarget) : blockingReload ? ['#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES'] : []),
    `#EXT-X-MEDIA-SEQUENCE:${r.entries.length > 0 ? r.entries[0].msn : r.nextMsn}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${r.discontinuitySequence}`,
  ];
  return lines.join('\n') + '\n';
}

/** LL-HLS needs blocking reload (rfc8216bis §4.4.3.8), and says how far behind the live edge to play. */
function lowLatencyHeader(partTarget: number): string[] {
  const holdBack = formatDuration(PART_HOLD_BACK_PART_TARGETS * partTarget);
  return [`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${holdBack}`, `#EXT-X-PART-INF:PART-TARGET=${formatDuration(partTarget)}`];
}

function partLine(p: ListedPart): string {
  return `#EXT-X-PART:DURATION=${formatDuration(p.duration)},URI="${p.url}"${p.independent ? ',INDEPENDENT=YES' : ''}`;
}

/**
 * One entry's lines, given the EXT-X-MAP in force before it; and the one in force after it. With
 * `withParts`, its EXT-X-PART lines come before its EXTINF (rfc8216bis §4.4.4.9).
 */
export function renderEntry(e: PlaylistEntry, mapInForce: string | undefined, withParts = false): { text: string; mapInForce: string | undefined } {
  const lines: string[] = [];
  if (e.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
  if (e.initUrl && (e.initUrl !== mapInForce || e.discontinuity)) {
    lines.push(`#EXT-X-MAP:URI="${e.initUrl}"`);
    mapInForce = e.initUrl;
  }
  if (withParts && e.parts) lines.push(...e.parts.map(partLine));
  lines.push(`#EXTINF:${formatDuration(e.duration)},`);
  if (e.gap) lines.push('#EXT-X-GAP');
  lines.push(`#EXT-X-PROGRAM-DATE-TIME:${e.programDateTime}`, e.url);
  return { text: lines.join('\n') + '\n', mapInForce };
}

/**
 * Everything after the last entry: ENDLIST, or, in LL-HLS, the parts of the segment in progress
 * and the hint for the next part, which must come after the last part (rfc8216bis §4.4.5.3).
 */
export function renderTrailer(r: RenditionState, ll?: LowLatencyView): string {
  if (r.ended) return '#EXT-X-ENDLIST\n';
  if (!ll) return '';
  const lines = ll.open.map(partLine);
  if (ll.hintUrl) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${ll.hintUrl}"`);
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/** Where the entries whose parts are listed begin (none without LL-HLS). */
export function firstWithParts(entries: readonly PlaylistEntry[], ll: LowLatencyView | undefined): number {
  return ll ? Math.max(0, entries.length - ll.partsListedSegments) : entries.length;
}

export function renderMediaPlaylist(r: RenditionState, targetDuration: number, blockingReload = false, ll?: LowLatencyView): string {
  let text = renderHeader(r, targetDuration, blockingReload, ll);
  let mapInForce: string | undefined;
  const withParts = firstWithParts(r.entries, ll);
  r.entries.forEach((e, i) => {
    const block = renderEntry(e, mapInForce, i >= withParts);
    text += block.text;
    mapInForce = block.mapInForce;
  });
  return text + renderTrailer(r, ll);
}
