/**
 * Where relaycast-manifest keeps its state: `<id>.json` (StateFile: atomic, coalesced, fsynced)
 * in format 2 (lib/manifest/stored-state.ts), beside an append-only history log
 * `<id>.history-<n>.jsonl` (lib/fs/json-lines-log.ts) holding a DVR playlist's older entries.
 *
 * Why this split: manifest serves a version only once its state is on disk (DurableView), so the
 * save is on the playlist path, and writing the whole DVR history with every version made it grow
 * with the history (quadratic over a stream). Now each save serialises the counters and at most
 * TAIL_MAX entries per rendition; every TAIL_KEEP segments the entries that got older go out as
 * lines, in the same writer turn and fsynced before the state that counts them (one extra fsync
 * per TAIL_KEEP versions). Why not a journal of changes replayed over a snapshot: every field of a
 * rendition can change with a msg, and a replay is a second way to build the state; here a line is
 * one immutable entry and the state file alone says what is true.
 *
 * Crash safety is the state file's, unchanged: a state names only lines already on disk, and what
 * a crash leaves past them is ignored; nextMsn is in the state file, which is written before a
 * version is served, so a restored state never reuses an MSN a player saw. A damaged or missing
 * history, or history files without their state file, is E_MANIFEST_STATE (restoreManifest then
 * numbers from the wall clock). Compaction (entries that left a window, an old finished
 * presentation, or after a failed write) rewrites the live lines as a new generation, rarely:
 * only when the dead lines outnumber the live ones and COMPACT_MIN_LINES.
 */
import path from 'node:path';
import { JsonLinesLog, type LogRef } from '../fs/json-lines-log';
import { StateFile } from '../fs/json-state-file';
import { RelaycastError } from '../errors';
import type { ManifestCore } from './manifest-core';
import type { RenditionState } from './rendition';
import { STATE_FORMAT, entryLine, finishedLine, joinState, renditionKey, type Archived, type StoredRendition, type StoredState } from './stored-state';

const CODE = 'E_MANIFEST_STATE';
/** Entries a rendition keeps in the state file once its older ones go to the history; at most twice that. */
export const TAIL_KEEP = 32;
const TAIL_MAX = 2 * TAIL_KEEP;
/** Dead history lines tolerated before a compaction, at the least. */
const COMPACT_MIN_LINES = 1000;

export interface ManifestStateStoreOptions {
  onError?: (err: Error) => void;
}

interface Part {
  stream: string;
  r: RenditionState;
  archived: number;
}

export class ManifestStateStore {
  readonly file: StateFile;
  readonly history: JsonLinesLog;
  /** What each rendition has (or will have, once flushed) in the history. */
  private archived = new Map<string, Archived>();
  /** From load(), taken on by restored(). */
  private loaded: Map<string, Archived> | undefined;

  constructor(file: string, options: ManifestStateStoreOptions = {}) {
    this.history = new JsonLinesLog(path.dirname(file), path.basename(file, '.json'), CODE, 'manifest state');
    this.file = new StateFile(file, {
      code: CODE,
      what: 'manifest state',
      onError: options.onError,
      beforeWrite: () => this.history.flush(),
      afterWrite: () => this.history.afterWrite(),
    });
  }

  static forNode(userDir: string, nodeId: string, options: ManifestStateStoreOptions = {}): ManifestStateStore {
    return new ManifestStateStore(StateFile.pathFor(userDir, 'manifest', nodeId), options);
  }

  /** The saved state as core.restore() takes it (either format), or undefined when there is none. */
  load(): unknown {
    this.loaded = undefined;
    const saved = this.file.load();
    if (saved === undefined) {
      // A state existed (its history is there) and is gone: starting from 0 could reuse MSNs.
      const left = this.history.files();
      if (left.length > 0)
        throw new RelaycastError(CODE, `saved manifest state is unusable: ${this.file.file} is missing but its history is there (${left.join(', ')})`);
      return undefined;
    }
    const { snapshot, archived } = joinState(saved, (ref) => this.history.read(ref));
    this.loaded = archived;
    return snapshot;
  }

  /** The core restored what load() gave: its history lines are known to be on disk. */
  restored(): void {
    if (this.loaded) this.archived = this.loaded;
    this.loaded = undefined;
  }

  /** Keeps the unusable files for inspection and starts without a history. */
  quarantine(): void {
    this.file.quarantine();
    this.history.quarantine();
    this.archived.clear();
    this.loaded = undefined;
  }

  /** Saves the core's state; resolves once it is on disk (or its write failed, which is reported). */
  saveDurably(core: ManifestCore): Promise<void> {
    return this.file.saveDurably(this.stateOf(core));
  }

  flush(): Promise<void> {
    return this.file.flush();
  }

  /** The node was deleted from the flow: its state and history mean nothing any more. */
  async remove(): Promise<void> {
    await this.file.remove();
    await this.history.remove();
    this.archived.clear();
  }

  private stateOf(core: ManifestCore): StoredState {
    const lines: string[] = [];
    const parts: Part[] = [];
    let live = 0;
    const streams = core.persistable().map((s) => ({
      stream: s.stream,
      targetDuration: s.targetDuration,
      renditions: s.renditions.map((r) => {
        const stored = this.split(s.stream, r, lines);
        parts.push({ stream: s.stream, r, archived: stored.archived });
        live += stored.archived + (stored.finishedRef !== undefined ? 1 : 0);
        return stored;
      }),
    }));
    const dead = this.history.lineCount() + lines.length - live;
    const history: LogRef | undefined =
      this.history.wantsReplace() || dead > Math.max(live, COMPACT_MIN_LINES) ? this.history.replace(liveLines(parts)) : this.history.append(lines);
    return { format: STATE_FORMAT, ...(history ? { history } : {}), streams };
  }

  /** A rendition as the state file keeps it; entries that got older are planned as history lines. */
  private split(stream: string, r: RenditionState, lines: string[]): StoredRendition {
    const key = renditionKey(stream, r.rendition);
    let a = this.archived.get(key);
    if (!a) {
      a = { presentation: r.presentation, upTo: 0 };
      this.archived.set(key, a);
    }
    if (a.presentation !== r.presentation) {
      a.presentation = r.presentation;
      a.upTo = 0;
    }
    const first = r.entries.length > 0 ? r.entries[0].msn : r.nextMsn;
    // Entries archived earlier that have left the window since count no more.
    let archived = Math.min(Math.max(a.upTo - first, 0), r.entries.length);
    if (r.entries.length - archived >= TAIL_MAX) {
      const upTo = r.entries.length - TAIL_KEEP;
      for (let i = archived; i < upTo; i++) lines.push(entryLine(stream, r.rendition, r.presentation, r.entries[i]));
      archived = upTo;
    }
    a.upTo = first + archived;
    if (r.finished && a.finished !== r.finished.presentation) {
      lines.push(finishedLine(stream, r.rendition, r.finished));
      a.finished = r.finished.presentation;
    }
    const { entries, finished, ...rest } = r;
    return { ...rest, entries: entries.slice(archived), archived, ...(finished ? { finishedRef: finished.presentation } : {}) };
  }
}

/** Every line the current state needs, for a new generation of the history. */
function liveLines(parts: readonly Part[]): string[] {
  const out: string[] = [];
  for (const { stream, r, archived } of parts) {
    for (let i = 0; i < archived; i++) out.push(entryLine(stream, r.rendition, r.presentation, r.entries[i]));
    if (r.finished) out.push(finishedLine(stream, r.rendition, r.finished));
  }
  return out;
}
