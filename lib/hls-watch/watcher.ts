/**
 * HlsWatcher: one encoder output (folder or master playlist) → ordered msgs per rendition.
 *
 * File events only say "look now"; what is finished is decided by the encoder's playlist (see
 * RenditionTracker). chokidar's normal `change` events are throttled to one per 50 ms per file, so
 * playlist rewrites are also taken from its unthrottled `raw` events, and a slow safety tick
 * re-checks every playlist's identity so no final rewrite (EXT-X-ENDLIST) is ever missed.
 *
 * This file wires the parts together and owns the saved state (sessions, the write-ahead journal):
 * FolderPresence waits for the folder and watches it, routeEvent says what each file event means,
 * discoverLayout finds the renditions, one RenditionTracker per rendition turns its playlist into
 * msgs, MediaFiles gets their bytes, and ProblemBook keeps what is wrong for the status.
 */
import { randomBytes } from 'node:crypto';
import { inBackground } from '../async/background';
import { CoalescedRunner } from '../async/coalesced-runner';
import type { ResendRequest } from '../pipeline/delivery-receipts';
import { RelaycastError, toRelaycastError } from '../errors';
import { FolderPresence } from './folder-presence';
import { discoverLayout, type RenditionSource } from './layout';
import { MediaFiles } from './media-files';
import { ProblemBook } from './problem-book';
import { confirmDelivery, freshRenditionState, RenditionTracker, type WatchMsg } from './rendition-tracker';
import { routeEvent, type EventAction, type FileEvent } from './route-event';
import { currentIdentity, sameIdentity, type FileIdentity } from './segment-file';
import { isWatchState, type StateStore, type WatchState } from './state-store';
import { watcherSettings, type HlsWatcherOptions, type WatcherSettings } from './watcher-options';

