/**
 * Where hls-watch remembers, per rendition, what it already emitted, so a redeploy or a Node-RED
 * restart resumes without emitting a segment twice and without skipping one still on disk.
 */
import { readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file';
import { CoalescingWriter } from '../coalescing-writer';
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

/** One JSON file, replaced atomically (lib/atomic-file.ts), so a crash never leaves half a state. */
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
    await writeFileAtomic(this.filePath, JSON.stringify(state));
  }

  async clear(): Promise<void> {
    await rm(this.filePath, { force: true });
  }
}

/**
 * Coalesces saves (lib/coalescing-writer.ts, as manifest's state file does): at most one write in
 * flight, and the latest state always written last. The watcher calls request() after every msg;
 * flush() on close waits for the final write.
 */
export class StateSaver {
  private readonly writer: CoalescingWriter<WatchState>;

  constructor(store: StateStore, onError: (err: unknown) => void) {
    this.writer = new CoalescingWriter((state) => store.save(state), onError);
  }

  request(state: WatchState): void {
    // A copy: the watcher goes on changing its state while the write waits. Never rejects.
    void this.writer.request(JSON.parse(JSON.stringify(state)) as WatchState);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}
