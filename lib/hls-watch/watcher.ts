/**
 * HlsWatcher: one encoder output (folder or master playlist) → ordered msgs per rendition.
 *
 * File events only say "look now"; what is finished is decided by the encoder's playlist (see
 * RenditionTracker). chokidar's normal `change` events are throttled to one per 50 ms per file, so
 * playlist rewrites are also taken from its unthrottled `raw` events, and a slow safety tick
 * re-checks every playlist's identity so no final rewrite (EXT-X-ENDLIST) is ever missed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, watch, type FSWatcher as FSWatcher_ } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import { CONTENT_TYPES, isId } from '../contracts';
import { inBackground } from '../background';
import { CoalescedRunner } from '../coalesced-runner';
import type { ResendRequest } from '../delivery-receipts';
import { RelaycastError, toRelaycastError } from '../errors';
import { discoverLayout, type RenditionSource } from './layout';
import { MediaFiles } from './media-files';
import { DEFAULT_MAX_PLAYLIST_BYTES } from './playlist';
import { confirmDelivery, freshRenditionState, RenditionTracker, type WatchMsg } from './rendition-tracker';
import { currentIdentity, DEFAULT_MAX_SEGMENT_BYTES, isInside, isTemporaryName, sameIdentity, type FileIdentity } from './segment-file';
import { isWatchState, MemoryStateStore, type StateStore, type WatchState } from './state-store';

export interface HlsWatcherOptions {
  /** The encoder's output folder, or its master (or only media) playlist. */
  path: string;
  /** Stream id put on every msg. */
  stream: string;
  /** Rendition ids to follow; empty or undefined = all. */
  renditions?: string[];
  /** Poll the filesystem instead of inotify (network filesystems). */
  usePolling?: boolean;
  /** Poll interval in ms when usePolling (default 250). */
  pollInterval?: number;
  maxSegmentBytes?: number;
  maxPlaylistBytes?: number;
  /** How long a listed segment may stay missing before it is a gap (default 3000 ms). */
  segmentWaitMs?: number;
  /** Safety re-check of folder and playlists (default 1000 ms). */
  checkIntervalMs?: number;
  stateStore?: StateStore;
  /**
   * Whether a consumer that confirms deliveries (manifest, through lib/delivery-receipts.ts) is
   * there for this stream: from then on what is sent is journalled until confirmed, even before
   * the first confirmation arrives (a crash at the very start must not lose a segment either).
   */
  receiptsExpected?: () => boolean;
}

export type WatcherState = 'waiting' | 'watching' | 'error' | 'stopped';

export interface WatcherStatus {
  state: WatcherState;
  /** Segments emitted since start. */
  segments: number;
  renditions: number;
  /** Code of the newest unresolved error (state 'error'). */
  code?: string;
}

export interface WatcherHandlers {
  onMessage(msg: WatchMsg): void;
  /** A catchable failure; `msg` is the gap msg when a listed segment was lost. */
  onError(err: RelaycastError, msg?: WatchMsg): void;
  onStatus?(status: WatcherStatus): void;
}

/** Extra looks at a new rendition folder's playlist while chokidar starts watching the folder. */
const NEW_FOLDER_RECHECKS_MS = [2, 10, 30, 100];

const MEDIA_EXTENSIONS = new Set(Object.keys(CONTENT_TYPES).filter((ext) => ext !== '.m3u8'));

/** Key-safe, roughly time-ordered, unique: `<ms base36>-<random hex>`. */
export function newSessionId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

interface Tracked {
  tracker: RenditionTracker;
  source: RenditionSource;
  seen: FileIdentity | null;
}

export class HlsWatcher {
  private readonly target: string;
  private readonly root: string;
  private readonly options: Required<Omit<HlsWatcherOptions, 'renditions' | 'stateStore' | 'receiptsExpected'>> & { renditions: string[] };
  private readonly store: StateStore;
  private readonly receiptsExpected: () => boolean;
  private state!: WatchState;
  private closed = true;
  private chokidarWatcher: FSWatcher | null = null;
  private files: MediaFiles | null = null;
  private realRoot = '';
  private readonly tracked = new Map<string, Tracked>();
  private readonly byPlaylist = new Map<string, Tracked>();
  private masterPath: string | null = null;
  private masterSeen: FileIdentity | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private rootWatcher: FSWatcher_ | null = null;
  private attaching: Promise<void> | null = null;
  private readonly discovery = new CoalescedRunner(() => this.discoverOnce(), () => this.closed);
  private readonly activeErrors = new Map<string, string>();
  private readonly reportedKeys = new Map<string, string>();
  private segments = 0;
  private lastStatus = '';
  private readonly readAheadLog: string[] = [];
  /** Renditions tracked since start(): only their first tracker delivers the unconfirmed again. */
  private readonly resumed = new Set<string>();
  /** Failed state writes so far (a journal write that follows one without failing clears the status). */
  private stateFailures = 0;

