/**
 * The upload pipeline behind relaycast-r2-upload, free of Node-RED:
 * - bounded concurrency (PrioritySlots), a per-attempt deadline that really aborts the request,
 *   retries with exponential backoff and jitter for retryable failures only;
 * - Content-MD5 on every PUT and an ETag check of what was stored (for a single PUT the ETag is the
 *   MD5 of the body on R2, plain S3 and s3rver, but not with SSE-KMS or an encrypted MinIO, hence
 *   `verifyEtag: false`); a mismatch fails the object at once, without retries;
 * - per-rendition ordered release: results leave in input order, a slow upload holds back later
 *   ones and is never overtaken; a failed segment is released as a failure in its place, so the
 *   caller emits a gap there instead of a URL to a missing object;
 * - init sections uploaded once per session and rendition, before the first segment that needs them;
 * - files with a key (playlists …) are uploaded one at a time per key, in order, because a late
 *   older version must never overwrite a newer one;
 * - cleanup from its own index (RetentionIndex), never by listing the bucket, never of a key a
 *   playlist still lists (PlaylistListings); the index is saved through `retentionState`, so a
 *   restart still deletes what the previous run stored;
 * - backpressure: the backlog (taken, not yet released) is bounded by count and bytes; past either
 *   bound a new upload is shed at once (E_UPLOAD_OVERLOADED, released in its place like any
 *   failure, its bytes dropped), so a slow store costs segments, never all of the memory;
 * - close(): lets in-flight uploads finish within a deadline, then aborts them; an aborted upload is
 *   released as a failure, never as stored.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { contentTypeFor } from '../contracts';
import { RelaycastError, toRelaycastError } from '../errors';
import { DEFAULT_BACKOFF, backoffDelayMs, type BackoffOptions } from './backoff';
import { emptyCounters, type UploadCounters } from './counters';
import { classifyStoreError, type Failure } from './failure';
import type { ObjectJob, SegmentJob, UploadJob } from './input';
import { initKey, normalizeKeyPrefix, objectKey, publicUrl, segmentKey } from './keys';
import type { ObjectStore, PutRequest, PutResult } from './object-store';
import { PutTimings } from './put-timings';
import { RetentionIndex, systemClock, type Clock, type RetentionOptions } from './retention';
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
  | { status: 'passed'; report: UploadReport }
  | { status: 'failed'; error: RelaycastError; report: UploadReport };

interface Lane {
  releaseTail: Promise<void>;
  workTail: Promise<void>;
  pending: number;
}

interface PutSuccess { attempts: number }

/** An outcome before its report is attached (Omit over each member of the union). */
type RunResult = (UploadOutcome extends infer O ? (O extends unknown ? Omit<O, 'report'> : never) : never)
  & { attempts: number; retries: number; initUploaded?: boolean; alreadyStored?: boolean };

const noop = (): void => undefined;
/** An attempt sends at most its PUT and two hedged twins. */
const MAX_REQUESTS_PER_ATTEMPT = 3;
const NO_BYTES = Buffer.alloc(0);

/** Bytes a job keeps in memory until it is released: its body and its init section. */
function bytesHeldBy(job: UploadJob): number {
  if (job.kind === 'pass') return 0;
  return job.body.length + (job.kind === 'segment' && job.init ? job.init.bytes.length : 0);
}

function withoutBytes(job: UploadJob): UploadJob {
  if (job.kind === 'pass') return job;
  if (job.kind === 'object') return { ...job, body: NO_BYTES };
  return { ...job, body: NO_BYTES, init: undefined };
}

export class Uploader {
  readonly counters: UploadCounters = emptyCounters();
  private readonly store: ObjectStore;
  private readonly prefix: string;
  private readonly publicBaseUrl: string;
  private readonly slots: PrioritySlots;
  private readonly maxAttempts: number;
  private readonly attemptTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly segmentCacheControl: string;
  private readonly objectCacheControl: string;
  private readonly verifyEtag: boolean;
  private readonly deadlineAware: boolean;
  private readonly timings = new PutTimings();
  private readonly maxQueuedJobs: number;
  private readonly maxQueuedBytes: number;
  private readonly random: () => number;
  private readonly redact: (text: string) => string;
  private readonly reportError: (err: RelaycastError) => void;
  private readonly retention: RetentionIndex;
  private readonly retentionState: UploaderOptions['retentionState'];
  private readonly lanes = new Map<string, Lane>();
  /** init key → upload in progress or done; a failed one is removed so the next segment retries it. */
  private readonly inits = new Map<string, Promise<PutSuccess>>();
  private readonly maxCachedInits: number;
  private readonly closeController = new AbortController();
  private readonly inFlightJobs = new Set<Promise<unknown>>();
  private nextPriority = 0;
  private closing = false;
  private sweeping: Promise<void> | undefined;

