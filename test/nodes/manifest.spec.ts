import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { helper, distNode } from '../support/node-red';
import { request } from '../support/http-request';
import { PlaylistHistory, errorsOf, formatViolations, validateMasterPlaylist } from '../../devtools/hls-validator';
import { PUBLIC_BASE, gapMsg, lifecycleMsg, segmentMsg } from '../support/manifest-msgs';
import { until as untilHolds } from '../support/until';

type AnyNode = { id: string; receive(msg: unknown): void; on(event: string, fn: (arg: any) => void): void };
type RedApi = { httpNode: http.RequestListener; settings: Record<string, unknown> };

const manifestModule = distNode('manifest') as (red: unknown) => unknown;
let RED: RedApi | undefined;
/** Wraps the node module to capture the RED object, whose httpNode the test server forwards to. */
function manifestWithRed(red: unknown): unknown {
  RED = red as RedApi;
  return manifestModule(red);
}

function flow(config: Record<string, unknown> = {}, extra: object[] = []): object[] {
  return [
    { id: 't1', type: 'tab', label: 'manifest' },
    { id: 'm1', type: 'relaycast-manifest', z: 't1', name: '', windowSegments: 6, targetDuration: 0, dvr: false, gapMode: 'gap', ...config, wires: [['out']] },
    { id: 'out', type: 'helper', z: 't1' },
    { id: 'c1', type: 'catch', z: 't1', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 't1' },
    { id: 'k1', type: 'complete', z: 't1', scope: ['m1'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper', z: 't1' },
    ...extra,
  ];
}

describe('relaycast-manifest node (Node-RED runtime)', function () {
  let server: http.Server;
  let base: string;
  let userDir: string;
  let outputs: any[];
  let caught: any[];
  let completed: number;
  let histories: Map<string, PlaylistHistory>;

  before(async () => {
    server = http.createServer((req, res) => {
      if (!RED) {
        res.statusCode = 503;
        res.end();
        return;
      }
      RED.httpNode(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    userDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-manifest-'));
    helper.settings({ userDir });
    outputs = [];
    caught = [];
    completed = 0;
    histories = new Map();
  });

  afterEach(async () => {
    await helper.unload();
    RED = undefined;
    helper.settings({});
    rmSync(userDir, { recursive: true, force: true });
  });

  /** Loads the flow and wires the output/catch collectors; validates every playlist version sent. */
  async function load(config: Record<string, unknown> = {}, extra: object[] = []): Promise<AnyNode> {
    await helper.load([manifestWithRed as never], flow(config, extra) as never);
    return wire();
  }

  function wire(): AnyNode {
    const out = helper.getNode('out') as unknown as AnyNode;
    out.on('input', (msg: any) => {
      outputs.push(msg);
      if (msg.playlist.rendition === null) {
        const violations = validateMasterPlaylist(msg.payload);
        assert.deepEqual(errorsOf(violations), [], formatViolations(violations));
        return;
      }
      // One history per URL: a later presentation has its own (?presentation=N).
      const id = `${msg.playlist.stream}/${msg.playlist.rendition}${msg.playlist.presentation ? `?presentation=${msg.playlist.presentation}` : ''}`;
      if (!histories.has(id)) histories.set(id, new PlaylistHistory({ requireAbsoluteUris: true }));
      const violations = histories.get(id)!.push(msg.payload);
      assert.deepEqual(errorsOf(violations), [], `${msg.payload}\n${formatViolations(violations)}`);
    });
    (helper.getNode('caught') as unknown as AnyNode).on('input', (msg: any) => caught.push(msg));
    (helper.getNode('completed') as unknown as AnyNode).on('input', () => {
      completed += 1;
    });
    return helper.getNode('m1') as unknown as AnyNode;
  }

  /** Sends msgs one by one, waiting until each is finished (done() seen by a Complete node, or a Catch). */
  async function feed(node: AnyNode, msgs: unknown[]): Promise<void> {
    for (const msg of msgs) await handled(node, msg);
  }

  const until = (check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> => untilHolds(check, 'the condition', timeoutMs, 5);

  async function handled(node: AnyNode, msg: unknown): Promise<void> {
    const before = completed + caught.length;
    node.receive(msg);
    await until(() => completed + caught.length > before);
  }

  const segs = (from: number, to: number, spec: Record<string, unknown> = {}) =>
    Array.from({ length: to - from }, (_, i) => segmentMsg({ sequence: from + i, ...spec }));

  it('serves the master and media playlists with the HLS content type, live Cache-Control, ETag, and outputs each version', async () => {
    const node = await load();
    await feed(node, segs(0, 3));
    const media = await request(base, '/live/demo/main.m3u8');
    assert.equal(media.status, 200);
    assert.equal(media.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.equal(media.headers['cache-control'], 'public, max-age=1');
    assert.match(String(media.headers.etag), /^"[A-Za-z0-9_-]{20}"$/);
    const last = outputs.filter((m) => m.playlist.rendition === 'main').at(-1);
    assert.equal(media.body.toString(), last.payload, 'served bytes = the last output version');
    assert.equal(last.key, 'live/demo/main.m3u8');
    assert.equal(last.contentType, 'application/vnd.apple.mpegurl');
    assert.equal(last.cacheControl, 'public, max-age=1');
    assert.deepEqual(last.playlist, { stream: 'demo', rendition: 'main', mediaSequence: 0, discontinuitySequence: 0, ended: false });
    assert.equal(last.segment.sequence, 2);
    assert.equal(histories.get('demo/main')!.versions.length, 3);

    const master = await request(base, '/live/demo/master.m3u8');
    assert.equal(master.status, 200);
    assert.equal(master.body.toString(), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000000,AVERAGE-BANDWIDTH=1000000\nmain.m3u8\n');
    const masterMsg = outputs.find((m) => m.playlist.rendition === null);
    assert.equal(masterMsg.key, 'live/demo/master.m3u8');

    assert.equal((await request(base, '/live/demo/other.m3u8')).status, 404);
    assert.equal((await request(base, '/live/nope/master.m3u8')).status, 404);
  });

  it('answers If-None-Match with 304, gzips when asked, and supports HEAD', async () => {
    const node = await load();
    await feed(node, segs(0, 2));
    const first = await request(base, '/live/demo/main.m3u8');
    const etag = String(first.headers.etag);
    const cached = await request(base, '/live/demo/main.m3u8', { headers: { 'If-None-Match': etag } });
    assert.equal(cached.status, 304);
    assert.equal(cached.body.length, 0);
    assert.equal(cached.headers.etag, etag);
    assert.equal(cached.headers['cache-control'], 'public, max-age=1');
    const gz = await request(base, '/live/demo/main.m3u8', { headers: { 'Accept-Encoding': 'gzip, deflate' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    assert.deepEqual(gunzipSync(gz.body), first.body);
    const identity = await request(base, '/live/demo/main.m3u8', { headers: { 'Accept-Encoding': 'gzip;q=0' } });
    assert.equal(identity.headers['content-encoding'], undefined);
    const head = await request(base, '/live/demo/main.m3u8', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(first.body.length));
    await feed(node, segs(2, 3));
    const changed = await request(base, '/live/demo/main.m3u8', { headers: { 'If-None-Match': etag } });
    assert.equal(changed.status, 200, 'a new version is not "not modified"');
    assert.notEqual(changed.headers.etag, etag);
  });

  it('applies httpNodeCors and httpNodeMiddleware in front of its routes, like core HTTP In', async () => {
    const seen: string[] = [];
    helper.settings({
      userDir,
      httpNodeCors: { origin: '*', methods: 'GET,HEAD' },
      httpNodeMiddleware: (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => {
        seen.push(req.url ?? '');
        if (req.headers['x-block'] === 'yes') {
          res.statusCode = 401;
          res.end('blocked');
          return;
        }
        next();
      },
    });
    const node = await load();
    await feed(node, segs(0, 1));
    const res = await request(base, '/live/demo/main.m3u8', { headers: { Origin: 'https://viewer.test' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const preflight = await request(base, '/live/demo/main.m3u8', {
      method: 'OPTIONS',
      headers: { Origin: 'https://viewer.test', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-methods'], 'GET,HEAD');
    assert.equal((await request(base, '/live/demo/main.m3u8', { headers: { 'X-Block': 'yes' } })).status, 401);
    assert.deepEqual(seen, ['/live/demo/main.m3u8', '/live/demo/main.m3u8', '/live/demo/main.m3u8']);
    assert.equal((await request(base, '/elsewhere')).status, 404);
    assert.equal(seen.length, 3, 'middleware runs only for the manifest routes');
  });

  it('reports health as JSON: renditions, window, sequences, segment age and request counts', async () => {
    const node = await load();
    await feed(node, segs(0, 8));
    await request(base, '/live/demo/main.m3u8');
    await request(base, '/live/demo/master.m3u8');
    const res = await request(base, '/live/demo/health.json');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    const health = JSON.parse(res.body.toString());
    // Public, like the playlists: no node id, no session id (before #14 it exposed both).
    assert.equal(health.node, undefined);
    assert.ok(!res.body.toString().includes('m1') && !res.body.toString().includes('"s1"'), res.body.toString());
    const main = health.streams.demo.renditions.main;
    assert.equal(health.streams.demo.targetDuration, 2);
    assert.deepEqual(
      [main.segments, main.windowSeconds, main.mediaSequence, main.lastMediaSequence, main.discontinuitySequence, main.ended, main.session],
      [6, 12, 2, 7, 0, false, undefined],
    );
    assert.equal(typeof main.lastSegmentAgeMs, 'number');
    assert.deepEqual(health.requests, { master: 1, media: 1, health: 1, notModified: 0, notFound: 0, blocked: 0 });
  });

  it('removes its routes on close: 404 after the flow stops', async () => {
    const node = await load();
    await feed(node, segs(0, 1));
    assert.equal((await request(base, '/live/demo/main.m3u8')).status, 200);
    await helper.clearFlows();
    assert.equal((await request(base, '/live/demo/main.m3u8')).status, 404);
    assert.equal((await request(base, '/live/demo/health.json')).status, 404);
  });

  it('continues the sequences across a redeploy mid-stream: same bytes served at once, no reset, no duplicate', async () => {
    let node = await load();
    await feed(node, [...segs(0, 9), lifecycleMsg('restarted', { session: 's2' }), ...segs(0, 2, { session: 's2' })]);
    const before = (await request(base, '/live/demo/main.m3u8')).body.toString();
    const statePath = path.join(userDir, 'relaycast', 'manifest', 'm1.json');
    await until(() => existsSync(statePath));
    await helper.setFlows(flow({ name: 'redeployed' }) as never, 'nodes');
    node = wire();
    assert.equal((await request(base, '/live/demo/main.m3u8')).body.toString(), before);
    await handled(node, segmentMsg({ session: 's2', sequence: 1 }));
    assert.equal(caught.at(-1)?.error?.code, 'E_MANIFEST_DUPLICATE', 'a segment re-sent after the redeploy is not listed twice');
    await feed(node, segs(2, 4, { session: 's2' }));
    const after = (await request(base, '/live/demo/main.m3u8')).body.toString();
    assert.match(after, /#EXT-X-MEDIA-SEQUENCE:7\n/);
    assert.match(after, /#EXT-X-DISCONTINUITY-SEQUENCE:0\n/);
    assert.ok(after.includes(`${PUBLIC_BASE}/demo/s2/main/seg_00003.ts\n`));
    assert.equal(histories.get('demo/main')!.versions.length, 13, 'every version across the redeploy validated as one history');
    // The state file is written behind the playlist (coalesced writes): wait for the last one.
    const savedNextMsn = () => JSON.parse(readFileSync(statePath, 'utf8')).streams[0].renditions[0].nextMsn as number;
    await until(() => savedNextMsn() === 13).catch(() => undefined);
    assert.equal(savedNextMsn(), 13);
  });

  it('continues the sequences across a Node-RED restart (new runtime, same userDir)', async () => {
    let node = await load();
    await feed(node, segs(0, 7));
    const before = (await request(base, '/live/demo/main.m3u8')).body.toString();
    await helper.unload();
    await load();
    node = wire();
    assert.equal((await request(base, '/live/demo/main.m3u8')).body.toString(), before, 'the restarted runtime serves the same version');
    // hls-watch restarted too: a new session begins, marked as a discontinuity, numbering continues.
    await feed(node, [lifecycleMsg('started', { session: 's9' }), ...segs(0, 2, { session: 's9' })]);
    const after = (await request(base, '/live/demo/main.m3u8')).body.toString();
    assert.match(after, /#EXT-X-MEDIA-SEQUENCE:3\n/);
    assert.match(
      after,
      /#EXT-X-DISCONTINUITY\n#EXTINF:2.000,\n#EXT-X-PROGRAM-DATE-TIME:[^\n]+\nhttps:\/\/media.example.test\/live\/demo\/s9\/main\/seg_00000.ts\n/,
    );
    const history = new PlaylistHistory({ requireAbsoluteUris: true });
    assert.deepEqual(errorsOf(history.push(before)), []);
    assert.deepEqual(errorsOf(history.push(after)), []);
  });

  it('turns bad input into catchable errors with a code, a red status, and loses nothing', async () => {
    const node = await load({ renditions: 'main' });
    const statuses: any[] = [];
    node.on('call:status', (call: any) => statuses.push(call.args[0]));
    await feed(node, segs(0, 3));
    const good = (await request(base, '/live/demo/main.m3u8')).body.toString();
    const bad: Array<[unknown, string]> = [
      [{ topic: 'segment', payload: 'junk' }, 'E_MANIFEST_BAD_MSG'],
      [{ topic: 'weather' }, 'E_MANIFEST_BAD_TOPIC'],
      [segmentMsg({ sequence: 3, url: null }), 'E_MANIFEST_NO_URL'],
      [segmentMsg({ sequence: 1 }), 'E_MANIFEST_OUT_OF_ORDER'],
      [segmentMsg({ sequence: 3, rendition: 'hi' }), 'E_MANIFEST_WRONG_RENDITION'],
    ];
    for (const [msg, code] of bad) {
      const before = caught.length;
      node.receive(msg);
      await until(() => caught.length > before);
      const error = caught.at(-1).error;
      assert.equal(error.code, code);
      assert.equal(error.source.id, 'm1');
      await until(() => statuses.length > 0 && statuses.at(-1).text === code);
      assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: code });
    }
    assert.equal((await request(base, '/live/demo/main.m3u8')).body.toString(), good, 'the playlist did not change');
    await feed(node, segs(3, 4));
    assert.ok((await request(base, '/live/demo/main.m3u8')).body.toString().includes('seg_00003.ts'), 'the next good segment is listed');
    assert.equal(statuses.at(-1).fill, 'green');
  });

  it('refuses a rendition that its master or health path would shadow, whatever the length of the ids', async () => {
    const node = await load();
    // Before #14 the check tested stream + rendition as one id, so it was skipped past 64 characters.
    for (const stream of ['demo', 's'.repeat(60)]) {
      const before = caught.length;
      node.receive(segmentMsg({ stream, rendition: 'master', sequence: 0 }));
      await until(() => caught.length > before);
      assert.equal(caught.at(-1).error.code, 'E_MANIFEST_BAD_ID', stream);
    }
  });

  it('deleting the node from the flow removes its state file (a redeploy keeps it)', async () => {
    const node = await load();
    await feed(node, segs(0, 2));
    const file = path.join(userDir, 'relaycast', 'manifest', 'm1.json');
    await until(() => existsSync(file));
    await helper.setFlows(flow() as never, 'full');
    assert.equal(existsSync(file), true, 'redeployed: kept');
    wire();
    await helper.setFlows(flow().filter((n) => (n as { id: string }).id !== 'm1') as never, 'full');
    assert.equal(existsSync(file), false, 'deleted: removed');
  });

  it('after a corrupt state file, numbers from the wall clock instead of 0 (never reusing an MSN a player saw), keeping the bad file', async () => {
    const dir = path.join(userDir, 'relaycast', 'manifest');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'm1.json'), '{"format": 1, "streams": [tor');
    const before = Date.now();
    // Outputs are not validated here: a first version numbered from n reads, to a validator, as
    // one whose first n segments were removed.
    await helper.load([manifestWithRed as never], [
      { id: 't1', type: 'tab', label: 'manifest' },
      { id: 'm1', type: 'relaycast-manifest', z: 't1', windowSegments: 6, targetDuration: 0, wires: [[]] },
    ] as never);
    helper.getNode('m1').receive(segmentMsg({ sequence: 0 }) as never);
    await until(async () => (await request(base, '/live/demo/main.m3u8')).status === 200);
    const text = (await request(base, '/live/demo/main.m3u8')).body.toString();
    const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)![1]);
    assert.ok(msn >= Math.floor(before / 100), `MEDIA-SEQUENCE ${msn} starts from the wall clock`);
    assert.ok(
      readdirSync(dir).some((f) => f.startsWith('m1.json.bad-')),
      'the bad file is kept aside',
    );
  });

  it('refuses a second manifest node on the same path, and still serves the first', async () => {
    const node = await load({}, [{ id: 'm2', type: 'relaycast-manifest', z: 't1', name: '', wires: [[]] }]);
    const errors: string[] = [];
    (helper.getNode('m2') as unknown as AnyNode).on('call:error', (call: any) => errors.push(String(call.args[0])));
    await feed(node, segs(0, 1));
    assert.equal((await request(base, '/live/demo/main.m3u8')).status, 200);
    // The health endpoint no longer names its node (#14); that it is m1's shows in what it lists.
    const health = JSON.parse((await request(base, '/live/demo/health.json')).body.toString());
    assert.equal(health.streams.demo.renditions.main.segments, 1, 'served by m1, the node that was fed');
    const statuses = (helper as any)._NodePrototype.status
      .getCalls()
      .filter((c: any) => c.thisValue.id === 'm2')
      .map((c: any) => c.args[0]);
    assert.deepEqual(statuses, [{ fill: 'red', shape: 'ring', text: 'manifest.status.duplicate-path' }]);
    const logged = helper
      .log()
      .args.filter((a: any[]) => a[0]?.id === 'm2' && a[0]?.level === 20)
      .map((a: any[]) => a[0].msg);
    assert.ok(
      logged.some((m: string) => /already served by manifest node m1/.test(m)),
      JSON.stringify(logged),
    );
  });

  it('lists failed uploads as EXT-X-GAP and ends with ENDLIST (DVR: a complete VOD with a long Cache-Control)', async () => {
    // No grace: the encoder's ENDLIST goes out with it (the grace has its own spec).
    const node = await load({ dvr: true, endGraceSeconds: 0 });
    await feed(node, [...segs(0, 2), gapMsg({ sequence: 2 }), ...segs(3, 10), lifecycleMsg('ended', { sequence: 9 })]);
    const res = await request(base, '/live/demo/main.m3u8');
    const text = res.body.toString();
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    assert.match(text, /^#EXTM3U\n#EXT-X-VERSION:8\n/);
    assert.ok(text.endsWith('seg_00009.ts\n#EXT-X-ENDLIST\n'));
    assert.equal(text.match(/#EXTINF/g)!.length, 10);
    assert.equal(text.match(/#EXT-X-GAP/g)!.length, 1);
    assert.equal(outputs.at(-1).playlist.ended, true);
  });

  it("holds the encoder's ENDLIST for the grace: a restart inside it continues the playlist with no ENDLIST ever served", async () => {
    const node = await load({ endGraceSeconds: 30 });
    await feed(node, [
      ...segs(0, 3),
      lifecycleMsg('ended', { sequence: 2 }),
      lifecycleMsg('started', { session: 's2' }),
      segmentMsg({ session: 's2', sequence: 0 }),
    ]);
    const text = (await request(base, '/live/demo/main.m3u8')).body.toString();
    assert.ok(!text.includes('#EXT-X-ENDLIST'));
    assert.match(text, /#EXT-X-DISCONTINUITY\n#EXTINF:2\.000,\n#EXT-X-PROGRAM-DATE-TIME:[^\n]+\n[^\n]+\/s2\/main\/seg_00000\.ts\n$/);
    assert.ok(
      outputs.every((m) => !m.playlist.ended),
      'no version with ENDLIST was ever output',
    );
  });

  it('once ENDLIST is served (grace over) that URL never changes; a later session is a new presentation the master points to', async () => {
    const node = await load({ endGraceSeconds: 0.2 });
    await feed(node, [...segs(0, 3), lifecycleMsg('ended', { sequence: 2 })]);
    await until(() => outputs.some((m) => m.playlist.ended));
    const finished = await request(base, '/live/demo/main.m3u8');
    assert.ok(finished.body.toString().endsWith('#EXT-X-ENDLIST\n'));
    await feed(node, [lifecycleMsg('started', { session: 's2' }), segmentMsg({ session: 's2', sequence: 0 }), segmentMsg({ session: 's2', sequence: 1 })]);
    const again = await request(base, '/live/demo/main.m3u8');
    assert.deepEqual(again.body, finished.body, 'the finished playlist is served unchanged');
    assert.equal(again.headers.etag, finished.headers.etag);
    const master = (await request(base, '/live/demo/master.m3u8')).body.toString();
    assert.match(master, /\nmain\.m3u8\?presentation=1\n$/);
    const next = await request(base, '/live/demo/main.m3u8?presentation=1');
    assert.equal(next.status, 200);
    assert.match(next.body.toString(), /#EXT-X-MEDIA-SEQUENCE:0\n/);
    assert.match(next.body.toString(), /\/s2\/main\/seg_00001\.ts\n$/);
    assert.equal((await request(base, '/live/demo/main.m3u8?presentation=7')).status, 404);
    assert.equal(outputs.at(-1).playlist.presentation, 1);
  });

  it('holds a blocking reload (_HLS_msn) until the segment is listed; 400 for a far-future msn or a part without msn', async () => {
    const node = await load({ blockingReload: true });
    await feed(node, segs(0, 2));
    const now = await request(base, '/live/demo/main.m3u8?_HLS_msn=1');
    assert.equal(now.status, 200);
    assert.match(now.body.toString(), /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n/);
    assert.equal((await request(base, '/live/demo/main.m3u8?_HLS_msn=4')).status, 400);
    assert.equal((await request(base, '/live/demo/main.m3u8?_HLS_part=0')).status, 400);
    let answered = false;
    const held = request(base, '/live/demo/main.m3u8?_HLS_msn=2').then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(answered, false, 'held while segment 2 is not listed');
    await feed(node, segs(2, 3));
    const res = await held;
    assert.equal(res.status, 200);
    assert.ok(res.body.toString().includes('seg_00002.ts'));
  });

  it('answers a held blocking reload with 503 when the node closes (nothing left hanging)', async () => {
    const node = await load({ blockingReload: true });
    await feed(node, segs(0, 2));
    const held = request(base, '/live/demo/main.m3u8?_HLS_msn=2');
    await until(async () => JSON.parse((await request(base, '/live/demo/health.json')).body.toString()).requests.blocked === 1);
    await helper.clearFlows();
    assert.equal((await held).status, 503);
  });

  it('ends the playlists of a stream that went silent (idle end) and outputs that version', async () => {
    const node = await load({ idleEndSeconds: 1 });
    await feed(node, segs(0, 2));
    await until(() => outputs.some((m) => m.playlist.ended), 5000);
    const ended = outputs.filter((m) => m.playlist.ended);
    assert.equal(ended.length, 1);
    assert.ok(ended[0].payload.endsWith('seg_00001.ts\n#EXT-X-ENDLIST\n'));
    assert.equal(ended[0].segment, undefined);
    assert.equal((await request(base, '/live/demo/main.m3u8')).headers['cache-control'], 'public, max-age=60');
  });

  it('serves fMP4 from the fixture with EXT-X-MAP and the master with the encoder CODECS/RESOLUTION', async () => {
    const node = await load({ mediaPath: '/hls/{stream}/{rendition}/index.m3u8', masterPath: '/hls/{stream}/master.m3u8', healthPath: '/hls/health.json' });
    const fixture = path.resolve(__dirname, '../fixtures/hls/fmp4-single');
    const durations = [...readFileSync(path.join(fixture, 'index.m3u8'), 'utf8').matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
    const variant = { codecs: 'avc1.42c01e,mp4a.40.2', resolution: { width: 640, height: 360 } };
    await feed(
      node,
      durations.map((duration, i) => segmentMsg({ sequence: i, duration, fmp4: true, variant })),
    );
    const media = (await request(base, '/hls/demo/main/index.m3u8')).body.toString();
    assert.match(media, /^#EXTM3U\n#EXT-X-VERSION:6\n/);
    assert.ok(media.includes(`#EXT-X-MAP:URI="${PUBLIC_BASE}/demo/s1/main/init.mp4"\n`));
    const master = (await request(base, '/hls/demo/master.m3u8')).body.toString();
    assert.match(master, /CODECS="avc1.42c01e,mp4a.40.2",RESOLUTION=640x360\nmain\/index.m3u8\n$/);
    assert.deepEqual(validateMasterPlaylist(master, { 'main/index.m3u8': media }), []);
    const health = JSON.parse((await request(base, '/hls/health.json')).body.toString());
    assert.deepEqual(Object.keys(health.streams), ['demo']);
  });

  it("answers from its fast path (opted in) on Node-RED's own server ahead of Express, and leaves every other request to Express", async () => {
    helper.settings({ userDir, relaycastManifestFastPath: true } as Record<string, unknown>);
    await helper.startServer();
    try {
      const node = await load();
      await feed(node, segs(0, 2));
      const direct = await request(helper.url(), '/live/demo/main.m3u8');
      assert.equal(direct.status, 200);
      assert.equal(direct.headers['content-type'], 'application/vnd.apple.mpegurl');
      assert.equal(direct.body.toString(), (await request(base, '/live/demo/main.m3u8')).body.toString());
      const cached = await request(helper.url(), '/live/demo/main.m3u8', { headers: { 'If-None-Match': String(direct.headers.etag) } });
      assert.equal(cached.status, 304);
      const other = await request(helper.url(), '/not-a-manifest-path');
      assert.equal(other.status, 404);
      assert.match(other.body.toString(), /Cannot GET \/not-a-manifest-path/, 'Express (the admin app) still answers everything else');
      await helper.clearFlows();
      const closed = await request(helper.url(), '/live/demo/main.m3u8');
      assert.equal(closed.status, 404);
      assert.match(closed.body.toString(), /Cannot GET \/live\/demo\/main.m3u8/, 'after close the path falls through to Express');
    } finally {
      await helper.unload();
      await helper.stopServer();
    }
  });

  it('keeps to Express (no fast path) when httpNodeMiddleware is set, so Express-style middleware still works', async () => {
    helper.settings({
      userDir,
      httpNodeMiddleware: (_req: unknown, res: any, next: () => void) => {
        res.set('X-Through', 'express');
        next();
      },
    });
    await helper.startServer();
    try {
      const node = await load();
      await feed(node, segs(0, 1));
      assert.equal((await request(helper.url(), '/live/demo/main.m3u8')).status, 404, 'the test helper does not mount httpNode on its server');
      const viaApp = await request(base, '/live/demo/main.m3u8');
      assert.equal(viaApp.headers['x-through'], 'express');
    } finally {
      await helper.unload();
      await helper.stopServer();
    }
  });

  it('loads example flow 03 (hls-watch → r2-upload → manifest) and serves its health endpoint', async () => {
    const example = (JSON.parse(readFileSync(path.resolve(__dirname, '../../flows/03 - Serve live playlists.json'), 'utf8')) as Array<Record<string, unknown>>)
      .filter((n) => n.type !== 'comment' && n.type !== 'tab')
      .map((n): Record<string, unknown> => ({ ...n, ...(n.z ? { z: 'tab' } : {}), type: n.type === 'debug' ? 'helper' : n.type }));
    // The watched folder of the example does not exist here; hls-watch reports that on its own.
    await helper.load(
      [distNode('pipeline'), distNode('hls-watch'), distNode('r2-bucket'), distNode('r2-upload'), manifestWithRed] as never,
      [{ id: 'tab', type: 'tab', label: 'example' }, ...example] as never,
    );
    for (const n of example) assert.ok(helper.getNode(n.id as string), `${String(n.type)} ${String(n.id)} not created`);
    const manifest = example.find((n) => n.type === 'relaycast-manifest')!;
    assert.equal((await request(base, '/live/live/master.m3u8')).status, 404, 'nothing listed yet');
    (helper.getNode(manifest.id as string) as unknown as AnyNode).receive(segmentMsg({ stream: 'live', sequence: 0 }));
    await until(async () => (await request(base, '/live/live/health.json')).status === 200);
    const health = JSON.parse((await request(base, '/live/live/health.json')).body.toString());
    assert.equal(health.node, undefined, 'the public health endpoint names no node');
    assert.equal(health.streams.live.renditions.main.segments, 1);
  });
});
