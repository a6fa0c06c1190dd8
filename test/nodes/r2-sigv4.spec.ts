// Request signing, through the real relaycast-r2-bucket and relaycast-r2-upload nodes in a Node-RED
// runtime, against a store that checks it: s3rver accepts any signature, so it sits behind
// test/support/sigv4-proxy.ts, which recomputes every request's AWS SigV4 signature (header auth,
// x-amz-content-sha256 as the SDK sends it) and refuses it as S3 would. A correct bucket config
// stores every segment; a wrong region, a wrong secret, or a credential left as an unexpanded
// ${…} environment reference fails with a clear code, a red status, and nothing stored.
import assert from 'node:assert/strict';
import http from 'node:http';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import type { SegmentMsg } from '../../lib/protocol/msgs';
import { startSigV4Proxy, type SigV4Proxy } from '../support/sigv4-proxy';
import { distNode, helper } from '../support/node-red';
import { until } from '../support/until';
import { syntheticSegmentMsg } from '../unit/upload/support/fixture-segments';
import { fetchBytes, sha256 } from '../unit/upload/support/harness';

const bucketNode = distNode('r2-bucket');
const uploadNode = distNode('r2-upload');
const ACCESS_KEY_ID = 'AKIDSIGV4CHECKED01';
const SECRET = 'SigV4-Checked/Secret+Key=7c1d02';
const REGION = 'auto';

type Msg = Record<string, unknown>;
interface StatusSpy {
  getCalls(): Array<{ thisValue: { id: string }; args: Array<{ fill?: string; text?: string }> }>;
}

