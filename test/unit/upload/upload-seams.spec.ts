// The uploader's seams on their own (lib/upload/release-lanes.ts, init-cache.ts, retrying-put.ts);
// test/unit/upload/uploader-s3.spec.ts drives them together through Uploader.
import assert from 'node:assert/strict';
import { startFaultProxy, type FaultProxy } from '../../../devtools/fault-proxy';
import { startLocalS3, type LocalS3 } from '../../../devtools/local-s3';
import { InitCache } from '../../../lib/upload/init-cache';
import { ReleaseLanes } from '../../../lib/upload/release-lanes';
import { RetryingPut, type PutSuccess, type RetryingPutOptions } from '../../../lib/upload/retrying-put';
import { PrioritySlots, emptyCounters } from '../../../lib/upload';
import { RelaycastError } from '../../../lib/errors';
import { StoreFactory, fetchBytes } from './support/harness';

/** A promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('upload seams: ordered release lanes', () => {
  it('releases each lane in input order whatever order the work finishes in; lanes do not wait for each other', async () => {
    const lanes = new ReleaseLanes();
    const work = [0, 1, 2].map(() => deferred<number>());
    const other = deferred<string>();
    const released: string[] = [];
    const all = [
      ...work.map((w, i) =>
        lanes.add(
          'a',
          () => w.promise,
          false,
          (n) => {
            released.push(`a${n}`);
            return i;
          },
        ),
      ),
      lanes.add(
        'b',
        () => other.promise,
        false,
        (s) => {
          released.push(s);
        },
      ),
    ];
    work[2].resolve(2);
    other.resolve('b0');
    await tick();
    assert.deepEqual(released, ['b0'], 'a2 waits for a0 and a1; b is not held back by a');
    work[0].resolve(0);
    await tick();
    assert.deepEqual(released, ['b0', 'a0']);
    work[1].resolve(1);
    await Promise.all(all);
    assert.deepEqual(released, ['b0', 'a0', 'a1', 'a2']);
    assert.equal(lanes.size, 0, 'idle lanes are dropped');
  });

  it('runs serial work one job after the other in its lane; whenReleased waits for everything added', async () => {
    const lanes = new ReleaseLanes();
    const first = deferred<void>();
    let secondStarted = false;
    lanes.add(
      'k',
      () => first.promise,
      true,
      () => undefined,
    );
    lanes.add(
      'k',
      async () => {
        secondStarted = true;
      },
      true,
      () => undefined,
    );
    let idle = false;
    const waiting = lanes.whenReleased().then(() => {
      idle = true;
    });
    await tick();
    assert.equal(secondStarted, false, 'a later version never starts before the earlier one is done');
    assert.equal(idle, false);
    first.resolve();
    await waiting;
    assert.equal(secondStarted, true);
  });
});

describe('upload seams: init cache', () => {
  const ok = (attempts: number) => () => Promise.resolve<PutSuccess>({ attempts });

  it('starts one upload per key, reuses it, forgets a failed one and the oldest past its bound', async () => {
    const cache = new InitCache(2);
    const a = cache.once('a', ok(1));
    assert.equal(a.started, true);
    assert.equal(cache.once('a', ok(9)).started, false);
    assert.deepEqual(await cache.once('a', ok(9)).upload, { attempts: 1 });
    const failed = cache.once('f', () => Promise.reject(new Error('503')));
    await failed.upload.catch(() => undefined);
    await tick();
    assert.equal(cache.once('f', ok(2)).started, true, 'a failed init is tried again by the next segment');
    cache.once('b', ok(1));
    cache.once('c', ok(1));
    assert.equal(cache.size, 2);
    assert.equal(cache.once('a', ok(1)).started, true, 'the oldest was forgotten');
  });
});

describe('upload seams: the retrying put against a real local S3 server', function () {
  this.timeout(60_000);
  let s3: LocalS3;
  const stores = new StoreFactory();
  let proxy: FaultProxy | undefined;
  before(async () => {
    s3 = await startLocalS3({ bucket: 'seams' });
  });
  after(async () => {
    await s3.stop();
  });
  afterEach(async () => {
    stores.destroyAll();
    await proxy?.stop();
    proxy = undefined;
  });

  function putterFor(
    endpoint: string,
    over: Partial<RetryingPutOptions> = {},
  ): { putter: RetryingPut; counters: ReturnType<typeof emptyCounters>; close: AbortController } {
    const counters = emptyCounters();
    const close = new AbortController();
    const putter = new RetryingPut({
      store: stores.make(endpoint, 'seams'),
      slots: new PrioritySlots(2),
      counters,
      signal: close.signal,
      maxAttempts: 4,
      attemptTimeoutMs: 5000,
      deadlineAware: false,
      backoff: { baseMs: 1, maxMs: 5 },
      verifyEtag: true,
      random: () => 0.5,
      redact: (t) => t,
      ...over,
    });
    return { putter, counters, close };
  }
  const request = (key: string, body: Buffer) => ({ key, body, contentType: 'video/mp2t', cacheControl: 'no-cache' });

  it('retries retryable failures and stores the exact bytes, counting every PUT', async () => {
    let failures = 0;
    proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 0, rule: (method) => (method === 'PUT' && failures++ < 2 ? '5xx' : undefined) });
    const { putter, counters } = putterFor(proxy.endpoint);
    const body = Buffer.from('segment bytes '.repeat(100));
    assert.deepEqual(await putter.put(request('a/seg.ts', body), 0), { attempts: 3 });
    assert.equal(counters.puts, 3);
    assert.equal(counters.retries, 2);
    assert.deepEqual((await fetchBytes(`${s3.publicBaseUrl}/a/seg.ts`)).bytes, body);
  });

  it('gives up after its budget with E_UPLOAD and the attempts used; a closed signal stops it at once', async () => {
    proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 0, rule: (method) => (method === 'PUT' ? '5xx' : undefined) });
    const { putter, close } = putterFor(proxy.endpoint, { maxAttempts: 2 });
    await assert.rejects(
      putter.put(request('b/seg.ts', Buffer.from('x')), 0),
      (e: unknown) => e instanceof RelaycastError && e.code === 'E_UPLOAD' && (e as { attempts?: number }).attempts === 2,
    );
    close.abort();
    await assert.rejects(
      putter.put(request('c/seg.ts', Buffer.from('x')), 0),
      (e: unknown) => e instanceof RelaycastError && (e as { attempts?: number }).attempts === 0,
    );
  });

  it('fails at once with E_UPLOAD_VERIFY when the ETag is not the MD5, and stores with the check off', async () => {
    proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 0, opaqueEtags: true });
    const checked = putterFor(proxy.endpoint);
    await assert.rejects(
      checked.putter.put(request('d/seg.ts', Buffer.from('y')), 0),
      (e: unknown) => e instanceof RelaycastError && e.code === 'E_UPLOAD_VERIFY',
    );
    assert.equal(checked.counters.puts, 1);
    const unchecked = putterFor(proxy.endpoint, { verifyEtag: false });
    assert.deepEqual(await unchecked.putter.put(request('d/seg.ts', Buffer.from('y')), 0), { attempts: 1 });
  });

  it("settles the attempt when a throw happens inside a hedged request's handler, never an unhandled rejection (#14 defect 10)", async () => {
    // A few fast PUTs give the deadline-aware put its timings (so it hedges); then the first request
    // stalls, its hedge fails, and relaunching the next twin hits a throw (here: the counters).
    const WARM = 10; // PutTimings knows a p95 after ten PUTs
    let puts = 0;
    proxy = await startFaultProxy({
      target: s3.endpoint,
      faultRate: 0,
      stallMs: 2000,
      rule: (method) => (method !== 'PUT' ? undefined : ++puts === WARM + 1 ? 'stall' : puts === WARM + 2 ? '5xx' : undefined),
    });
    const counters = emptyCounters();
    let hedges = 0;
    Object.defineProperty(counters, 'hedges', {
      get: () => hedges,
      set: (v: number) => {
        if (v >= 2) throw new Error('bookkeeping bug');
        hedges = v;
      },
    });
    const { putter } = putterFor(proxy.endpoint, { counters, deadlineAware: true, maxAttempts: 1 });
    for (let i = 0; i < WARM; i++) await putter.put(request(`h/warm-${i}.ts`, Buffer.from('w')), 0);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      // The retry path classifies the throw like any failure: the put settles, with a code.
      await assert.rejects(putter.put(request('h/seg.ts', Buffer.from('z')), 0), (e: unknown) => e instanceof RelaycastError && e.code === 'E_UPLOAD');
      assert.equal(hedges, 1, 'the hedge started, and the relaunch threw');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
