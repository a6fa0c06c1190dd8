/**
 * Checks on one version of a Media Playlist (RFC 8216 §4.3, §6.2; rfc8216bis §4.4, §6.2).
 * Rules that need the previous version live in history-rules.ts; the LL-HLS ones in ll-rules.ts.
 */
import { parseAttributes, parseMediaPlaylist, unquote, type ParsedMediaPlaylist } from './parse';
import { ViolationList, type Violation } from './violations';
import { checkLowLatency } from './ll-rules';

export interface MediaValidationOptions {
  /** Require every segment and MAP URI to be absolute (http/https). Relaycast serves absolute public URLs. */
  requireAbsoluteUris?: boolean;
}

const SINGLE_USE_TAGS = [
  'EXT-X-VERSION',
  'EXT-X-TARGETDURATION',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-PLAYLIST-TYPE',
  'EXT-X-ENDLIST',
  'EXT-X-INDEPENDENT-SEGMENTS',
];
const MASTER_ONLY_TAGS = new Set(['EXT-X-STREAM-INF', 'EXT-X-I-FRAME-STREAM-INF', 'EXT-X-MEDIA', 'EXT-X-SESSION-DATA', 'EXT-X-SESSION-KEY']);
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
/** "sub-second overlaps allowed" (rfc8216bis §6.2.1): tolerance for PDT vs accumulated EXTINF. */
const PDT_OVERLAP_TOLERANCE_MS = 1000;

/** The lowest EXT-X-VERSION the playlist's features need (RFC 8216 §7, rfc8216bis §8). */
export function requiredMediaVersion(playlist: ParsedMediaPlaylist): number {
  let version = 1;
  for (const segment of playlist.segments) {
    if (/\./.test(segment.durationText)) version = Math.max(version, 3);
    for (const tag of segment.tags) {
      if (tag.name === 'EXT-X-BYTERANGE') version = Math.max(version, 4);
      if (tag.name === 'EXT-X-MAP') version = Math.max(version, 6);
      if (tag.name === 'EXT-X-GAP') version = Math.max(version, 8);
      if (tag.name === 'EXT-X-KEY' && /KEYFORMAT/.test(tag.value)) version = Math.max(version, 5);
    }
  }
  return version;
}

function checkHeaderAndTagCounts(p: ParsedMediaPlaylist, out: ViolationList): void {
  if (!p.headerOk) out.error('m3u.header', 'the first line must be #EXTM3U', 1);
  for (const name of SINGLE_USE_TAGS) {
    const uses = p.tags.filter((t) => t.name === name);
    if (uses.length > 1) out.error('tag.duplicate', `${name} appears ${uses.length} times`, uses[1].line);
  }
  for (const tag of p.tags) {
    if (MASTER_ONLY_TAGS.has(tag.name)) out.error('playlist.mixed', `${tag.name} is a Master Playlist tag`, tag.line);
  }
  for (const stray of p.strayUris) out.error('extinf.missing', `URI ${stray.uri} has no EXTINF`, stray.line);
  for (const tag of p.danglingTags) out.error('segment.dangling-tags', `#${tag.name} is not followed by a segment URI`, tag.line);
}

function checkTargetDuration(p: ParsedMediaPlaylist, out: ViolationList): void {
  const tag = p.tags.find((t) => t.name === 'EXT-X-TARGETDURATION');
  if (!tag) {
    out.error('targetduration.missing', 'EXT-X-TARGETDURATION is required');
    return;
  }
  if (!/^\d+$/.test(tag.value) || Number(tag.value) < 1) {
    out.error('targetduration.invalid', `EXT-X-TARGETDURATION must be a decimal-integer ≥ 1, got ${tag.value}`, tag.line);
    return;
  }
  const target = Number(tag.value);
  for (const s of p.segments) {
    if (Number.isFinite(s.duration) && Math.round(s.duration) > target) {
      out.error('targetduration.exceeded', `EXTINF ${s.durationText} rounds above the target duration ${target}`, s.uriLine);
    }
  }
}

function checkSequences(p: ParsedMediaPlaylist, out: ViolationList): void {
  for (const name of ['EXT-X-MEDIA-SEQUENCE', 'EXT-X-DISCONTINUITY-SEQUENCE']) {
    const tag = p.tags.find((t) => t.name === name);
    if (!tag) continue;
    if (!/^\d+$/.test(tag.value)) out.error('sequence.invalid', `${name} must be a decimal-integer, got ${tag.value}`, tag.line);
    if (tag.line > p.firstSegmentLine) {
      out.error(
        name === 'EXT-X-MEDIA-SEQUENCE' ? 'mediasequence.position' : 'discontinuitysequence.position',
        `${name} must appear before the first Media Segment`,
        tag.line,
      );
    }
  }
}

