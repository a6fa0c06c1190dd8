/**
 * The whole manifest state as one value (SNAPSHOT_FORMAT 1): what core.snapshot() gives and
 * core.restore() takes, and the state file's format before the history was split off (a file in it
 * still restores). The file's current format (2) is joined back into this one on reading
 * (lib/manifest/stored-state.ts), so this reader's checks guard every restore. Read defensively: a
 * damaged file must lead to a clear error, never to a playlist whose sequences went backwards.
 */
import { RelaycastError } from '../errors';
import type { PlaylistEntry, RenditionState } from './rendition';

export const SNAPSHOT_FORMAT = 1;

export interface ManifestSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  streams: Array<{ stream: string; targetDuration?: number; renditions: RenditionState[] }>;
}

export function stateUnusable(message: string): never {
  throw new RelaycastError('E_MANIFEST_STATE', `saved manifest state is unusable: ${message}`);
}

export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function readRendition(value: unknown, stream: string): RenditionState {
  const r = value as RenditionState;
  if (!r || typeof r !== 'object' || r.stream !== stream || typeof r.rendition !== 'string') stateUnusable('rendition without ids');
  if (!Array.isArray(r.entries) || !isCount(r.nextMsn) || !isCount(r.discontinuitySequence) || !isCount(r.version))
    stateUnusable(`${stream}/${r.rendition}: bad counters`);
  // A null first entry is damage like any other (the loop below says so), not a TypeError.
  let expected = r.entries.length > 0 ? ((r.entries[0] as PlaylistEntry | null)?.msn ?? -1) : r.nextMsn;
  for (const e of r.entries) {
    if (!e || e.msn !== expected || typeof e.url !== 'string' || !(e.duration > 0) || typeof e.programDateTime !== 'string') {
      stateUnusable(`${stream}/${r.rendition}: entries are not a contiguous run of media sequence numbers`);
    }
    expected += 1;
  }
  if (expected !== r.nextMsn) stateUnusable(`${stream}/${r.rendition}: next media sequence ${r.nextMsn} does not follow the last entry`);
  if (r.presentation !== undefined && !isCount(r.presentation)) stateUnusable(`${stream}/${r.rendition}: bad presentation`);
  const f = r.finished;
  if (f !== undefined && (!f || typeof f.text !== 'string' || !isCount(f.presentation) || !isCount(f.mediaSequence) || !isCount(f.lastMsn))) {
    stateUnusable(`${stream}/${r.rendition}: bad finished presentation`);
  }
  return {
    ...r,
    pastSessions: Array.isArray(r.pastSessions) ? r.pastSessions : [],
    ended: r.ended === true,
    pendingDiscontinuity: r.pendingDiscontinuity === true,
    // Saved before presentations existed: the one and only presentation.
    presentation: r.presentation ?? 0,
    endRequestedAt: typeof r.endRequestedAt === 'number' && Number.isFinite(r.endRequestedAt) ? r.endRequestedAt : undefined,
    // The parts of a segment in progress only refine the live edge: damaged, they are dropped, not fatal.
    open: r.open && isCount(r.open.sourceSequence) && Array.isArray(r.open.parts) ? r.open : undefined,
  };
}

export function readSnapshot(value: unknown): ManifestSnapshot {
  const s = value as ManifestSnapshot;
  if (!s || typeof s !== 'object' || s.format !== SNAPSHOT_FORMAT || !Array.isArray(s.streams))
    stateUnusable(`unknown format ${JSON.stringify((s as { format?: unknown })?.format)}`);
  return {
    format: SNAPSHOT_FORMAT,
    streams: s.streams.map((stream) => {
      if (!stream || typeof stream.stream !== 'string' || !Array.isArray(stream.renditions)) stateUnusable('stream without id');
      if (stream.targetDuration !== undefined && (!Number.isInteger(stream.targetDuration) || stream.targetDuration < 1))
        stateUnusable(`${stream.stream}: bad target duration`);
      return { stream: stream.stream, targetDuration: stream.targetDuration, renditions: stream.renditions.map((r) => readRendition(r, stream.stream)) };
    }),
  };
}