  constructor(options: HlsWatcherOptions, private readonly handlers: WatcherHandlers) {
    if (!options.path) throw new RelaycastError('E_CONFIG', 'hls-watch needs the path of an encoder output folder or master playlist');
    if (!options.stream) throw new RelaycastError('E_CONFIG', 'hls-watch needs a stream id');
    // The contract's id rule: manifest and r2-upload would refuse every msg of this stream.
    if (!isId(options.stream)) throw new RelaycastError('E_CONFIG', `stream id must be 1–64 characters of A–Z a–z 0–9 . _ ~ -, got ${JSON.stringify(options.stream)}`);
    this.target = path.resolve(options.path);
    this.root = /\.m3u8$/i.test(this.target) ? path.dirname(this.target) : this.target;
    this.options = {
      path: this.target,
      stream: options.stream,
      renditions: (options.renditions ?? []).map((r) => r.trim()).filter((r) => r !== ''),
      usePolling: options.usePolling ?? false,
      pollInterval: options.pollInterval ?? 250,
      maxSegmentBytes: options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES,
      maxPlaylistBytes: options.maxPlaylistBytes ?? DEFAULT_MAX_PLAYLIST_BYTES,
      segmentWaitMs: options.segmentWaitMs ?? 3000,
      checkIntervalMs: options.checkIntervalMs ?? 1000,
    };
    this.store = options.stateStore ?? new MemoryStateStore();
    this.receiptsExpected = options.receiptsExpected ?? (() => false);
  }

  get status(): WatcherStatus {
    const renditions = this.tracked.size;
    if (this.closed) return { state: 'stopped', segments: this.segments, renditions };
    const codes = [...this.activeErrors.values()];
    if (codes.length > 0) return { state: 'error', segments: this.segments, renditions, code: codes[codes.length - 1] };
    if (!this.chokidarWatcher || renditions === 0) return { state: 'waiting', segments: this.segments, renditions };
    return { state: 'watching', segments: this.segments, renditions };
  }

  async start(): Promise<void> {
    if (!this.closed) return;
    this.closed = false;
    this.resumed.clear();
    const source = `${this.target}|${this.options.stream}`;
    let loaded: unknown;
    try {
      loaded = this.store.load();
    } catch (err) {
      // A damaged file (moved aside by StateFile) means starting afresh, reported, not refusing to start.
      this.raiseProblem('state', toRelaycastError(err, 'E_WATCH_STATE'));
    }
    this.state = isWatchState(loaded) && loaded.source === source ? loaded : { version: 1, source, session: null, renditions: {} };
    this.timer = setInterval(() => this.background(() => this.check()), this.options.checkIntervalMs);
    this.timer.unref?.();
    await this.attach();
    this.publishStatus();
  }

  /** A consumer (manifest) has this delivery for good: it and everything before it need not be sent again. */
  confirm(rendition: string, session: string, sequence: number): void {
    const state = this.state?.renditions[rendition];
    if (!state || this.closed) return;
    confirmDelivery(state, session, sequence);
    this.store.save(this.state);
  }

  /**
   * lib/delivery-receipts.ts, after a partial deploy: without a request (a stage restarted) every
   * followed rendition sends its unconfirmed deliveries again on its next pass; with one, only its
   * rendition, and only if that delivery is among them. Returns whether anything will be sent.
   */
  resendUnconfirmed(request?: ResendRequest): boolean {
    if (this.closed) return false;
    if (request) return this.tracked.get(request.rendition)?.tracker.resendUnconfirmed(request) ?? false;
    let any = false;
    for (const t of this.tracked.values()) any = t.tracker.resendUnconfirmed() || any;
    return any;
  }

  /** The state could not be written (StateFile's onError): red status until a later write works. */
  stateUnwritable(err: RelaycastError): void {
    this.stateFailures += 1;
    this.raiseProblem('state', err);
  }

  /** Re-reads the layout and every playlist now (input msg `rescan`). */
  async rescan(): Promise<void> {
    if (this.closed) return;
    if (!this.chokidarWatcher) await this.attach();
    await this.discover();
    await Promise.all([...this.tracked.values()].map((t) => t.tracker.trigger()));
  }

