/**
 * A deliberately literal M3U8 reader for the validator: it keeps every tag with its line number and
 * does not normalise anything, so the rules can see exactly what a player would see.
 */

export interface ParsedTag {
  name: string;
  /** Text after the first ':' ('' when the tag has no value). */
  value: string;
  line: number;
}

export interface ParsedSegment {
  /** Media sequence number: EXT-X-MEDIA-SEQUENCE + index. */
  msn: number;
  uri: string;
  uriLine: number;
  /** Raw EXTINF duration text, and its number (NaN when unreadable). */
  durationText: string;
  duration: number;
  discontinuity: boolean;
  /** Discontinuity number: EXT-X-DISCONTINUITY-SEQUENCE + DISCONTINUITY tags up to and including this one. */
  discontinuityNumber: number;
  gap: boolean;
  programDateTime?: string;
  /** URI of the EXT-X-MAP in force for this segment. */
  mapUri?: string;
  /** Every tag that applied to this segment (in order). */
  tags: ParsedTag[];
  /** Its EXT-X-PART tags (LL-HLS), in order. */
  parts: ParsedTag[];
}

export interface ParsedMediaPlaylist {
  headerOk: boolean;
  /** Playlist-level tags (everything that is not a segment tag), in order. */
  tags: ParsedTag[];
  segments: ParsedSegment[];
  /** Segment tags written after the last URI (a DISCONTINUITY or EXTINF with no segment). */
  danglingTags: ParsedTag[];
  /**
   * LL-HLS: the tags after the last URI when they list parts (EXT-X-PART) of the segment in
   * progress, which has no URI yet (rfc8216bis §4.4.4.9); they are not dangling.
   */
  openTags: ParsedTag[];
  /** Lines that are neither tags, comments nor URIs where one was expected. */
  strayUris: { uri: string; line: number }[];
  version?: number;
  targetDuration?: number;
  mediaSequence: number;
  discontinuitySequence: number;
  playlistType?: string;
  endList: boolean;
  /** Line of the first segment's first tag (Infinity when there is none). */
  firstSegmentLine: number;
}

/** Tags that belong to the next Media Segment (RFC 8216 §4.3.2 plus EXT-X-GAP from rfc8216bis). */
export const SEGMENT_TAGS = new Set([
  'EXTINF',
  'EXT-X-BYTERANGE',
  'EXT-X-DISCONTINUITY',
  'EXT-X-KEY',
  'EXT-X-MAP',
  'EXT-X-PROGRAM-DATE-TIME',
  'EXT-X-DATERANGE',
  'EXT-X-GAP',
  'EXT-X-BITRATE',
  'EXT-X-PART',
]);

export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

export function parseTag(line: string, lineNumber: number): ParsedTag {
  const colon = line.indexOf(':');
  return colon < 0 ? { name: line.slice(1), value: '', line: lineNumber } : { name: line.slice(1, colon), value: line.slice(colon + 1), line: lineNumber };
}

/** Parses an attribute list (KEY=VALUE,KEY="quoted, value",…); returns undefined when malformed. */
export function parseAttributes(value: string): Map<string, string> | undefined {
  const attributes = new Map<string, string>();
  const pattern = /([A-Z0-9-]+)=("[^"\r\n]*"|[^,]*)(,|$)/gy;
  let consumed = 0;
  for (let match = pattern.exec(value); match && match[0].length > 0; match = pattern.exec(value)) {
    attributes.set(match[1], match[2]);
    consumed = pattern.lastIndex;
    if (match[3] === '') break;
  }
  return consumed === value.length ? attributes : undefined;
}

export function unquote(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
}

export function parseMediaPlaylist(text: string): ParsedMediaPlaylist {
  const lines = splitLines(text);
  const result: ParsedMediaPlaylist = {
    headerOk: lines[0] === '#EXTM3U',
    tags: [],
    segments: [],
    danglingTags: [],
    openTags: [],
    strayUris: [],
    mediaSequence: 0,
    discontinuitySequence: 0,
    endList: false,
    firstSegmentLine: Infinity,
  };
  let pending: ParsedTag[] = [];
  let mapUri: string | undefined;
  let discontinuityNumber: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i].trim();
    const lineNumber = i + 1;
    if (raw === '') continue;
    if (raw.startsWith('#EXT')) {
      const tag = parseTag(raw, lineNumber);
      if (SEGMENT_TAGS.has(tag.name)) {
        if (pending.length === 0) result.firstSegmentLine = Math.min(result.firstSegmentLine, lineNumber);
        pending.push(tag);
        if (tag.name === 'EXT-X-MAP') mapUri = unquote(parseAttributes(tag.value)?.get('URI'));
        continue;
      }
      result.tags.push(tag);
      switch (tag.name) {
        case 'EXT-X-VERSION':
          result.version ??= Number(tag.value);
          break;
        case 'EXT-X-TARGETDURATION':
          result.targetDuration ??= Number(tag.value);
          break;
        case 'EXT-X-MEDIA-SEQUENCE':
          result.mediaSequence = Number(tag.value);
          break;
        case 'EXT-X-DISCONTINUITY-SEQUENCE':
          result.discontinuitySequence = Number(tag.value);
          break;
        case 'EXT-X-PLAYLIST-TYPE':
          result.playlistType = tag.value;
          break;
        case 'EXT-X-ENDLIST':
          result.endList = true;
          break;
        default:
          break;
      }
      continue;
    }
    if (raw.startsWith('#')) continue; // a comment
    const extinf = pending.find((t) => t.name === 'EXTINF');
    if (!extinf) {
      result.strayUris.push({ uri: raw, line: lineNumber });
      pending = [];
      continue;
    }
    if (result.segments.length === 0) result.firstSegmentLine = Math.min(result.firstSegmentLine, pending[0].line);
    const durationText = extinf.value.split(',')[0];
    const discontinuity = pending.some((t) => t.name === 'EXT-X-DISCONTINUITY');
    discontinuityNumber = (discontinuityNumber ?? result.discontinuitySequence) + (discontinuity ? 1 : 0);
    result.segments.push({
      msn: result.mediaSequence + result.segments.length,
      uri: raw,
      uriLine: lineNumber,
      durationText,
      duration: /^\d+(\.\d+)?$/.test(durationText) ? Number(durationText) : NaN,
      discontinuity,
      discontinuityNumber,
      gap: pending.some((t) => t.name === 'EXT-X-GAP'),
      programDateTime: pending.find((t) => t.name === 'EXT-X-PROGRAM-DATE-TIME')?.value,
      mapUri,
      tags: pending,
      parts: pending.filter((t) => t.name === 'EXT-X-PART'),
    });
    pending = [];
  }
  const inProgress = pending.some((t) => t.name === 'EXT-X-PART') && !pending.some((t) => t.name === 'EXTINF');
  if (inProgress) result.openTags = pending;
  else result.danglingTags = pending;
  return result;
}
