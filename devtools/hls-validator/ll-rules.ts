/**
 * LL-HLS checks on one Media Playlist version (rfc8216bis §4.4.3.7 EXT-X-PART-INF, §4.4.3.8
 * EXT-X-SERVER-CONTROL, §4.4.4.9 EXT-X-PART, §4.4.5.3 EXT-X-PRELOAD-HINT, §6.2.2 and §6.2.5.2).
 * A playlist without any LL-HLS tag passes them untouched.
 */
import { parseAttributes, unquote, type ParsedMediaPlaylist, type ParsedTag } from './parse';
import { ViolationList, type Violation } from './violations';
import type { MediaValidationOptions } from './media-rules';

/** Each part's DURATION and each EXTINF are rounded on their own: a sum of n parts may stray by n rounding steps. */
const SUM_TOLERANCE_PER_PART = 0.001;
/** Below this share of PART-TARGET a part is short (SHOULD, rfc8216bis §4.4.4.9), unless independent or last. */
const SHORT_PART_SHARE = 0.85;
/** Parts more than this many target durations from the end SHOULD be gone (rfc8216bis §6.2.2). */
const PARTS_KEPT_TARGET_DURATIONS = 3;

const DECIMAL = /^\d+(\.\d+)?$/;

interface Part {
  tag: ParsedTag;
  duration: number;
  uri?: string;
  independent: boolean;
}

