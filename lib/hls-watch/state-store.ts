/**
 * Where hls-watch remembers, per rendition, what it already emitted, so a redeploy or a Node-RED
 * restart resumes without emitting a segment twice and without skipping one still on disk.
 *
 * The file itself is lib/fs/json-state-file.ts's StateFile (the one JSON state writer manifest and
 * r2-upload use too: temp file + rename, coalesced writes, saveDurably). Here: the shape of the
 * state, the check that a loaded value has that shape, and an in-memory store for runtimes
 * without a userDir.
 */
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

/** What the watcher needs of its store: StateFile's interface (a file in userDir) or MemoryStateStore. */
export interface StateStore {
  /** The saved value, undefined when there is none; throws when it cannot be read. */
  load(): unknown;
  /** Saves in the background (coalesced). */
  save(value: unknown): void;
  /** Saves and resolves once this value (or a newer one) is stored, or its write failed (reported). */
  saveDurably(value: unknown): Promise<void>;
  /** Resolves once everything saved so far is stored. */
  flush(): Promise<void>;
  /** Forgets everything (the node was deleted from the flow). */
  remove(): Promise<void>;
}

/** Keeps state in memory (tests; or a runtime without a userDir, where it survives redeploys only). */
export class MemoryStateStore implements StateStore {
  private saved: string | undefined;
  load(): unknown {
    return this.saved === undefined ? undefined : JSON.parse(this.saved);
  }
  save(value: unknown): void {
    this.saved = JSON.stringify(value);
  }
  async saveDurably(value: unknown): Promise<void> {
    this.save(value);
  }
  async flush(): Promise<void> {
    // Every save is complete when it returns.
  }
  async remove(): Promise<void> {
    this.saved = undefined;
  }
}

export function isWatchState(value: unknown): value is WatchState {
  const v = value as Partial<WatchState> | null;
  return !!v && v.version === 1 && typeof v.source === 'string' && typeof v.renditions === 'object' && v.renditions !== null;
}
