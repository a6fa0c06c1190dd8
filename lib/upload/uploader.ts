/**
 * The upload pipeline behind relaycast-r2-upload, free of Node-RED. Its seams, each in its file:
 * - the retrying put (./retrying-put.ts): bounded concurrency (PrioritySlots), Content-MD5 and the
 *   ETag check, a per-attempt deadline that really aborts the request (deadline-aware, with hedged
 *   twins), retries with backoff and jitter for retryable failures only;
 * - ordered release (./release-lanes.ts): per rendition, results leave in input order, a slow upload
 *   holds back later ones and is never overtaken; a failed segment is released as a failure in its
 *   place, so the caller emits a gap there instead of a URL to a missing object; files with a key
 *   (playlists …) are uploaded one at a time per key, in order, because a late older version must
 *   never overwrite a newer one;
 * - the init cache (./init-cache.ts): init sections uploaded once per session and rendition, before
 *   the first segment that needs them, and forgotten oldest first past a bound.
 * Here:
 * - cleanup from its own index (RetentionIndex), never by listing the bucket, never of a key a
 *   playlist still lists (PlaylistListings); the index is saved through `retentionState`, so a
 *   restart still deletes what the previous run stored;
 * - backpressure: the backlog (taken, not yet released) is bounded by count and bytes; past either
 *   bound a new upload is shed at once (E_UPLOAD_OVERLOADED, released in its place like any
 *   failure, its bytes dropped), so a slow store costs segments, never all of the memory;
 * - close(): lets in-flight uploads finish within a deadline, then aborts them; an aborted upload is
 *   released as a failure, never as stored.
 */
import { setMaxListeners } from 'node:events';
import { contentTypeFor } from '../hls/content-types';
import { RelaycastError, toRelaycastError } from '../errors';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { emptyCounters, type UploadCounters } from './counters';
import { InitCache } from './init-cache';
import type { ObjectJob, PartJob, SegmentJob, UploadJob } from './input';
import { initKey, normalizeKeyPrefix, objectKey, partKey, publicUrl, segmentKey } from './keys';
import type { ObjectStore } from './object-store';
import { ReleaseLanes } from './release-lanes';
import { RetentionIndex, systemClock, type Clock, type RetentionOptions } from './retention';
import { RetryingPut } from './retrying-put';
import { PrioritySlots } from './slots';

export const DEFAULT_SEGMENT_CACHE_CONTROL = 'public, max-age=31536000, immutable';
export const DEFAULT_OBJECT_CACHE_CONTROL = 'no-cache';
export const DEFAULT_MAX_QUEUED_JOBS = 256;
export const DEFAULT_MAX_QUEUED_BYTES = 256 * 1024 * 1024;

export interface UploaderOptions {
  store: ObjectStore;
  publicBaseUrl: string;
  keyPrefix?: string;
  /** Parallel PUT attempts; default 4. */
  concurrency?: number;
  /** Attempts per object, first one included; default 5. */
  maxAttempts?: number;
  /** Deadline of one attempt, ms; default 10000 (the maximum when deadlineAware). */
  attemptTimeoutMs?: number;
  /**
   * Deadline-aware attempts (PutTimings): each attempt's deadline follows the recent PUT times
   * (4 × p95, at least 2 s, at most attemptTimeoutMs) and a late attempt gets a hedged twin
   * (after 2 × p95, at least 500 ms); the first answer wins. Default false; the node turns it on.
   */
  deadlineAware?: boolean;
  backoff?: BackoffOptions;
  /** Cache-Control of media segments and init sections (immutable keys). */
  segmentCacheControl?: string;
  /** Cache-Control of files with a key (playlists …) unless the msg sets msg.cacheControl. */
  objectCacheControl?: string;
  /** Backlog bound by count (uploads taken and not yet released); default 256 (the byte bound is the one that protects memory). */
  maxQueuedJobs?: number;
  /** Backlog bound by the bytes those uploads hold; default 256 MiB. */
  maxQueuedBytes?: number;
  /** Init sections remembered as stored (one per session and rendition); default 256, oldest forgotten first. */
  maxCachedInits?: number;
  /** Check the stored object's ETag against the body's MD5; default true. */
  verifyEtag?: boolean;
  retention?: RetentionOptions;
  /** Where the retention index is kept between runs (r2-upload: a file in userDir). */
  retentionState?: { load(): unknown; save(value: unknown): void };
  clock?: Clock;
  random?: () => number;
  /** Scrubs secrets from any text the uploader produces (error messages). */
  redact?: (text: string) => string;
  /** Told of an unexpected failure in work no caller awaits (bookkeeping after a PUT). */
  reportError?: (err: RelaycastError) => void;
  /**
   * Told once, before the first deletion that only the Keep rule allowed: no manifest of this
   * pipeline reports what its playlists list (it may run in another pipeline or Node-RED, where it
   * cannot guard its keys), so a window or DVR longer than Keep would get 404s.
   */
  warnUnguardedCleanup?: (message: string) => void;
}

