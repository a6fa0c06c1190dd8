/**
 * Gets the bytes of the files a playlist lists, in whichever order the encoder and the file
 * watcher deliver them:
 * - segment first: the watcher calls prefetch() on the file's add/change event, the bytes are read
 *   at once and held (encoders delete old segments within seconds), and take() hands them over
 *   when the playlist lists the file, after checking the file on disk is still that version;
 * - playlist first: take() waits, bounded, for the file to appear and to stop changing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RelaycastError, toRelaycastError } from '../errors';
import { currentIdentity, readMediaFile, sameIdentity, type FileBytes } from './segment-file';

export interface MediaFilesOptions {
  /** realpath of the watched folder: nothing outside it is read. */
  realRoot: string;
  maxSegmentBytes: number;
  /** How long a listed file may be missing before it counts as lost. */
  segmentWaitMs: number;
  /** Quiet time a file that appeared after its listing must show before it is read. */
  settleMs?: number;
  /** Poll step while waiting, in case no file event arrives (network filesystems). */
  pollMs?: number;
  /** Held (prefetched, not yet listed) files at most; the oldest go first. */
  maxHeld?: number;
}

interface Held {
  result: Promise<FileBytes | null>;
}

export class MediaFiles {
  private readonly held = new Map<string, Held>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(private readonly options: MediaFilesOptions) {}

  /**
   * Read a media file now and keep it until it is listed; failures are silent (it is not listed yet).
   * Resolves (never rejects) once the read has settled, for callers that must know the bytes are held.
   */
  prefetch(filePath: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const result = readMediaFile(this.options.realRoot, filePath, this.options.maxSegmentBytes).then(
      (file) => (file.bytes.length > 0 ? file : null),
      () => null,
    );
    this.held.delete(filePath);
    this.held.set(filePath, { result });
    const max = this.options.maxHeld ?? 24;
    while (this.held.size > max) this.held.delete(this.held.keys().next().value as string);
    this.notify(filePath);
    return result.then(() => undefined);
  }

  /** A file event for this path: wakes whoever waits for it. */
  notify(filePath: string): void {
    const set = this.waiters.get(filePath);
    if (!set) return;
    this.waiters.delete(filePath);
    for (const wake of set) wake();
  }

  /**
   * The bytes of a listed file. Throws a RelaycastError: E_SEGMENT_LOST when it never became
   * readable in time, or the read's own code (E_PATH_OUTSIDE, E_SEGMENT_TOO_LARGE, …).
   * `isCancelled` stops the wait when the watcher closes (the error then has code E_CLOSED).
   */
  async take(filePath: string, isCancelled: () => boolean, allowEmpty = false): Promise<FileBytes> {
    const held = this.held.get(filePath);
    this.held.delete(filePath);
    const heldFile = held ? await held.result : null;
    const deadline = Date.now() + this.options.segmentWaitMs;
    let appearedLate = false;
    for (;;) {
      if (isCancelled() || this.closed) throw new RelaycastError('E_CLOSED', 'watcher closed');
      try {
        if (heldFile && sameIdentity(heldFile.identity, await currentIdentity(filePath))) return heldFile;
        if (appearedLate) await this.settle(filePath, deadline);
        const file = await readMediaFile(this.options.realRoot, filePath, this.options.maxSegmentBytes);
        if (file.bytes.length > 0 || allowEmpty) return file;
        // ffmpeg creates fMP4 init files empty and fills them when the first segment ends.
        appearedLate = true;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ENOENT') {
          // Deleted after we saw it? The held copy is the only one left, and it was whole when read.
          if (heldFile) return heldFile;
          appearedLate = true;
        } else if (code !== 'E_SEGMENT_CHANGING') {
          throw toRelaycastError(err, 'E_SEGMENT_UNREADABLE');
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RelaycastError(
          'E_SEGMENT_LOST',
          `${filePath} is listed by the encoder's playlist but could not be read within ${this.options.segmentWaitMs} ms`,
        );
      }
      await this.waitForEvent(filePath, Math.min(left, this.options.pollMs ?? 25));
    }
  }

  /** Waits until two looks `settleMs` apart see the same size and mtime (a writer still appending changes them). */
  private async settle(filePath: string, deadline: number): Promise<void> {
    const settleMs = this.options.settleMs ?? 15;
    let before = await currentIdentity(filePath);
    while (before && Date.now() < deadline && !this.closed) {
      await sleep(settleMs);
      const after = await currentIdentity(filePath);
      if (sameIdentity(before, after)) return;
      before = after;
    }
  }

  private waitForEvent(filePath: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(filePath);
      if (!set) this.waiters.set(filePath, (set = new Set()));
      const wake = (): void => {
        clearTimeout(timer);
        set!.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  close(): void {
    this.closed = true;
    this.held.clear();
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
  }
}
