import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { distNode, helper } from '../support/node-red';
import { SignalClient, type Frame } from './signaling-client';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const websocketNodes = require(require.resolve('@node-red/nodes/core/network/22-websocket.js', { paths: [require.resolve('node-red')] }));
const signalingNode = distNode('signaling');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const injectNode = require(require.resolve('@node-red/nodes/core/common/20-inject.js', { paths: [require.resolve('node-red')] }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const commentNode = require(require.resolve('@node-red/nodes/core/common/90-comment.js', { paths: [require.resolve('node-red')] }));

const SHA = 'c'.repeat(64);
function segmentMsg(sequence: number, rendition = '720p', byteLength = 4000, stream = 'live') {
  return {
    topic: 'playlist',
    payload: '#EXTM3U\n',
    playlist: { stream, rendition, ended: false },
    segment: {
      stream,
      rendition,
      session: 's1',
      encoderSequence: sequence,
      sequence,
      duration: 2,
      byteLength,
      sha256: SHA,
      uri: `seg${sequence}.ts`,
      path: `/tmp/seg${sequence}.ts`,
      contentType: 'video/mp2t',
      discontinuity: false,
      url: `https://media.example/live/${rendition}/${sequence}.ts`,
    },
  };
}

type Port = 'events' | 'receipts' | 'audit';
interface Outputs extends Record<Port, Frame[]> {
  /** Resolves once the port's msgs so far satisfy `ready` (the node sends asynchronously). */
  until(port: Port, ready: (msgs: Frame[]) => boolean): Promise<Frame[]>;
}

function flow(config: Record<string, unknown> = {}) {
  return [
    { id: 'f1', type: 'tab' },
    {
      id: 'sig',
      z: 'f1',
      type: 'relaycast-signaling',
      path: '/signal',
      statsInterval: 0,
      maxConnectionsPerIp: 0,
      // Two peers are introduced to each other here; by default a swarm links from three members.
      minSwarmForLinks: 2,
      ...config,
      wires: [['events'], ['receipts'], ['audit']],
    },
    { id: 'events', z: 'f1', type: 'helper' },
    { id: 'receipts', z: 'f1', type: 'helper' },
    { id: 'audit', z: 'f1', type: 'helper' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
}

function collect(): Outputs {
  const waiters: Array<() => boolean> = [];
  const out: Outputs = {
    events: [],
    receipts: [],
    audit: [],
    until: (port, ready) =>
      new Promise((resolve) => {
        const check = () => (ready(out[port]) ? (resolve(out[port]), true) : false);
        if (!check()) waiters.push(check);
      }),
  };
  for (const key of ['events', 'receipts', 'audit'] as const) {
    helper.getNode(key).on('input', (msg: unknown) => {
      out[key].push((msg as { payload: Frame }).payload);
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]()) waiters.splice(i, 1);
    });
  }
  return out;
}
const atLeast = (n: number) => (msgs: Frame[]) => msgs.length >= n;

const wsUrl = (path = '/signal') => `${helper.url().replace(/^http/, 'ws')}${path}`;
const server = (): Server => (helper as unknown as { _server: Server })._server;

describe('relaycast-signaling node (real Node-RED runtime, real ws clients)', function () {
  const clients: SignalClient[] = [];
  const client = (path = '/signal', options?: WebSocket.ClientOptions) => {
    const c = new SignalClient(wsUrl(path), options);
    clients.push(c);
    return c;
  };

  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await helper.unload();
    helper.settings({});
  });

  async function start(config: Record<string, unknown> = {}, credentials?: Record<string, unknown>) {
    await helper.load(signalingNode as never, flow(config), credentials ? { sig: credentials } : undefined);
    const out = collect();
    helper.getNode('sig').receive(segmentMsg(1));
    helper.getNode('sig').receive(segmentMsg(1, '360p'));
    helper.getNode('sig').receive(segmentMsg(1, '720p', 4000, 'other'));
    return out;
  }

  /** Two joined peers; asserts an offer from a reaches b (used after every abuse case). */
  async function assertRelayWorks(a: SignalClient, b: SignalClient, offerId: string) {
    a.send({ type: 'offer', to: b.id, offerId, sdp: `v=0 ${offerId}` });
    let frame = await b.next();
    // b may first hear that an abusive peer it had been introduced to was removed.
    while (frame.type === 'peer-left') frame = await b.next();
    assert.deepEqual(frame, { type: 'offer', from: a.id, offerId, sdp: `v=0 ${offerId}` });
  }

  it('joins, relays offer/answer/ICE, announces segments and turns a receipt into a payout msg', async () => {
    const out = await start({ iceServers: '[{"urls":"stun:stun.example.org:3478"}]' });
    const a = client();
    const b = client();
    const wa = await a.join();
    assert.deepEqual(wa.peers, []);
    assert.deepEqual(wa.iceServers, [{ urls: 'stun:stun.example.org:3478' }]);
    assert.deepEqual(wa.segments, [{ sequence: 1, rendition: '720p', url: 'https://media.example/live/720p/1.ts', size: 4000, sha256: SHA, duration: 2 }]);
    const [{ ageMs, ...copy }] = wa.playlists as Array<{ ageMs: number }>;
    assert.deepEqual([copy], [{ rendition: '720p', text: '#EXTM3U\n', ended: false, version: 1 }], 'the media playlist from the input, byte for byte');
    assert.ok(Number.isSafeInteger(ageMs) && ageMs >= 0, `with how long the server has held it (${ageMs})`);
    const wb = await b.join();
    assert.deepEqual(wb.peers, [{ peer: a.id, role: 'viewer', latest: -1 }]);

    b.send({ type: 'offer', to: a.id, offerId: 'x1', sdp: 'v=0 offer' });
    assert.deepEqual(await a.next(), { type: 'offer', from: b.id, offerId: 'x1', sdp: 'v=0 offer' });
    a.send({ type: 'answer', to: b.id, offerId: 'x1', sdp: 'v=0 answer' });
    assert.deepEqual(await b.next(), { type: 'answer', from: a.id, offerId: 'x1', sdp: 'v=0 answer' });
    a.send({
      type: 'ice',
      to: b.id,
      offerId: 'x1',
      candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
    });
    assert.deepEqual(await b.next(), {
      type: 'ice',
      from: a.id,
      offerId: 'x1',
      candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
    });

    // A plain segment msg from r2-upload announces too.
    helper.getNode('sig').receive({ ...segmentMsg(2), topic: 'segment', payload: Buffer.from('x') });
    const expected = { type: 'segment', sequence: 2, rendition: '720p', url: 'https://media.example/live/720p/2.ts', size: 4000, sha256: SHA, duration: 2 };
    const [toA, toB] = [await a.next(), await b.next()];
    assert.deepEqual(toA, toB);
    // One of the two is named to fetch it first over HTTP (protocol v2).
    assert.equal((toA.fetchers as string[]).length, 1);
    assert.ok([a.id, b.id].includes((toA.fetchers as string[])[0]));
    assert.deepEqual({ ...toA, fetchers: undefined }, { ...expected, fetchers: undefined });

    // Both sides of the delivery: a's served claim and b's receipt (either may reach the server first).
    a.send({ type: 'served', sequence: 2, to: b.id, bytes: 3900 });
    b.send({ type: 'receipt', sequence: 2, from: a.id, bytes: 4000 });
    assert.deepEqual(await b.next(), { type: 'receipt-ack', sequence: 2, from: a.id });
    await out.until('receipts', atLeast(1));
    assert.equal(out.receipts.length, 1);
    const r = out.receipts[0];
    assert.deepEqual(
      [r.id, r.stream, r.rendition, r.sequence, r.bytes, r.segmentSize, r.sha256, r.uploader, r.downloader],
      [
        `live/720p/2/${SHA.slice(0, 12)}/${(r.downloader as Frame).source}`,
        'live',
        '720p',
        2,
        3900,
        4000,
        SHA,
        { peer: a.id, role: 'viewer', network: (r.uploader as Frame).network },
        { peer: b.id, role: 'viewer', network: (r.uploader as Frame).network, source: (r.downloader as Frame).source },
      ],
    );
    assert.match((r.uploader as Frame).network as string, /^[0-9a-f]{16}$/, 'both ends on 127.0.0.1: one network tag');
    assert.deepEqual(
      out.events.map((e) => [e.event, e.peer, e.swarmPeers, e.totalPeers]),
      [
        ['join', a.id, 1, 1],
        ['join', b.id, 2, 2],
      ],
    );

    a.send({ type: 'leave' });
    assert.deepEqual(await b.next(), { type: 'peer-left', peer: a.id });
    await out.until('events', atLeast(3));
    assert.deepEqual(
      out.events.slice(-1).map((e) => [e.event, e.peer, e.reason, e.swarmPeers]),
      [['leave', a.id, 'leave', 1]],
    );
  });

  it('shares the port: the editor comms socket and a core websocket-in node work beside it', async () => {
    const flowWithCore = [
      ...flow(),
      { id: 'wsl', type: 'websocket-listener', path: '/ws/core', wholemsg: 'false' },
      { id: 'wsin', z: 'f1', type: 'websocket in', server: 'wsl', client: '', wires: [['coreOut']] },
      { id: 'coreOut', z: 'f1', type: 'helper' },
    ];
    await helper.load([websocketNodes, signalingNode] as never, flowWithCore);
    helper.getNode('sig').receive(segmentMsg(1));
    const got = new Promise<{ payload: unknown }>((resolve) => helper.getNode('coreOut').once('input', resolve));

    const comms = new WebSocket(`${helper.url().replace(/^http/, 'ws')}/comms`);
    const core = new WebSocket(`${helper.url().replace(/^http/, 'ws')}/ws/core`);
    try {
      const commsFrame = new Promise<string>((resolve) => comms.once('message', (d) => resolve(String(d))));
      await new Promise((resolve, reject) => {
        comms.once('open', resolve);
        comms.once('error', reject);
      });
      await new Promise((resolve, reject) => {
        core.once('open', resolve);
        core.once('error', reject);
      });
      const a = client();
      const b = client();
      await a.join();
      await b.join();
      core.send('hello core');
      assert.equal((await got).payload, 'hello core');
      // The editor's socket delivers retained node status to a subscriber.
      comms.send(JSON.stringify({ subscribe: 'status/#' }));
      const status = JSON.parse(await commsFrame) as Array<{ topic: string }>;
      assert.ok(
        status.some((m) => m.topic.startsWith('status/')),
        JSON.stringify(status),
      );
      await assertRelayWorks(a, b, 'beside-core');
    } finally {
      comms.terminate();
      core.terminate();
    }
  });

  it('answers malformed input with documented errors and keeps serving the other peers', async () => {
    const out = await start();
    const a = client();
    const b = client();
    const bad = client();
    const other = client();
    await a.join();
    await b.join();
    await bad.join();
    await other.join('other', '720p'); // another stream: another swarm (a stream's renditions share one)

    const cases: Array<[unknown, string]> = [
      ['{"type": "offer", ', 'E_SIGNAL_BAD_JSON'],
      ['[]', 'E_SIGNAL_BAD_MESSAGE'],
      [{ type: 'offer', to: 42, offerId: 'o', sdp: 'v=0' }, 'E_SIGNAL_BAD_FIELD'],
      [{ type: 'have', sequences: ['1'] }, 'E_SIGNAL_BAD_FIELD'],
      [{ type: 'chunk', magnet: 'x' }, 'E_SIGNAL_UNKNOWN_TYPE'],
      [{ type: 'offer', to: b.id, offerId: 'spoof', sdp: 'v=0', from: a.id }, 'E_SIGNAL_SPOOFED_SENDER'],
      [{ type: 'answer', to: a.id, offerId: 'never-offered', sdp: 'v=0' }, 'E_SIGNAL_NO_OFFER'],
      [{ type: 'offer', to: other.id, offerId: 'cross', sdp: 'v=0' }, 'E_SIGNAL_UNKNOWN_PEER'],
      [{ type: 'ice', to: a.id, offerId: 'o', candidate: null }, 'E_SIGNAL_NO_SESSION'],
      [{ type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' }, 'E_SIGNAL_ALREADY_JOINED'],
    ];
    for (const [msg, code] of cases) {
      bad.send(msg);
      const reply = await bad.next();
      assert.deepEqual([reply.type, reply.code], ['error', code], JSON.stringify(msg));
    }
    bad.ws.send(Buffer.from('{"type":"heartbeat"}'), { binary: true });
    assert.equal((await bad.next()).code, 'E_SIGNAL_BINARY');
    // Nothing leaked to the peers that were named, or across swarms.
    assert.deepEqual(await a.sync(), []);
    assert.deepEqual(await b.sync(), []);
    assert.deepEqual(await other.sync(), []);
    await assertRelayWorks(a, b, 'after-malformed');
    await out.until('audit', atLeast(10));
    assert.deepEqual(
      out.audit.map((e) => e.code),
      [
        'E_SIGNAL_BAD_JSON',
        'E_SIGNAL_BAD_MESSAGE',
        'E_SIGNAL_BAD_FIELD',
        'E_SIGNAL_BAD_FIELD',
        'E_SIGNAL_UNKNOWN_TYPE',
        'E_SIGNAL_SPOOFED_SENDER',
        'E_SIGNAL_NO_OFFER',
        'E_SIGNAL_NO_SESSION',
        'E_SIGNAL_ALREADY_JOINED',
        'E_SIGNAL_BINARY',
      ],
    );
    // One more violation passes the limit of 10: closed with 4001.
    bad.send('nope');
    assert.equal((await bad.closed).code, 4001);
    await assertRelayWorks(a, b, 'after-4001');
  });

  it('closes a 1 MB frame with 1009 and a flood with 4002; the other peers never notice', async () => {
    const out = await start({ ratePerSecond: 50, burst: 50 });
    const a = client();
    const b = client();
    const big = client();
    const flood = client();
    await a.join();
    await b.join();
    await big.join();
    await flood.join();
    big.send('x'.repeat(1024 * 1024));
    assert.equal((await big.closed).code, 1009);
    for (let i = 0; i < 5000; i++) flood.send({ type: 'heartbeat' });
    assert.equal((await flood.closed).code, 4002);
    await assertRelayWorks(a, b, 'after-flood');
    // All a heard in the meantime is that the two abusers left.
    assert.deepEqual(
      (await a.sync()).map((f) => [f.type, f.peer]).sort(),
      [
        ['peer-left', big.id],
        ['peer-left', flood.id],
      ].sort(),
    );
    await out.until('audit', (msgs) => msgs.some((e) => e.kind === 'closed'));
    assert.deepEqual(
      out.audit.filter((e) => e.kind === 'closed').map((e) => e.code),
      ['4002'],
    );
    assert.equal(out.audit.filter((e) => e.code === 'E_SIGNAL_RATE_LIMITED').length, 11);
  });

  it('enforces peers per swarm, swarms, message size, connections per IP and allowed origins', async () => {
    const out = await start({ maxPeersPerSwarm: 2, maxSwarms: 1, maxMessageBytes: 2048, maxConnectionsPerIp: 4, allowedOrigins: 'https://watch.example' });
    const origin = { origin: 'https://watch.example' };
    const a = client('/signal', origin);
    const b = client('/signal', origin);
    await a.join();
    await b.join();
    const c = client('/signal', origin);
    await c.opened;
    c.send({ type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.equal((await c.next()).code, 'E_SIGNAL_SWARM_FULL');
    c.send({ type: 'join', v: 4, stream: 'other', rendition: '720p', role: 'viewer' });
    assert.equal((await c.next()).code, 'E_SIGNAL_TOO_MANY_SWARMS');
    const d = client('/signal', origin);
    await d.opened;
    // A fifth connection from 127.0.0.1 is refused at the upgrade.
    await assert.rejects(client('/signal', origin).opened, { status: 429 });
    d.close();
    // The origin is checked before the per-address count, so these are 403 whatever the count.
    await assert.rejects(client('/signal', { origin: 'https://evil.example' }).opened, { status: 403 });
    // From another address: refusals from one address within a second are audited as one record.
    await assert.rejects(client('/signal', { localAddress: '127.0.0.2' }).opened, { status: 403 });
    c.send({ type: 'heartbeat', pad: 'x'.repeat(3000) });
    assert.equal((await c.closed).code, 1009);
    await assertRelayWorks(a, b, 'after-limits');
    await out.until('audit', atLeast(3));
    assert.deepEqual(
      out.audit.map((e) => e.code),
      ['HTTP_429', 'HTTP_403', 'HTTP_403'],
    );
  });

  it('reads the client address from Forwarded / X-Forwarded-For only when the connection comes from a trusted proxy', async () => {
    const xff = (address: string) => ({ headers: { 'x-forwarded-for': `6.6.6.6, ${address}` } });
    await start({ maxConnectionsPerIp: 1, trustedProxies: '127.0.0.1, ::1' });
    await client('/signal', xff('198.51.100.1')).opened;
    await client('/signal', { headers: { forwarded: 'for="[2001:db8:1:2::7]:443"' } }).opened;
    await client('/signal', xff('198.51.100.2')).opened;
    await assert.rejects(client('/signal', xff('198.51.100.1')).opened, { status: 429 }, 'one per forwarded address');
    await assert.rejects(client('/signal', { headers: { forwarded: 'for="[2001:db8:1:2::8]"' } }).opened, { status: 429 }, 'IPv6 counted by /64');
    await helper.unload();
    await start({ maxConnectionsPerIp: 1 });
    await client('/signal', xff('198.51.100.1')).opened;
    await assert.rejects(client('/signal', xff('198.51.100.2')).opened, { status: 429 }, 'no trusted proxy: the header is ignored');
  });

  it('admits supporters by operator-issued token only and credits them by identity', async () => {
    const out = await start({}, { supporterTokens: 'alice:alice-token-0123456789\nbob:bob-token-0123456789' });
    const s = client();
    const v = client();
    const intruder = client();
    await s.opened;
    await intruder.opened;
    intruder.send({ type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'supporter', token: 'publish-key-guess-123' });
    assert.equal((await intruder.next()).code, 'E_SIGNAL_UNAUTHORIZED');
    const ws = await s.join('live', '720p', { role: 'supporter', token: 'alice-token-0123456789' });
    assert.equal(ws.role, 'supporter');
    const wv = await v.join();
    assert.deepEqual(wv.peers, [{ peer: s.id, role: 'supporter', latest: -1 }]);
    // Segment 1 was announced before both joined: no credit for it.
    v.send({ type: 'receipt', sequence: 1, from: s.id, bytes: 1200 });
    assert.deepEqual(await v.sync(), [], 'refused without an answer: the viewer cannot know when its uploader joined');
    v.send({ type: 'offer', to: s.id, offerId: 'v-s', sdp: 'v=0' });
    assert.equal((await s.next()).type, 'offer');
    s.send({ type: 'answer', to: v.id, offerId: 'v-s', sdp: 'v=0' });
    assert.equal((await v.next()).type, 'answer');
    helper.getNode('sig').receive(segmentMsg(2));
    assert.equal((await v.next()).type, 'segment');
    assert.equal((await s.next()).type, 'segment');
    s.send({ type: 'served', sequence: 2, to: v.id, bytes: 1200 });
    v.send({ type: 'receipt', sequence: 2, from: s.id, bytes: 1200 });
    assert.equal((await v.next()).type, 'receipt-ack');
    v.send({ type: 'receipt', sequence: 2, from: s.id, bytes: 1200 });
    assert.deepEqual(await v.sync(), [], 'a duplicate (honest behind a NAT) is refused without an answer');
    s.send({ type: 'receipt', sequence: 2, from: v.id, bytes: 5000 });
    assert.equal((await s.next()).code, 'E_RECEIPT_TOO_MANY_BYTES');
    await out.until('audit', (msgs) => msgs.filter((e) => e.kind === 'receipt').length >= 3);
    await out.until('receipts', atLeast(1));
    assert.deepEqual(
      out.receipts.map((r) => [r.bytes, (r.uploader as Frame).supporter, (r.uploader as Frame).role]),
      [[1200, 'alice', 'supporter']],
    );
    assert.deepEqual(
      out.audit.filter((e) => e.kind === 'receipt').map((e) => e.code),
      ['E_RECEIPT_BEFORE_JOIN', 'E_RECEIPT_DUPLICATE', 'E_RECEIPT_TOO_MANY_BYTES'],
    );
    assert.equal(out.events[0].supporter, 'alice');
  });

  it('applies the relaycastSignalingVerifyClient setting to upgrades and audits every refusal', async () => {
    helper.settings(<Record<string, unknown>>{
      relaycastSignalingVerifyClient: (info: { req: { headers: Record<string, string> } }, cb: (ok: boolean, code?: number) => void) => {
        const key = info.req.headers['x-relaycast-key'];
        if (key === 'boom') throw new Error('hook failed');
        if (key === 'blocked') return cb(false, 451);
        cb(key === 'k1', 401);
      },
    });
    const out = await start();
    await assert.rejects(client().opened, { status: 401 });
    await assert.rejects(client('/signal', { headers: { 'x-relaycast-key': 'blocked' } }).opened, { status: 451 });
    await assert.rejects(client('/signal', { headers: { 'x-relaycast-key': 'boom' } }).opened, { status: 500 });
    const ok = client('/signal', { headers: { 'x-relaycast-key': 'k1' } });
    await ok.join();
    await out.until('audit', atLeast(3));
    assert.deepEqual(
      out.audit.map((e) => [e.kind, e.code, e.ip]),
      [
        ['violation', 'HTTP_401', '127.0.0.1'],
        ['violation', 'HTTP_451', '127.0.0.1'],
        ['violation', 'HTTP_500', '127.0.0.1'],
      ],
    );
  });

  it('hands each viewer its own expiring TURN REST credential from the secret in credentials, never a static one', async () => {
    await start(
      { iceServers: '[{"urls":"turn:turn.example.org:3478"}]', turnTtl: 600 },
      { turnSecret: 'coturn-static-auth-secret', turnUsername: 'static', turnCredential: 'static-password' },
    );
    const before = Math.floor(Date.now() / 1000);
    const a = client();
    const b = client();
    const [wa, wb] = [await a.join(), await b.join()];
    const after = Math.floor(Date.now() / 1000);
    for (const w of [wa, wb]) {
      const [turn] = w.iceServers as Array<{ urls: string; username: string; credential: string }>;
      const [expiry, user] = turn.username.split(':');
      assert.equal(user, w.peer);
      assert.ok(Number(expiry) >= before + 600 && Number(expiry) <= after + 600, turn.username);
      assert.equal(turn.credential, createHmac('sha1', 'coturn-static-auth-secret').update(turn.username).digest('base64'));
    }
    assert.ok(!JSON.stringify([wa, wb]).includes('static-password'));
  });

  it('offers no outside ICE server by default, in the editor as in the runtime', () => {
    const html = readFileSync(path.join(__dirname, '../../nodes/signaling/signaling.html'), 'utf8');
    assert.match(html, /iceServers: \{ value: '' \}/);
    assert.match(html, /iceMode: \{ value: ''/, 'an empty mode with an empty list is the built-in STUN responder (config.ts iceModeFromConfig)');
    assert.ok(!html.includes('stun.l.google.com'));
  });

  it('refuses a bad number in its config at deploy (E_SIGNAL_CONFIG, red status), as its editor does, and serves nothing', async () => {
    const upgradeListeners = server().listeners('upgrade').length;
    // TURN TTL is checked without a TURN secret too: the editor marks it either way.
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ maxSwarms: -3 }, /Swarms must be a whole number from 1 to 100000, got -3/],
      [{ burst: 2.5 }, /Burst must be a whole number from 1 to 1000000, got 2\.5/],
      [{ networkPrefixV4: '2.5' }, /Network tag IPv4 prefix must be a whole number from 8 to 32/],
      [{ turnTtl: -3 }, /TURN TTL must be a whole number/],
    ];
    for (const [config, message] of cases) {
      await helper.load(signalingNode as never, flow(config));
      const sig = helper.getNode('sig') as unknown as { status: { getCalls(): Array<{ args: unknown[] }> } };
      assert.deepEqual(sig.status.getCalls().at(-1)?.args[0], { fill: 'red', shape: 'ring', text: 'signaling.status.config' }, JSON.stringify(config));
      const caught = new Promise<{ error: { code: string; message: string } }>((resolve) => helper.getNode('caught').once('input', resolve));
      helper.getNode('sig').receive(segmentMsg(1));
      const { error } = await caught;
      assert.equal(error.code, 'E_SIGNAL_CONFIG');
      assert.match(error.message, message);
      assert.equal(server().listeners('upgrade').length, upgradeListeners, 'no WebSocket endpoint');
      await helper.unload();
    }
  });

  it('rejects a duplicate path and leaves the first node serving', async () => {
    const twice = [...flow(), { id: 'sig2', z: 'f1', type: 'relaycast-signaling', path: 'signal/', wires: [[], [], []] }];
    await helper.load(signalingNode as never, twice);
    helper.getNode('sig').receive(segmentMsg(1));
    // The second node logs the clash while it is created, inside load().
    const errors = helper
      .log()
      .args.filter((args: unknown[]) => (args[0] as { level?: number; msg?: unknown })?.level === 20)
      .map((args: unknown[]) => String((args[0] as { msg: unknown }).msg));
    assert.ok(
      errors.some((m: string) => m.includes('signaling.errors.duplicatePath')),
      JSON.stringify(errors),
    );
    const caught = new Promise<{ error: { code: string; source: { id: string } } }>((resolve) => helper.getNode('caught').once('input', resolve));
    helper.getNode('sig2').receive(segmentMsg(2));
    const { error } = await caught;
    assert.deepEqual([error.code, error.source.id], ['E_SIGNAL_DUPLICATE_PATH', 'sig2']);
    const a = client();
    const b = client();
    await a.join();
    await b.join();
    await assertRelayWorks(a, b, 'first-node');
  });

  it('on close sends 4000 to every client and removes its upgrade listener', async () => {
    const before = server().listeners('upgrade').length;
    await start();
    assert.equal(server().listeners('upgrade').length, before + 1);
    const a = client();
    const b = client();
    await a.join();
    await b.opened;
    await helper.unload();
    assert.deepEqual((await a.closed).code, 4000);
    assert.deepEqual((await b.closed).code, 4000);
    assert.equal(server().listeners('upgrade').length, before);
  });

  it('reports a segment msg without a public URL to Catch with E_SIGNAL_INPUT', async () => {
    await start();
    const caught = new Promise<{ error: { code: string; source: { id: string } } }>((resolve) => helper.getNode('caught').once('input', resolve));
    const msg = segmentMsg(3);
    delete (msg.segment as { url?: string }).url;
    helper.getNode('sig').receive({ ...msg, topic: 'segment' });
    const { error } = await caught;
    assert.deepEqual([error.code, error.source.id], ['E_SIGNAL_INPUT', 'sig']);
  });

  it('runs the example flow: an injected segment is in the welcome of a viewer', async () => {
    const example = JSON.parse(readFileSync(path.join(__dirname, '../../flows/04 - Coordinate the viewer swarm.json'), 'utf8')) as Array<
      Record<string, unknown>
    >;
    // Imported examples get a tab from the editor; debug nodes become helpers to observe the outputs.
    const testFlow = [
      { id: 'f1', type: 'tab' },
      ...example.map((n) => (n.type === 'debug' ? { id: n.id, z: 'f1', type: 'helper', wires: [] } : { ...n, z: 'f1' })),
    ];
    await helper.load([injectNode, commentNode, signalingNode] as never, testFlow as never);
    const events = new Promise<{ payload: Frame }>((resolve) => helper.getNode('rc04debug1').once('input', resolve));
    // The node announces synchronously in its own input listener, registered before this one.
    const announced = new Promise((resolve) => helper.getNode('rc04signal1').once('input', resolve));
    helper.getNode('rc04inject1').receive({});
    await announced;
    const viewer = client('/relaycast/signal');
    const welcome = await viewer.join('demo', 'main');
    assert.deepEqual(welcome.segments, [
      { sequence: 0, rendition: 'main', url: 'https://media.example.org/demo/main/example/0.ts', size: 188000, sha256: '0'.repeat(64), duration: 2 },
    ]);
    // By default the node's own STUN responder, at the host the viewer used (none if 3478 is taken on this machine).
    for (const server of welcome.iceServers as Array<{ urls: string }>)
      assert.equal(server.urls, 'stun:127.0.0.1:3478', 'no outside STUN server sees the viewers');
    assert.equal((await events).payload.event, 'join');
  });
});
