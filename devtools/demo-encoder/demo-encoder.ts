/**
 * Replays a committed HLS fixture into a folder exactly the way a live encoder writes its output:
 * one segment per rendition per tick at the fixture's own pace, the media playlist rewritten
 * through a temp file + rename, a sliding window, old segments deleted soon after they leave the
 * window, EXT-X-ENDLIST on stop, numbering back to 0 on restart. Tests, the demo and benchmarks
 * use it as the "encoder" so they run on real bytes without ffmpeg.
 */
import { EventEmitter } from 'node:events';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RelaycastError } from '../../lib/errors';
import { writeInPlace, writeViaRename } from './file-writes';
import { loadFixture, type FixtureRendition, type LoadedFixture } from './fixture';
import { renderLivePlaylist, segmentNamer, type LiveEntry } from './live-playlist';

/**
 * How files reach the disk:
 * - 'ffmpeg': segment written whole under its final name, then playlist → `<playlist>.tmp` → rename.
 * - 'srs': segment → `<name>.tmp` → rename, then playlist → `<playlist>.temp` → rename.
 * - 'playlist-first': the playlist is renamed first and the segment appears a few ms later (the
 *   order chokidar sometimes reports even for ffmpeg).
 */
export type WriteOrder = 'ffmpeg' | 'srs' | 'playlist-first';

export interface DemoEncoderOptions {
  /** Fixture folder (contains fixture.json). */
  fixture: string;
  /** Output folder (created if missing; per-rendition folders are created as the encoder goes). */
  outDir: string;
  /** 1 = real time (default); 10 = ten times faster; Infinity = no waiting. */
  speed?: number;
  /** Default 'ffmpeg'. */
  writeOrder?: WriteOrder;
  /** Segments listed in the live playlist (default 5, ffmpeg's hls_list_size); 0 = keep all. */
  listSize?: number;
  /** Unreferenced segments kept on disk before deletion (default 1, ffmpeg's hls_delete_threshold). */
  deleteThreshold?: number;
  /** Stop (with ENDLIST) after this many segments per rendition; default: the fixture's length (forever with loop). */
  segments?: number;
  /** Replay the fixture forever; each wrap writes EXT-X-DISCONTINUITY before the repeated first segment. */
  loop?: boolean;
  /** Write EXT-X-ENDLIST on stop (default true). */
  endList?: boolean;
  /**
   * When the master playlist (multi-variant fixtures) appears. 'start' (default): before the first
   * segment. 'first-segment': right after the first tick's media playlists, which is what ffmpeg
   * 5.1 with -master_pl_name was observed to do (a watcher must not require the master at start).
   */
  masterWrittenAt?: 'start' | 'first-segment';
}

export interface WrittenSegment {
  rendition: string;
  /** The encoder's media sequence number (back to 0 on restart). */
  sequence: number;
  /** URI as listed in the playlist (relative to the playlist's folder). */
  uri: string;
  /** Absolute path written. */
  path: string;
  /** Seconds, the fixture's EXTINF. */
  duration: number;
  byteLength: number;
  sha256: string;
  /** True when the playlist carries EXT-X-DISCONTINUITY before it (a loop wrap). */
  discontinuity: boolean;
  /** 1 for the first start, +1 on every restart. */
  session: number;
}

export interface PlaylistWritten {
  rendition: string;
  mediaSequence: number;
  lastSequence: number;
  /** Absolute path of the media playlist. */
  path: string;
  /** process.hrtime.bigint() right after the rename. */
  renamedAt: bigint;
  /** True for the final rewrite that appends EXT-X-ENDLIST. */
  endList: boolean;
}

/** Emitted as 'deleted' when an old segment is unlinked (the encoder's delete_segments). */
export interface SegmentDeleted {
  rendition: string;
  sequence: number;
  path: string;
  session: number;
}

/** How long the playlist-first order leaves the listed segment missing ("a few ms"). */
const PLAYLIST_FIRST_LAG_MS = 3;

type State = 'idle' | 'running' | 'stopped' | 'failed';