  /** Releases every watcher and timer; waits for the pass in progress and the last state write. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.attaching?.catch(() => undefined);
    this.stopWatchingForRoot();
    await this.detach();
    await this.discovery.whenIdle();
    if (this.state) this.store.save(this.state);
    await this.store.flush();
    this.publishStatus();
  }

  // --- folder ---------------------------------------------------------------------------------

  private attach(): Promise<void> {
    if (this.chokidarWatcher || this.closed) return Promise.resolve();
    this.attaching ??= this.attachOnce().finally(() => {
      this.attaching = null;
    });
    return this.attaching;
  }

  private async attachOnce(): Promise<void> {
    try {
      const stats = await stat(this.root);
      if (!stats.isDirectory()) throw new RelaycastError('E_FOLDER_UNREADABLE', `${this.root} is not a folder`);
      await readdir(this.root); // EACCES shows here, not in chokidar (which swallows it)
      this.realRoot = await realpath(this.root);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT') {
        // The encoder creates its folder when it starts: wait (yellow) and look again as soon as
        // anything changes in the nearest folder that exists (the check tick is the fallback).
        this.clearProblem('folder');
        this.publishStatus();
        this.watchForRoot(true);
        return;
      }
      this.raiseProblem('folder', err instanceof RelaycastError ? err : new RelaycastError('E_FOLDER_UNREADABLE', `cannot read ${this.root}: ${(err as Error).message}`, { cause: err }));
      // Recover as soon as the folder is fixed (replaced, chmod-ed): that shows in its parent.
      this.watchForRoot(false);
      return;
    }
    if (this.closed) return;
    this.clearProblem('folder');
    this.files = new MediaFiles({ realRoot: this.realRoot, maxSegmentBytes: this.options.maxSegmentBytes, segmentWaitMs: this.options.segmentWaitMs });
    const watcher = chokidar.watch(this.root, {
      ignoreInitial: true,
      awaitWriteFinish: false,
      depth: 3,
      usePolling: this.options.usePolling,
      interval: this.options.pollInterval,
      binaryInterval: this.options.pollInterval,
      ignored: (p: string) => isTemporaryName(p),
    });
    this.chokidarWatcher = watcher;
    watcher.on('raw', (_event, p, details) => this.onRaw(p, (details as { watchedPath?: string } | undefined)?.watchedPath));
    watcher.on('all', (event: string, p: string) => this.onEvent(event, path.resolve(p)));
    watcher.on('error', (err: unknown) => this.raiseProblem('watch', toRelaycastError(err, 'E_WATCH_FAILED')));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    if (this.closed) return;
    await this.discover();
  }

  /** A one-off timer that close() cancels. */
  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Watches the nearest existing ancestor of the missing folder, so its creation is seen at once. */
  private watchForRoot(lookAgain: boolean): void {
    this.stopWatchingForRoot();
    if (this.options.usePolling || this.closed) return;
    let ancestor = path.dirname(this.root);
    while (!existsSync(ancestor) && path.dirname(ancestor) !== ancestor) ancestor = path.dirname(ancestor);
    try {
      const rootWatcher = watch(ancestor, { persistent: false }, () => {
        if (this.rootWatcher !== rootWatcher) return;
        this.stopWatchingForRoot();
        this.background(() => this.attach());
      });
      rootWatcher.on('error', () => this.stopWatchingForRoot());
      this.rootWatcher = rootWatcher;
    } catch {
      // Not watchable (permissions, odd filesystem): the check tick still finds the folder.
      return;
    }
    // `mkdir -p` may have created the next level between our look and the watch: look again.
    const next = path.join(ancestor, path.relative(ancestor, this.root).split(path.sep)[0]);
    if (lookAgain && existsSync(next)) this.later(0, () => this.background(() => this.attach()));
  }

  private stopWatchingForRoot(): void {
    this.rootWatcher?.close();
    this.rootWatcher = null;
  }

  private async detach(): Promise<void> {
    this.stopWatchingForRoot();
    const watcher = this.chokidarWatcher;
    this.chokidarWatcher = null;
    this.files?.close();
    for (const t of this.tracked.values()) t.tracker.cancelTimers();
    await Promise.all([...this.tracked.values()].map((t) => t.tracker.whenIdle()));
    await watcher?.close();
    this.tracked.clear();
    this.byPlaylist.clear();
    this.masterPath = null;
  }