function readPart(tag: ParsedTag, options: MediaValidationOptions, out: ViolationList): Part | undefined {
  const attributes = parseAttributes(tag.value);
  if (!attributes) {
    out.error('part.attributes', `EXT-X-PART attribute list is malformed: ${tag.value}`, tag.line);
    return undefined;
  }
  const durationText = attributes.get('DURATION');
  const uri = unquote(attributes.get('URI'));
  if (durationText === undefined || !DECIMAL.test(durationText)) out.error('part.duration-missing', 'EXT-X-PART needs a decimal DURATION', tag.line);
  if (!uri) out.error('part.uri-missing', 'EXT-X-PART needs a quoted URI', tag.line);
  else if (options.requireAbsoluteUris && !/^https?:\/\//i.test(uri)) out.error('uri.relative', `part URI ${uri} is not absolute`, tag.line);
  const independent = attributes.get('INDEPENDENT');
  if (independent !== undefined && independent !== 'YES') out.error('part.independent', `INDEPENDENT must be YES when present, got ${independent}`, tag.line);
  return { tag, duration: Number(durationText), uri, independent: independent === 'YES' };
}

function serverControl(p: ParsedMediaPlaylist): Map<string, string> | undefined {
  const tag = p.tags.find((t) => t.name === 'EXT-X-SERVER-CONTROL');
  return tag ? parseAttributes(tag.value) : undefined;
}

function checkPartTarget(p: ParsedMediaPlaylist, anyPart: boolean, out: ViolationList): number | undefined {
  const infos = p.tags.filter((t) => t.name === 'EXT-X-PART-INF');
  if (infos.length === 0) {
    if (anyPart) out.error('part-inf.missing', 'EXT-X-PART-INF is required in a playlist that lists parts or hints at one');
    return undefined;
  }
  if (infos.length > 1) out.error('tag.duplicate', `EXT-X-PART-INF appears ${infos.length} times`, infos[1].line);
  const target = parseAttributes(infos[0].value)?.get('PART-TARGET');
  if (target === undefined || !DECIMAL.test(target) || Number(target) <= 0) {
    out.error('part-inf.invalid', `EXT-X-PART-INF needs a decimal PART-TARGET > 0, got ${infos[0].value}`, infos[0].line);
    return undefined;
  }
  return Number(target);
}

function checkServerControl(p: ParsedMediaPlaylist, partTarget: number, out: ViolationList): void {
  const control = serverControl(p);
  const line = p.tags.find((t) => t.name === 'EXT-X-SERVER-CONTROL')?.line;
  if (control?.get('CAN-BLOCK-RELOAD') !== 'YES') {
    out.error('server-control.blocking-reload', 'a server that produces parts must support blocking reload (CAN-BLOCK-RELOAD=YES)', line);
  }
  const holdBack = control?.get('PART-HOLD-BACK');
  if (holdBack === undefined || !DECIMAL.test(holdBack)) {
    out.error('server-control.part-hold-back-missing', 'PART-HOLD-BACK is required in a playlist with EXT-X-PART-INF', line);
    return;
  }
  if (Number(holdBack) < 2 * partTarget) {
    out.error('server-control.part-hold-back-too-small', `PART-HOLD-BACK ${holdBack} is less than twice the PART-TARGET ${partTarget}`, line);
  } else if (Number(holdBack) < 3 * partTarget) {
    out.warning('server-control.part-hold-back-short', `PART-HOLD-BACK ${holdBack} is less than three times the PART-TARGET ${partTarget}`, line);
  }
}

/** One segment's parts (or those of the segment in progress): durations against the target, independence. */
function checkPartRun(parts: Part[], partTarget: number, complete: boolean, out: ViolationList): void {
  parts.forEach((part, i) => {
    if (!Number.isFinite(part.duration)) return;
    if (part.duration > partTarget) out.error('part.duration-exceeded', `part DURATION ${part.duration} exceeds the PART-TARGET ${partTarget}`, part.tag.line);
    const last = complete && i === parts.length - 1;
    if (!part.independent && !last && part.duration < SHORT_PART_SHARE * partTarget) {
      out.warning('part.duration-short', `part DURATION ${part.duration} is under 85 % of the PART-TARGET ${partTarget}`, part.tag.line);
    }
  });
  if (parts.length > 0 && !parts[0].independent) {
    out.warning('part.first-not-independent', 'the first part of a segment does not start with an independent frame (INDEPENDENT=YES)', parts[0].tag.line);
  }
}

function checkPreloadHints(p: ParsedMediaPlaylist, lastPartLine: number, out: ViolationList): void {
  const hints = p.tags.filter((t) => t.name === 'EXT-X-PRELOAD-HINT');
  const types = new Set<string>();
  for (const hint of hints) {
    const attributes = parseAttributes(hint.value);
    const type = attributes?.get('TYPE');
    if (!attributes || (type !== 'PART' && type !== 'MAP') || !unquote(attributes.get('URI'))) {
      out.error('preload-hint.invalid', `EXT-X-PRELOAD-HINT needs TYPE=PART or MAP and a quoted URI, got ${hint.value}`, hint.line);
      continue;
    }
    if (types.has(type)) out.error('preload-hint.duplicate', `more than one EXT-X-PRELOAD-HINT of TYPE=${type}`, hint.line);
    types.add(type);
    if (type === 'PART' && hint.line < lastPartLine) out.error('preload-hint.position', 'the part preload hint must follow the last EXT-X-PART', hint.line);
  }
}

/** Validates the LL-HLS tags of one Media Playlist version. */
export function checkLowLatency(p: ParsedMediaPlaylist, options: MediaValidationOptions = {}): Violation[] {
  const out = new ViolationList();
  const hinted = p.tags.some((t) => t.name === 'EXT-X-PRELOAD-HINT');
  const segmentParts = p.segments.map((s) => s.parts.map((t) => readPart(t, options, out)).filter((x): x is Part => x !== undefined));
  const openParts = p.openTags
    .filter((t) => t.name === 'EXT-X-PART')
    .map((t) => readPart(t, options, out))
    .filter((x): x is Part => x !== undefined);
  const anyPart = openParts.length > 0 || segmentParts.some((parts) => parts.length > 0);
  const partTarget = checkPartTarget(p, anyPart || hinted, out);
  if (partTarget === undefined) return out.items;
  checkServerControl(p, partTarget, out);
  const length = (d: number) => (Number.isFinite(d) ? d : 0);
  const total = p.segments.reduce((sum, s) => sum + length(s.duration), 0) + openParts.reduce((sum, x) => sum + length(x.duration), 0);
  const target = p.targetDuration ?? 0;
  let start = 0;
  p.segments.forEach((segment, i) => {
    const parts = segmentParts[i];
    checkPartRun(parts, partTarget, true, out);
    if (parts.length > 0 && Number.isFinite(segment.duration)) {
      const sum = parts.reduce((s, x) => s + length(x.duration), 0);
      if (Math.abs(sum - segment.duration) > SUM_TOLERANCE_PER_PART * (parts.length + 1)) {
        out.error('part.sum-mismatch', `the parts of segment ${segment.msn} last ${sum.toFixed(6)} s, its EXTINF ${segment.durationText}`, segment.uriLine);
      }
      // How far the segment's first part ends from the end of the playlist.
      const fromEnd = total - (start + length(parts[0].duration));
      if (target > 0 && !p.endList && fromEnd > PARTS_KEPT_TARGET_DURATIONS * target + SUM_TOLERANCE_PER_PART) {
        out.warning('part.stale', `segment ${segment.msn} still lists parts more than three target durations from the end`, parts[0].tag.line);
      }
    }
    start += length(segment.duration);
  });
  checkPartRun(openParts, partTarget, false, out);
  if (openParts.length > 0 && p.endList) out.error('part.after-endlist', 'a finished playlist lists parts of a segment in progress', openParts[0].tag.line);
  const lastPartLine = Math.max(0, ...openParts.map((x) => x.tag.line), ...segmentParts.flat().map((x) => x.tag.line));
  checkPreloadHints(p, lastPartLine, out);
  return out.items;
}