describe('SigV4: r2-bucket / r2-upload against a signature-checking S3 endpoint (Node-RED runtime)', function () {
  this.timeout(30_000);
  let s3: LocalS3;
  let proxy: SigV4Proxy;

  before(async () => {
    s3 = await startLocalS3({ bucket: 'signed', accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
    proxy = await startSigV4Proxy({ target: s3.endpoint, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, region: REGION });
  });
  after(async () => {
    await proxy.stop();
    await s3.stop();
  });
  afterEach(async () => {
    await helper.unload();
    delete process.env.RELAYCAST_TEST_SIGV4_SECRET;
  });

  async function deploy(bucket: Record<string, unknown>, credentials: Record<string, string>): Promise<{ out: Msg[]; caught: Msg[] }> {
    const out: Msg[] = [];
    const caught: Msg[] = [];
    await helper.load(
      [bucketNode, uploadNode] as never,
      [
        { id: 'tab', type: 'tab', label: 'sigv4' },
        {
          id: 'b1',
          type: 'relaycast-r2-bucket',
          z: 'tab',
          provider: 's3',
          endpoint: proxy.endpoint,
          region: REGION,
          bucket: s3.bucket,
          publicBaseUrl: s3.publicBaseUrl,
          keyPrefix: 'signed',
          forcePathStyle: true,
          ...bucket,
        },
        { id: 'u1', type: 'relaycast-r2-upload', z: 'tab', bucket: 'b1', concurrency: 2, maxAttempts: 3, attemptTimeout: 5, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'c1', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ] as never,
      { b1: credentials } as never,
    );
    helper.getNode('out').on('input', (msg: Msg) => out.push(msg));
    helper.getNode('caught').on('input', (msg: Msg) => caught.push(msg));
    return { out, caught };
  }

  const lastStatus = (): { fill?: string; text?: string } | undefined =>
    (helper.getNode('u1').status as unknown as StatusSpy)
      .getCalls()
      .filter((c) => c.thisValue.id === 'u1')
      .at(-1)?.args[0];
  const decisionsFor = (session: string) => proxy.decisions.filter((d) => d.url.includes(`/${session}/`));

  it('a correct config: every PUT is verified by its signature and stored; the public URL serves the exact bytes', async () => {
    const { out } = await deploy({}, { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
    const msgs = [0, 1, 2].map((i) => syntheticSegmentMsg(i, 3000 + i, { session: 'sigv4-ok' }));
    for (const msg of msgs) helper.getNode('u1').receive(msg as never);
    await until(() => out.length === msgs.length, 'three stored segments', 15_000);
    for (const [i, msg] of out.entries()) {
      const segment = msg.segment as SegmentMsg['segment'];
      assert.equal(msg.topic, 'segment');
      const got = await fetchBytes(segment.url!);
      assert.equal(got.status, 200);
      assert.equal(sha256(got.bytes), msgs[i]!.segment.sha256);
    }
    const puts = decisionsFor('sigv4-ok').filter((d) => d.method === 'PUT');
    assert.equal(puts.length, 3);
    assert.deepEqual(
      puts.map((d) => d.refused),
      [null, null, null],
      'each PUT passed the signature check',
    );
    // What the SDK signs the body with: its SHA-256, or UNSIGNED-PAYLOAD; both are checked above.
    for (const d of puts) assert.match(d.payloadHash ?? '', /^([0-9a-f]{64}|UNSIGNED-PAYLOAD)$/);
    // The status is throttled: wait for it to settle on green.
    await until(() => lastStatus()?.fill === 'green', 'a green status');
  });

  for (const [name, bucket, credentials, refusedAs] of [
    ['a wrong region', { region: 'eu-central-1' }, { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET }, 'AuthorizationHeaderMalformed'],
    ['a wrong secret', {}, { accessKeyId: ACCESS_KEY_ID, secretAccessKey: `${SECRET}x` }, 'SignatureDoesNotMatch'],
  ] as Array<[string, Record<string, unknown>, Record<string, string>, string]>) {
    it(`${name}: refused by the store, E_UPLOAD_AUTH at once (no retries), a gap, a red status, nothing stored`, async () => {
      const session = `sigv4-${refusedAs}`;
      const { out, caught } = await deploy(bucket, credentials);
      helper.getNode('u1').receive(syntheticSegmentMsg(0, 2000, { session }) as never);
      await until(() => out.length === 1 && caught.length === 1, 'the gap and the error', 15_000);
      assert.equal(out[0]!.topic, 'gap');
      assert.equal((out[0]!.payload as { code: string }).code, 'E_UPLOAD_AUTH');
      const error = caught[0]!.error as { code: string; message: string };
      assert.equal(error.code, 'E_UPLOAD_AUTH');
      assert.match(error.message, new RegExp(refusedAs), 'the message names what the store said');
      assert.ok(!error.message.includes(SECRET), 'and never the secret');
      assert.deepEqual(
        decisionsFor(session).map((d) => `${d.method}:${d.refused}`),
        [`PUT:${refusedAs}`],
        'refused by the signature check, not retried',
      );
      assert.equal(lastStatus()?.fill, 'red');
      const key = `signed/synthetic/${session}/main/seg-00000000.ts`;
      assert.equal((await fetchBytes(`${s3.publicBaseUrl}/${key}`)).status, 404);
    });
  }

  it('a credential left as ${NAME} (the variable is not set): E_R2_CREDENTIALS naming the variable, red status, no request sent', async () => {
    const session = 'sigv4-unset-env';
    const before = proxy.decisions.length;
    const { out, caught } = await deploy({}, { accessKeyId: ACCESS_KEY_ID, secretAccessKey: '${RELAYCAST_TEST_SIGV4_SECRET}' });
    assert.equal(lastStatus()?.fill, 'red', 'red from deploy on');
    helper.getNode('u1').receive(syntheticSegmentMsg(0, 2000, { session }) as never);
    await until(() => caught.length === 1, 'the error');
    const error = caught[0]!.error as { code: string; message: string };
    assert.equal(error.code, 'E_R2_CREDENTIALS');
    assert.match(error.message, /RELAYCAST_TEST_SIGV4_SECRET/);
    assert.match(error.message, /not set/);
    assert.deepEqual(out, []);
    assert.equal(proxy.decisions.length, before, 'nothing was signed with the literal text');
  });

  it('the same reference with the variable set: expanded by Node-RED, signed correctly, stored', async () => {
    process.env.RELAYCAST_TEST_SIGV4_SECRET = SECRET;
    const { out } = await deploy({}, { accessKeyId: ACCESS_KEY_ID, secretAccessKey: '${RELAYCAST_TEST_SIGV4_SECRET}' });
    helper.getNode('u1').receive(syntheticSegmentMsg(0, 2000, { session: 'sigv4-env' }) as never);
    await until(() => out.length === 1, 'the stored segment', 15_000);
    assert.equal(out[0]!.topic, 'segment');
    assert.deepEqual(
      decisionsFor('sigv4-env').map((d) => d.refused),
      [null],
    );
  });

  describe('the checking proxy itself refuses what is not signed right (so the specs above can fail)', () => {
    function send(method: string, path: string, headers: http.OutgoingHttpHeaders, body = ''): Promise<{ status: number; text: string }> {
      const target = new URL(proxy.endpoint);
      return new Promise((resolve, reject) => {
        const req = http.request({ host: target.hostname, port: target.port, method, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        });
        req.on('error', reject);
        req.end(body);
      });
    }

    it('an unsigned request, and a signed one replayed with another path, signed header, body or date', async () => {
      const unsigned = await send('PUT', `/${s3.bucket}/forged.ts`, { 'content-length': 3 }, 'abc');
      assert.equal(unsigned.status, 403);
      assert.match(unsigned.text, /<Code>AccessDenied</);

      const { out } = await deploy({}, { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
      helper.getNode('u1').receive(syntheticSegmentMsg(0, 1500, { session: 'sigv4-replay' }) as never);
      await until(() => out.length === 1, 'one stored segment', 15_000);
      const signed = decisionsFor('sigv4-replay').find((d) => d.method === 'PUT' && d.refused === null)!;
      const replay = (change: { path?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer }) =>
        send(signed.method, change.path ?? signed.url, { ...signed.headers, ...change.headers }, (change.body ?? signed.body) as unknown as string);
      const codeOf = (text: string): string | undefined => /<Code>([^<]+)</.exec(text)?.[1];

      assert.equal((await replay({})).status, 200, 'the request exactly as signed passes (same key, same bytes)');
      const otherPath = await replay({ path: signed.url.replace('seg-00000000', 'seg-00000099') });
      assert.deepEqual([otherPath.status, codeOf(otherPath.text)], [403, 'SignatureDoesNotMatch']);
      const otherType = await replay({ headers: { 'content-type': 'text/html' } });
      assert.deepEqual([otherType.status, codeOf(otherType.text)], [403, 'SignatureDoesNotMatch']);
      // One second later: inside the allowed skew, but not what was signed.
      const date = String(signed.headers['x-amz-date']);
      const later = new Date(
        Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15)) + 1000,
      );
      const otherDate = await replay({
        headers: {
          'x-amz-date': later
            .toISOString()
            .replace(/[-:]/g, '')
            .replace(/\.\d{3}/, ''),
        },
      });
      assert.deepEqual([otherDate.status, codeOf(otherDate.text)], [403, 'SignatureDoesNotMatch']);
      const flipped = Buffer.from(signed.body);
      flipped[0] = (flipped[0] ?? 0) ^ 0xff;
      const otherBody = await replay({ body: flipped });
      if (signed.payloadHash === 'UNSIGNED-PAYLOAD') {
        // The signature does not cover the body then; Content-MD5 (signed) still guards it.
        assert.equal(otherBody.status >= 400, true);
      } else {
        assert.deepEqual([otherBody.status, codeOf(otherBody.text)], [400, 'XAmzContentSHA256Mismatch']);
      }
    });
  });
});
