/**
 * One object stored with retries: Content-MD5 on every PUT and an ETag check of what was stored
 * (for a single PUT the ETag is the MD5 of the body on R2, plain S3 and s3rver, but not with
 * SSE-KMS or an encrypted MinIO, hence `verifyEtag: false`; a mismatch fails at once); a slot from
 * the shared PrioritySlots per attempt; a per-attempt deadline that really aborts the request
 * (deadline-aware: from the recent PUT times, with a hedged twin for a late attempt); exponential
 * backoff with jitter between attempts, for retryable failures only; everything stops when the
 * uploader's close signal fires.
 */
import { createHash } from 'node:crypto';
import { RelaycastError } from '../errors';
import { backoffDelayMs, type BackoffOptions } from './backoff';
import type { UploadCounters } from './counters';
import { classifyStoreError, type Failure } from './failure';
import type { ObjectStore, PutRequest, PutResult } from './object-store';
import { PutTimings } from './put-timings';
import type { PrioritySlots } from './slots';

export interface RetryingPutOptions {
  store: ObjectStore;
  /** Shared by every PUT of the uploader: bounded concurrency, oldest job first. */
  slots: PrioritySlots;
  /** The uploader's counters, updated in place (puts, retries, hedges, failures …). */
  counters: UploadCounters;
  /** The uploader closing: waits end, attempts abort, nothing more is tried. */
  signal: AbortSignal;
  /** Attempts per object, first one included. */
  maxAttempts: number;
  /** Deadline of one attempt, ms (the maximum when deadlineAware). */
  attemptTimeoutMs: number;
  deadlineAware: boolean;
  backoff: BackoffOptions;
  verifyEtag: boolean;
  random: () => number;
  /** Scrubs secrets from error messages. */
  redact: (text: string) => string;
}

export interface PutSuccess {
  /** Attempts used (1 = stored at the first try). */
  attempts: number;
}

/** An attempt sends at most its PUT and two hedged twins. */
const MAX_REQUESTS_PER_ATTEMPT = 3;

export class RetryingPut {
  private readonly timings = new PutTimings();

  constructor(private readonly options: RetryingPutOptions) {}

  /** The deadline the next attempt gets, ms. */
  get attemptTimeoutMsNow(): number {
    return this.options.deadlineAware ? this.timings.attemptTimeoutMs(this.options.attemptTimeoutMs) : this.options.attemptTimeoutMs;
  }

  /** After how long a running attempt gets a hedged twin, ms; undefined when it will not. */
  get hedgeAfterMs(): number | undefined {
    return this.options.deadlineAware ? this.timings.hedgeAfterMs() : undefined;
  }

  /** Stores one object, retrying retryable failures; throws a RelaycastError carrying `attempts`. */
  async put(request: Omit<PutRequest, 'contentMd5'>, priority: number): Promise<PutSuccess> {
    const md5 = createHash('md5').update(request.body).digest();
    const put: PutRequest = { ...request, contentMd5: md5.toString('base64') };
    const expectedEtag = md5.toString('hex');
    let lastFailure: Failure | undefined;
    let attemptsUsed = 0;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt += 1) {
      if (attempt > 1) {
        this.options.counters.retries += 1;
        const waited = await this.sleep(backoffDelayMs(attempt - 1, this.options.backoff, this.options.random));
        if (!waited) {
          lastFailure = classifyStoreError(undefined, { timedOut: false, closing: true });
          break;
        }
      }
      try {
        await this.options.slots.acquire(priority, this.options.signal);
      } catch {
        lastFailure = classifyStoreError(undefined, { timedOut: false, closing: true });
        break;
      }
      const attemptController = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        attemptController.abort();
      }, this.attemptTimeoutMsNow);
      const onClose = (): void => attemptController.abort();
      this.options.signal.addEventListener('abort', onClose, { once: true });
      attemptsUsed = attempt;
      try {
        this.options.counters.puts += 1;
        const result = await this.putHedged(put, attemptController.signal);
        if (this.options.verifyEtag && result.etag !== expectedEtag) {
          throw Object.assign(
            new Error(
              `stored object's ETag ${result.etag ?? '(none)'} is not the MD5 of the body ` +
                '(an encrypted store, e.g. SSE-KMS, does this: turn off "Verify ETag"; Content-MD5 still guards the body)',
            ),
            { code: 'E_UPLOAD_VERIFY' },
          );
        }
        this.options.counters.bytes += put.body.length;
        this.options.counters.stored += 1;
        return { attempts: attempt };
      } catch (err) {
        this.options.counters.failedAttempts += 1;
        lastFailure = classifyStoreError(err, { timedOut, closing: this.options.signal.aborted });
        if (!lastFailure.retryable) break;
      } finally {
        clearTimeout(timer);
        this.options.signal.removeEventListener('abort', onClose);
        this.options.slots.release();
      }
    }
    this.options.counters.failures += 1;
    const failure = lastFailure ?? classifyStoreError(undefined, { timedOut: false, closing: true });
    const code = failure.retryable ? 'E_UPLOAD' : failure.code;
    const message = failure.retryable
      ? `could not store ${put.key} after ${attemptsUsed} attempts (last: ${failure.reason})`
      : `could not store ${put.key}: ${failure.reason}`;
    const error = new RelaycastError(code, this.options.redact(message)) as RelaycastError & { attempts?: number; reason?: string };
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
        this.options.store
          .put(put, controller.signal)
          .then(
            (result) => {
              if (settled) return;
              finish();
              this.timings.record(performance.now() - started);
              for (const other of controllers) if (other !== controller) other.abort();
              resolve(result);
            },
            (err: unknown) => {
              running -= 1;
              firstError ??= err;
              if (settled) return;
              // A twin failed while another still runs late (a stall): send the next twin at once,
              // rather than wait for the stalled one's deadline. A failure before any hedge goes to
              // the retry path at once.
              if (running > 0 && controllers.length >= 2 && controllers.length < MAX_REQUESTS_PER_ATTEMPT && !signal.aborted) {
                this.options.counters.hedges += 1;
                this.options.counters.puts += 1;
                launch();
                return;
              }
              if (running > 0) return;
              finish();
              reject(firstError);
            },
          )
          .then(
            () => signal.removeEventListener('abort', onAbort),
            (err: unknown) => {
              // A throw inside the handlers above (a bug) still settles this attempt, and never
              // becomes an unhandled rejection (finally() would pass it on to nobody).
              signal.removeEventListener('abort', onAbort);
              if (settled) return;
              finish();
              reject(err);
            },
          );
      };
      launch();
      if (hedgeAfter === undefined) return;
      hedgeTimer = setTimeout(() => {
        hedgeTimer = undefined;
        if (settled || signal.aborted) return;
        this.options.counters.hedges += 1;
        this.options.counters.puts += 1;
        launch();
      }, hedgeAfter);
    });
  }

  /** Waits ms unless the uploader is aborted; resolves false when aborted. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.options.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
