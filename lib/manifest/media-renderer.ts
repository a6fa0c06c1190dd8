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
import type { PlaylistEntry, RenditionState } from './rendition';

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
export function renderHeader(r: RenditionState, targetDuration: number, blockingReload = false): string {
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${r.version}`,
    `#EXT-X-TARGETDURATION:${targetDuration}`,
    ...(blockingReload ? ['#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES'] : []),
    `#EXT-X-MEDIA-SEQUENCE:${r.entries.length > 0 ? r.entries[0].msn : r.nextMsn}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${r.discontinuitySequence}`,
  ];
  return lines.join('\n') + '\n';
}

/** One entry's lines, given the EXT-X-MAP in force before it; and the one in force after it. */
export function renderEntry(e: PlaylistEntry, mapInForce: string | undefined): { text: string; mapInForce: string | undefined } {
  const lines: string[] = [];
  if (e.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
  if (e.initUrl && (e.initUrl !== mapInForce || e.discontinuity)) {
    lines.push(`#EXT-X-MAP:URI="${e.initUrl}"`);
    mapInForce = e.initUrl;
  }
  lines.push(`#EXTINF:${formatDuration(e.duration)},`);
  if (e.gap) lines.push('#EXT-X-GAP');
  lines.push(`#EXT-X-PROGRAM-DATE-TIME:${e.programDateTime}`, e.url);
  return { text: lines.join('\n') + '\n', mapInForce };
}

/** Everything after the last entry. */
export function renderTrailer(r: RenditionState): string {
  return r.ended ? '#EXT-X-ENDLIST\n' : '';
}

export function renderMediaPlaylist(r: RenditionState, targetDuration: number, blockingReload = false): string {
  let text = renderHeader(r, targetDuration, blockingReload);
  let mapInForce: string | undefined;
  for (const e of r.entries) {
    const block = renderEntry(e, mapInForce);
    text += block.text;
    mapInForce = block.mapInForce;
  }
  return text + renderTrailer(r);
}