export type { HlsWatcherOptions } from './watcher-options';

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
  private readonly options: WatcherSettings;
  private readonly target: string;
  private readonly root: string;
  private readonly store: StateStore;
  private state!: WatchState;
  private closed = true;
  private readonly folder: FolderPresence;
  private files: MediaFiles | null = null;
  private readonly tracked = new Map<string, Tracked>();
  private readonly byPlaylist = new Map<string, Tracked>();
  private masterPath: string | null = null;
  private masterSeen: FileIdentity | null = null;
  /** Renditions of the layout this watcher follows (see SegmentInfo.renditions). */
  private followedIds: readonly string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly discovery = new CoalescedRunner(
    () => this.discoverOnce(),
    () => this.closed,
  );
  private readonly problems = new ProblemBook();
  private segments = 0;
  private lastStatus = '';
  private readonly readAheadLog: string[] = [];
  /** Renditions tracked since start(): only their first tracker delivers the unconfirmed again. */
  private readonly resumed = new Set<string>();
  /** Failed state writes so far (a journal write that follows one without failing clears the status). */
  private stateFailures = 0;

  constructor(
    options: HlsWatcherOptions,
    private readonly handlers: WatcherHandlers,
  ) {
    this.options = watcherSettings(options);
    this.target = this.options.target;
    this.root = this.options.root;
    this.store = this.options.store;
    this.folder = new FolderPresence(
      { root: this.root, usePolling: this.options.usePolling, pollInterval: this.options.pollInterval },
      {
        missing: () => {
          this.clearProblem('folder');
          this.publishStatus();
        },
        unusable: (err) => this.raiseProblem('folder', err),
        found: (realRoot) => {
          this.clearProblem('folder');
          this.files = new MediaFiles({ realRoot, maxSegmentBytes: this.options.maxSegmentBytes, segmentWaitMs: this.options.segmentWaitMs });
        },
        ready: () => this.discover(),
        event: (event) => this.onEvent(event),
        watchFailed: (err) => this.raiseProblem('watch', toRelaycastError(err, 'E_WATCH_FAILED')),
        background: (work) => this.background(work),
        later: (ms, fn) => this.later(ms, fn),
        isClosed: () => this.closed,
      },
    );
  }

  get status(): WatcherStatus {
    const renditions = this.tracked.size;
    if (this.closed) return { state: 'stopped', segments: this.segments, renditions };
    const code = this.problems.newestCode;
    if (code !== undefined) return { state: 'error', segments: this.segments, renditions, code };
    if (!this.folder.attached || renditions === 0) return { state: 'waiting', segments: this.segments, renditions };
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
    await this.folder.attach();
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
   * lib/pipeline/delivery-receipts.ts, after a partial deploy: without a request (a stage restarted) every
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
    if (!this.folder.attached) await this.folder.attach();
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
    await this.folder.close();
    await this.detach();
    await this.discovery.whenIdle();
    if (this.state) this.store.save(this.state);
    await this.store.flush();
    this.publishStatus();
  }

  // --- folder and safety tick ---------------------------------------------------------------

  /** A one-off timer that close() cancels. */
  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Lets go of the folder: its renditions stop being followed (their state stays saved). */
  private async detach(): Promise<void> {
    await this.folder.detach(async () => {
      this.files?.close();
      for (const t of this.tracked.values()) t.tracker.cancelTimers();
      await Promise.all([...this.tracked.values()].map((t) => t.tracker.whenIdle()));
    });
    this.tracked.clear();
    this.byPlaylist.clear();
    this.masterPath = null;
  }

  /** The safety tick: folder appeared/vanished/recovered, missed playlist rewrites, a changed master. */
  private async check(): Promise<void> {
    if (this.closed) return;
    if (!this.folder.attached) {
      await this.folder.attach();
      return;
    }
    if (!(await this.folder.isPresent())) {
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

  private onEvent(event: FileEvent): void {
    if (this.closed) return;
    const actions = routeEvent(event, {
      root: this.root,
      masterPath: this.masterPath,
      playlists: this.byPlaylist,
      filtered: this.options.renditions.length > 0,
    });
    for (const action of actions) this.carryOut(action);
  }

  private carryOut(action: EventAction): void {
    switch (action.do) {
      case 'sync': {
        // routeEvent names only playlists of byPlaylist, and nothing ran in between.
        const { tracker } = this.byPlaylist.get(action.playlist)!;
        this.background(() => tracker.trigger());
        for (const ms of action.againAfterMs ?? []) this.later(ms, () => this.background(() => tracker.trigger()));
        return;
      }
      case 'discover':
        this.background(() => this.discover());
        return;
      case 'prefetch':
        this.noteReadAhead(action.file);
        this.background(() => this.files?.prefetch(action.file));
        return;
      case 'notify':
        this.files?.notify(action.file);
        return;
      case 'ignore':
        return;
    }
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
    if (this.closed || !this.folder.attached) return;
    let layout;
    try {
      layout = await discoverLayout(this.root, this.target, this.options.maxPlaylistBytes);
    } catch (err) {
      const code = (err as { code?: string }).code;
      this.raiseProblem(
        'layout',
        err instanceof RelaycastError
          ? err
          : new RelaycastError(code === 'ENOENT' ? 'E_FOLDER_MISSING' : 'E_FOLDER_UNREADABLE', `cannot read ${this.root}: ${(err as Error).message}`, {
              cause: err,
            }),
      );
      return;
    }
    if (this.closed || !this.folder.attached) return;
    this.clearProblem('layout');
    this.masterPath = layout.masterPath;
    this.masterSeen = layout.masterPath ? await currentIdentity(layout.masterPath) : null;
    const wanted = this.options.renditions;
    const present = new Set(layout.renditions.map((r) => r.id));
    if (present.size > 0) this.followedIds = layout.renditions.map((r) => r.id).filter((id) => wanted.length === 0 || wanted.includes(id));
    if (present.size > 0) {
      // A rendition that is no longer part of the layout stops being followed (its state stays
      // saved) and is ended, or manifest would list it in the master for ever.
      for (const [id, t] of this.tracked) {
        if (present.has(id)) continue;
        t.tracker.cancelTimers();
        this.tracked.delete(id);
        this.byPlaylist.delete(t.source.playlistPath);
        this.problems.clear(`rendition:${id}`);
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
        followed: () => this.followedIds,
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
          // Each one is news: the tracker already reports a lasting problem only once.
          this.problems.raise(key, err);
          this.handlers.onError(err, msg);
          this.publishStatus();
        },
        recovered: () => this.clearProblem(key),
        changed: () => this.store.save(this.state),
        journal: () => this.journal(),
        receiptsExpected: this.options.receiptsExpected,
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
    inBackground(work, (err) =>
      this.handlers.onError(
        err instanceof RelaycastError ? err : new RelaycastError('E_WATCH_INTERNAL', err instanceof Error ? err.message : String(err), { cause: err }),
      ),
    );
  }

  /** Reports a problem (by key: folder, layout, watch, state) once until it clears: a tick every second must not repeat it. */
  private raiseProblem(key: string, err: RelaycastError): void {
    if (this.problems.raise(key, err)) this.handlers.onError(err);
    this.publishStatus();
  }

  /** The problem under this key is over: the status drops it. */
  private clearProblem(key: string): void {
    if (this.problems.clear(key)) this.publishStatus();
  }

  private publishStatus(): void {
    const status = this.status;
    const fingerprint = JSON.stringify(status);
    if (fingerprint === this.lastStatus) return;
    this.lastStatus = fingerprint;
    this.handlers.onStatus?.(status);
  }
}
