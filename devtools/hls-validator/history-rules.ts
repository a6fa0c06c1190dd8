/**
 * Checks between two successive versions of the same Media Playlist. RFC 8216 §6.2.1/§6.2.2 and
 * rfc8216bis §6.2.1: the server MUST NOT change a Media Playlist except to append segments, remove
 * them in order from the front, raise EXT-X-MEDIA-SEQUENCE / EXT-X-DISCONTINUITY-SEQUENCE
 * accordingly, and add EXT-X-ENDLIST; the target duration MUST NOT change.
 */
import type { ParsedMediaPlaylist, ParsedSegment } from './parse';
import { ViolationList, type Violation } from './violations';

function describeSegment(s: ParsedSegment): string {
  return JSON.stringify([s.uri, s.durationText, s.discontinuity, s.gap, s.programDateTime ?? null, s.mapUri ?? null]);
}

export function checkMediaHistory(previous: ParsedMediaPlaylist, current: ParsedMediaPlaylist): Violation[] {
  const out = new ViolationList();
  if (previous.endList) {
    const sameSegments =
      previous.segments.length === current.segments.length && previous.segments.every((s, i) => describeSegment(s) === describeSegment(current.segments[i]));
    if (!current.endList) out.error('history.endlist-removed', 'EXT-X-ENDLIST was removed from a finished playlist');
    if (!sameSegments || previous.mediaSequence !== current.mediaSequence) {
      out.error('history.changed-after-endlist', 'a playlist carrying EXT-X-ENDLIST changed');
    }
  }
  if (current.mediaSequence < previous.mediaSequence) {
    out.error('history.mediasequence-decreased', `EXT-X-MEDIA-SEQUENCE went from ${previous.mediaSequence} to ${current.mediaSequence}`);
  }
  if (current.discontinuitySequence < previous.discontinuitySequence) {
    out.error(
      'history.discontinuitysequence-decreased',
      `EXT-X-DISCONTINUITY-SEQUENCE went from ${previous.discontinuitySequence} to ${current.discontinuitySequence}`,
    );
  }
  if (previous.targetDuration !== current.targetDuration) {
    out.error('history.targetduration-changed', `EXT-X-TARGETDURATION went from ${previous.targetDuration} to ${current.targetDuration}`);
  }
  if ((current.version ?? 1) < (previous.version ?? 1)) {
    out.error('history.version-decreased', `EXT-X-VERSION went from ${previous.version} to ${current.version}`);
  }
  if (previous.playlistType !== current.playlistType) {
    out.error('history.playlisttype-changed', `EXT-X-PLAYLIST-TYPE went from ${previous.playlistType} to ${current.playlistType}`);
  }

  const previousByMsn = new Map(previous.segments.map((s) => [s.msn, s]));
  for (const segment of current.segments) {
    const before = previousByMsn.get(segment.msn);
    if (!before) continue;
    if (describeSegment(before) !== describeSegment(segment)) {
      out.error(
        'history.segment-changed',
        `segment ${segment.msn} changed between versions (${describeSegment(before)} → ${describeSegment(segment)})`,
        segment.uriLine,
      );
    } else if (before.discontinuityNumber !== segment.discontinuityNumber) {
      out.error(
        'history.discontinuity-number-changed',
        `segment ${segment.msn} moved from discontinuity ${before.discontinuityNumber} to ${segment.discontinuityNumber}: EXT-X-DISCONTINUITY-SEQUENCE does not match the removed tags`,
        segment.uriLine,
      );
    }
  }
  // A previously listed segment that is still "in range" (msn ≥ the new first) must still be listed:
  // removal happens only at the front.
  const lastCurrent = current.mediaSequence + current.segments.length - 1;
  for (const before of previous.segments) {
    if (before.msn >= current.mediaSequence && before.msn <= lastCurrent) continue;
    if (before.msn > lastCurrent) {
      out.error('history.segment-removed-from-end', `segment ${before.msn} (${before.uri}) disappeared from the end`);
    }
  }
  if (previous.segments.length > 0 && current.segments.length > 0) {
    const previousLast = previous.segments[previous.segments.length - 1];
    const duplicate = current.segments.find((s) => s.msn > previousLast.msn && previous.segments.some((p) => p.uri === s.uri));
    if (duplicate) out.error('history.duplicate-uri', `segment URI ${duplicate.uri} was appended again as ${duplicate.msn}`, duplicate.uriLine);
  }
  return out.items;
}
