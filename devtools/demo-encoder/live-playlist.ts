/**
 * Renders a live media playlist the way ffmpeg 5.1's hls muxer lays it out (header order,
 * `#EXTINF:%f,`, PROGRAM-DATE-TIME after EXTINF, `+0000` offsets), plus segment file names that
 * continue the fixture's own numbering pattern (seg_%05d.ts, stream-<id>-%d.ts).
 */

export interface LiveEntry {
  sequence: number;
  uri: string;
  duration: number;
  discontinuity: boolean;
  programDateTime: Date;
}

export interface LivePlaylistHeader {
  version: number;
  targetDuration: number;
  independentSegments: boolean;
  /** EXT-X-MAP URI for fMP4. */
  init: string | null;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** ffmpeg's PROGRAM-DATE-TIME format: 2026-11-23T09:37:27.302+0000 (UTC). */
export function formatProgramDateTime(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    `.${pad(date.getUTCMilliseconds(), 3)}+0000`
  );
}

/**
 * @param entries the sliding window, oldest first
 * @param discontinuitySequence discontinuities that already slid out of the window (RFC 8216 §4.3.3.3)
 */
export function renderLivePlaylist(header: LivePlaylistHeader, entries: LiveEntry[], discontinuitySequence: number, endList: boolean): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${header.version}`, `#EXT-X-TARGETDURATION:${header.targetDuration}`];
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${entries.length > 0 ? entries[0].sequence : 0}`);
  // ffmpeg never writes this tag; it is only needed (and only written) once a looped stream's
  // discontinuity has slid out of the window.
  if (discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuitySequence}`);
  if (header.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  if (header.init !== null) lines.push(`#EXT-X-MAP:URI="${header.init}"`);
  for (const entry of entries) {
    if (entry.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${entry.duration.toFixed(6)},`);
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${formatProgramDateTime(entry.programDateTime)}`);
    lines.push(entry.uri);
  }
  if (endList) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/**
 * Learns the numbering pattern from the fixture's segment URIs (the last run of digits counts up
 * from 0) so a replay past the fixture's end keeps naming files the way the encoder would:
 * seg_00005.ts → seg_00006.ts, stream-Kq7vX2mB-5.ts → stream-Kq7vX2mB-6.ts.
 * Falls back to `<stem>-<n><ext>` when the fixture's names do not follow one counter.
 */
export function segmentNamer(fixtureUris: string[]): (sequence: number) => string {
  // The counter is the last run of digits before the extension (the extension itself may hold
  // digits: .m4s, .mp4).
  const first = /^(.*?)(\d+)(\.[A-Za-z0-9]+)?$/.exec(fixtureUris[0]);
  if (first) {
    const [, prefix, digits, suffix = ''] = first;
    const width = digits.length > 1 && digits.startsWith('0') ? digits.length : 1;
    const name = (n: number): string => `${prefix}${pad(n, width)}${suffix}`;
    if (Number(digits) === 0 && fixtureUris.every((uri, index) => uri === name(index))) return name;
  }
  const dot = fixtureUris[0].lastIndexOf('.');
  const stem = dot > 0 ? fixtureUris[0].slice(0, dot) : fixtureUris[0];
  const ext = dot > 0 ? fixtureUris[0].slice(dot) : '';
  return (n) => `${stem}-${n}${ext}`;
}
