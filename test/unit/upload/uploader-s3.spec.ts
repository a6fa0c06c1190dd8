// The upload core against a real S3-compatible server process (s3rver via devtools/local-s3),
// optionally behind the fault-injecting proxy (devtools/fault-proxy). No SDK mocks anywhere.
import assert from 'node:assert/strict';
import { startFaultProxy, type FaultProxy } from '../../../devtools/fault-proxy';
import { startLocalS3, type LocalS3 } from '../../../devtools/local-s3';
import type { SegmentMsg } from '../../../lib/protocol/msgs';
import { Uploader, probeBucket, type UploadOutcome } from '../../../lib/upload';
import { ManifestCore } from '../../../lib/manifest';
import { PlaylistListings } from '../../../lib/pipeline/playlist-listings';
import { parseMediaPlaylist } from '../../../devtools/hls-validator';
import { parseUploadInput } from '../../../lib/upload/input';
import { fixtureNames, fixturePartMsg, fixtureSegmentMsgs, syntheticSegmentMsg } from './support/fixture-segments';
import { startForbiddenS3 } from './support/forbidden-s3';
import { FakeClock, StoreFactory, fetchBytes, sha256, submitAll } from './support/harness';

const BUCKET = 'relaycast';

function storedUrl(outcome: UploadOutcome): string {
  assert.equal(outcome.status, 'stored', outcome.status === 'failed' ? `${outcome.error.code}: ${outcome.error.message}` : '');
  return (outcome as Extract<UploadOutcome, { status: 'stored' }>).object.url;
}

