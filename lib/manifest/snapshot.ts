/**
 * The persisted form of the manifest state. Read defensively: a damaged file must lead to a clear
 * error, never to a playlist whose sequences went backwards.
 */
import { RelaycastError } from '../errors';
import type { RenditionState } from './rendition';

export const SNAPSHOT_FORMAT = 1;

export interface ManifestSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  streams: Array<{ stream: string; targetDuration?: number; renditions: RenditionState[] }>;
}

function fail(message: string): never {
  throw new RelaycastError('E_MANIFEST_STATE', `saved manifest state is unusable: ${message}`);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function readRendition(value: unknown, stream: string): RenditionState {
  const r = value as RenditionState;
  if (!r || typeof r !== 'object' || r.stream !== stream || typeof r.rendition !== 'string') fail('rendition without ids');
  if (!Array.isArray(r.entries) || !isCount(r.nextMsn) || !isCount(r.discontinuitySequence) || !isCount(r.version)) fail(`${stream}/${r.rendition}: bad counters`);
  let expected = r.entries.length > 0 ? r.entries[0].msn : r.nextMsn;
  for (const e of r.entries) {
    if (!e || e.msn !== expected || typeof e.url !== 'string' || !(e.duration > 0) || typeof e.programDateTime !== 'string') {
      fail(`${stream}/${r.rendition}: entries are not a contiguous run of media sequence numbers`);
    }
    expected += 1;
  }
  if (expected !== r.nextMsn) fail(`${stream}/${r.rendition}: next media sequence ${r.nextMsn} does not follow the last entry`);
  if (r.presentation !== undefined && !isCount(r.presentation)) fail(`${stream}/${r.rendition}: bad presentation`);
  const f = r.finished;
  if (f !== undefined && (!f || typeof f.text !== 'string' || !isCount(f.presentation) || !isCount(f.mediaSequence) || !isCount(f.lastMsn))) {
    fail(`${stream}/${r.rendition}: bad finished presentation`);
  }
  return {
    ...r,
    pastSessions: Array.isArray(r.pastSessions) ? r.pastSessions : [],
    ended: r.ended === true,
    pendingDiscontinuity: r.pendingDiscontinuity === true,
    // Saved before presentations existed: the one and only presentation.
    presentation: r.presentation ?? 0,
    endRequestedAt: typeof r.endRequestedAt === 'number' && Number.isFinite(r.endRequestedAt) ? r.endRequestedAt : undefined,
  };
}

export function readSnapshot(value: unknown): ManifestSnapshot {
  const s = value as ManifestSnapshot;
  if (!s || typeof s !== 'object' || s.format !== SNAPSHOT_FORMAT || !Array.isArray(s.streams)) fail(`unknown format ${JSON.stringify((s as { format?: unknown })?.format)}`);
  return {
    format: SNAPSHOT_FORMAT,
    streams: s.streams.map((stream) => {
      if (!stream || typeof stream.stream !== 'string' || !Array.isArray(stream.renditions)) fail('stream without id');
      if (stream.targetDuration !== undefined && (!Number.isInteger(stream.targetDuration) || stream.targetDuration < 1)) fail(`${stream.stream}: bad target duration`);
      return { stream: stream.stream, targetDuration: stream.targetDuration, renditions: stream.renditions.map((r) => readRendition(r, stream.stream)) };
    }),
  };
}