interface RenditionRun {
  source: FixtureRendition;
  /** Absolute path of the media playlist and the folder its URIs are relative to. */
  playlistPath: string;
  folder: string;
  nameFor: (sequence: number) => string;
  folderReady: boolean;
  initFilled: boolean;
  window: LiveEntry[];
  discontinuitySequence: number;
  /** This session's segments still on disk, oldest first. */
  onDisk: { sequence: number; path: string }[];
}

interface Session {
  number: number;
  cancelled: boolean;
  /** performance.now() at start: ticks are scheduled against it, so they do not drift. */
  startedAt: number;
  mediaSeconds: number;
  /** Segments written per rendition in this session. */
  count: number;
  /** Wall clock when the segment being produced began: its PROGRAM-DATE-TIME. */
  segmentStartedAt: Date;
  renditions: RenditionRun[];
  done: Promise<void>;
}

function checkOptions(options: DemoEncoderOptions): Required<Omit<DemoEncoderOptions, 'segments'>> & { segments?: number } {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RelaycastError('E_DEMO_OPTIONS', `speed must be > 0 (got ${options.speed})`);
  const listSize = options.listSize ?? 5;
  const deleteThreshold = options.deleteThreshold ?? 1;
  for (const [name, value] of [
    ['listSize', listSize],
    ['deleteThreshold', deleteThreshold],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) throw new RelaycastError('E_DEMO_OPTIONS', `${name} must be an integer ≥ 0 (got ${value})`);
  }
  if (options.segments !== undefined && (!Number.isInteger(options.segments) || options.segments < 1)) {
    throw new RelaycastError('E_DEMO_OPTIONS', `segments must be an integer ≥ 1 (got ${options.segments})`);
  }
  const writeOrder = options.writeOrder ?? 'ffmpeg';
  if (!['ffmpeg', 'srs', 'playlist-first'].includes(writeOrder)) throw new RelaycastError('E_DEMO_OPTIONS', `unknown writeOrder ${writeOrder}`);
  if (!options.fixture || !options.outDir) throw new RelaycastError('E_DEMO_OPTIONS', 'fixture and outDir are required');
  const masterWrittenAt = options.masterWrittenAt ?? 'start';
  if (masterWrittenAt !== 'start' && masterWrittenAt !== 'first-segment')
    throw new RelaycastError('E_DEMO_OPTIONS', `unknown masterWrittenAt ${masterWrittenAt}`);
  return {
    fixture: options.fixture,
    outDir: path.resolve(options.outDir),
    speed,
    writeOrder,
    listSize,
    deleteThreshold,
    segments: options.segments,
    loop: options.loop ?? false,
    endList: options.endList ?? true,
    masterWrittenAt,
  };
}

export class DemoEncoder extends EventEmitter {
  /** Every segment written, in order, across sessions. */
  readonly written: WrittenSegment[] = [];

  private readonly options: ReturnType<typeof checkOptions>;
  private fixture: LoadedFixture | null = null;
  private state: State = 'idle';
  private session: Session | null = null;
  private sessionCount = 0;
  private stopping: Promise<void> | null = null;
  private failure: Error | null = null;
  private finishWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Cancels the pending wait between ticks (stop must not sit out a whole segment duration). */
  private wake: (() => void) | null = null;

  constructor(options: DemoEncoderOptions) {
    super();
    this.options = checkOptions(options);
  }

  /** Starts a session; resolves once the master playlist (and empty fMP4 init files) are on disk. */
  async start(): Promise<void> {
    if (this.state === 'running') return;
    this.fixture ??= await loadFixture(this.options.fixture);
    const fixture = this.fixture;
    await mkdir(this.options.outDir, { recursive: true });
    this.failure = null;
    this.stopping = null;
    this.sessionCount += 1;
    const renditions = fixture.renditions.map((source): RenditionRun => {
      const playlistPath = path.join(this.options.outDir, source.playlist);
      return {
        source,
        playlistPath,
        folder: path.dirname(playlistPath),
        nameFor: segmentNamer(source.segments.map((s) => s.uri)),
        folderReady: false,
        initFilled: false,
        window: [],
        discontinuitySequence: 0,
        onDisk: [],
      };
    });
    if (this.options.masterWrittenAt === 'start') await this.writeMaster();
    for (const run of renditions) {
      // ffmpeg opens (and so truncates) the init file at start and only fills it when the first
      // segment ends: a watcher can find init.mp4 empty.
      if (run.source.init !== null) {
        await this.ensureFolder(run);
        await writeFile(path.join(run.folder, run.source.init), Buffer.alloc(0));
      }
    }
    const session: Session = {
      number: this.sessionCount,
      cancelled: false,
      startedAt: performance.now(),
      mediaSeconds: 0,
      count: 0,
      segmentStartedAt: new Date(),
      renditions,
      done: Promise.resolve(),
    };
    this.session = session;
    this.state = 'running';
    session.done = this.run(session);
  }

