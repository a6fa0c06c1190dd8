// The pure parts of the upload core: keys, input validation, failure classification, backoff,
// slot priority, retention timing (fake clock), bucket settings and redaction.
import assert from 'node:assert/strict';
import { RelaycastError } from '../../../lib/errors';
import {
  backoffDelayMs,
  classifyStoreError,
  extensionOf,
  initKey,
  makeRedactor,
  normalizeKeyPrefix,
  objectKey,
  parseUploadInput,
  partKey,
  PrioritySlots,
  publicUrl,
  r2Endpoint,
  resolveBucketSettings,
  RetentionIndex,
  segmentKey,
} from '../../../lib/upload';
import { fixturePartMsg, syntheticSegmentMsg } from './support/fixture-segments';
import { FakeClock } from './support/harness';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as RelaycastError).code;
  }
};

describe('upload core: keys and URLs', () => {
  it('normalizes the key prefix', () => {
    assert.equal(normalizeKeyPrefix(''), '');
    assert.equal(normalizeKeyPrefix(undefined), '');
    assert.equal(normalizeKeyPrefix('/live//a/'), 'live/a/');
    assert.equal(
      codeOf(() => normalizeKeyPrefix('live/../x')),
      'E_UPLOAD_CONFIG',
    );
  });

  it('derives unique, safe segment and init keys from stream, session, rendition and sequence', () => {
    const s = { stream: 'cam 1', session: 's-1', rendition: '720p', sequence: 42, uri: 'seg_00042.TS?x=1' };
    assert.equal(segmentKey('live/', s), 'live/cam_1/s-1/720p/seg-00000042.ts');
    assert.notEqual(segmentKey('live/', s), segmentKey('live/', { ...s, session: 's-2' }), 'a new session never reuses a key');
    assert.equal(segmentKey('', { ...s, stream: '..', uri: 'noext' }), '_/s-1/720p/seg-00000042.bin');
    assert.equal(initKey('', s, { uri: 'init.mp4', sha256: 'ab'.repeat(32) }), `cam_1/s-1/720p/init-${'ab'.repeat(8)}.mp4`);
    // A part sits beside its segment, named by the segment's sequence and its own index.
    assert.equal(partKey('live/', { ...s, index: 2 }), 'live/cam_1/s-1/720p/seg-00000042.part2.ts');
    assert.notEqual(partKey('live/', { ...s, index: 0 }), segmentKey('live/', s));
    assert.equal(extensionOf('a/b/c.m4s#frag'), '.m4s');
    assert.equal(extensionOf('.hidden'), '');
  });

  it('accepts file keys under the prefix and refuses ones that could escape it', () => {
    assert.equal(objectKey('live/', 'cam/index.m3u8'), 'live/cam/index.m3u8');
    for (const bad of ['', '/abs', 'a/../b', 'a//b', 'a\\b', 'a\u0000b', 'x'.repeat(1025), 42]) {
      assert.equal(
        codeOf(() => objectKey('live/', bad)),
        'E_UPLOAD_INPUT',
        String(bad).slice(0, 20),
      );
    }
  });

  it('builds public URLs with encoded path components and no double slash', () => {
    assert.equal(publicUrl('https://media.example.com/', 'live/a b/seg.ts'), 'https://media.example.com/live/a%20b/seg.ts');
  });
});

