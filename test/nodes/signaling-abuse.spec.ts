// The abuse suite: a real Node-RED runtime with the compiled signaling node, real ws clients, and one
// attack per case from docs/signaling-protocol.md and issue 9. Every case ends by showing that an
// honest pair on other addresses still relays. Clients reach the node through a "proxy" (the node
// trusts 127.0.0.1 and reads X-Forwarded-For), so each can have its own address; an untrusted
// source is a connection from another loopback address (127.0.0.5), whose headers must be ignored.
import assert from 'node:assert/strict';
import net from 'node:net';
import type WebSocket from 'ws';
import { distNode, helper } from '../support/node-red';
import { SignalClient, type Frame } from './signaling-client';

const signalingNode = distNode('signaling');
const SHA = 'd'.repeat(64);

function segmentMsg(sequence: number, rendition = '720p') {
  return {
    topic: 'segment',
    segment: {
      stream: 'live',
      rendition,
      session: 'abuse',
      encoderSequence: sequence,
      sequence,
      duration: 2,
      byteLength: 4000,
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

describe('relaycast-signaling abuse suite (real Node-RED, real ws clients)', function () {
  const clients: SignalClient[] = [];
  let out: Record<Port, Frame[]>;
  let waiters: Array<() => boolean>;
  const wsUrl = () => `${helper.url().replace(/^http/, 'ws')}/signal`;
  const from = (address: string, extra: WebSocket.ClientOptions = {}): WebSocket.ClientOptions => ({ ...extra, headers: { 'x-forwarded-for': address } });
  const client = (options?: WebSocket.ClientOptions) => {
    const c = new SignalClient(wsUrl(), options);
    clients.push(c);
    return c;
  };
  const until = (port: Port, ready: (msgs: Frame[]) => boolean) =>
    new Promise<Frame[]>((resolve) => {
      const check = () => (ready(out[port]) ? (resolve(out[port]), true) : false);
      if (!check()) waiters.push(check);
    });
  let sequence = 1;
  const announce = (rendition = '720p') => {
    sequence++;
    helper.getNode('sig').receive(segmentMsg(sequence, rendition));
    return sequence;
  };

  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await helper.unload();
  });

  async function start(config: Record<string, unknown> = {}) {
    await helper.load(signalingNode as never, <never>[
      { id: 'f1', type: 'tab' },
      {
        id: 'sig',
        z: 'f1',
        type: 'relaycast-signaling',
        path: '/signal',
        statsInterval: 0,
        trustedProxies: '127.0.0.1',
        // Offers pass only between neighbours, and a swarm links from this size: the honest pair is one.
        minSwarmForLinks: 2,
        ...config,
        wires: [['events'], ['receipts'], ['audit']],
      },
      { id: 'events', z: 'f1', type: 'helper' },
      { id: 'receipts', z: 'f1', type: 'helper' },
      { id: 'audit', z: 'f1', type: 'helper' },
    ]);
    out = { events: [], receipts: [], audit: [] };
    waiters = [];
    for (const port of ['events', 'receipts', 'audit'] as const) {
      helper.getNode(port).on('input', (msg: unknown) => {
        out[port].push((msg as { payload: Frame }).payload);
        for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]()) waiters.splice(i, 1);
      });
    }
    sequence = 1;
    helper.getNode('sig').receive(segmentMsg(1));
    helper.getNode('sig').receive(segmentMsg(1, '360p'));
  }

  /** Next frame of a given type (and sender, when given), skipping others (peer-left, an attacker's offers…). */
  async function nextOf(c: SignalClient, type: string, sender?: string): Promise<Frame> {
    for (;;) {
      const frame = await c.next();
      if (frame.type === type && (sender === undefined || frame.from === sender)) return frame;
    }
  }

  /** What answered a receipt among frames: its ack, or the code of an error. */
  const replies = (frames: Frame[]) =>
    frames.filter((f) => f.type === 'receipt-ack' || f.type === 'error').map((f) => (f.type === 'error' ? (f.code as string) : 'receipt-ack'));

  /** An honest pair on two addresses of their own, negotiated with each other. */
  async function honestPair() {
    const a = client(from('198.51.100.1'));
    const b = client(from('198.51.100.2'));
    await a.join();
    await b.join();
    await negotiate(b, a, 'honest');
    return { a, b };
  }

  async function negotiate(offerer: SignalClient, answerer: SignalClient, offerId: string) {
    offerer.send({ type: 'offer', to: answerer.id, offerId, sdp: 'v=0 offer' });
    assert.equal((await nextOf(answerer, 'offer', offerer.id)).offerId, offerId);
    answerer.send({ type: 'answer', to: offerer.id, offerId, sdp: 'v=0 answer' });
    assert.equal((await nextOf(offerer, 'answer', answerer.id)).offerId, offerId);
  }

  /** The honest pair still relays: an offer from a reaches b with a's id, and b's answer comes back. */
  async function assertHonestUnaffected(a: SignalClient, b: SignalClient, offerId: string) {
    await negotiate(a, b, offerId);
    const errors = [...(await a.sync()), ...(await b.sync())].filter((f) => f.type === 'error');
    assert.deepEqual(errors, [], 'the honest peers got no error');
  }

  it('spoofing: a forged sender, a hijacked answer and unsolicited ICE reach nobody', async () => {
    await start();
    const { a, b } = await honestPair();
    const mallory = client(from('203.0.113.66'));
    await mallory.join();
    const replies: string[] = [];
    for (const msg of [
      { type: 'offer', to: b.id, offerId: 'spoof', sdp: 'v=0', from: a.id },
      { type: 'answer', to: a.id, offerId: 'honest', sdp: 'v=0 hijack' },
      { type: 'ice', to: b.id, offerId: 'honest', candidate: null },
      { type: 'receipt', sequence: 1, from: mallory.id, bytes: 100 },
    ]) {
      mallory.send(msg);
      replies.push((await nextOf(mallory, 'error')).code as string);
    }
    assert.deepEqual(replies, ['E_SIGNAL_SPOOFED_SENDER', 'E_SIGNAL_NO_OFFER', 'E_SIGNAL_NO_SESSION', 'E_RECEIPT_SELF']);
    const seen = [...(await a.sync()), ...(await b.sync())];
    assert.ok(
      seen.every((f) => (f.from !== mallory.id && f.from !== a.id) || f.type === 'peer-left'),
      JSON.stringify(seen),
    );
    await assertHonestUnaffected(a, b, 'after-spoof');
  });

  it('replay: a receipt, a served claim and an announcement replayed credit and push nothing more', async () => {
    await start();
    const { a, b } = await honestPair();
    const seq = announce();
    await nextOf(a, 'segment');
    await nextOf(b, 'segment');
    a.send({ type: 'served', sequence: seq, to: b.id, bytes: 4000 });
    b.send({ type: 'receipt', sequence: seq, from: a.id, bytes: 4000 });
    assert.equal((await nextOf(b, 'receipt-ack')).sequence, seq);
    for (let i = 0; i < 3; i++) {
      a.send({ type: 'served', sequence: seq, to: b.id, bytes: 4000 });
      b.send({ type: 'receipt', sequence: seq, from: a.id, bytes: 4000 });
    }
    assert.deepEqual(replies(await b.sync()), [], 'replays are neither credited nor answered (a NAT household sends such duplicates honestly)');
    helper.getNode('sig').receive(segmentMsg(seq));
    assert.deepEqual(
      (await b.sync()).filter((f) => f.type === 'segment'),
      [],
      'a replayed announcement is not pushed again',
    );
    await until('audit', (msgs) => msgs.some((e) => e.code === 'E_RECEIPT_DUPLICATE'));
    assert.equal(out.audit.filter((e) => e.code === 'E_RECEIPT_DUPLICATE').length, 1, 'the first audited at once, the others counted into its minute');
    assert.equal(out.receipts.length, 1);
    await assertHonestUnaffected(a, b, 'after-replay');
  });

  it('leave/join and reconnect: a new peer id earns nothing for segments already announced', async () => {
    await start();
    const { a, b } = await honestPair();
    const seq = announce();
    await nextOf(b, 'segment');
    a.send({ type: 'served', sequence: seq, to: b.id, bytes: 4000 });
    b.send({ type: 'receipt', sequence: seq, from: a.id, bytes: 4000 });
    await nextOf(b, 'receipt-ack');
    b.send({ type: 'leave' });
    await b.join();
    const again = client(from('198.51.100.2'));
    await again.join();
    for (const rejoined of [b, again]) {
      await negotiate(rejoined, a, `re-${rejoined.id}`);
      a.send({ type: 'served', sequence: seq, to: rejoined.id, bytes: 4000 });
      rejoined.send({ type: 'receipt', sequence: seq, from: a.id, bytes: 4000 });
      assert.deepEqual(replies(await rejoined.sync()), [], 'refused without an answer');
    }
    await until('audit', (msgs) => msgs.some((e) => e.kind === 'receipt' && e.code === 'E_RECEIPT_BEFORE_JOIN'));
    assert.equal(out.receipts.length, 1);
    await assertHonestUnaffected(a, b, 'after-rejoin');
  });

  it('sybil: six connections from one address: two reach the uploader, and their receipts for one segment are credited once', async () => {
    await start();
    const { a, b } = await honestPair();
    // Six: each sybil's own set (K = 8) then holds a, b and the other sybils without dropping any.
    const sybils = Array.from({ length: 6 }, () => client(from('203.0.113.7')));
    // One network takes at most two places among a's neighbours, and offers pass only between neighbours.
    const introduced: SignalClient[] = [];
    for (const sybil of sybils) {
      const welcome = await sybil.join();
      if ((welcome.peers as Array<{ peer: string }>).some((p) => p.peer === a.id)) introduced.push(sybil);
    }
    assert.equal(introduced.length, 2);
    const stranger = sybils.find((s) => !introduced.includes(s))!;
    stranger.send({ type: 'offer', to: a.id, offerId: 'stranger', sdp: 'v=0 offer' });
    assert.equal((await nextOf(stranger, 'error')).code, 'E_SIGNAL_UNKNOWN_PEER');
    for (const [i, sybil] of introduced.entries()) await negotiate(sybil, a, `sybil${i}`);
    const seq = announce();
    const answers: string[] = [];
    for (const sybil of introduced) {
      await nextOf(sybil, 'segment');
      a.send({ type: 'served', sequence: seq, to: sybil.id, bytes: 4000 });
      sybil.send({ type: 'receipt', sequence: seq, from: a.id, bytes: 4000 });
      answers.push(replies(await sybil.sync()).join(',') || 'none');
    }
    // The second is a NAT household's duplicate: refused without an error frame, audited once.
    assert.deepEqual(answers, ['receipt-ack', 'none']);
    await until('audit', (msgs) => msgs.some((e) => e.code === 'E_RECEIPT_DUPLICATE'));
    assert.equal(out.audit.filter((e) => e.code === 'E_RECEIPT_DUPLICATE').length, 1, 'one refusal, one record');
    await until('receipts', (msgs) => msgs.length >= 1);
    assert.equal(out.receipts.length, 1);
    await assertHonestUnaffected(a, b, 'after-sybil');
  });

  it('floods: one address spreading a flood over several connections hits its shared budget', async () => {
    await start({ sourceRatePerSecond: 50, sourceBurst: 100 });
    const { a, b } = await honestPair();
    const flooders = Array.from({ length: 4 }, () => client(from('203.0.113.8')));
    for (const flooder of flooders) await flooder.opened;
    // 60 frames each: within every connection's own burst (100), four times the address's (100) together.
    for (const flooder of flooders) for (let i = 0; i < 60; i++) flooder.send({ type: 'heartbeat' });
    const closedByFlood = await until('audit', (msgs) => msgs.filter((e) => e.kind === 'closed' && e.code === '4002').length >= 2);
    assert.ok(closedByFlood.filter((e) => e.kind === 'closed').length < 4, 'the connection that came first kept its frames');
    const limited = out.audit.filter((e) => e.code === 'E_SIGNAL_RATE_LIMITED');
    assert.ok(limited.length > 0 && limited.every((e) => /from this address/.test(e.message as string)));
    await assertHonestUnaffected(a, b, 'after-flood');
  });

  it('reconnect storm: one address is refused (429, audited) once its attempt budget is spent; others connect', async () => {
    await start({ maxConnectionsPerIp: 0 });
    const { a, b } = await honestPair();
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, () => {
        const c = client(from('203.0.113.9'));
        return c.opened.then(() => c.close());
      }),
    );
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { status?: number }).status === 429).length;
    assert.ok(refused >= 30 - 5 && refused < 60, `refused ${refused} of 60 (burst 30)`);
    await client(from('198.51.100.3')).opened;
    // Audited, but as one record per second for the address, not one per attempt (no flood of the flow).
    const records = (await until('audit', (msgs) => msgs.some((e) => e.code === 'HTTP_429'))).filter((e) => e.code === 'HTTP_429');
    assert.ok(records.every((e) => e.ip === '203.0.113.9') && records.length <= 3, JSON.stringify(records));
    await assertHonestUnaffected(a, b, 'after-storm');
  });

  it('IPv6: addresses of one /64 share the per-address connection limit', async () => {
    await start({ maxConnectionsPerIp: 2 });
    const { a, b } = await honestPair();
    await client(from('2001:db8:5:6::1')).opened;
    await client(from('2001:db8:5:6:ffff::2')).opened;
    await assert.rejects(client(from('2001:db8:5:6:1234:5678:9abc:def0')).opened, { status: 429 });
    await client(from('2001:db8:5:7::1')).opened;
    await assertHonestUnaffected(a, b, 'after-ipv6');
  });

  it('proxy headers: believed from the trusted proxy, ignored from anyone else', async () => {
    await start({ maxConnectionsPerIp: 1 });
    const { a, b } = await honestPair();
    // From 127.0.0.5 (not a listed proxy) the header is the client's own claim: both count as 127.0.0.5.
    await client(from('198.51.100.50', { localAddress: '127.0.0.5' })).opened;
    await assert.rejects(client(from('198.51.100.51', { localAddress: '127.0.0.5' })).opened, { status: 429 });
    // Forged chain through the trusted proxy: the hop the proxy appended wins, not the client's leftmost entry.
    await client({ headers: { 'x-forwarded-for': '198.51.100.1, 198.51.100.60' } }).opened;
    await assert.rejects(client({ headers: { 'x-forwarded-for': '198.51.100.99, 198.51.100.60' } }).opened, { status: 429 });
    await until('audit', (msgs) => msgs.filter((e) => e.code === 'HTTP_429').length >= 2);
    assert.deepEqual(
      out.audit.filter((e) => e.code === 'HTTP_429').map((e) => e.ip),
      ['127.0.0.5', '198.51.100.60'],
    );
    await assertHonestUnaffected(a, b, 'after-proxy');
  });

  it('offer flood: flooding a victim with offers cannot make its answers to honest offers fail', async () => {
    await start();
    const { a, b } = await honestPair();
    const mallory = client(from('203.0.113.10'));
    await mallory.join();
    a.send({ type: 'offer', to: b.id, offerId: 'real', sdp: 'v=0' });
    await nextOf(b, 'offer', a.id);
    for (let i = 0; i < 90; i++) mallory.send({ type: 'offer', to: b.id, offerId: `f${i}`, sdp: 'v=0' });
    await mallory.sync();
    b.send({ type: 'answer', to: a.id, offerId: 'real', sdp: 'v=0' });
    assert.equal((await nextOf(a, 'answer')).offerId, 'real');
    await assertHonestUnaffected(a, b, 'after-offer-flood');
    assert.equal(out.audit.filter((e) => e.peer === b.id).length, 0, 'the victim committed no violation');
  });

  it('slow reader: a client that stops reading is closed (4007) instead of buffering without bound', async () => {
    await start();
    const { a, b } = await honestPair();
    const slow = client(from('203.0.113.11'));
    await slow.join('live', '360p');
    (slow.ws as unknown as { _socket: net.Socket })._socket.pause();
    const left = until('events', (msgs) => msgs.some((e) => e.event === 'leave' && e.peer === slow.id));
    let stopped = false;
    void left.then(() => {
      stopped = true;
    });
    for (let version = 0; version < 400 && !stopped; version++) {
      helper.getNode('sig').receive({
        topic: 'playlist',
        // Every line new, so each version costs ~200 kB whole or as a delta (protocol v4 sends the smaller).
        payload: `#EXTM3U\n#${version}\n${`#${version}`.repeat(50_000)}\n`,
        playlist: { stream: 'live', rendition: '360p', ended: false },
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    const events = await left;
    assert.equal(events.find((e) => e.event === 'leave' && e.peer === slow.id)!.reason, 'not reading');
    await assertHonestUnaffected(a, b, 'after-slow');
  });

  it('token guessing, swarm squatting and oversized frames: refused, and a guesser is shut out across reconnects', async () => {
    await start({ maxMessageBytes: 4096 });
    const { a, b } = await honestPair();
    const squatter = client(from('203.0.113.20'));
    await squatter.opened;
    squatter.send({ type: 'join', v: 4, stream: 'not-announced', rendition: 'x', role: 'viewer' });
    assert.equal((await squatter.next()).code, 'E_SIGNAL_UNKNOWN_SWARM');
    const big = client(from('203.0.113.21'));
    await big.opened;
    // Compressed (permessage-deflate, which the socket offers), a megabyte of one letter is about a
    // kilobyte on the wire: the bound applies to what it inflates to.
    assert.match(big.ws.extensions, /permessage-deflate/);
    big.send('x'.repeat(1_000_000));
    assert.equal((await big.closed).code, 1009);
    // A guesser closed after 11 refused tokens per connection; the address's violation budget (30)
    // runs out on the third connection, and the fourth attempt is refused at the upgrade.
    let refusedAt = -1;
    for (let attempt = 0; attempt < 5; attempt++) {
      const guesser = client(from('203.0.113.22'));
      try {
        await guesser.opened;
      } catch (err) {
        refusedAt = attempt;
        assert.equal((err as { status: number }).status, 429);
        break;
      }
      for (let i = 0; i < 11; i++)
        guesser.send({ type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'supporter', token: `guess-${attempt}-${i}-0123456789` });
      assert.equal((await guesser.closed).code, 4001);
    }
    assert.equal(refusedAt, 3);
    await assertHonestUnaffected(a, b, 'after-guessing');
  });

  it('half-open upgrades: sockets that never finish their upgrade, and upgraded ones that never join, starve nobody', async () => {
    await start();
    const { a, b } = await honestPair();
    const port = Number(new URL(helper.url()).port);
    const raw = await Promise.all(
      Array.from(
        { length: 30 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const socket = net.connect(port, '127.0.0.1', () => {
              socket.write('GET /signal HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n');
              resolve(socket);
            });
            socket.on('error', () => {
              /* closed by the server */
            });
          }),
      ),
    );
    const idle = Array.from({ length: 10 }, (_, i) => client(from(`203.0.113.${100 + i}`)));
    await Promise.all(idle.map((c) => c.opened));
    try {
      const late = client(from('198.51.100.4'));
      await late.join();
      await assertHonestUnaffected(a, b, 'after-half-open');
      await negotiate(late, a, 'late-joiner');
    } finally {
      for (const socket of raw) socket.destroy();
    }
  });
});