export interface StoredObjectInfo {
  key: string;
  url: string;
  /** Attempts used for this object (1 = stored at the first try). */
  attempts: number;
}

export interface UploadReport {
  /** Attempts for the msg's main object (segment or file); 0 for pass-through msgs. */
  attempts: number;
  retries: number;
  /** ms from submit to release, including time held back behind earlier segments. */
  elapsedMs: number;
  /** The init section: uploaded by this msg (true) or already stored earlier (false). */
  initUploaded?: boolean;
  counters: UploadCounters;
}

export type UploadOutcome =
  | { status: 'stored'; kind: 'segment'; object: StoredObjectInfo; init?: StoredObjectInfo; report: UploadReport }
  | { status: 'stored'; kind: 'object'; object: StoredObjectInfo; report: UploadReport }
  | { status: 'stored'; kind: 'part'; object: StoredObjectInfo; report: UploadReport }
  | { status: 'passed'; report: UploadReport }
  | { status: 'failed'; error: RelaycastError; report: UploadReport };

/** An outcome before its report is attached (Omit over each member of the union). */
type RunResult = (UploadOutcome extends infer O ? (O extends unknown ? Omit<O, 'report'> : never) : never) & {
  attempts: number;
  retries: number;
  initUploaded?: boolean;
  alreadyStored?: boolean;
};

const NO_BYTES = Buffer.alloc(0);

/** The retention lane of a rendition's parts. */
function partsLane(lane: string): string {
  return `${lane}\u0000parts`;
}

/** Bytes a job keeps in memory until it is released: its body and its init section. */
function bytesHeldBy(job: UploadJob): number {
  if (job.kind === 'pass') return 0;
  return job.body.length + (job.kind === 'segment' && job.init ? job.init.bytes.length : 0);
}

function withoutBytes(job: UploadJob): UploadJob {
  if (job.kind === 'pass') return job;
  if (job.kind === 'object' || job.kind === 'part') return { ...job, body: NO_BYTES };
  return { ...job, body: NO_BYTES, init: undefined };
}

export class Uploader {
  readonly counters: UploadCounters = emptyCounters();
  private readonly store: ObjectStore;
  private readonly prefix: string;
  private readonly publicBaseUrl: string;
  private readonly attemptTimeoutMs: number;
  private readonly segmentCacheControl: string;
  private readonly objectCacheControl: string;
  private readonly maxQueuedJobs: number;
  private readonly maxQueuedBytes: number;
  private readonly redact: (text: string) => string;
  private readonly reportError: (err: RelaycastError) => void;
  private readonly retention: RetentionIndex;
  private readonly retentionState: UploaderOptions['retentionState'];
  private readonly warnUnguardedCleanup: UploaderOptions['warnUnguardedCleanup'];
  private warnedUnguarded = false;
  private readonly closeController = new AbortController();
  private readonly putter: RetryingPut;
  private readonly lanes = new ReleaseLanes();
  private readonly inits: InitCache;
  private nextPriority = 0;
  private closing = false;
  private sweeping: Promise<void> | undefined;

