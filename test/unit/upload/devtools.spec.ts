// The test harnesses themselves: the local S3 server process and the fault proxy.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startFaultProxy } from '../../../devtools/fault-proxy';
import { seededRandom } from '../../../devtools/fault-proxy/seeded-random';
import { startLocalS3 } from '../../../devtools/local-s3';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../lib/upload';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('devtools/local-s3 and devtools/fault-proxy', function () {
  this.timeout(30_000);

  it('local S3 runs in its own process, serves objects anonymously with their headers and CORS, and leaves nothing behind', async () => {
    const s3 = await startLocalS3({ bucket: 'relaycast' });
    assert.notEqual(s3.pid, process.pid);
    assert.equal(alive(s3.pid), true);
    const client = createS3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    try {
      const body = Buffer.from('hello relaycast');
      await client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: 'a/seg.ts',
          Body: body,
          ContentType: 'video/mp2t',
          CacheControl: 'public, max-age=31536000, immutable',
          ContentMD5: createHash('md5').update(body).digest('base64'),
        }),
      );
      const res = await fetch(`${s3.publicBaseUrl}/a/seg.ts`, { headers: { Origin: 'http://viewer.example' } });
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), body);
      assert.equal(res.headers.get('content-type'), 'video/mp2t');
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const preflight = await fetch(`${s3.publicBaseUrl}/a/seg.ts`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://viewer.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
      });
      assert.equal(preflight.status, 200);
      assert.equal(preflight.headers.get('access-control-allow-headers'), 'range');
    } finally {
      client.destroy();
      await s3.stop();
    }
    assert.equal(alive(s3.pid), false, 'the server process is gone');
  });

  it('the fault proxy replays the same fault pattern for the same seed and counts what it injected', async () => {
    const upstream = await startLocalS3({ bucket: 'relaycast' });
    try {
      const run = async (): Promise<Array<string | null>> => {
        const proxy = await startFaultProxy({ target: upstream.endpoint, faultRate: 0.5, seed: 99, kinds: ['5xx', '429', 'reset-before'], record: true });
        const results: Array<string | null> = [];
        for (let i = 0; i < 20; i += 1) {
          try {
            const res = await fetch(`${proxy.endpoint}/relaycast/missing-${i}`);
            await res.arrayBuffer();
            results.push(String(res.status));
          } catch {
            results.push('reset');
          }
        }
        const injected = proxy.counts.injected;
        assert.equal(proxy.counts.requests, 20);
        assert.equal(injected['5xx'] + injected['429'] + injected['reset-before'] + proxy.counts.forwarded, 20);
        assert.equal(results.filter((r) => r === '503').length, injected['5xx']);
        assert.equal(results.filter((r) => r === '429').length, injected['429']);
        assert.equal(results.filter((r) => r === '404').length, proxy.counts.forwarded, 'forwarded requests reach the real server');
        assert.equal(proxy.requests[0]!.headers.host, new URL(proxy.endpoint).host, 'Host header as the client sent it');
        await proxy.stop();
        return results;
      };
      const first = await run();
      assert.deepEqual(await run(), first);
      assert.ok(first.includes('503') && first.includes('429') && first.includes('reset'));
    } finally {
      await upstream.stop();
    }
  });

  it('seededRandom is deterministic and uniform enough', () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    const xs = Array.from({ length: 10_000 }, () => a());
    assert.deepEqual(
      Array.from({ length: 10_000 }, () => b()),
      xs,
    );
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(mean > 0.48 && mean < 0.52);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
  });
});
