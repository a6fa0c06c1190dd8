/**
 * The state file's format 2: the manifest state split so that saving one new version costs the
 * same whatever the DVR length. The state file keeps every counter and, per rendition, only its
 * newest entries; the older ones (`archived`, a count) and the last finished presentation (by its
 * number) are lines of the history log (lib/fs/json-lines-log.ts) the state names with its valid
 * length. Entries never change once listed and a finished presentation never changes at all, so a
 * line, once written, stays true: the log only grows, and the state file stays small.
 *
 * Reading joins the two back into one SNAPSHOT_FORMAT 1 value, which core.restore() checks as it
 * always did (contiguous MSNs up to nextMsn, counters), so a history line that is missing, repeated
 * or from elsewhere fails that check with E_MANIFEST_STATE instead of shifting any number. A
 * format 1 file (written before the split) passes through unchanged.
 */
import type { LogRef } from '../fs/json-lines-log';
import type { FinishedPresentation, PlaylistEntry, RenditionState } from './rendition';
import { SNAPSHOT_FORMAT, isCount, stateUnusable, type ManifestSnapshot } from './snapshot';

export const STATE_FORMAT = 2;

export interface StoredRendition extends Omit<RenditionState, 'entries' | 'finished'> {
  /** The newest entries; the `archived` before them are in the history. */
  entries: PlaylistEntry[];
  archived: number;
  /** The finished presentation of that number is in the history. */
  finishedRef?: number;
}

export interface StoredState {
  format: typeof STATE_FORMAT;
  history?: LogRef;
  streams: Array<{ stream: string; targetDuration?: number; renditions: StoredRendition[] }>;
}

/** What of a rendition a restored state already has in its history. */
export interface Archived {
  presentation: number;
  /** Entries of that presentation below this MSN are history lines. */
  upTo: number;
  /** The finished presentation of this number is a history line. */
  finished?: number;
}

export const renditionKey = (stream: string, rendition: string): string => `${stream}\u0000${rendition}`;

/** History lines: `e`, one listed entry of a presentation; `f`, a finished presentation. */
export const entryLine = (stream: string, rendition: string, presentation: number, e: PlaylistEntry): string =>
  JSON.stringify({ s: stream, r: rendition, p: presentation, e });
export const finishedLine = (stream: string, rendition: string, f: FinishedPresentation): string => JSON.stringify({ s: stream, r: rendition, f });

interface HistoryLine {
  s?: unknown;
  r?: unknown;
  p?: unknown;
  e?: PlaylistEntry;
  f?: FinishedPresentation;
}

/**
 * A saved value as core.restore() takes it, with what each rendition has in the history. `read`
 * gives the lines of the history the state names (and throws E_MANIFEST_STATE when they are damaged).
 */
export function joinState(value: unknown, read: (ref: LogRef) => unknown[]): { snapshot: unknown; archived: Map<string, Archived> } {
  const archived = new Map<string, Archived>();
  const s = value as StoredState;
  if (!s || typeof s !== 'object' || s.format !== STATE_FORMAT) return { snapshot: value, archived };
  if (!Array.isArray(s.streams)) stateUnusable('streams missing');
  const ref = s.history;
  if (ref !== undefined && (!ref || typeof ref.file !== 'string' || !isCount(ref.bytes))) stateUnusable('bad history reference');
  const entries = new Map<string, PlaylistEntry[]>();
  const finished = new Map<string, FinishedPresentation>();
  for (const line of ref ? read(ref) : []) {
    const l = line as HistoryLine;
    if (!l || typeof l !== 'object' || typeof l.s !== 'string' || typeof l.r !== 'string') stateUnusable(`history line of unknown shape`);
    if (l.e && typeof l.e === 'object' && isCount(l.p)) {
      const key = `${renditionKey(l.s, l.r)}\u0000${l.p}`;
      const list = entries.get(key) ?? [];
      list.push(l.e);
      entries.set(key, list);
    } else if (l.f && typeof l.f === 'object' && isCount(l.f.presentation)) {
      finished.set(`${renditionKey(l.s, l.r)}\u0000${l.f.presentation}`, l.f);
    } else {
      stateUnusable('history line of unknown shape');
    }
  }
  const streams = s.streams.map((stream) => {
    if (!stream || typeof stream.stream !== 'string' || !Array.isArray(stream.renditions)) stateUnusable('stream without id');
    return {
      ...stream,
      renditions: stream.renditions.map((r) => {
        if (!r || typeof r !== 'object' || typeof r.rendition !== 'string' || !Array.isArray(r.entries) || !isCount(r.archived) || !isCount(r.presentation)) {
          stateUnusable(`${stream.stream}: rendition without ids or counts`);
        }
        const name = `${stream.stream}/${r.rendition}`;
        const key = renditionKey(stream.stream, r.rendition);
        const { archived: count, finishedRef, entries: tail, ...rest } = r;
        // The archived entries are the `count` MSNs just below the first kept one (or nextMsn).
        const first = ((r.entries.length > 0 ? (tail[0] as PlaylistEntry | null)?.msn : r.nextMsn) as number) - count;
        if (!isCount(first)) stateUnusable(`${name}: bad first media sequence`);
        const earlier = count === 0 ? [] : (entries.get(`${key}\u0000${r.presentation}`) ?? []).filter((e) => e && e.msn >= first && e.msn < first + count);
        if (earlier.length !== count) stateUnusable(`${name}: the history holds ${earlier.length} of its ${count} earlier entries`);
        let f: FinishedPresentation | undefined;
        if (finishedRef !== undefined) {
          f = finished.get(`${key}\u0000${finishedRef}`);
          if (!f) stateUnusable(`${name}: the history lacks finished presentation ${finishedRef}`);
        }
        archived.set(key, { presentation: r.presentation, upTo: first + count, finished: finishedRef });
        return { ...rest, entries: [...earlier, ...tail], ...(f ? { finished: f } : {}) } as RenditionState;
      }),
    };
  });
  const snapshot: ManifestSnapshot = { format: SNAPSHOT_FORMAT, streams };
  return { snapshot, archived };
}
