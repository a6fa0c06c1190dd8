/**
 * Where hls-watch remembers, per rendition, what it already emitted, so a redeploy or a Node-RED
 * restart resumes without emitting a segment twice and without skipping one still on disk.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileIdentity } from './segment-file';

export interface RenditionState {
  /** Streaming session the last msg belonged to. */
  session: string;
  /** Relaycast sequence the next segment (or gap) gets. */
  nextSequence: number;
  /** The encoder's sequence, URI and file version of the last segment handled; null before the first. */
  lastEncoderSequence: number | null;
  lastUri: string | null;
  lastFile: FileIdentity | null;
  /** Set when a restart or a gap means the next segment must carry discontinuity: true. */
  pendingDiscontinuity: boolean;
  /** `started` (or `restarted`) was emitted for this session. */
  started: boolean;
  /** `ended` was emitted: the encoder's playlist carried EXT-X-ENDLIST. */
  ended: boolean;
  /** A consumer confirms deliveries (manifest's receipts): only then is `unconfirmed` kept. */
  confirming?: boolean;
  /** Segments and gaps sent but not yet confirmed, oldest first: delivered again after a restart. */
  unconfirmed?: UnconfirmedDelivery[];
}

export interface UnconfirmedDelivery {
  session: string;
  encoderSequence: number;
  uri: string;
  /** Relaycast sequence it went out with (it goes out again with the same one). */
  sequence: number;
  discontinuity: boolean;
}

export interface WatchState {
  version: 1;
  /** What was watched (folder + stream id): state saved for another source is not reused. */
  source: string;
  /** Current streaming session of the stream, shared by its renditions. */
  session: string | null;
  renditions: Record<string, RenditionState>;
}

export interface StateStore {
  load(): Promise<WatchState | null>;
  save(state: WatchState): Promise<void>;
  /** Forget everything (the node was deleted from the flow). */
  clear(): Promise<void>;
}

/** Keeps state in memory (tests; or a runtime without a userDir, where it survives redeploys only). */
export class MemoryStateStore implements StateStore {
  private saved: string | null = null;
  async load(): Promise<WatchState | null> {
    return this.saved ? (JSON.parse(this.saved) as WatchState) : null;
  }
  async save(state: WatchState): Promise<void> {
    this.saved = JSON.stringify(state);
  }
  async clear(): Promise<void> {
    this.saved = null;
  }
}

function isWatchState(value: unknown): value is WatchState {
  const v = value as Partial<WatchState> | null;
  return !!v && v.version === 1 && typeof v.source === 'string' && typeof v.renditions === 'object' && v.renditions !== null;
}

/** One JSON file, replaced atomically (temp file + rename), so a crash never leaves half a state. */
export class JsonFileStateStore implements StateStore {
  constructor(readonly filePath: string) {}

  async load(): Promise<WatchState | null> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return isWatchState(parsed) ? parsed : null;
    } catch {
      // A corrupt file (hand-edited, disk full) means starting afresh, not refusing to start.
      return null;
    }
  }

  async save(state: WatchState): Promise<void> {
    await mkdir(path.dirname(this.filePath), { recursive: true });
    const temporary = `${this.filePath}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(state));
    await rename(temporary, this.filePath);
  }

  async clear(): Promise<void> {
    await rm(this.filePath, { force: true });
  }
}

/**
 * Coalesces saves: at most one write in flight, and the latest state always written last.
 * The watcher calls request() after every msg; flush() on close waits for the final write.
 */
export class StateSaver {
  private inFlight: Promise<void> | null = null;
  private pending: WatchState | null = null;

  constructor(private readonly store: StateStore, private readonly onError: (err: unknown) => void) {}

  request(state: WatchState): void {
    this.pending = JSON.parse(JSON.stringify(state)) as WatchState;
    if (!this.inFlight) this.inFlight = this.drain();
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const next = this.pending;
      this.pending = null;
      try {
        await this.store.save(next);
      } catch (err) {
        this.onError(err);
      }
    }
    this.inFlight = null;
  }

  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }
}
