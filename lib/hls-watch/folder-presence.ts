/**
 * Whether the encoder's output folder is there, and the chokidar watch on it while it is.
 *
 * Encoders create their folder when they start and some remove it when they stop (SRS
 * hls_dispose, a cleaned-up ffmpeg run): hls-watch must wait for it without an error, notice at
 * once when it appears (a watch on its nearest existing ancestor), recover when an unreadable one
 * is fixed, and let go of it when it goes. HlsWatcher's safety tick calls attach() and
 * isPresent() as the fallback for whatever no watch reports.
 */
import { existsSync, watch, type FSWatcher as AncestorWatcher } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import { RelaycastError } from '../errors';
import type { FileEvent } from './route-event';
import { currentIdentity, isTemporaryName } from './segment-file';

export interface FolderPresenceOptions {
  /** The watched folder (absolute, as configured: events name paths below it). */
  root: string;
  /** Poll instead of inotify (network filesystems); no ancestor watch then, the tick finds the folder. */
  usePolling: boolean;
  pollInterval: number;
}

export interface FolderPresenceHandlers {
  /** The folder does not exist (yet): waiting for it is not an error. */
  missing(): void;
  /** The folder is there but cannot be used (not a folder, unreadable); looked at again when it changes. */
  unusable(err: RelaycastError): void;
  /** The folder is there (`realRoot`: its realpath); called before the watch starts, so its first events find what they need. */
  found(realRoot: string): void;
  /** The watch is in place. */
  ready(): Promise<void>;
  event(event: FileEvent): void;
  watchFailed(err: unknown): void;
  /** Runs work nothing awaits (its failure is reported). */
  background(work: () => unknown): void;
  /** A one-off timer that the owner's close cancels. */
  later(ms: number, fn: () => void): void;
  isClosed(): boolean;
}

export class FolderPresence {
  private chokidarWatcher: FSWatcher | null = null;
  private ancestorWatcher: AncestorWatcher | null = null;
  private attaching: Promise<void> | null = null;

  constructor(
    private readonly options: FolderPresenceOptions,
    private readonly handlers: FolderPresenceHandlers,
  ) {}

  /** Whether the folder is being watched (chokidar started on it and it was not let go). */
  get attached(): boolean {
    return this.chokidarWatcher !== null;
  }

  /** Starts watching the folder if it is there, else waits for it; one attempt at a time. */
  attach(): Promise<void> {
    if (this.chokidarWatcher || this.handlers.isClosed()) return Promise.resolve();
    this.attaching ??= this.attachOnce().finally(() => {
      this.attaching = null;
    });
    return this.attaching;
  }

  /** Whether the folder still exists (it went away: the owner detaches and waits for it again). */
  async isPresent(): Promise<boolean> {
    return (await currentIdentity(this.options.root)) !== null;
  }

  /**
   * Lets go of the folder: no longer attached from this moment; `release` (the owner's work on
   * what the watch fed) runs before chokidar is closed.
   */
  async detach(release: () => Promise<void>): Promise<void> {
    this.stopWatchingForRoot();
    const watcher = this.chokidarWatcher;
    this.chokidarWatcher = null;
    await release();
    await watcher?.close();
  }

  /** Waits for an attempt in progress and stops waiting for the folder (detach() lets go of the watch). */
  async close(): Promise<void> {
    await this.attaching?.catch(() => undefined);
    this.stopWatchingForRoot();
  }

  private async attachOnce(): Promise<void> {
    const { root } = this.options;
    let realRoot: string;
    try {
      const stats = await stat(root);
      if (!stats.isDirectory()) throw new RelaycastError('E_FOLDER_UNREADABLE', `${root} is not a folder`);
      await readdir(root); // EACCES shows here, not in chokidar (which swallows it)
      realRoot = await realpath(root);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT') {
        // The encoder creates its folder when it starts: wait (yellow) and look again as soon as
        // anything changes in the nearest folder that exists (the check tick is the fallback).
        this.handlers.missing();
        this.watchForRoot(true);
        return;
      }
      this.handlers.unusable(
        err instanceof RelaycastError ? err : new RelaycastError('E_FOLDER_UNREADABLE', `cannot read ${root}: ${(err as Error).message}`, { cause: err }),
      );
      // Recover as soon as the folder is fixed (replaced, chmod-ed): that shows in its parent.
      this.watchForRoot(false);
      return;
    }
    if (this.handlers.isClosed()) return;
    this.handlers.found(realRoot);
    const watcher = chokidar.watch(root, {
      ignoreInitial: true,
      awaitWriteFinish: false,
      depth: 3,
      usePolling: this.options.usePolling,
      interval: this.options.pollInterval,
      binaryInterval: this.options.pollInterval,
      ignored: (p: string) => isTemporaryName(p),
    });
    this.chokidarWatcher = watcher;
    watcher.on('raw', (_event, p, details) =>
      this.handlers.event({ kind: 'raw', path: p, watchedPath: (details as { watchedPath?: string } | undefined)?.watchedPath }),
    );
    watcher.on('all', (event, p: string) => this.handlers.event({ kind: event as Exclude<FileEvent['kind'], 'raw'>, path: path.resolve(p) }));
    watcher.on('error', (err: unknown) => this.handlers.watchFailed(err));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    if (this.handlers.isClosed()) return;
    await this.handlers.ready();
  }

  /** Watches the nearest existing ancestor of the missing folder, so its creation is seen at once. */
  private watchForRoot(lookAgain: boolean): void {
    this.stopWatchingForRoot();
    const { root } = this.options;
    if (this.options.usePolling || this.handlers.isClosed()) return;
    let ancestor = path.dirname(root);
    while (!existsSync(ancestor) && path.dirname(ancestor) !== ancestor) ancestor = path.dirname(ancestor);
    try {
      const ancestorWatcher = watch(ancestor, { persistent: false }, () => {
        if (this.ancestorWatcher !== ancestorWatcher) return;
        this.stopWatchingForRoot();
        this.handlers.background(() => this.attach());
      });
      ancestorWatcher.on('error', () => this.stopWatchingForRoot());
      this.ancestorWatcher = ancestorWatcher;
    } catch {
      // Not watchable (permissions, odd filesystem): the check tick still finds the folder.
      return;
    }
    // `mkdir -p` may have created the next level between our look and the watch: look again.
    const next = path.join(ancestor, path.relative(ancestor, root).split(path.sep)[0]);
    if (lookAgain && existsSync(next)) this.handlers.later(0, () => this.handlers.background(() => this.attach()));
  }

  private stopWatchingForRoot(): void {
    this.ancestorWatcher?.close();
    this.ancestorWatcher = null;
  }
}
