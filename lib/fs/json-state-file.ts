/**
 * Persists a node's state as one JSON file under userDir (manifest's playlists, r2-upload's index
 * of stored objects), written atomically (lib/fs/atomic-file.ts: a crash leaves either the old or the
 * new state, never half of one) and coalesced (lib/fs/coalescing-writer.ts: a burst of changes costs
 * at most two writes, the newest last). hls-watch's file store writes through the same two.
 * Manifest's state also refers to an append-only history log, written in the same writer turn
 * through beforeWrite/afterWrite (lib/manifest/state-store.ts).
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { CoalescingWriter } from './coalescing-writer';
import { RelaycastError } from '../errors';

export interface StateFileOptions {
  /** Code of a file that cannot be read or parsed (e.g. E_MANIFEST_STATE); a failed write adds _WRITE. */
  code: string;
  /** What is kept, for messages ("manifest state"). */
  what: string;
  onError?: (err: Error) => void;
  /**
   * Runs before each write, in the same turn of the writer: what the saved value refers to and
   * must be on disk first (manifest's history log, lib/manifest/state-store.ts). A failure fails
   * that write (reported like any other).
   */
  beforeWrite?: () => Promise<void>;
  /** Runs after each successful write: what the value on disk no longer refers to may go. Must not throw. */
  afterWrite?: () => Promise<void>;
}

export class StateFile {
  private readonly writer: CoalescingWriter<string>;

  constructor(
    readonly file: string,
    private readonly options: StateFileOptions,
  ) {
    this.writer = new CoalescingWriter(
      async (text) => {
        await options.beforeWrite?.();
        await writeFileAtomic(file, text);
        await options.afterWrite?.();
      },
      (err) =>
        options.onError?.(new RelaycastError(`${options.code}_WRITE`, `cannot save ${options.what} to ${file}: ${(err as Error).message}`, { cause: err })),
    );
  }

  /** `<userDir>/relaycast/<area>/<node id>.json` */
  static forNode(userDir: string, area: string, nodeId: string, options: StateFileOptions): StateFile {
    return new StateFile(StateFile.pathFor(userDir, area, nodeId), options);
  }

  static pathFor(userDir: string, area: string, nodeId: string): string {
    const safeId = nodeId.replace(/[^A-Za-z0-9._-]/g, '_');
    return path.join(userDir, 'relaycast', area, `${safeId}.json`);
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
    } catch {
      /* nothing to keep */
    }
  }

  save(value: unknown): void {
    // Never rejects (a failure goes to onError), so nothing is left unhandled.
    void this.writer.request(JSON.stringify(value));
  }

  /**
   * Saves and resolves once this value (or a newer one) is on disk, so a caller can hold back
   * what depends on it (manifest serves a playlist version only then). Also resolves when the
   * write failed: the failure is reported, and holding back for ever would stop the stream.
   */
  saveDurably(value: unknown): Promise<void> {
    return this.writer.request(JSON.stringify(value));
  }

  /** Resolves once everything saved so far is on disk. */
  flush(): Promise<void> {
    return this.writer.flush();
  }
}