  constructor(options: UploaderOptions) {
    this.store = options.store;
    this.prefix = normalizeKeyPrefix(options.keyPrefix);
    if (!/^https?:\/\/[^/]/.test(options.publicBaseUrl ?? '')) throw new RelaycastError('E_UPLOAD_CONFIG', 'public base URL must be an http(s) URL');
    this.publicBaseUrl = options.publicBaseUrl.replace(/\/+$/, '');
    this.slots = new PrioritySlots(options.concurrency ?? 4);
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 5));
    this.attemptTimeoutMs = Math.max(1, options.attemptTimeoutMs ?? 10_000);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.segmentCacheControl = options.segmentCacheControl || DEFAULT_SEGMENT_CACHE_CONTROL;
    this.objectCacheControl = options.objectCacheControl || DEFAULT_OBJECT_CACHE_CONTROL;
    this.verifyEtag = options.verifyEtag ?? true;
    this.maxCachedInits = Math.max(1, Math.floor(options.maxCachedInits ?? 256));
    this.deadlineAware = options.deadlineAware ?? false;
    this.maxQueuedJobs = Math.max(1, Math.floor(options.maxQueuedJobs ?? DEFAULT_MAX_QUEUED_JOBS));
    this.maxQueuedBytes = Math.max(1, options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES);
    this.random = options.random ?? Math.random;
    this.redact = options.redact ?? ((text) => text);
    this.reportError = options.reportError ?? (() => undefined);
    this.retention = new RetentionIndex(options.retention ?? {}, options.clock ?? systemClock);
    this.retentionState = options.retentionState;
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
    return this.deadlineAware ? this.timings.attemptTimeoutMs(this.attemptTimeoutMs) : this.attemptTimeoutMs;
  }

  /** After how long a running attempt gets a hedged twin, ms; undefined when it will not. */
  get hedgeAfterMs(): number | undefined {
    return this.deadlineAware ? this.timings.hedgeAfterMs() : undefined;
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
    const lane = this.laneFor(submitted);
    lane.pending += 1;
    const priority = this.nextPriority++;
    const bytes = bytesHeldBy(submitted);
    const shed = this.mustShed(submitted, bytes);
    // A shed job keeps its place in the lane but not its bytes.
    const job: UploadJob = shed ? withoutBytes(submitted) : submitted;
    const serial = job.kind === 'object';
    let work: Promise<RunResult>;
    if (shed) {
      this.counters.shed += 1;
      work = Promise.resolve({ status: 'failed' as const, error: this.overloaded(), attempts: 0, retries: 0 });
      try { onShed?.(); } catch { /* the caller's problem must not break the lane */ }
    } else {
      if (job.kind !== 'pass') {
        this.counters.queued += 1;
        this.counters.queuedBytes += bytes;
      }
      work = serial ? lane.workTail.then(() => this.run(job, priority)) : this.run(job, priority);
      if (serial) lane.workTail = work.then(noop, noop);
    }
    const previousRelease = lane.releaseTail;
    const released = Promise.all([work, previousRelease]).then(([result]) => {
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
      if (outcome.status === 'stored' && outcome.kind === 'segment' && job.kind === 'segment' && !result.alreadyStored) {
        // The object is stored whatever happens here; a bookkeeping bug must not hold the release.
        try {
          this.retention.recordSegment(job.lane, { key: outcome.object.key, durationSec: job.segment.duration, initKey: outcome.init?.key });
          this.saveRetention();
        } catch (err) {
          this.reportError(toRelaycastError(err, 'E_UPLOAD_INTERNAL'));
        }
      }
      lane.pending -= 1;
      if (lane.pending === 0) this.lanes.delete(job.lane);
      try { release(outcome); } catch { /* the caller's problem must not break the lane */ }
      return outcome;
    });
    lane.releaseTail = released.then(noop, noop);
    this.inFlightJobs.add(released);
    // then(f, f), not finally(): finally() would pass a rejection on to a promise nobody handles.
    const forget = (): void => { this.inFlightJobs.delete(released); };
    released.then(forget, forget);
    return released;
  }

  /** Past either backlog bound, except that an empty backlog always takes one (however large). */
  private mustShed(job: UploadJob, bytes: number): boolean {
    if (job.kind === 'pass' || this.closing || this.counters.queued === 0) return false;
    return this.counters.queued + 1 > this.maxQueuedJobs || this.counters.queuedBytes + bytes > this.maxQueuedBytes;
  }

  private overloaded(): RelaycastError {
    return new RelaycastError('E_UPLOAD_OVERLOADED', `the store is not keeping up: ${this.counters.queued} uploads `
      + `(${(this.counters.queuedBytes / 1e6).toFixed(1)} MB) already wait, so this one was dropped`);
  }

  private laneFor(job: UploadJob): Lane {
    let lane = this.lanes.get(job.lane);
    if (!lane) {
      lane = { releaseTail: Promise.resolve(), workTail: Promise.resolve(), pending: 0 };
      this.lanes.set(job.lane, lane);
    }
    return lane;
  }

  private async run(job: UploadJob, priority: number): Promise<RunResult> {
    if (job.kind === 'pass') return { status: 'passed', attempts: 0, retries: 0 };
    if (this.closing) {
      return { status: 'failed', error: new RelaycastError('E_UPLOAD_CLOSED', 'the uploader is closing; nothing was uploaded'), attempts: 0, retries: 0 };
    }
    this.counters.inFlight += 1;
    try {
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
        let pending = this.inits.get(iKey);
        initUploaded = pending === undefined;
        if (!pending) {
          pending = this.putWithRetry({
            key: iKey,
            body: job.init.bytes,
            contentType: job.init.contentType || contentTypeFor(job.init.uri),
            cacheControl: this.segmentCacheControl,
          }, priority - 0.5);
          this.inits.set(iKey, pending);
          pending.catch(() => this.inits.delete(iKey));
          // Sessions come and go; forgetting the oldest only costs a repeat PUT of an immutable key.
          while (this.inits.size > this.maxCachedInits) this.inits.delete(this.inits.keys().next().value as string);
        }
        const stored = await pending;
        init = { key: iKey, url: publicUrl(this.publicBaseUrl, iKey), attempts: stored.attempts };
      }
    } catch (err) {
      const error = err instanceof RelaycastError ? err : new RelaycastError('E_UPLOAD', 'init section upload failed', { cause: err });
      return { status: 'failed' as const, error: this.wrapInitError(error), attempts: 0, retries: 0, initUploaded };
    }
    try {
      const stored = await this.putWithRetry({
        key,
        body: job.body,
        contentType: segment.contentType || contentTypeFor(segment.uri),
        cacheControl: this.segmentCacheControl,
      }, priority);
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
   * after the upload; lib/delivery-receipts.ts). If the index, persisted across runs, holds its key,
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

  private async runObject(job: ObjectJob, priority: number): Promise<RunResult> {
    try {
      const key = objectKey(this.prefix, job.key);
      const stored = await this.putWithRetry({
        key,
        body: job.body,
        contentType: job.contentType || contentTypeFor(key),
        cacheControl: job.cacheControl || this.objectCacheControl,
      }, priority);
      return {
        status: 'stored' as const,
        kind: 'object' as const,
        object: { key, url: publicUrl(this.publicBaseUrl, key), attempts: stored.attempts },
        attempts: stored.attempts,
        retries: stored.attempts - 1,
      };
    } catch (err) {
      const failure = err as RelaycastError & { attempts?: number };
      return { status: 'failed' as const, error: failure, attempts: failure.attempts ?? 0, retries: Math.max(0, (failure.attempts ?? 1) - 1) };
    }
  }

  /** Stores one object, retrying retryable failures; throws a RelaycastError carrying `attempts`. */
  private async putWithRetry(request: Omit<PutRequest, 'contentMd5'>, priority: number): Promise<PutSuccess> {
    const md5 = createHash('md5').update(request.body).digest();
    const put: PutRequest = { ...request, contentMd5: md5.toString('base64') };
    const expectedEtag = md5.toString('hex');
    let lastFailure: Failure | undefined;
    let attemptsUsed = 0;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      if (attempt > 1) {
        this.counters.retries += 1;
        const waited = await this.sleep(backoffDelayMs(attempt - 1, this.backoff, this.random));
        if (!waited) { lastFailure = classifyStoreError(undefined, { timedOut: false, closing: true }); break; }
      }
      try {
        await this.slots.acquire(priority, this.closeController.signal);
      } catch {
        lastFailure = classifyStoreError(undefined, { timedOut: false, closing: true });
        break;
      }
      const attemptController = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; attemptController.abort(); }, this.attemptTimeoutMsNow);
      const onClose = (): void => attemptController.abort();
      this.closeController.signal.addEventListener('abort', onClose, { once: true });
      attemptsUsed = attempt;
      try {
        this.counters.puts += 1;
        const result = await this.putHedged(put, attemptController.signal);
        if (this.verifyEtag && result.etag !== expectedEtag) {
          throw Object.assign(new Error(`stored object's ETag ${result.etag ?? '(none)'} is not the MD5 of the body `
            + '(an encrypted store, e.g. SSE-KMS, does this: turn off "Verify ETag"; Content-MD5 still guards the body)'), { code: 'E_UPLOAD_VERIFY' });
        }
        this.counters.bytes += put.body.length;
        this.counters.stored += 1;
        return { attempts: attempt };
      } catch (err) {
        this.counters.failedAttempts += 1;
        lastFailure = classifyStoreError(err, { timedOut, closing: this.closeController.signal.aborted });
        if (!lastFailure.retryable) break;
      } finally {
        clearTimeout(timer);
        this.closeController.signal.removeEventListener('abort', onClose);
        this.slots.release();
      }
    }
    this.counters.failures += 1;
    const failure = lastFailure ?? classifyStoreError(undefined, { timedOut: false, closing: true });
    const code = failure.retryable ? 'E_UPLOAD' : failure.code;
    const message = failure.retryable
      ? `could not store ${put.key} after ${attemptsUsed} attempts (last: ${failure.reason})`
      : `could not store ${put.key}: ${failure.reason}`;
    const error = new RelaycastError(code, this.redact(message)) as RelaycastError & { attempts?: number; reason?: string };
    error.attempts = attemptsUsed;
    error.reason = failure.code;
    throw error;
  }

  /**
   * One attempt: a PUT, plus a hedged twin of it once it runs later than hedgeAfterMs (an
   * identical PUT of an immutable key is safe to repeat). The first success wins and aborts the
   * other; the attempt fails only when every request it started has failed. Times the winner.
   */
  private putHedged(put: PutRequest, signal: AbortSignal): Promise<PutResult> {
    const hedgeAfter = this.hedgeAfterMs;
    return new Promise<PutResult>((resolve, reject) => {
      const controllers: AbortController[] = [];
      let running = 0;
      let settled = false;
      let firstError: unknown;
      let hedgeTimer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        settled = true;
        clearTimeout(hedgeTimer);
      };
      const launch = (): void => {
        const controller = new AbortController();
        controllers.push(controller);
        const onAbort = (): void => controller.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        running += 1;
        const started = performance.now();
        this.store.put(put, controller.signal).then((result) => {
          if (settled) return;
          finish();
          this.timings.record(performance.now() - started);
          for (const other of controllers) if (other !== controller) other.abort();
          resolve(result);
        }, (err: unknown) => {
          running -= 1;
          firstError ??= err;
          if (settled) return;
          // A twin failed while another still runs late (a stall): send the next twin at once,
          // rather than wait for the stalled one's deadline. A failure before any hedge goes to
          // the retry path at once.
          if (running > 0 && controllers.length >= 2 && controllers.length < MAX_REQUESTS_PER_ATTEMPT && !signal.aborted) {
            this.counters.hedges += 1;
            this.counters.puts += 1;
            launch();
            return;
          }
          if (running > 0) return;
          finish();
          reject(firstError);
        }).finally(() => signal.removeEventListener('abort', onAbort));
      };
      launch();
      if (hedgeAfter === undefined) return;
      hedgeTimer = setTimeout(() => {
        hedgeTimer = undefined;
        if (settled || signal.aborted) return;
        this.counters.hedges += 1;
        this.counters.puts += 1;
        launch();
      }, hedgeAfter);
    });
  }

  /** Waits ms unless the uploader is aborted; resolves false when aborted. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.closeController.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true); }, ms);
      const onAbort = (): void => { clearTimeout(timer); resolve(false); };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Deletes the objects whose availability period has passed. Cheap when nothing is due; never
   * lists the bucket. Concurrent calls share one sweep.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.runSweep().finally(() => { this.sweeping = undefined; });
    return this.sweeping;
  }

  private saveRetention(): void {
    this.retentionState?.save(this.retention.snapshot());
  }

  private async runSweep(): Promise<void> {
    const tried = new Set<string>();
    // Loop: deleting a segment may release its init section, which is then due at once.
    for (let keys = this.retention.due(); keys.length > 0; keys = this.retention.due(tried)) {
      for (const key of keys) {
        tried.add(key);
        if (this.closeController.signal.aborted) { this.retention.deleteFailed(key); continue; }
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
    const pending = Promise.all([...this.inFlightJobs]).then(noop);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => { timer = setTimeout(resolve, Math.max(0, timeoutMs)); });
    await Promise.race([pending, timedOut]);
    clearTimeout(timer);
    this.closeController.abort();
    await pending;
    await this.sweeping;
  }
}