  /** The safety tick: folder appeared/vanished/recovered, missed playlist rewrites, a changed master. */
  private async check(): Promise<void> {
    if (this.closed) return;
    if (!this.chokidarWatcher) {
      await this.attach();
      return;
    }
    const rootNow = await currentIdentity(this.root);
    if (!rootNow) {
      // The folder went away (SRS hls_dispose, a cleaned-up encoder): wait for it again.
      await this.detach();
      this.publishStatus();
      return;
    }
    if (this.tracked.size === 0 || (this.masterPath && !sameIdentity(await currentIdentity(this.masterPath), this.masterSeen))) {
      this.background(() => this.discover());
    }
    for (const t of this.tracked.values()) {
      const now = await currentIdentity(t.source.playlistPath);
      if (now && !sameIdentity(now, t.seen)) {
        t.seen = now;
        this.background(() => t.tracker.trigger());
      }
    }
  }

  // --- events ---------------------------------------------------------------------------------

  private onRaw(p: string, watchedPath: string | undefined): void {
    if (this.closed) return;
    const full = watchedPath ? path.resolve(watchedPath, p) : path.resolve(p);
    const t = this.byPlaylist.get(full) ?? (watchedPath ? this.byPlaylist.get(path.resolve(watchedPath)) : undefined);
    if (t) {
      this.background(() => t.tracker.trigger());
      return;
    }
    if (full === this.masterPath) {
      this.background(() => this.discover());
      return;
    }
    if (!isTemporaryName(full)) this.files?.notify(full);
  }

  private onEvent(event: string, full: string): void {
    if (this.closed) return;
    if (event === 'addDir' || event === 'unlinkDir') {
      if (full === this.root) return;
      this.background(() => this.discover());
      // A playlist renamed into a new folder before chokidar's watch on that folder is in place
      // sends no event: look a few times while that watch is being set up.
      if (event === 'addDir') {
        for (const t of this.tracked.values()) {
          if (!isInside(full, path.dirname(t.source.playlistPath))) continue;
          this.background(() => t.tracker.trigger());
          for (const ms of NEW_FOLDER_RECHECKS_MS) this.later(ms, () => this.background(() => t.tracker.trigger()));
        }
      }
      return;
    }
    const ext = path.extname(full).toLowerCase();
    if (ext === '.m3u8') {
      const t = this.byPlaylist.get(full);
      if (t && event !== 'unlink') this.background(() => t.tracker.trigger());
      if (!t || full === this.masterPath || event !== 'change') this.background(() => this.discover());
      return;
    }
    if (MEDIA_EXTENSIONS.has(ext) && (event === 'add' || event === 'change') && this.mayBeListed(full)) {
      // Read at once: the encoder may delete it before the playlist listing it is processed.
      this.noteReadAhead(full);
      this.background(() => this.files?.prefetch(full));
    }
  }

  /**
   * Whether a media file can belong to a followed rendition: with a rendition filter, only files
   * in a followed rendition's folder are read ahead (and hashed). Before any rendition is known,
   * or when renditions share a folder, it cannot be told, so it is read.
   */
  private mayBeListed(file: string): boolean {
    if (this.options.renditions.length === 0 || this.tracked.size === 0) return true;
    const folder = path.dirname(file);
    for (const t of this.tracked.values()) if (isInside(path.dirname(t.source.playlistPath), folder)) return true;
    return false;
  }

  private noteReadAhead(file: string): void {
    this.readAheadLog.push(file);
    if (this.readAheadLog.length > 32) this.readAheadLog.shift();
  }

  /** The last files read ahead of their playlist (diagnostics). */
  get readAhead(): readonly string[] {
    return this.readAheadLog;
  }

  // --- renditions -----------------------------------------------------------------------------

  private discover(): Promise<void> {
    return this.discovery.run();
  }

  private async discoverOnce(): Promise<void> {
    if (this.closed || !this.chokidarWatcher) return;
    let layout;
    try {
      layout = await discoverLayout(this.root, this.target, this.options.maxPlaylistBytes);
    } catch (err) {
      const code = (err as { code?: string }).code;
      this.raiseProblem('layout', err instanceof RelaycastError ? err : new RelaycastError(code === 'ENOENT' ? 'E_FOLDER_MISSING' : 'E_FOLDER_UNREADABLE', `cannot read ${this.root}: ${(err as Error).message}`, { cause: err }));
      return;
    }
    if (this.closed || !this.chokidarWatcher) return;
    this.clearProblem('layout');
    this.masterPath = layout.masterPath;
    this.masterSeen = layout.masterPath ? await currentIdentity(layout.masterPath) : null;
    const wanted = this.options.renditions;
    const present = new Set(layout.renditions.map((r) => r.id));
    if (present.size > 0) {
      // A rendition that is no longer part of the layout stops being followed (its state stays
      // saved) and is ended, or manifest would list it in the master for ever.
      for (const [id, t] of this.tracked) {
        if (present.has(id)) continue;
        t.tracker.cancelTimers();
        this.tracked.delete(id);
        this.byPlaylist.delete(t.source.playlistPath);
        this.activeErrors.delete(`rendition:${id}`);
        // After its pass in progress, so 'ended' follows its last segment.
        await t.tracker.whenIdle();
        if (!this.closed) t.tracker.endLeft();
      }
    }
    for (const source of layout.renditions) {
      if (wanted.length > 0 && !wanted.includes(source.id)) continue;
      const existing = this.tracked.get(source.id);
      if (existing && existing.source.playlistPath === source.playlistPath) {
        existing.tracker.setVariant(source.variant);
        existing.source = source;
        continue;
      }
      if (existing) this.byPlaylist.delete(existing.source.playlistPath);
      this.track(source);
    }
    this.publishStatus();
  }