describe('upload core against a real local S3 server', function () {
  this.timeout(60_000);
  let s3: LocalS3;
  const stores = new StoreFactory();
  const proxies: FaultProxy[] = [];

  const proxy = async (options: Omit<Parameters<typeof startFaultProxy>[0], 'target'>): Promise<FaultProxy> => {
    const started = await startFaultProxy({ target: s3.endpoint, ...options });
    proxies.push(started);
    return started;
  };

  before(async () => {
    s3 = await startLocalS3({ bucket: BUCKET });
  });
  after(async () => {
    await s3.stop();
  });
  afterEach(async () => {
    stores.destroyAll();
    await Promise.all(proxies.splice(0).map((p) => p.stop()));
  });

  const uploaderFor = (endpoint: string, options: Partial<ConstructorParameters<typeof Uploader>[0]> = {}): Uploader =>
    new Uploader({ store: stores.make(endpoint, BUCKET), publicBaseUrl: s3.publicBaseUrl, keyPrefix: 'live', ...options });

  it("stores LL-HLS parts under their own keys, byte-identical, in their rendition's order with its segments", async () => {
    const uploader = uploaderFor(s3.endpoint);
    const parts = ['part_00000.ts', 'part_00001.ts', 'part_00002.ts'].map((file, index) => fixturePartMsg(file, { sequence: 0, index }));
    const segment = syntheticSegmentMsg(0, 1000, { stream: 'parts', rendition: 'main' });
    const released = await submitAll(uploader, [...parts, segment]);
    assert.deepEqual(
      released.map((r) => (r.outcome.status === 'stored' ? `${r.outcome.kind} ${r.outcome.object.key}` : r.outcome.status)),
      [
        'part live/parts/session-1/main/seg-00000000.part0.ts',
        'part live/parts/session-1/main/seg-00000000.part1.ts',
        'part live/parts/session-1/main/seg-00000000.part2.ts',
        'segment live/parts/session-1/main/seg-00000000.ts',
      ],
    );
    for (const [i, part] of parts.entries()) {
      const { status, bytes, headers } = await fetchBytes(storedUrl(released[i].outcome));
      assert.equal(status, 200);
      assert.equal(sha256(bytes), part.part.sha256);
      assert.equal(headers.get('content-type'), 'video/mp2t');
    }
    assert.equal(uploader.counters.puts, 4, 'one PUT (one R2 Class A write) per part and per segment');
    await uploader.close(1000);
  });

  for (const fixture of fixtureNames()) {
    it(`stores every ${fixture} segment and init byte-identical (SHA-256 of the public GET)`, async () => {
      const msgs = fixtureSegmentMsgs(fixture, { session: `roundtrip-${fixture}` });
      const uploader = uploaderFor(s3.endpoint);
      const released = await submitAll(uploader, msgs);
      assert.equal(released.length, msgs.length);
      const initsSeen = new Set<string>();
      for (const { msg: released_msg, outcome } of released) {
        const msg = released_msg as unknown as SegmentMsg;
        const { status, bytes } = await fetchBytes(storedUrl(outcome));
        assert.equal(status, 200);
        assert.equal(sha256(bytes), msg.segment.sha256, `${msg.segment.uri} differs`);
        assert.equal(bytes.length, msg.segment.byteLength);
        if (msg.init) {
          const init = (outcome as Extract<UploadOutcome, { kind: 'segment' }>).init;
          assert.ok(init, 'init info missing');
          const initBytes = await fetchBytes(init.url);
          assert.equal(initBytes.status, 200);
          assert.equal(sha256(initBytes.bytes), msg.init.sha256);
          assert.equal(outcome.report.initUploaded, !initsSeen.has(init.key), 'init uploaded exactly once, with the first segment');
          initsSeen.add(init.key);
        }
      }
      const renditions = new Set(msgs.map((m) => (m as SegmentMsg).segment.rendition)).size;
      const inits = msgs.some((m) => (m as SegmentMsg).init) ? renditions : 0;
      assert.equal(initsSeen.size, inits);
      assert.equal(uploader.counters.puts, msgs.length + inits, 'one PUT per segment and per init');
      const initBytes = new Map(msgs.filter((m) => m.init).map((m) => [`${m.segment.rendition}/${m.init!.sha256}`, m.init!.byteLength]));
      const expectedBytes = msgs.reduce((sum, m) => sum + m.payload.length, 0) + [...initBytes.values()].reduce((a, b) => a + b, 0);
      assert.equal(uploader.counters.bytes, expectedBytes, 'bytes counts every stored byte once');
      await uploader.close(1000);
    });
  }

  it('sends Content-Type, Cache-Control and Content-MD5, never x-amz-acl, aws-chunked or a checksum trailer', async () => {
    const recorder = await proxy({ faultRate: 0, record: true });
    const uploader = uploaderFor(recorder.endpoint);
    const [tsMsg] = fixtureSegmentMsgs('ts-single', { session: 'headers' });
    const [fmp4Msg] = fixtureSegmentMsgs('fmp4-single', { session: 'headers' });
    const playlistMsg = { topic: 'playlist', key: 'cam/index.m3u8', payload: '#EXTM3U\n#EXT-X-TARGETDURATION:2\n' };
    const byTopic = await submitAll(uploader, [tsMsg, fmp4Msg, playlistMsg]);
    // Lanes release independently; line the results up with the input.
    const released = [tsMsg, fmp4Msg, playlistMsg].map((m) => byTopic.find((r) => r.msg === (m as object))!);
    const puts = recorder.requests.filter((r) => r.method === 'PUT');
    assert.equal(puts.length, 4, 'ts segment, fmp4 init, fmp4 segment, playlist');
    for (const put of puts) {
      assert.equal(put.headers['x-amz-acl'], undefined);
      assert.equal(put.headers['content-encoding'], undefined);
      assert.equal(put.headers['transfer-encoding'], undefined);
      assert.equal(put.headers['x-amz-trailer'], undefined);
      assert.equal(put.headers['x-amz-decoded-content-length'], undefined);
      assert.ok(!String(put.headers['x-amz-content-sha256']).startsWith('STREAMING'), 'no streaming payload signature');
      assert.equal(Object.keys(put.headers).filter((h) => h.startsWith('x-amz-checksum-')).length, 0);
      assert.match(String(put.headers['content-md5']), /^[A-Za-z0-9+/]{22}==$/);
      assert.equal(Number(put.headers['content-length']), put.bodyLength);
    }
    const expectations: Array<[string, string, string]> = [
      [storedUrl(released[0].outcome), 'video/mp2t', 'public, max-age=31536000, immutable'],
      [(released[1].outcome as Extract<UploadOutcome, { kind: 'segment' }>).init!.url, 'video/mp4', 'public, max-age=31536000, immutable'],
      [storedUrl(released[1].outcome), 'video/iso.segment', 'public, max-age=31536000, immutable'],
      [storedUrl(released[2].outcome), 'application/vnd.apple.mpegurl', 'no-cache'],
    ];
    for (const [url, contentType, cacheControl] of expectations) {
      const { status, headers } = await fetchBytes(url);
      assert.equal(status, 200, url);
      assert.equal(headers.get('content-type'), contentType, url);
      assert.equal(headers.get('cache-control'), cacheControl, url);
    }
    assert.equal(storedUrl(released[2].outcome), `${s3.publicBaseUrl}/live/cam/index.m3u8`);
    await uploader.close(1000);
  });

  it('honours msg.contentType and msg.cacheControl on file msgs, and uploads one key strictly in order', async () => {
    const slow = await proxy({ faultRate: 0, latency: { minMs: 0, maxMs: 60 }, seed: 7 });
    const uploader = uploaderFor(slow.endpoint);
    const versions = Array.from({ length: 8 }, (_, i) => ({
      key: 'cam/latest.txt',
      payload: `version ${i}`,
      contentType: 'text/plain',
      cacheControl: 'max-age=1',
    }));
    const released = await submitAll(uploader, versions);
    assert.deepEqual(
      released.map((r) => r.msg.payload),
      versions.map((v) => v.payload),
    );
    const { bytes, headers } = await fetchBytes(storedUrl(released[7].outcome));
    assert.equal(bytes.toString(), 'version 7', 'the newest version is what stays stored');
    assert.equal(headers.get('content-type'), 'text/plain');
    assert.equal(headers.get('cache-control'), 'max-age=1');
    await uploader.close(1000);
  });

  it('releases each rendition in input order under random per-request latency', async () => {
    const jittery = await proxy({ faultRate: 0, latency: { minMs: 0, maxMs: 80 }, seed: 11 });
    const real = stores.make(jittery.endpoint, BUCKET);
    const completed: string[] = [];
    // Records the order in which PUTs really completed on the wire (the real store does the work).
    const recordingStore = {
      put: async (request: Parameters<typeof real.put>[0], signal: AbortSignal) => {
        const r = await real.put(request, signal);
        completed.push(request.key);
        return r;
      },
      get: real.get.bind(real),
      delete: real.delete.bind(real),
    };
    const uploader = new Uploader({ store: recordingStore, publicBaseUrl: s3.publicBaseUrl, keyPrefix: 'live', concurrency: 4 });
    const msgs = [
      ...Array.from({ length: 20 }, (_, i) => syntheticSegmentMsg(i, 20_000, { rendition: 'a', session: 'order' })),
      ...Array.from({ length: 20 }, (_, i) => syntheticSegmentMsg(i, 20_000, { rendition: 'b', session: 'order' })),
    ];
    const interleaved = msgs.map((m, i) => msgs[(i % 2) * 20 + Math.floor(i / 2)]);
    const released = await submitAll(uploader, interleaved);
    for (const rendition of ['a', 'b']) {
      const sequences = released
        .filter((r) => (r.msg as unknown as SegmentMsg).segment.rendition === rendition)
        .map((r) => (r.msg as unknown as SegmentMsg).segment.sequence);
      assert.deepEqual(
        sequences,
        Array.from({ length: 20 }, (_, i) => i),
        `rendition ${rendition} out of order`,
      );
    }
    // Only meaningful if the network really finished them out of order.
    const completedA = completed.filter((k) => k.includes('/a/'));
    assert.notDeepEqual(completedA, [...completedA].sort(), 'latency did not reorder completions; the test proves nothing');
    assert.ok(released.every((r) => r.outcome.status === 'stored'));
    for (const r of released) {
      const { status, bytes } = await fetchBytes(storedUrl(r.outcome));
      assert.equal(status, 200);
      assert.equal(sha256(bytes), (r.msg as unknown as SegmentMsg).segment.sha256);
    }
    await uploader.close(1000);
  });

  it('loses nothing through ~20 % injected 5xx, 429, resets and stalls: every emitted URL serves the exact bytes, in order', async () => {
    const faulty = await proxy({ faultRate: 0.2, seed: 20261123, stallMs: 5000, latency: { minMs: 0, maxMs: 10 } });
    const uploader = uploaderFor(faulty.endpoint, { concurrency: 4, attemptTimeoutMs: 400, maxAttempts: 10, backoff: { baseMs: 10, maxMs: 200 } });
    const msgs: SegmentMsg[] = [];
    for (const rendition of ['0', '1', '2']) {
      for (let i = 0; i < 25; i += 1) msgs.push(syntheticSegmentMsg(i, 30_000, { rendition, session: 'faults' }));
    }
    const released = await submitAll(uploader, msgs);
    const injected = faulty.counts.injected;
    for (const kind of ['5xx', '429', 'reset-before', 'reset-after', 'stall'] as const) {
      assert.ok(injected[kind] > 0, `no ${kind} fault was injected; the test would prove nothing`);
    }
    assert.equal(released.filter((r) => r.outcome.status !== 'stored').length, 0, 'segments lost');
    for (const rendition of ['0', '1', '2']) {
      const order = released
        .map((r) => (r.msg as unknown as SegmentMsg).segment)
        .filter((s) => s.rendition === rendition)
        .map((s) => s.sequence);
      assert.deepEqual(
        order,
        Array.from({ length: 25 }, (_, i) => i),
      );
    }
    for (const r of released) {
      const { status, bytes } = await fetchBytes(storedUrl(r.outcome));
      assert.equal(status, 200);
      assert.equal(sha256(bytes), (r.msg as unknown as SegmentMsg).segment.sha256);
    }
    const totalInjected = Object.values(injected).reduce((a, b) => a + b, 0);
    assert.equal(uploader.counters.failedAttempts, totalInjected, 'every injected fault is one failed attempt');
    assert.equal(uploader.counters.retries, totalInjected);
    assert.equal(uploader.counters.puts, msgs.length + totalInjected);
    assert.equal(uploader.counters.failures, 0);
    await uploader.close(1000);
  });

  it('gives up on a segment after the retry budget: E_UPLOAD in its place, no URL, later segments still in order', async () => {
    const broken = await proxy({ faultRate: 0, kinds: ['5xx'], rule: (method, url) => (method === 'PUT' && url.includes('seg-00000003') ? '5xx' : undefined) });
    const uploader = uploaderFor(broken.endpoint, { maxAttempts: 3, backoff: { baseMs: 5, maxMs: 20 } });
    const msgs = Array.from({ length: 7 }, (_, i) => syntheticSegmentMsg(i, 10_000, { session: 'budget' }));
    const released = await submitAll(uploader, msgs);
    assert.deepEqual(
      released.map((r) => (r.msg as unknown as SegmentMsg).segment.sequence),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      released.map((r) => r.outcome.status),
      ['stored', 'stored', 'stored', 'failed', 'stored', 'stored', 'stored'],
    );
    const failed = released[3].outcome as Extract<UploadOutcome, { status: 'failed' }>;
    assert.equal(failed.error.code, 'E_UPLOAD');
    assert.equal(failed.report.attempts, 3);
    assert.equal(broken.counts.injected['5xx'], 3);
    const missing = await fetchBytes(`${s3.publicBaseUrl}/live/synthetic/budget/main/seg-00000003.ts`);
    assert.equal(missing.status, 404, 'nothing was stored for the failed segment');
    assert.equal(uploader.counters.failures, 1);
    await uploader.close(1000);
  });

  it('aborts a stalled attempt at the per-attempt timeout and retries it', async () => {
    let stalled = 0;
    const staller = await proxy({ faultRate: 0, stallMs: 10_000, rule: (method) => (method === 'PUT' && stalled++ === 0 ? 'stall' : undefined) });
    const uploader = uploaderFor(staller.endpoint, { attemptTimeoutMs: 300, backoff: { baseMs: 1, maxMs: 1 } });
    const [released] = await submitAll(uploader, [syntheticSegmentMsg(0, 5000, { session: 'stall' })]);
    assert.equal(released.outcome.status, 'stored');
    assert.equal(released.outcome.report.attempts, 2);
    assert.equal(uploader.counters.failedAttempts, 1);
    assert.equal(staller.counts.injected.stall, 1);
    await uploader.close(1000);
  });

  it('fails at once, without retrying, when the store refuses the credentials (403 SignatureDoesNotMatch)', async () => {
    const forbidden = await startForbiddenS3();
    try {
      const uploader = new Uploader({
        store: stores.make(forbidden.endpoint, BUCKET, { accessKeyId: 'AKIAWRONGWRONG', secretAccessKey: 'wrong-secret-value' }),
        publicBaseUrl: s3.publicBaseUrl,
        maxAttempts: 5,
      });
      const released = await submitAll(uploader, [syntheticSegmentMsg(0, 1000), syntheticSegmentMsg(1, 1000)]);
      for (const r of released) {
        assert.equal(r.outcome.status, 'failed');
        const { error } = r.outcome as Extract<UploadOutcome, { status: 'failed' }>;
        assert.equal(error.code, 'E_UPLOAD_AUTH');
        assert.ok(!error.message.includes('wrong-secret-value') && !error.message.includes('AKIAWRONGWRONG'));
        assert.equal(r.outcome.report.attempts, 1);
      }
      assert.equal(forbidden.requests, 2, 'one request per segment, no retries');
      assert.equal(uploader.counters.retries, 0);
      await uploader.close(1000);
    } finally {
      await forbidden.stop();
    }
  });

  it('fails at once, without retrying, when the stored ETag is not the MD5 (SSE-KMS, encrypted MinIO): E_UPLOAD_VERIFY, one PUT', async () => {
    const encrypted = await proxy({ faultRate: 0, opaqueEtags: true });
    const uploader = uploaderFor(encrypted.endpoint, { maxAttempts: 5 });
    const released = await submitAll(uploader, [syntheticSegmentMsg(0, 1000, { session: 'sse' })]);
    const outcome = released[0].outcome as Extract<UploadOutcome, { status: 'failed' }>;
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error.code, 'E_UPLOAD_VERIFY');
    assert.match(outcome.error.message, /not the MD5/);
    assert.equal(outcome.report.attempts, 1);
    assert.equal(uploader.counters.puts, 1, 'a mismatch is not retried (each retry is a billed PUT that cannot help)');
    assert.equal(uploader.counters.retries, 0);
    await uploader.close(1000);
  });

  it('stores every segment on such a store with the ETag check off, still sending Content-MD5', async () => {
    const encrypted = await proxy({ faultRate: 0, opaqueEtags: true, record: true });
    const uploader = uploaderFor(encrypted.endpoint, { verifyEtag: false });
    const msgs = [0, 1, 2].map((i) => syntheticSegmentMsg(i, 1000, { session: 'sse-off' }));
    const released = await submitAll(uploader, msgs);
    for (const [i, r] of released.entries()) {
      const { status, bytes } = await fetchBytes(storedUrl(r.outcome));
      assert.equal(status, 200);
      assert.equal(sha256(bytes), (msgs[i] as SegmentMsg).segment.sha256);
    }
    const puts = encrypted.requests.filter((r) => r.method === 'PUT');
    assert.equal(puts.length, 3);
    assert.ok(
      puts.every((r) => typeof r.headers['content-md5'] === 'string'),
      'Content-MD5 still guards the body in transit',
    );
    await uploader.close(1000);
  });

  it('the connection probe detects a store whose ETag is not the MD5, and names the setting to change', async () => {
    const plain = await probeBucket({ store: stores.make(s3.endpoint, BUCKET), publicBaseUrl: s3.publicBaseUrl, keyPrefix: 'live/' });
    assert.equal(plain.etagIsMd5, true);
    assert.ok(
      plain.steps.every((st) => st.step !== 'etag'),
      'no etag step when the ETag is the MD5',
    );
    const encrypted = await proxy({ faultRate: 0, opaqueEtags: true });
    const report = await probeBucket({ store: stores.make(encrypted.endpoint, BUCKET), publicBaseUrl: s3.publicBaseUrl, keyPrefix: 'live/' });
    assert.equal(report.etagIsMd5, false);
    assert.deepEqual(
      report.steps.map((st) => `${st.step}:${st.ok}`),
      ['put:true', 'etag:false', 'get:true', 'public-get:true', 'cors:true', 'delete:true'],
    );
    const etag = report.steps.find((st) => st.step === 'etag')!;
    assert.equal(etag.problem, 'etag');
    assert.match(etag.detail ?? '', /Verify ETag/);
  });

  it('fails at once on an unknown access key id (s3rver: 403 InvalidAccessKeyId) and on a missing bucket (NoSuchBucket)', async () => {
    const badKey = new Uploader({
      store: stores.make(s3.endpoint, BUCKET, { accessKeyId: 'UNKNOWNKEY', secretAccessKey: 'x-secret' }),
      publicBaseUrl: s3.publicBaseUrl,
    });
    const [keyResult] = await submitAll(badKey, [syntheticSegmentMsg(0, 1000)]);
    assert.equal(keyResult.outcome.status === 'failed' && keyResult.outcome.error.code, 'E_UPLOAD_AUTH');
    assert.equal(badKey.counters.puts, 1);
    const noBucket = new Uploader({ store: stores.make(s3.endpoint, 'no-such-bucket'), publicBaseUrl: s3.publicBaseUrl });
    const [bucketResult] = await submitAll(noBucket, [syntheticSegmentMsg(0, 1000)]);
    assert.equal(bucketResult.outcome.status === 'failed' && bucketResult.outcome.error.code, 'E_UPLOAD_NO_BUCKET');
    assert.equal(noBucket.counters.puts, 1);
    assert.equal(noBucket.counters.retries, 0);
    await Promise.all([badKey.close(100), noBucket.close(100)]);
  });

  it('deletes a segment only once its availability period has passed (fake clock), never lists the bucket', async () => {
    const recorder = await proxy({ faultRate: 0, record: true });
    const clock = new FakeClock();
    const uploader = uploaderFor(recorder.endpoint, { clock, retention: { keepSegments: 3, graceMs: 1000 } });
    const initA = {
      uri: 'init.mp4',
      path: '/x/init.mp4',
      bytes: Buffer.from('init-A'.repeat(50)),
      byteLength: 300,
      sha256: sha256(Buffer.from('init-A'.repeat(50))),
      contentType: 'video/mp4',
    };
    const initB = { ...initA, bytes: Buffer.from('init-B'.repeat(50)), sha256: sha256(Buffer.from('init-B'.repeat(50))) };
    const urls: string[] = [];
    const initUrls: string[] = [];
    // Session 1 (init A): sequences 0–2; session 2 (init B): 3–6. One segment every 2 s of fake time.
    for (let sequence = 0; sequence < 7; sequence += 1) {
      const msg = syntheticSegmentMsg(sequence, 2000, { session: sequence < 3 ? 's1' : 's2', stream: 'ret' }) as SegmentMsg;
      msg.init = { ...(sequence < 3 ? initA : initB) };
      const [r] = await submitAll(uploader, [msg]);
      urls.push(storedUrl(r.outcome));
      initUrls.push((r.outcome as Extract<UploadOutcome, { kind: 'segment' }>).init!.url);
      if (sequence < 6) clock.advance(2000);
    }
    // Now t = 12 s. Seg 0 left the kept set when seg 3 arrived (t = 6 s): kept 3 × 2 s + its 2 s + 1 s grace → due at 15 s.
    // Seg 1 → due at 17 s, seg 2 → 19 s, seg 3 → 21 s.
    const status = async (url: string): Promise<number> => (await fetchBytes(url)).status;
    await uploader.sweep();
    assert.deepEqual(await Promise.all(urls.map(status)), [200, 200, 200, 200, 200, 200, 200]);
    clock.advance(2999); // 14.999 s
    await uploader.sweep();
    assert.equal(await status(urls[0]), 200, 'deleted before its availability period ended');
    clock.advance(1); // 15 s
    await uploader.sweep();
    assert.deepEqual(await Promise.all(urls.map(status)), [404, 200, 200, 200, 200, 200, 200]);
    assert.equal(await status(initUrls[0]), 200, 'init A is still used by segments 1 and 2');
    clock.advance(4000); // 19 s
    await uploader.sweep();
    assert.deepEqual(await Promise.all(urls.map(status)), [404, 404, 404, 200, 200, 200, 200]);
    assert.equal(await status(initUrls[0]), 404, 'init A goes with the last segment that used it');
    assert.equal(await status(initUrls[3]), 200, 'init B stays');
    clock.advance(2000); // 21 s
    await uploader.sweep();
    assert.deepEqual(await Promise.all(urls.map(status)), [404, 404, 404, 404, 200, 200, 200]);
    assert.equal(uploader.counters.deletes, 5, 'segments 0–3 and init A');
    const listings = recorder.requests.filter((r) => r.method === 'GET');
    assert.equal(listings.length, 0, 'cleanup must not list (or read) the bucket');
    await uploader.close(1000);
  });

  it('keeps everything in DVR/VOD mode', async () => {
    const clock = new FakeClock();
    const uploader = uploaderFor(s3.endpoint, { clock, retention: { keepAll: true, keepSegments: 1, graceMs: 0 } });
    const released = await submitAll(
      uploader,
      Array.from({ length: 5 }, (_, i) => syntheticSegmentMsg(i, 1000, { session: 'dvr' })),
    );
    clock.advance(24 * 3600 * 1000);
    await uploader.sweep();
    assert.equal(uploader.counters.deletes, 0);
    for (const r of released) assert.equal((await fetchBytes(storedUrl(r.outcome))).status, 200);
    await uploader.close(1000);
  });

  it('close() lets in-flight uploads finish within its deadline', async () => {
    const slow = await proxy({ faultRate: 0, latency: { minMs: 200, maxMs: 200 } });
    const uploader = uploaderFor(slow.endpoint);
    const released: UploadOutcome[] = [];
    const pending = uploader.submit(parseUploadInput(syntheticSegmentMsg(0, 1000, { session: 'close-ok' }) as unknown as Record<string, unknown>), (o) =>
      released.push(o),
    );
    await new Promise((r) => setTimeout(r, 20));
    await uploader.close(5000);
    await pending;
    assert.equal(released.length, 1);
    assert.equal((await fetchBytes(storedUrl(released[0]))).status, 200);
  });

  it('close() aborts what does not finish in time and reports it as not stored; later input is refused', async () => {
    const staller = await proxy({ faultRate: 1, kinds: ['stall'], stallMs: 30_000 });
    const uploader = uploaderFor(staller.endpoint, { attemptTimeoutMs: 20_000 });
    const released: UploadOutcome[] = [];
    const jobs = [0, 1].map((i) =>
      uploader.submit(parseUploadInput(syntheticSegmentMsg(i, 1000, { session: 'close-abort' }) as unknown as Record<string, unknown>), (o) =>
        released.push(o),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    await uploader.close(100);
    await Promise.all(jobs);
    assert.deepEqual(
      released.map((o) => o.status === 'failed' && o.error.code),
      ['E_UPLOAD_ABORTED', 'E_UPLOAD_ABORTED'],
    );
    assert.equal(uploader.counters.stored, 0);
    const late = await uploader.submit(
      parseUploadInput(syntheticSegmentMsg(2, 1000, { session: 'close-abort' }) as unknown as Record<string, unknown>),
      () => undefined,
    );
    assert.equal(late.status === 'failed' && late.error.code, 'E_UPLOAD_CLOSED');
    assert.equal((await fetchBytes(`${s3.publicBaseUrl}/live/synthetic/close-abort/main/seg-00000000.ts`)).status, 404);
  });

  it('a throw in the release bookkeeping is reported, the outcome is still released in order, and nothing is left unhandled', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => {
      rejections.push(reason);
    };
    process.on('unhandledRejection', onRejection);
    try {
      const reported: string[] = [];
      // A clock that throws stands in for any unexpected bug in what runs after the PUT.
      const uploader = uploaderFor(s3.endpoint, {
        clock: {
          now: () => {
            throw new Error('clock broke');
          },
        },
        reportError: (err) => reported.push(err.message),
      });
      const msgs = [0, 1].map((i) => syntheticSegmentMsg(i, 1000, { session: 'bookkeeping' }));
      const released = await submitAll(uploader, msgs);
      assert.deepEqual(
        released.map((r) => r.outcome.status),
        ['stored', 'stored'],
      );
      assert.deepEqual(reported, ['clock broke', 'clock broke']);
      await uploader.close(1000);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(rejections, []);
    } finally {
      process.removeListener('unhandledRejection', onRejection);
    }
  });

  it('holds its queue within the byte and count bounds against a store 10× slower than real time, shedding the rest as E_UPLOAD_OVERLOADED in order', async () => {
    // Segments of 20 ms fed in real time (one per 20 ms), each PUT taking 200 ms with one slot: the
    // store keeps up with a tenth of the stream. Without a bound the queue would only grow.
    const SEGMENT_MS = 20;
    const SIZE = 100_000;
    const MAX_BYTES = 5 * SIZE + SIZE / 2;
    const slow = await proxy({ faultRate: 0, latency: { minMs: SEGMENT_MS * 10, maxMs: SEGMENT_MS * 10 } });
    const uploader = uploaderFor(slow.endpoint, { concurrency: 1, maxQueuedBytes: MAX_BYTES, maxQueuedJobs: 8 });
    const total = 60;
    const released: UploadOutcome[] = [];
    const order: number[] = [];
    const pending: Array<Promise<UploadOutcome>> = [];
    let peakBytes = 0;
    let peakJobs = 0;
    const sample = (): void => {
      peakBytes = Math.max(peakBytes, uploader.counters.queuedBytes);
      peakJobs = Math.max(peakJobs, uploader.counters.queued);
    };
    await new Promise<void>((resolve) => {
      let next = 0;
      const feed = setInterval(() => {
        const msg = syntheticSegmentMsg(next, SIZE, { session: 'slow-store', duration: SEGMENT_MS / 1000 });
        const sequence = next;
        pending.push(
          uploader.submit(parseUploadInput(msg as unknown as Record<string, unknown>), (o) => {
            released.push(o);
            order.push(sequence);
            sample();
          }),
        );
        sample();
        next += 1;
        if (next === total) {
          clearInterval(feed);
          resolve();
        }
      }, SEGMENT_MS);
    });
    await Promise.all(pending);
    assert.equal(released.length, total, 'every segment is released: stored or shed, none lost in silence');
    assert.deepEqual(
      order,
      Array.from({ length: total }, (_, i) => i),
      'released in input order, shed ones in their place',
    );
    assert.ok(peakBytes <= MAX_BYTES, `queued bytes peaked at ${peakBytes} > ${MAX_BYTES}`);
    assert.ok(peakBytes >= 5 * SIZE, `the queue really filled (peak ${peakBytes})`);
    assert.ok(peakJobs <= 8, `queued jobs peaked at ${peakJobs}`);
    const shed = released.filter((o) => o.status === 'failed');
    assert.ok(shed.length > total / 2, `most of a stream 10× too fast is shed (${shed.length} of ${total})`);
    assert.ok(shed.every((o) => o.status === 'failed' && o.error.code === 'E_UPLOAD_OVERLOADED'));
    assert.equal(uploader.counters.shed, shed.length);
    assert.equal(uploader.counters.puts, total - shed.length, 'a shed segment costs no PUT');
    for (const o of released.filter((r) => r.status === 'stored')) assert.equal((await fetchBytes(storedUrl(o))).status, 200);
    assert.equal(uploader.counters.queuedBytes, 0, 'nothing left queued once everything is released');
    assert.equal(uploader.counters.queued, 0);
    // Once the backlog has drained, segments are taken again.
    const after = await uploader.submit(
      parseUploadInput(syntheticSegmentMsg(total, SIZE, { session: 'slow-store' }) as unknown as Record<string, unknown>),
      () => undefined,
    );
    assert.equal(after.status, 'stored');
    await uploader.close(1000);
  });

  it('never deletes a segment the manifest still lists, whatever its own Keep count; deletes what left the window once available long enough', async () => {
    // Keep 3, but the manifest's window is 10 segments: before #14 r2-upload deleted listed segments.
    const clock = new FakeClock();
    const listings = new PlaylistListings();
    const uploader = uploaderFor(s3.endpoint, { clock, retention: { keepSegments: 3, graceMs: 0, listings } });
    const core = new ManifestCore({ windowSegments: 10, clock: () => clock.now(), listings: listings.forOwner('m1') });
    for (let i = 0; i < 15; i++) {
      const msg = syntheticSegmentMsg(i, 1000, { session: 'listed', duration: 2 });
      const outcome = await uploader.submit(parseUploadInput(msg as unknown as Record<string, unknown>), () => undefined);
      const stored = outcome as Extract<UploadOutcome, { kind: 'segment' }>;
      core.apply({ ...msg, segment: { ...msg.segment, url: stored.object.url, key: stored.object.key } });
      clock.advance(2000);
      await uploader.sweep();
    }
    clock.advance(10 * 60_000);
    await uploader.sweep();
    const listed = parseMediaPlaylist(core.mediaPlaylist('synthetic', 'main')!.text).segments.map((e) => e.uri);
    assert.equal(listed.length, 10);
    for (const url of listed) assert.equal((await fetchBytes(url)).status, 200, `${url} is listed, so it must still be there`);
    const left = [0, 1, 2, 3, 4].map((i) => `${s3.publicBaseUrl}/live/synthetic/listed/main/seg-${String(i).padStart(8, '0')}.ts`);
    for (const url of left) assert.equal((await fetchBytes(url)).status, 404, `${url} left the window long ago`);
    await uploader.close(1000);
  });

  it('warns once, before its first deletion, when no manifest of this process guards what it deletes (Keep alone decides)', async () => {
    const run = async (listings: PlaylistListings, session: string): Promise<string[]> => {
      const clock = new FakeClock();
      const warnings: string[] = [];
      const uploader = uploaderFor(s3.endpoint, { clock, retention: { keepSegments: 1, graceMs: 0, listings }, warnUnguardedCleanup: (m) => warnings.push(m) });
      await submitAll(
        uploader,
        [0, 1, 2, 3].map((i) => syntheticSegmentMsg(i, 1000, { session, duration: 2 })),
      );
      assert.equal(warnings.length, 0, 'nothing deleted yet, nothing to warn about');
      clock.advance(60_000);
      await uploader.sweep();
      clock.advance(60_000);
      await uploader.sweep();
      await uploader.close(1000);
      return warnings;
    };
    const alone = await run(new PlaylistListings(), 'unguarded');
    assert.equal(alone.length, 1, 'once, however many deletions');
    assert.match(alone[0]!, /Keep all/);
    // A manifest in this process reports its listings: the deletions are guarded, no warning.
    const guarded = new PlaylistListings();
    guarded.forOwner('m1').list('live/other/key.ts');
    assert.deepEqual(await run(guarded, 'guarded'), []);
  });

  it('keeps its index of stored objects across a restart, so the next run deletes what the previous one stored', async () => {
    const clock = new FakeClock();
    let saved: unknown;
    const state = {
      load: () => saved,
      save: (value: unknown) => {
        saved = JSON.parse(JSON.stringify(value));
      },
    };
    const first = uploaderFor(s3.endpoint, { clock, retention: { keepSegments: 1, graceMs: 0 }, retentionState: state });
    const msgs = [0, 1, 2, 3].map((i) => syntheticSegmentMsg(i, 1000, { session: 'restart-index', duration: 2 }));
    const released = await submitAll(first, msgs);
    const urls = released.map((r) => storedUrl(r.outcome));
    await first.close(1000); // a redeploy or a crash: the first run never got to delete anything
    for (const url of urls) assert.equal((await fetchBytes(url)).status, 200);
    const second = uploaderFor(s3.endpoint, { clock, retention: { keepSegments: 1, graceMs: 0 }, retentionState: state });
    clock.advance(60_000);
    await second.sweep();
    assert.deepEqual(await Promise.all(urls.map(async (u) => (await fetchBytes(u)).status)), [404, 404, 404, 200], 'the newest (kept) one stays');
    await second.close(1000);
  });

  it('releases a redelivered segment its persisted index already holds with its URL and no second PUT; one it does not hold is stored again under the same key', async () => {
    let saved: unknown;
    const state = {
      load: () => saved,
      save: (value: unknown) => {
        saved = JSON.parse(JSON.stringify(value));
      },
    };
    const first = uploaderFor(s3.endpoint, { retentionState: state });
    const msgs = [0, 1].map((i) => syntheticSegmentMsg(i, 1000, { session: 'redelivered-index' }));
    const firstUrls = (await submitAll(first, msgs)).map((r) => storedUrl(r.outcome));
    await first.close(1000); // manifest never confirmed them (a crash, or msgs dropped by a redeploy)

    const second = uploaderFor(s3.endpoint, { retentionState: state });
    const again = (m: SegmentMsg): SegmentMsg => ({ ...m, segment: { ...m.segment, redelivered: true } });
    const stranger = again(syntheticSegmentMsg(2, 1000, { session: 'redelivered-index' }));
    const released = await submitAll(second, [again(msgs[0] as SegmentMsg), again(msgs[1] as SegmentMsg), stranger]);
    assert.deepEqual(released.map((r) => storedUrl(r.outcome)).slice(0, 2), firstUrls, 'the same immutable URLs');
    assert.deepEqual(
      released.map((r) => r.outcome.report.attempts),
      [0, 0, 1],
      'PUT only for the one the index does not hold',
    );
    assert.equal(second.counters.puts, 1);
    const { status, bytes } = await fetchBytes(storedUrl(released[2].outcome));
    assert.equal(status, 200);
    assert.equal(sha256(bytes), stranger.segment.sha256);
    const lanes = (saved as { lanes: Array<[string, Array<{ key: string }>]> }).lanes;
    const keys = lanes.flatMap(([, entries]) => entries.map((e) => e.key));
    assert.equal(keys.length, new Set(keys).size, 'no key indexed twice');
    assert.equal(keys.length, 3);
    await second.close(1000);
  });

  it('a repeat that arrives while the first copy is still in flight (a partial deploy) is PUT again, same key, same bytes, released after it; manifest lists it once', async () => {
    let saved: unknown;
    const state = {
      load: () => saved,
      save: (value: unknown) => {
        saved = JSON.parse(JSON.stringify(value));
      },
    };
    const uploader = uploaderFor(s3.endpoint, { retentionState: state });
    const first = syntheticSegmentMsg(0, 1000, { session: 'repeat-in-flight', duration: 2 }) as SegmentMsg;
    const repeat: SegmentMsg = { ...first, segment: { ...first.segment, redelivered: true } };
    // Both taken before either is stored: the index cannot vouch for the key yet.
    const released = await submitAll(uploader, [first, repeat]);
    assert.deepEqual(
      released.map((r) => r.msg),
      [first, repeat],
      'in input order',
    );
    const urls = released.map((r) => storedUrl(r.outcome));
    assert.equal(urls[0], urls[1], 'one immutable key');
    assert.equal(uploader.counters.puts, 2, 'a second, identical PUT: accepted, it stores the same object');
    assert.equal(sha256((await fetchBytes(urls[0])).bytes), first.segment.sha256);
    const keys = (saved as { lanes: Array<[string, Array<{ key: string }>]> }).lanes.flatMap(([, entries]) => entries.map((e) => e.key));
    assert.equal(keys.length, 1, 'indexed once');
    const core = new ManifestCore({ windowSegments: 10 });
    for (const r of released) core.apply({ ...r.msg, segment: { ...(r.msg as unknown as SegmentMsg).segment, url: storedUrl(r.outcome) } });
    assert.deepEqual(
      parseMediaPlaylist(core.mediaPlaylist(first.segment.stream, first.segment.rendition)!.text).segments.map((e) => e.uri),
      [urls[0]],
      'listed once',
    );
    await uploader.close(1000);
  });

  describe('deadline-aware attempts (timeouts that follow recent PUT times, hedged attempts)', function () {
    this.timeout(20_000);
    const warmUp = async (uploader: Uploader, session: string): Promise<void> => {
      await submitAll(
        uploader,
        Array.from({ length: 12 }, (_, i) => syntheticSegmentMsg(i, 1000, { session })),
      );
    };

    it('starts a second, hedged attempt when one runs late, and the first answer wins (a stalled PUT no longer holds its rendition for the whole timeout)', async () => {
      // The first PUT of segment 100 stalls for 60 s; the configured timeout is 30 s: only a hedge
      // can store it before this spec's own 20 s limit.
      let stalled = 0;
      const staller = await proxy({
        faultRate: 0,
        stallMs: 60_000,
        record: true,
        rule: (method, url) => (method === 'PUT' && url.includes('seg-00000100') && stalled++ === 0 ? 'stall' : null),
      });
      const uploader = uploaderFor(staller.endpoint, { attemptTimeoutMs: 30_000, deadlineAware: true });
      await warmUp(uploader, 'hedge');
      assert.ok(uploader.hedgeAfterMs !== undefined && uploader.hedgeAfterMs < 30_000, `a hedge delay is known after the warm-up (${uploader.hedgeAfterMs})`);
      const [r] = await submitAll(uploader, [syntheticSegmentMsg(100, 1000, { session: 'hedge' })]);
      assert.equal((await fetchBytes(storedUrl(r.outcome))).status, 200);
      assert.equal(r.outcome.report.attempts, 1, 'one attempt, answered by its hedge');
      assert.equal(uploader.counters.hedges, 1);
      assert.equal(staller.requests.filter((q) => q.method === 'PUT' && q.url.includes('seg-00000100')).length, 2);
      await uploader.close(1000);
    });

    it('sends the next twin at once when a hedge fails while the first request is still stalled', async () => {
      let n = 0;
      const faults = ['stall', '5xx'] as const;
      const proxied = await proxy({
        faultRate: 0,
        stallMs: 60_000,
        rule: (method, url) => (method === 'PUT' && url.includes('seg-00000300') ? (faults[n++] ?? null) : null),
      });
      const uploader = uploaderFor(proxied.endpoint, { attemptTimeoutMs: 30_000, deadlineAware: true });
      await warmUp(uploader, 'rehedge');
      const [r] = await submitAll(uploader, [syntheticSegmentMsg(300, 1000, { session: 'rehedge' })]);
      assert.equal((await fetchBytes(storedUrl(r.outcome))).status, 200);
      assert.equal(r.outcome.report.attempts, 1, 'stored within the first attempt');
      assert.equal(uploader.counters.hedges, 2);
      await uploader.close(1000);
    });

    it('bounds each attempt by a small multiple of the recent PUT times (with a floor), not the configured maximum', async () => {
      // The first two PUTs of segment 200 (the attempt and its hedge) stall; the retry is stored.
      let stalled = 0;
      const staller = await proxy({
        faultRate: 0,
        stallMs: 60_000,
        rule: (method, url) => (method === 'PUT' && url.includes('seg-00000200') && stalled++ < 2 ? 'stall' : null),
      });
      const uploader = uploaderFor(staller.endpoint, { attemptTimeoutMs: 30_000, deadlineAware: true, backoff: { baseMs: 10, maxMs: 20 } });
      assert.equal(uploader.attemptTimeoutMsNow, 30_000, 'no PUT times yet: the configured maximum');
      await warmUp(uploader, 'adaptive');
      const adaptive = uploader.attemptTimeoutMsNow;
      assert.ok(adaptive >= 2000 && adaptive < 30_000, `attempt timeout follows the PUT times: ${adaptive} ms`);
      const [r] = await submitAll(uploader, [syntheticSegmentMsg(200, 1000, { session: 'adaptive' })]);
      assert.equal((await fetchBytes(storedUrl(r.outcome))).status, 200);
      assert.equal(r.outcome.report.attempts, 2, 'the first attempt timed out at the adaptive deadline, the retry stored it');
      await uploader.close(1000);
    });
  });

  it('keeps a bounded cache of stored init sections (one per session and rendition would grow for ever)', async () => {
    const uploader = uploaderFor(s3.endpoint, { maxCachedInits: 4 });
    const init = (n: number) => {
      const bytes = Buffer.from(`init-${n}`.repeat(40));
      return { uri: 'init.mp4', path: '/x/init.mp4', bytes, byteLength: bytes.length, sha256: sha256(bytes), contentType: 'video/mp4' };
    };
    for (let session = 0; session < 10; session++) {
      const msg = { ...syntheticSegmentMsg(0, 1000, { session: `inits-${session}` }), init: init(session) };
      const [r] = await submitAll(uploader, [msg]);
      assert.equal(r.outcome.status, 'stored');
      assert.ok(uploader.cachedInits <= 4, `${uploader.cachedInits} init sections cached`);
    }
    // An init that fell out of the cache is simply stored again (same key, same bytes) when needed.
    const again = { ...syntheticSegmentMsg(1, 1000, { session: 'inits-0' }), init: init(0) };
    const [r] = await submitAll(uploader, [again]);
    assert.equal(r.outcome.report.initUploaded, true);
    assert.equal(r.outcome.status, 'stored');
    await uploader.close(1000);
  });
});