  constructor(options: UploaderOptions) {
    this.store = options.store;
    this.prefix = normalizeKeyPrefix(options.keyPrefix);
    if (!/^https?:\/\/[^/]/.test(options.publicBaseUrl ?? '')) throw new RelaycastError('E_UPLOAD_CONFIG', 'public base URL must be an http(s) URL');
    this.publicBaseUrl = options.publicBaseUrl.replace(/\/+$/, '');
    this.attemptTimeoutMs = Math.max(1, options.attemptTimeoutMs ?? 10_000);
    this.segmentCacheControl = options.segmentCacheControl || DEFAULT_SEGMENT_CACHE_CONTROL;
    this.objectCacheControl = options.objectCacheControl || DEFAULT_OBJECT_CACHE_CONTROL;
    this.inits = new InitCache(Math.max(1, Math.floor(options.maxCachedInits ?? 256)));
    this.maxQueuedJobs = Math.max(1, Math.floor(options.maxQueuedJobs ?? DEFAULT_MAX_QUEUED_JOBS));
    this.maxQueuedBytes = Math.max(1, options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES);
    this.redact = options.redact ?? ((text) => text);
    this.putter = new RetryingPut({
      store: this.store,
      slots: new PrioritySlots(options.concurrency ?? 4),
      counters: this.counters,
      signal: this.closeController.signal,
      maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? 5)),
      attemptTimeoutMs: this.attemptTimeoutMs,
      deadlineAware: options.deadlineAware ?? false,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      verifyEtag: options.verifyEtag ?? true,
      random: options.random ?? Math.random,
      redact: this.redact,
    });
    this.reportError = options.reportError ?? (() => undefined);
    this.retention = new RetentionIndex(options.retention ?? {}, options.clock ?? systemClock);
    this.retentionState = options.retentionState;
    this.warnUnguardedCleanup = options.warnUnguardedCleanup;
    // A damaged index costs only cleanup (the bucket's lifecycle rule is the safety net): report, go on.
    try {
      const saved = this.retentionState?.load();
      if (saved !== undefined) this.retention.restore(saved);
    } catch (err) {
      this.reportError(toRelaycastError(err, 'E_UPLOAD_STATE'));
    }
    // Every attempt, backoff wait and slot waiter listens to this one signal (each removes its
    // listener when done), so the count legitimately exceeds Node's default warning threshold.
    setMaxListeners(0, this.closeController.signal);
  }

  /** The deadline the next attempt gets, ms. */
  get attemptTimeoutMsNow(): number {
    return this.putter.attemptTimeoutMsNow;
  }

  /** After how long a running attempt gets a hedged twin, ms; undefined when it will not. */
  get hedgeAfterMs(): number | undefined {
    return this.putter.hedgeAfterMs;
  }

  /** Init sections currently remembered as stored or being stored. */
  get cachedInits(): number {
    return this.inits.size;
  }

  /**
   * Uploads what the job carries and calls `release` with the outcome, in input order per lane
   * (synchronously, so a caller that sends inside it keeps that order). Never rejects. When the
   * backlog is full the job is shed: `onShed` is called at once (so the caller can drop the bytes
   * it holds too) and the job is released, in its place, as an E_UPLOAD_OVERLOADED failure.
   */
  submit(submitted: UploadJob, release: (outcome: UploadOutcome) => void, onShed?: () => void): Promise<UploadOutcome> {
    const started = performance.now();
    const priority = this.nextPriority++;
    const bytes = bytesHeldBy(submitted);
    const shed = this.mustShed(submitted, bytes);
    // A shed job keeps its place in the lane but not its bytes.
    const job: UploadJob = shed ? withoutBytes(submitted) : submitted;
    let work: () => Promise<RunResult>;
    if (shed) {
      this.counters.shed += 1;
      const result: RunResult = { status: 'failed', error: this.overloaded(), attempts: 0, retries: 0 };
      work = () => Promise.resolve(result);
      try {
        onShed?.();
      } catch {
        /* the caller's problem must not break the lane */
      }
    } else {
      if (job.kind !== 'pass') {
        this.counters.queued += 1;
        this.counters.queuedBytes += bytes;
      }
      work = () => this.run(job, priority);
    }
    return this.lanes.add(job.lane, work, !shed && job.kind === 'object', (result) => {
      if (!shed && job.kind !== 'pass') {
        this.counters.queued -= 1;
        this.counters.queuedBytes -= bytes;
      }
      const report: UploadReport = {
        attempts: result.attempts,
        retries: result.retries,
        elapsedMs: performance.now() - started,
        ...(result.initUploaded === undefined ? {} : { initUploaded: result.initUploaded }),
        counters: { ...this.counters },
      };
      const outcome = { ...result, report } as UploadOutcome;
      if (outcome.status === 'stored' && outcome.kind === 'part' && job.kind === 'part') {
        // Parts age out in a lane of their own: counted with the segments, they would shorten the segments' Keep.
        try {
          this.retention.recordSegment(partsLane(job.lane), { key: outcome.object.key, durationSec: job.part.duration });
          this.saveRetention();
        } catch (err) {
          this.reportError(toRelaycastError(err, 'E_UPLOAD_INTERNAL'));
        }
      }
      if (outcome.status === 'stored' && outcome.kind === 'segment' && job.kind === 'segment' && !result.alreadyStored) {
        // The object is stored whatever happens here; a bookkeeping bug must not hold the release.
        try {
          this.retention.recordSegment(job.lane, { key: outcome.object.key, durationSec: job.segment.duration, initKey: outcome.init?.key });
          this.saveRetention();
        } catch (err) {
          this.reportError(toRelaycastError(err, 'E_UPLOAD_INTERNAL'));
        }
      }
      try {
        release(outcome);
      } catch {
        /* the caller's problem must not break the lane */
      }
      return outcome;
    });
  }

  /** Past either backlog bound, except that an empty backlog always takes one (however large). */
  private mustShed(job: UploadJob, bytes: number): boolean {
    if (job.kind === 'pass' || this.closing || this.counters.queued === 0) return false;
    return this.counters.queued + 1 > this.maxQueuedJobs || this.counters.queuedBytes + bytes > this.maxQueuedBytes;
  }

  private overloaded(): RelaycastError {
    return new RelaycastError(
      'E_UPLOAD_OVERLOADED',
      `the store is not keeping up: ${this.counters.queued} uploads ` +
        `(${(this.counters.queuedBytes / 1e6).toFixed(1)} MB) already wait, so this one was dropped`,
    );
  }

  private async run(job: UploadJob, priority: number): Promise<RunResult> {
    if (job.kind === 'pass') return { status: 'passed', attempts: 0, retries: 0 };
    if (this.closing) {
      return { status: 'failed', error: new RelaycastError('E_UPLOAD_CLOSED', 'the uploader is closing; nothing was uploaded'), attempts: 0, retries: 0 };
    }
    this.counters.inFlight += 1;
    try {
      if (job.kind === 'part') return await this.runPart(job, priority);
      return job.kind === 'segment' ? await this.runSegment(job, priority) : await this.runObject(job, priority);
    } finally {
      this.counters.inFlight -= 1;
    }
  }

  private async runSegment(job: SegmentJob, priority: number): Promise<RunResult> {
    const segment = job.segment;
    let init: StoredObjectInfo | undefined;
    let initUploaded: boolean | undefined;
    let key: string;
    try {
      key = segmentKey(this.prefix, segment);
      const stored = segment.redelivered === true ? this.alreadyStored(key, job) : undefined;
      if (stored) return stored;
      if (job.init) {
        const iKey = initKey(this.prefix, segment, job.init);
        const initBytes = job.init;
        // Just ahead of its segment in the slot queue: the segment cannot be stored usefully before it.
        const { upload, started } = this.inits.once(iKey, () =>
          this.putter.put(
            {
              key: iKey,
              body: initBytes.bytes,
              contentType: initBytes.contentType || contentTypeFor(initBytes.uri),
              cacheControl: this.segmentCacheControl,
            },
            priority - 0.5,
          ),
        );
        initUploaded = started;
        const stored = await upload;
        init = { key: iKey, url: publicUrl(this.publicBaseUrl, iKey), attempts: stored.attempts };
      }
    } catch (err) {
      const error = err instanceof RelaycastError ? err : new RelaycastError('E_UPLOAD', 'init section upload failed', { cause: err });
      return { status: 'failed' as const, error: this.wrapInitError(error), attempts: 0, retries: 0, initUploaded };
    }
    try {
      const stored = await this.putter.put(
        {
          key,
          body: job.body,
          contentType: segment.contentType || contentTypeFor(segment.uri),
          cacheControl: this.segmentCacheControl,
        },
        priority,
      );
      return {
        status: 'stored' as const,
        kind: 'segment' as const,
        object: { key, url: publicUrl(this.publicBaseUrl, key), attempts: stored.attempts },
        init,
        attempts: stored.attempts,
        retries: stored.attempts - 1,
        initUploaded,
      };
    } catch (err) {
      const failure = err as RelaycastError & { attempts?: number };
      return { status: 'failed' as const, error: failure, attempts: failure.attempts ?? 0, retries: Math.max(0, (failure.attempts ?? 1) - 1), initUploaded };
    }
  }

  /**
   * hls-watch sent this segment again because manifest never confirmed it (a crash or a redeploy
   * after the upload; lib/pipeline/delivery-receipts.ts). If the index, persisted across runs, holds its key,
   * the object is there: it is released again with its URL, without a second PUT or index entry.
   * Not in the index (stored but not yet saved, or Keep all): PUT again under the same immutable
   * key, which stores the same bytes, not a new object.
   */
  private alreadyStored(key: string, job: SegmentJob): RunResult | undefined {
    if (!this.retention.holds(key)) return undefined;
    const iKey = job.init ? initKey(this.prefix, job.segment, job.init) : undefined;
    return {
      status: 'stored',
      kind: 'segment',
      object: { key, url: publicUrl(this.publicBaseUrl, key), attempts: 0 },
      ...(iKey ? { init: { key: iKey, url: publicUrl(this.publicBaseUrl, iKey), attempts: 0 }, initUploaded: false } : {}),
      attempts: 0,
      retries: 0,
      alreadyStored: true,
    };
  }

  private wrapInitError(error: RelaycastError): RelaycastError {
    return new RelaycastError(error.code, this.redact(`init section not stored, segment skipped: ${error.message}`), { cause: error });
  }

  /** A part: stored once under its own immutable key, like a segment (no init: parts are MPEG-TS here). */
  private runPart(job: PartJob, priority: number): Promise<RunResult> {
    const contentType = job.part.contentType || contentTypeFor(job.part.uri);
    return this.putOne(
      'part',
      () => partKey(this.prefix, job.part),
      job.body,
      () => contentType,
      this.segmentCacheControl,
      priority,
    );
  }

  private runObject(job: ObjectJob, priority: number): Promise<RunResult> {
    const contentTypeOf = (key: string) => job.contentType || contentTypeFor(key);
    return this.putOne('object', () => objectKey(this.prefix, job.key), job.body, contentTypeOf, job.cacheControl || this.objectCacheControl, priority);
  }

  /** One PUT under the key `keyOf` derives (it may refuse the key: that fails the job, not the lane). */
  private async putOne(
    kind: 'part' | 'object',
    keyOf: () => string,
    body: Buffer,
    contentTypeOf: (key: string) => string,
    cacheControl: string,
    priority: number,
  ): Promise<RunResult> {
    try {
      const key = keyOf();
      const stored = await this.putter.put({ key, body, contentType: contentTypeOf(key), cacheControl }, priority);
      return {
        status: 'stored' as const,
        kind,
        object: { key, url: publicUrl(this.publicBaseUrl, key), attempts: stored.attempts },
        attempts: stored.attempts,
        retries: stored.attempts - 1,
      };
    } catch (err) {
      const failure = err as RelaycastError & { attempts?: number };
      return { status: 'failed' as const, error: failure, attempts: failure.attempts ?? 0, retries: Math.max(0, (failure.attempts ?? 1) - 1) };
    }
  }

  /**
   * Deletes the objects whose availability period has passed. Cheap when nothing is due; never
   * lists the bucket. Concurrent calls share one sweep.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.runSweep().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private saveRetention(): void {
    this.retentionState?.save(this.retention.snapshot());
  }

  private async runSweep(): Promise<void> {
    const tried = new Set<string>();
    // Loop: deleting a segment may release its init section, which is then due at once.
    for (let keys = this.retention.due(); keys.length > 0; keys = this.retention.due(tried)) {
      if (!this.retention.guardedByPlaylists && !this.warnedUnguarded) {
        this.warnedUnguarded = true;
        this.warnUnguardedCleanup?.(
          `cleanup deletes by its Keep count alone: no relaycast-manifest in this pipeline reports what its playlists list. If a manifest in another pipeline or Node-RED serves this stream with a window or DVR longer than Keep, its players get 404s: turn on Keep all, or raise Keep above that window.`,
        );
      }
      for (const key of keys) {
        tried.add(key);
        if (this.closeController.signal.aborted) {
          this.retention.deleteFailed(key);
          continue;
        }
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), this.attemptTimeoutMs);
        try {
          await this.store.delete(key, controller.signal);
          this.counters.deletes += 1;
          this.retention.deleted(key);
          this.saveRetention();
        } catch {
          this.counters.deleteFailures += 1;
          this.retention.deleteFailed(key);
        } finally {
          clearTimeout(timer);
        }
      }
    }
  }

  /**
   * Stops taking work, waits up to `timeoutMs` for uploads in flight, then aborts the rest (they are
   * released as E_UPLOAD_ABORTED failures, never as stored).
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    const pending = this.lanes.whenReleased();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, timeoutMs));
    });
    await Promise.race([pending, timedOut]);
    clearTimeout(timer);
    this.closeController.abort();
    await pending;
    await this.sweeping;
  }
}
