/**
 * Checks on a Master (multivariant) Playlist (RFC 8216 §4.3.4.2, rfc8216bis §4.4.6.2, §6.2.4), and
 * optionally on the set of Media Playlists it lists (same target duration, same discontinuity
 * numbering, PDT on all or none).
 */
import { parseAttributes, parseMediaPlaylist, parseTag, splitLines } from './parse';
import { ViolationList, type Violation } from './violations';

export interface ParsedVariant {
  uri: string;
  line: number;
  attributes: Map<string, string>;
}

const MEDIA_ONLY_TAGS = new Set([
  'EXTINF',
  'EXT-X-TARGETDURATION',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-ENDLIST',
  'EXT-X-PLAYLIST-TYPE',
  'EXT-X-MAP',
  'EXT-X-DISCONTINUITY',
  'EXT-X-PROGRAM-DATE-TIME',
  'EXT-X-GAP',
]);

export function parseMasterPlaylist(text: string, out: ViolationList): ParsedVariant[] {
  const lines = splitLines(text);
  if (lines[0] !== '#EXTM3U') out.error('m3u.header', 'the first line must be #EXTM3U', 1);
  const variants: ParsedVariant[] = [];
  let pending: { attributes: Map<string, string>; line: number } | undefined;
  let versions = 0;
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || (raw.startsWith('#') && !raw.startsWith('#EXT'))) continue;
    if (raw.startsWith('#EXT')) {
      const tag = parseTag(raw, i + 1);
      if (MEDIA_ONLY_TAGS.has(tag.name)) out.error('playlist.mixed', `${tag.name} is a Media Playlist tag`, tag.line);
      if (tag.name === 'EXT-X-VERSION' && ++versions > 1) out.error('tag.duplicate', 'EXT-X-VERSION appears twice', tag.line);
      if (tag.name === 'EXT-X-STREAM-INF') {
        if (pending) out.error('streaminf.uri-missing', 'EXT-X-STREAM-INF is not followed by a URI', pending.line);
        const attributes = parseAttributes(tag.value);
        if (!attributes) out.error('attributes.malformed', `malformed attribute list: ${tag.value}`, tag.line);
        pending = { attributes: attributes ?? new Map(), line: tag.line };
      }
      continue;
    }
    if (!pending) {
      out.error('streaminf.uri-without-tag', `URI ${raw} has no EXT-X-STREAM-INF`, i + 1);
      continue;
    }
    variants.push({ uri: raw, line: pending.line, attributes: pending.attributes });
    pending = undefined;
  }
  if (pending) out.error('streaminf.uri-missing', 'EXT-X-STREAM-INF is not followed by a URI', pending.line);
  return variants;
}

function checkVariant(v: ParsedVariant, out: ViolationList): void {
  const bandwidth = v.attributes.get('BANDWIDTH');
  if (bandwidth === undefined) out.error('streaminf.bandwidth-missing', `variant ${v.uri} has no BANDWIDTH`, v.line);
  else if (!/^\d+$/.test(bandwidth) || Number(bandwidth) === 0)
    out.error('streaminf.bandwidth-invalid', `BANDWIDTH ${bandwidth} is not a positive decimal-integer`, v.line);
  const average = v.attributes.get('AVERAGE-BANDWIDTH');
  if (average !== undefined) {
    if (!/^\d+$/.test(average)) out.error('streaminf.average-bandwidth-invalid', `AVERAGE-BANDWIDTH ${average} is not a decimal-integer`, v.line);
    else if (bandwidth !== undefined && Number(average) > Number(bandwidth)) {
      out.error('streaminf.average-above-peak', `AVERAGE-BANDWIDTH ${average} exceeds the peak BANDWIDTH ${bandwidth}`, v.line);
    }
  }
  const codecs = v.attributes.get('CODECS');
  if (codecs === undefined) out.warning('streaminf.codecs-missing', `variant ${v.uri} should declare CODECS`, v.line);
  else if (!/^"[^"]+"$/.test(codecs)) out.error('streaminf.codecs-invalid', `CODECS must be a quoted-string, got ${codecs}`, v.line);
  const resolution = v.attributes.get('RESOLUTION');
  if (resolution !== undefined && !/^\d+x\d+$/.test(resolution)) out.error('streaminf.resolution-invalid', `RESOLUTION ${resolution} is not WxH`, v.line);
  const frameRate = v.attributes.get('FRAME-RATE');
  if (frameRate !== undefined && !/^\d+(\.\d+)?$/.test(frameRate))
    out.error('streaminf.frame-rate-invalid', `FRAME-RATE ${frameRate} is not a decimal number`, v.line);
}

/** Rules that bind the Media Playlists of one presentation together (rfc8216bis §6.2.4). */
function checkVariantSet(mediaTexts: Record<string, string>, out: ViolationList): void {
  const entries = Object.entries(mediaTexts).map(([uri, text]) => ({ uri, playlist: parseMediaPlaylist(text) }));
  const targets = new Set(entries.map((e) => e.playlist.targetDuration));
  if (targets.size > 1) out.error('variants.targetduration-mismatch', `variants use different target durations: ${[...targets].join(', ')}`);
  const withPdt = entries.filter((e) => e.playlist.segments.some((s) => s.programDateTime !== undefined));
  if (withPdt.length > 0 && withPdt.length < entries.length) {
    out.error('variants.pdt-inconsistent', 'some variants carry EXT-X-PROGRAM-DATE-TIME and others do not');
  }
  const numberByMsn = new Map<number, { uri: string; number: number }>();
  for (const { uri, playlist } of entries) {
    for (const segment of playlist.segments) {
      const seen = numberByMsn.get(segment.msn);
      if (!seen) numberByMsn.set(segment.msn, { uri, number: segment.discontinuityNumber });
      else if (seen.number !== segment.discontinuityNumber) {
        out.error(
          'variants.discontinuity-mismatch',
          `segment ${segment.msn} has discontinuity number ${seen.number} in ${seen.uri} but ${segment.discontinuityNumber} in ${uri}`,
        );
      }
    }
  }
}

/**
 * Validates a Master Playlist; with `mediaPlaylists` (URI as listed → text) also checks that the
 * variants agree with each other.
 */
export function checkMasterPlaylist(text: string, mediaPlaylists?: Record<string, string>): Violation[] {
  const out = new ViolationList();
  const variants = parseMasterPlaylist(text, out);
  if (variants.length === 0) out.error('master.no-variants', 'the Master Playlist lists no variant');
  for (const variant of variants) checkVariant(variant, out);
  if (mediaPlaylists) {
    for (const variant of variants) {
      if (!(variant.uri in mediaPlaylists)) out.error('variants.missing-playlist', `no Media Playlist given for ${variant.uri}`, variant.line);
    }
    checkVariantSet(mediaPlaylists, out);
  }
  return out.items;
}