  private track(source: RenditionSource): void {
    const files = this.files!;
    const state = (this.state.renditions[source.id] ??= freshRenditionState(this.currentSession()));
    const key = `rendition:${source.id}`;
    const tracker: RenditionTracker = new RenditionTracker(
      {
        stream: this.options.stream,
        rendition: source.id,
        playlistPath: source.playlistPath,
        maxPlaylistBytes: this.options.maxPlaylistBytes,
        root: this.root,
        files,
        variant: source.variant,
        currentSession: () => this.currentSession(),
        sessionAfter: (previous) => this.sessionAfter(previous),
        emit: (msg) => {
          if (msg.topic === 'segment') {
            this.segments += 1;
            this.clearProblem(key);
          }
          this.handlers.onMessage(msg);
          if (msg.topic === 'segment') this.publishStatus();
        },
        error: (err, msg) => {
          this.activeErrors.set(key, err.code);
          this.handlers.onError(err, msg);
          this.publishStatus();
        },
        recovered: () => {
          if (this.activeErrors.delete(key)) this.publishStatus();
        },
        changed: () => this.store.save(this.state),
        journal: () => this.journal(),
        receiptsExpected: this.receiptsExpected,
        layoutChanged: () => this.background(() => this.discover()),
        resuming: !this.resumed.has(source.id),
        isClosed: (): boolean => this.closed || this.files !== files || this.tracked.get(source.id)?.tracker !== tracker,
      },
      state,
    );
    this.resumed.add(source.id);
    const tracked: Tracked = { tracker, source, seen: null };
    this.tracked.set(source.id, tracked);
    this.byPlaylist.set(source.playlistPath, tracked);
    this.background(() => tracker.trigger());
  }

  /**
   * Write-ahead: the state, with the delivery about to go out already recorded, is stored before
   * the msg is sent. A crash after the send can then neither hand the same sequence to another
   * segment nor start a new session for a segment already sent; what is journalled as unconfirmed
   * goes out again after the restart (see RenditionTracker.deliverUnconfirmed).
   */
  private async journal(): Promise<void> {
    const failuresBefore = this.stateFailures;
    await this.store.saveDurably(this.state);
    if (this.stateFailures === failuresBefore) this.clearProblem('state');
  }

  private currentSession(): string {
    this.state.session ??= newSessionId();
    return this.state.session;
  }

  private sessionAfter(previous: string): string {
    if (this.state.session && this.state.session !== previous) return this.state.session;
    this.state.session = newSessionId();
    return this.state.session;
  }

  // --- errors and status ----------------------------------------------------------------------

  /** Runs work nothing awaits (event and timer triggers): a failure is reported, never left unhandled. */
  private background(work: () => unknown): void {
    inBackground(work, (err) => this.handlers.onError(err instanceof RelaycastError
      ? err
      : new RelaycastError('E_WATCH_INTERNAL', err instanceof Error ? err.message : String(err), { cause: err })));
  }

  /** Reports a problem (by key: folder, layout, watch, state) once until it clears: a tick every second must not repeat it. */
  private raiseProblem(key: string, err: RelaycastError): void {
    this.activeErrors.set(key, err.code);
    const fingerprint = `${err.code} ${err.message}`;
    if (this.reportedKeys.get(key) !== fingerprint) {
      this.reportedKeys.set(key, fingerprint);
      this.handlers.onError(err);
    }
    this.publishStatus();
  }

  /** The problem under this key is over: the status drops it. */
  private clearProblem(key: string): void {
    this.reportedKeys.delete(key);
    if (this.activeErrors.delete(key)) this.publishStatus();
  }

  private publishStatus(): void {
    const status = this.status;
    const fingerprint = JSON.stringify(status);
    if (fingerprint === this.lastStatus) return;
    this.lastStatus = fingerprint;
    this.handlers.onStatus?.(status);
  }
}