function checkSegments(p: ParsedMediaPlaylist, options: MediaValidationOptions, out: ViolationList): void {
  const absolute = /^https?:\/\//i;
  for (const s of p.segments) {
    const extinf = s.tags.find((t) => t.name === 'EXTINF')!;
    if (!Number.isFinite(s.duration)) out.error('extinf.invalid', `EXTINF duration ${s.durationText} is not a decimal number`, extinf.line);
    if (s.tags.filter((t) => t.name === 'EXTINF').length > 1) out.error('tag.duplicate', 'two EXTINF tags for one segment', extinf.line);
    if (options.requireAbsoluteUris && !absolute.test(s.uri)) out.error('uri.relative', `segment URI ${s.uri} is not absolute`, s.uriLine);
    for (const tag of s.tags) {
      if (tag.name !== 'EXT-X-MAP') continue;
      const uri = unquote(parseAttributes(tag.value)?.get('URI'));
      if (!uri) out.error('map.uri-missing', 'EXT-X-MAP needs a URI attribute', tag.line);
      else if (options.requireAbsoluteUris && !absolute.test(uri)) out.error('uri.relative', `EXT-X-MAP URI ${uri} is not absolute`, tag.line);
    }
  }
}

function checkVersion(p: ParsedMediaPlaylist, out: ViolationList): void {
  const required = requiredMediaVersion(p);
  const declared = p.version ?? 1;
  const line = p.tags.find((t) => t.name === 'EXT-X-VERSION')?.line;
  if (declared < required) out.error('version.too-low', `the tags used need EXT-X-VERSION ${required}, declared ${declared}`, line);
  else if (declared > required) out.warning('version.higher-than-needed', `EXT-X-VERSION ${declared} is above the ${required} the tags need`, line);
}

function checkPlaylistTypeAndWindow(p: ParsedMediaPlaylist, out: ViolationList): void {
  const typeLine = p.tags.find((t) => t.name === 'EXT-X-PLAYLIST-TYPE')?.line;
  if (p.playlistType !== undefined && !['VOD', 'EVENT'].includes(p.playlistType)) {
    out.error('playlisttype.invalid', `EXT-X-PLAYLIST-TYPE ${p.playlistType}`, typeLine);
  }
  if (p.playlistType === 'VOD' && !p.endList) out.error('playlisttype.vod-without-endlist', 'a VOD playlist must carry EXT-X-ENDLIST', typeLine);
  if (p.playlistType === 'EVENT' && p.mediaSequence > 0) {
    out.error('playlisttype.event-removed', 'an EVENT playlist may only be appended to, yet segments were removed (media sequence > 0)', typeLine);
  }
  const endlistLine = p.tags.find((t) => t.name === 'EXT-X-ENDLIST')?.line;
  const lastSegment = p.segments[p.segments.length - 1];
  if (endlistLine !== undefined && lastSegment && lastSegment.uriLine > endlistLine) {
    out.error('endlist.not-last', 'Media Segments follow EXT-X-ENDLIST', lastSegment.uriLine);
  }
  // The 3 × TD floor only binds once the server has started removing segments (RFC 8216 §6.2.2).
  if (!p.endList && p.mediaSequence > 0 && p.targetDuration && p.targetDuration >= 1) {
    const total = p.segments.reduce((sum, s) => sum + (Number.isFinite(s.duration) ? s.duration : 0), 0);
    if (total < 3 * p.targetDuration) {
      out.error('window.too-short', `segments were removed although the playlist lasts ${total.toFixed(3)} s < 3 × target duration`);
    }
  }
}

function checkProgramDateTime(p: ParsedMediaPlaylist, out: ViolationList): void {
  const withPdt = p.segments.filter((s) => s.programDateTime !== undefined);
  if (withPdt.length === 0) return;
  let previous: { time: number; duration: number; discontinuityNumber: number } | undefined;
  for (const s of p.segments) {
    const tag = s.tags.find((t) => t.name === 'EXT-X-PROGRAM-DATE-TIME');
    if (s.discontinuity && !tag) out.warning('pdt.discontinuity', 'a segment with EXT-X-DISCONTINUITY should carry EXT-X-PROGRAM-DATE-TIME', s.uriLine);
    if (!tag) {
      if (previous) previous = { ...previous, time: previous.time + previous.duration * 1000, duration: s.duration };
      continue;
    }
    if (!ISO_DATE_TIME.test(tag.value) || Number.isNaN(Date.parse(tag.value))) {
      out.error('pdt.format', `EXT-X-PROGRAM-DATE-TIME ${tag.value} is not an ISO 8601 date-time with a time zone`, tag.line);
      previous = undefined;
      continue;
    }
    const time = Date.parse(tag.value);
    if (previous && time < previous.time + previous.duration * 1000 - PDT_OVERLAP_TOLERANCE_MS) {
      out.error('pdt.overlap', `EXT-X-PROGRAM-DATE-TIME ${tag.value} overlaps the previous segment (ambiguous date-to-segment mapping)`, tag.line);
    }
    previous = { time, duration: s.duration, discontinuityNumber: s.discontinuityNumber };
  }
}

/** Validates one Media Playlist version on its own. */
export function checkMediaPlaylist(p: ParsedMediaPlaylist, options: MediaValidationOptions = {}): Violation[] {
  const out = new ViolationList();
  checkHeaderAndTagCounts(p, out);
  checkTargetDuration(p, out);
  checkSequences(p, out);
  checkSegments(p, options, out);
  checkVersion(p, out);
  checkPlaylistTypeAndWindow(p, out);
  checkProgramDateTime(p, out);
  return [...out.items, ...checkLowLatency(p, options)];
}

export function parseAndCheckMediaPlaylist(text: string, options: MediaValidationOptions = {}): { parsed: ParsedMediaPlaylist; violations: Violation[] } {
  const parsed = parseMediaPlaylist(text);
  return { parsed, violations: checkMediaPlaylist(parsed, options) };
}
