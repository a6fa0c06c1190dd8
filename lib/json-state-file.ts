/**
 * Persists a node's state as one JSON file under userDir (manifest's playlists, r2-upload's index
 * of stored objects), written atomically (temp file + rename, so a crash leaves either the old or
 * the new state, never half of one). Writes are coalesced: while one is in flight only the newest
 * pending state is kept, so a burst of changes costs at most two writes.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RelaycastError } from './errors';

export interface StateFileOptions {
  /** Code of a file that cannot be read or parsed (e.g. E_MANIFEST_STATE); a failed write adds _WRITE. */
  code: string;
  /** What is kept, for messages ("manifest state"). */
  what: string;
  onError?: (err: Error) => void;
}

export class StateFile {
  private pending?: string;
  private writing?: Promise<void>;
  /** Generation of the newest save() call, and of the newest text that is on disk (or failed). */
  private requested = 0;
  private settled = 0;
  private readonly waiters: Array<{ generation: number; resolve: () => void }> = [];

  constructor(readonly file: string, private readonly options: StateFileOptions) {}

  /** `<userDir>/relaycast/<area>/<node id>.json` */
  static forNode(userDir: string, area: string, nodeId: string, options: StateFileOptions): StateFile {
    const safeId = nodeId.replace(/[^A-Za-z0-9._-]/g, '_');
    return new StateFile(path.join(userDir, 'relaycast', area, `${safeId}.json`), options);
  }

  /** Removes the file (the node was deleted from the flow: its state means nothing any more). */
  async remove(): Promise<void> {
    await this.flush();
    await rm(this.file, { force: true });
  }

  /** The saved value, or undefined when there is none. A damaged file is moved aside and reported. */
  load(): unknown {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RelaycastError(this.options.code, `cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      this.quarantine();
      throw new RelaycastError(this.options.code, `${this.file} is not JSON; moved aside`, { cause: err });
    }
  }

  /** Keeps a copy of an unusable file for inspection instead of silently overwriting it. */
  quarantine(): void {
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      renameSync(this.file, `${this.file}.bad-${Date.now()}`);
    } catch { /* nothing to keep */ }
  }

  save(value: unknown): void {
    this.pending = JSON.stringify(value);
    this.requested += 1;
    this.writing ??= this.drain();
  }

  /**
   * Saves and resolves once this value (or a newer one) is on disk, so a caller can hold back
   * what depends on it (manifest serves a playlist version only then). Also resolves when the
   * write failed: the failure is reported, and holding back for ever would stop the stream.
   */
  saveDurably(value: unknown): Promise<void> {
    this.save(value);
    const generation = this.requested;
    return new Promise((resolve) => this.waiters.push({ generation, resolve }));
  }

  /** Resolves once everything saved so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== undefined) {
        const text = this.pending;
        const generation = this.requested;
        this.pending = undefined;
        const temp = `${this.file}.tmp-${process.pid}`;
        try {
          await mkdir(path.dirname(this.file), { recursive: true });
          await writeFile(temp, text);
          await rename(temp, this.file);
        } catch (err) {
          await rm(temp, { force: true }).catch(() => undefined);
          // save() does not await this drain: a reporter that throws must not reject it.
          try {
            this.options.onError?.(new RelaycastError(`${this.options.code}_WRITE`, `cannot save ${this.options.what} to ${this.file}: ${(err as Error).message}`, { cause: err }));
          } catch { /* nothing left to report to */ }
        }
        this.settled = generation;
        this.wake();
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** Resolves the waiters whose value is on disk, oldest first (callers rely on that order). */
  private wake(): void {
    const due = this.waiters.filter((w) => w.generation <= this.settled);
    if (due.length === 0) return;
    this.waiters.splice(0, this.waiters.length, ...this.waiters.filter((w) => w.generation > this.settled));
    for (const waiter of due) waiter.resolve();
  }
}