describe('upload core: input validation', () => {
  it('routes segment, file, gap and lifecycle msgs into lanes', () => {
    const seg = parseUploadInput(syntheticSegmentMsg(1, 100, { rendition: 'r1' }) as never);
    assert.equal(seg.kind, 'segment');
    const gap = parseUploadInput({ topic: 'gap', payload: {}, segment: { stream: 'synthetic', rendition: 'r1' } });
    assert.deepEqual(gap, { kind: 'pass', lane: seg.lane }, 'a gap keeps its place in its rendition');
    const life = parseUploadInput({ topic: 'lifecycle', payload: { event: 'ended', stream: 'synthetic', rendition: 'r1' } });
    assert.equal(life.lane, seg.lane);
    const part = parseUploadInput(fixturePartMsg('part_00000.ts', { sequence: 3, index: 0 }) as never);
    assert.equal(part.kind, 'part');
    assert.equal(
      part.lane,
      parseUploadInput({ topic: 'gap', payload: {}, segment: { stream: 'parts', rendition: 'main' } }).lane,
      'a part keeps its place in its rendition',
    );
    const file = parseUploadInput({ topic: 'playlist', key: 'a.m3u8', payload: '#EXTM3U', segment: { stream: 'x' } });
    assert.equal(file.kind, 'object');
    assert.equal(file.kind === 'object' && file.body.toString(), '#EXTM3U');
  });

  it('refuses malformed msgs with E_UPLOAD_INPUT', () => {
    const good = syntheticSegmentMsg(1, 100);
    const cases: Array<Record<string, unknown>> = [
      { payload: 'nothing' },
      { ...good, payload: 'not a buffer' },
      { ...good, segment: { ...good.segment, sha256: '0'.repeat(64) } },
      { ...good, segment: { ...good.segment, byteLength: 99 } },
      { ...good, segment: { ...good.segment, sequence: -1 } },
      { ...good, segment: { ...good.segment, duration: Number.NaN } },
      // The contract's rules (lib/protocol/msgs/), the same ones hls-watch and manifest apply:
      { ...good, segment: { ...good.segment, duration: 0 } },
      { ...good, segment: { ...good.segment, rendition: 'has space' } },
      { ...good, segment: { ...good.segment, stream: 'x'.repeat(65) } },
      { ...good, segment: { ...good.segment, session: '' } },
      { ...good, init: { uri: 'init.mp4', bytes: 'x' } },
      { ...good, init: { uri: 'init.mp4', bytes: Buffer.from('x'), sha256: 'f'.repeat(64) } },
      { key: 'a', payload: 42 },
      { key: 'a', payload: 'x', contentType: '' },
      { topic: 'gap' },
      // A part is checked as a segment is: its bytes against its length and hash, its fields by the contract.
      { ...fixturePartMsg('part_00001.ts', { sequence: 0, index: 1 }), payload: Buffer.from('other bytes') },
      (() => {
        const msg = fixturePartMsg('part_00001.ts', { sequence: 0, index: 1 });
        return { ...msg, part: { ...msg.part, duration: 0 } };
      })(),
    ];
    for (const msg of cases)
      assert.equal(
        codeOf(() => parseUploadInput(msg)),
        'E_UPLOAD_INPUT',
        JSON.stringify(msg).slice(0, 80),
      );
  });
});

describe('upload core: failure classification and backoff', () => {
  const status = (httpStatusCode: number, name = 'Error') => Object.assign(new Error('x'), { name, $metadata: { httpStatusCode } });
  const classify = (err: unknown) => classifyStoreError(err, { timedOut: false, closing: false });

  it('retries what a later attempt can fix, and nothing else', () => {
    assert.deepEqual(
      [503, 500, 429].map((s) => classify(status(s)).retryable),
      [true, true, true],
    );
    assert.equal(classify(status(400, 'BadDigest')).retryable, true);
    assert.equal(classify(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).retryable, true);
    assert.equal(classifyStoreError(new Error('aborted'), { timedOut: true, closing: false }).code, 'E_UPLOAD_TIMEOUT');
    assert.deepEqual(classify(status(403, 'SignatureDoesNotMatch')), {
      retryable: false,
      code: 'E_UPLOAD_AUTH',
      reason: 'SignatureDoesNotMatch (HTTP 403)',
      status: 403,
    });
    assert.equal(classify(status(404, 'NoSuchBucket')).code, 'E_UPLOAD_NO_BUCKET');
    assert.deepEqual(
      classify(status(400, 'AuthorizationHeaderMalformed')),
      { retryable: false, code: 'E_UPLOAD_AUTH', reason: 'AuthorizationHeaderMalformed (HTTP 400)', status: 400 },
      'signed for the wrong region',
    );
    assert.equal(classify(status(400, 'InvalidArgument')).code, 'E_UPLOAD_REJECTED');
    assert.equal(classify(Object.assign(new Error('dns'), { code: 'ENOTFOUND' })).retryable, false);
    assert.equal(classifyStoreError(status(503), { timedOut: false, closing: true }).code, 'E_UPLOAD_ABORTED', 'closing wins');
  });

  it('backs off exponentially with full jitter, capped', () => {
    const options = { baseMs: 100, maxMs: 1000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, options, () => 0.999999)),
      [99, 199, 399, 799, 999],
    );
    assert.equal(
      backoffDelayMs(3, options, () => 0),
      0,
    );
  });
});