  /** Finishes the stream: appends EXT-X-ENDLIST (unless endList is false) and stops every timer. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.state !== 'running') return Promise.resolve();
    this.stopping = (async () => {
      const session = await this.halt();
      if (session && this.options.endList) {
        for (const run of session.renditions) {
          if (run.window.length > 0) await this.writePlaylist(run, true);
        }
      }
      this.state = 'stopped';
      this.settleFinished();
    })().catch((err: unknown) => this.fail(err));
    return this.stopping;
  }

  /**
   * Like an encoder process restart: stops without ENDLIST, then starts again with the media
   * sequence and file numbering back to 0 (same names, overwriting) in a new session.
   */
  async restart(): Promise<void> {
    if (this.stopping) await this.stopping;
    await this.halt();
    this.state = 'idle';
    await this.start();
  }

  /** Resolves when the encoder stopped for good (`segments` written, or stop()); rejects if it failed. */
  finished(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve();
    if (this.state === 'failed') return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.finishWaiters.push({ resolve, reject }));
  }

  /** Cancels the running session and waits for the tick in progress to finish its files. */
  private async halt(): Promise<Session | null> {
    const session = this.session;
    if (!session) return null;
    session.cancelled = true;
    this.wake?.();
    await session.done;
    return session;
  }

  private segmentLimit(): number {
    if (this.options.segments !== undefined) return this.options.segments;
    return this.options.loop ? Infinity : this.fixture!.renditions[0].segments.length;
  }

  private async run(session: Session): Promise<void> {
    try {
      const leader = session.renditions[0].source.segments;
      while (!session.cancelled) {
        if (session.count >= this.segmentLimit()) {
          void this.stop();
          return;
        }
        session.mediaSeconds += leader[session.count % leader.length].duration;
        await this.waitUntil(session.startedAt + (session.mediaSeconds * 1000) / this.options.speed);
        if (session.cancelled) return;
        await this.tick(session);
      }
    } catch (err) {
      session.cancelled = true;
      this.fail(err);
    }
  }

  private waitUntil(at: number): Promise<void> {
    const delay = at - performance.now();
    return new Promise((resolve) => {
      if (!(delay > 0) || !Number.isFinite(delay)) {
        // Still yield to the event loop so watchers and tests see events between ticks.
        const immediate = setImmediate(() => {
          this.wake = null;
          resolve();
        });
        this.wake = () => {
          clearImmediate(immediate);
          this.wake = null;
          resolve();
        };
        return;
      }
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, delay);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** One tick: every rendition gets its next segment, in rendition order. */
  private async tick(session: Session): Promise<void> {
    const programDateTime = session.segmentStartedAt;
    session.segmentStartedAt = new Date();
    for (const run of session.renditions) await this.writeNext(session, run, programDateTime);
    if (session.count === 0 && this.options.masterWrittenAt === 'first-segment') await this.writeMaster();
    session.count += 1;
  }

  /** ffmpeg writes the master in place (no temp file unless temp_file or master_pl_publish_rate). */
  private async writeMaster(): Promise<void> {
    const master = this.fixture?.master;
    if (!master) return;
    const masterPath = path.join(this.options.outDir, master.path);
    await mkdir(path.dirname(masterPath), { recursive: true });
    await writeFile(masterPath, master.text);
  }

  private async writeNext(session: Session, run: RenditionRun, programDateTime: Date): Promise<void> {
    const sequence = session.count;
    const source = run.source.segments[sequence % run.source.segments.length];
    const uri = run.nameFor(sequence);
    const segmentPath = path.join(run.folder, uri);
    const entry: LiveEntry = {
      sequence,
      uri,
      duration: source.duration,
      // Looping jumps back in media time: players must be told (RFC 8216 §4.3.2.3).
      discontinuity: sequence > 0 && sequence % run.source.segments.length === 0,
      programDateTime,
    };
    await this.ensureFolder(run);
    if (run.source.initBytes && !run.initFilled) {
      await this.writeFileAs(path.join(run.folder, run.source.init as string), run.source.initBytes);
      run.initFilled = true;
    }
    run.window.push(entry);
    if (this.options.listSize > 0 && run.window.length > this.options.listSize) {
      const dropped = run.window.shift() as LiveEntry;
      if (dropped.discontinuity) run.discontinuitySequence += 1;
    }
    const written: WrittenSegment = {
      rendition: run.source.id,
      sequence,
      uri,
      path: segmentPath,
      duration: source.duration,
      byteLength: source.bytes.length,
      sha256: source.sha256,
      discontinuity: entry.discontinuity,
      session: session.number,
    };
    if (this.options.writeOrder === 'playlist-first') {
      await this.writePlaylist(run, false);
      await new Promise((resolve) => setTimeout(resolve, PLAYLIST_FIRST_LAG_MS));
      await this.writeFileAs(segmentPath, source.bytes);
      this.announce(written);
    } else {
      await this.writeFileAs(segmentPath, source.bytes);
      this.announce(written);
      await this.writePlaylist(run, false);
    }
    run.onDisk.push({ sequence, path: segmentPath });
    await this.deleteExpired(session, run);
  }

  private announce(segment: WrittenSegment): void {
    this.written.push(segment);
    this.emit('segment', segment);
  }

  /** Media files: 'srs' renames a .tmp, the others write in place (ffmpeg without temp_file). */
  private async writeFileAs(filePath: string, bytes: Buffer): Promise<void> {
    if (this.options.writeOrder === 'srs') await writeViaRename(filePath, `${filePath}.tmp`, bytes);
    else await writeInPlace(filePath, bytes);
  }

  private async writePlaylist(run: RenditionRun, endList: boolean): Promise<void> {
    const header = {
      version: run.source.version,
      targetDuration: run.source.targetDuration,
      independentSegments: run.source.independentSegments,
      init: run.source.init,
    };
    const text = renderLivePlaylist(header, run.window, run.discontinuitySequence, endList);
    // ffmpeg uses `<name>.tmp` for every live playlist written to a file; SRS uses `<name>.temp`.
    const temporary = `${run.playlistPath}${this.options.writeOrder === 'srs' ? '.temp' : '.tmp'}`;
    await writeViaRename(run.playlistPath, temporary, text);
    const renamedAt = process.hrtime.bigint();
    const written: PlaylistWritten = {
      rendition: run.source.id,
      mediaSequence: run.window[0].sequence,
      lastSequence: run.window[run.window.length - 1].sequence,
      path: run.playlistPath,
      renamedAt,
      endList,
    };
    this.emit('playlist', written);
  }

  /** ffmpeg's delete_segments: keep listSize + deleteThreshold of this session's newest segments. */
  private async deleteExpired(session: Session, run: RenditionRun): Promise<void> {
    if (this.options.listSize === 0) return;
    while (run.onDisk.length > this.options.listSize + this.options.deleteThreshold) {
      const oldest = run.onDisk.shift() as { sequence: number; path: string };
      try {
        await unlink(oldest.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const deleted: SegmentDeleted = { rendition: run.source.id, sequence: oldest.sequence, path: oldest.path, session: session.number };
      this.emit('deleted', deleted);
    }
  }

  /** Rendition folders appear only when the encoder first writes into them, as with ffmpeg's %v. */
  private async ensureFolder(run: RenditionRun): Promise<void> {
    if (run.folderReady) return;
    await mkdir(run.folder, { recursive: true });
    run.folderReady = true;
  }

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.state = 'failed';
    this.failure = error;
    if (this.session) this.session.cancelled = true;
    this.wake?.();
    // An 'error' event without a listener would throw from a timer callback and crash the process.
    if (this.listenerCount('error') > 0) this.emit('error', error);
    const waiters = this.finishWaiters.splice(0);
    for (const waiter of waiters) waiter.reject(error);
  }

  private settleFinished(): void {
    const waiters = this.finishWaiters.splice(0);
    for (const waiter of waiters) waiter.resolve();
  }
}