describe('upload core: priority slots', () => {
  it('never exceeds capacity and serves waiters lowest priority first', async () => {
    const slots = new PrioritySlots(2);
    await slots.acquire(10);
    await slots.acquire(11);
    const order: number[] = [];
    const waiting = [30, 20, 25].map((p) =>
      slots.acquire(p).then(() => {
        order.push(p);
      }),
    );
    assert.equal(slots.waiting, 3);
    slots.release();
    slots.release();
    slots.release();
    await Promise.all(waiting);
    assert.deepEqual(order, [20, 25, 30]);
    assert.equal(slots.inUse, 2);
  });

  it('a waiter leaves the queue when aborted', async () => {
    const slots = new PrioritySlots(1);
    await slots.acquire(0);
    const controller = new AbortController();
    const waiting = slots.acquire(1, controller.signal);
    controller.abort();
    await assert.rejects(waiting, (err: RelaycastError) => err.code === 'E_UPLOAD_ABORTED');
    assert.equal(slots.waiting, 0);
  });
});

describe('upload core: retention timing (fake clock)', () => {
  it('makes a segment due exactly at leave time + its duration + the kept duration + grace', () => {
    const clock = new FakeClock(0);
    const index = new RetentionIndex({ keepSegments: 2, graceMs: 500 }, clock);
    index.recordSegment('lane', { key: 'a', durationSec: 2 });
    index.recordSegment('lane', { key: 'b', durationSec: 3 });
    clock.advance(1000);
    index.recordSegment('lane', { key: 'c', durationSec: 4 }); // a leaves at 1 s: 1000 + (2 + 3 + 4) s + 500
    assert.deepEqual(index.due(), []);
    clock.time = 10_499;
    assert.deepEqual(index.due(), []);
    clock.time = 10_500;
    assert.deepEqual(index.due(), ['a']);
    assert.deepEqual(index.due(), [], 'handed out once');
    index.deleteFailed('a');
    assert.deepEqual(index.due(), ['a'], 'a failed deletion is retried');
    index.deleted('a');
    assert.deepEqual(index.due(), []);
  });

  it('other renditions do not push a segment out, and keepAll never deletes', () => {
    const clock = new FakeClock(0);
    const index = new RetentionIndex({ keepSegments: 1, graceMs: 0 }, clock);
    index.recordSegment('r1', { key: 'r1-a', durationSec: 1 });
    index.recordSegment('r2', { key: 'r2-a', durationSec: 1 });
    clock.advance(60_000);
    assert.deepEqual(index.due(), []);
    const keepAll = new RetentionIndex({ keepAll: true, keepSegments: 1 }, clock);
    for (const key of ['x', 'y', 'z']) keepAll.recordSegment('r', { key, durationSec: 1 });
    clock.advance(1e9);
    assert.deepEqual(keepAll.due(), []);
  });
});

describe('upload core: bucket settings and redaction', () => {
  it('derives R2 endpoints from the account id, EU jurisdiction included', () => {
    assert.equal(r2Endpoint('abc123', 'default'), 'https://abc123.r2.cloudflarestorage.com');
    const eu = resolveBucketSettings({ provider: 'r2-eu', accountId: 'abc123', bucket: 'media', publicBaseUrl: 'https://m.example.com/', keyPrefix: '/live/' });
    assert.deepEqual(eu, {
      provider: 'r2-eu',
      endpoint: 'https://abc123.eu.r2.cloudflarestorage.com',
      region: 'auto',
      bucket: 'media',
      publicBaseUrl: 'https://m.example.com',
      keyPrefix: 'live/',
      forcePathStyle: true,
    });
    const custom = resolveBucketSettings({
      provider: 's3',
      endpoint: 'http://127.0.0.1:9000/',
      bucket: 'relaycast',
      publicBaseUrl: 'http://127.0.0.1:9000/relaycast',
      forcePathStyle: 'false',
    });
    assert.equal(custom.endpoint, 'http://127.0.0.1:9000');
    assert.equal(custom.forcePathStyle, false);
  });

  it('refuses invalid settings with E_R2_CONFIG', () => {
    const base = { provider: 'r2', accountId: 'abc', bucket: 'media', publicBaseUrl: 'https://m.example.com' };
    for (const bad of [
      { provider: 'gcs' },
      { accountId: 'x/y' },
      { bucket: 'Bad_Bucket' },
      { publicBaseUrl: 'ftp://x' },
      { provider: 's3', endpoint: 'nope' },
    ]) {
      assert.equal(
        codeOf(() => resolveBucketSettings({ ...base, ...bad })),
        'E_R2_CONFIG',
        JSON.stringify(bad),
      );
    }
  });

  it('redacts secrets from text', () => {
    const redact = makeRedactor(['AKIDSECRET1', 'top/secret+value', undefined, 'ab']);
    assert.equal(redact('key AKIDSECRET1 and top/secret+value; ab stays'), 'key [redacted] and [redacted]; ab stays');
  });
});
