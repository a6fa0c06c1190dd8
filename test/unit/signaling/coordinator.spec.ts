import assert from 'node:assert/strict';
import { CLOSE_CODES, HONEST_RECEIPT_REFUSALS, PROTOCOL_VERSION, type SignalErrorCode } from '../../../lib/signaling/protocol';
import { ICE_PER_EXCHANGE } from '../../../lib/signaling/relay-policy';
import { harness } from './harness';

describe('signaling coordinator: join and welcome', () => {
  it('refuses a swarm nobody announced, then welcomes with id, peers, ICE servers and latest segments', () => {
    const h = harness({ iceServers: [{ urls: 'stun:stun.example:3478' }], limits: { segmentsInWelcome: 2 } });
    const early = h.connect();
    h.send(early, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.deepEqual(
      early.t.take().map((f) => f.code),
      ['E_SIGNAL_UNKNOWN_SWARM'],
    );
    h.announce(1);
    h.announce(2);
    const a3 = h.announce(3);
    const first = h.join();
    const second = h.connect();
    h.send(second, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer', have: [2, 3] });
    const welcome = second.t.take()[0];
    assert.equal(welcome.type, 'welcome');
    assert.equal(welcome.v, PROTOCOL_VERSION);
    assert.match(welcome.peer as string, /^[A-Za-z0-9_-]{12}$/);
    assert.notEqual(welcome.peer, first.id);
    assert.deepEqual(welcome.peers, [{ peer: first.id, role: 'viewer', latest: -1 }]);
    assert.deepEqual(welcome.iceServers, [{ urls: 'stun:stun.example:3478' }]);
    assert.deepEqual(
      (welcome.segments as unknown[]).map((s) => (s as { sequence: number }).sequence),
      [2, 3],
    );
    assert.deepEqual((welcome.segments as unknown[])[1], { sequence: 3, rendition: '720p', url: a3.url, size: 1000, sha256: a3.sha256, duration: 2 });
    assert.deepEqual(welcome.limits, { maxMessageBytes: 16384, ratePerSecond: 20, burst: 100, statsIntervalMs: 5000 });
    assert.deepEqual(
      h.swarm.map((e) => [e.event, e.swarmPeers, e.totalPeers, e.swarms]),
      [
        ['join', 1, 1, 1],
        ['join', 2, 2, 1],
      ],
    );
  });

  it('enforces peers per swarm and the swarm count', () => {
    const h = harness({ limits: { maxPeersPerSwarm: 2, maxSwarms: 1 } });
    h.announce(1);
    h.announce(1, 'other');
    h.join();
    h.join();
    const third = h.connect();
    h.send(third, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.equal(third.t.take()[0].code, 'E_SIGNAL_SWARM_FULL');
    h.send(third, { type: 'join', v: 4, stream: 'other', rendition: '720p', role: 'viewer' });
    assert.equal(third.t.take()[0].code, 'E_SIGNAL_TOO_MANY_SWARMS');
    assert.equal(third.t.closed, undefined);
  });

  it('admits supporters only with an operator-issued token and reports their identity', async () => {
    const h = harness({ verifySupporter: async (token) => (token === 'good-token-0123456789' ? 'alice' : null) });
    h.announce(1);
    const bad = h.connect();
    h.send(bad, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'supporter', token: 'guess' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      bad.t.take().map((f) => f.code),
      ['E_SIGNAL_UNAUTHORIZED'],
    );
    const good = h.connect();
    h.send(good, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'supporter', token: 'good-token-0123456789' });
    await new Promise((r) => setImmediate(r));
    assert.equal(good.t.last().type, 'welcome');
    assert.equal(good.t.last().role, 'supporter');
    assert.equal(h.swarm[0].supporter, 'alice');
    // A viewer joining now is pointed at the supporter first.
    h.join();
    h.join();
    const v = h.connect();
    h.send(v, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    assert.equal((v.t.last().peers as Array<{ role: string }>)[0].role, 'supporter');
  });
});

describe('signaling coordinator: relay rules', () => {
  function trio() {
    const h = harness();
    h.announce(1);
    h.announce(1, 'other', '720p');
    const a = h.join();
    const b = h.join();
    // Another stream: another swarm (the renditions of one stream share one).
    const elsewhere = h.join('other', '720p');
    return { h, a, b, elsewhere };
  }

  it('relays offer → answer → ICE with the sender set by the server', () => {
    const { h, a, b } = trio();
    h.send(a, { type: 'offer', to: b.id, offerId: 'o1', sdp: 'v=0 offer' });
    assert.deepEqual(b.t.take(), [{ type: 'offer', from: a.id, offerId: 'o1', sdp: 'v=0 offer' }]);
    h.send(b, { type: 'answer', to: a.id, offerId: 'o1', sdp: 'v=0 answer' });
    assert.deepEqual(a.t.take(), [{ type: 'answer', from: b.id, offerId: 'o1', sdp: 'v=0 answer' }]);
    h.send(b, { type: 'ice', to: a.id, offerId: 'o1', candidate: { candidate: 'c1', sdpMid: '0', sdpMLineIndex: 0 } });
    h.send(a, { type: 'ice', to: b.id, offerId: 'o1', candidate: null });
    assert.deepEqual(a.t.take(), [{ type: 'ice', from: b.id, offerId: 'o1', candidate: { candidate: 'c1', sdpMid: '0', sdpMLineIndex: 0 } }]);
    assert.deepEqual(b.t.take(), [{ type: 'ice', from: a.id, offerId: 'o1', candidate: null }]);
  });

  it('forwards an answer only once, only for a relayed offer, and only before it expires', () => {
    const { h, a, b } = trio();
    h.send(b, { type: 'answer', to: a.id, offerId: 'never', sdp: 'v=0' });
    assert.equal(b.t.take()[0].code, 'E_SIGNAL_NO_OFFER');
    h.send(a, { type: 'offer', to: b.id, offerId: 'o1', sdp: 'v=0' });
    b.t.take();
    h.send(b, { type: 'answer', to: a.id, offerId: 'o1', sdp: 'v=0' });
    h.send(b, { type: 'answer', to: a.id, offerId: 'o1', sdp: 'v=0 again' });
    assert.deepEqual(
      a.t.take().map((f) => f.sdp),
      ['v=0'],
    );
    assert.equal(b.t.take()[0].code, 'E_SIGNAL_NO_OFFER');
    h.send(a, { type: 'offer', to: b.id, offerId: 'o2', sdp: 'v=0' });
    h.advance(30_001);
    h.send(b, { type: 'answer', to: a.id, offerId: 'o2', sdp: 'v=0' });
    // Too late is an honest race, not a forgery: refused, but not a violation.
    assert.equal(b.t.last().code, 'E_SIGNAL_OFFER_EXPIRED');
    assert.equal(b.s.violations, 2);
    assert.deepEqual(a.t.take(), []);
  });

  it('does not let a third peer answer an offer addressed to someone else', () => {
    const { h, a, b } = trio();
    const c = h.join();
    h.send(a, { type: 'offer', to: b.id, offerId: 'o1', sdp: 'v=0' });
    h.send(c, { type: 'answer', to: a.id, offerId: 'o1', sdp: 'v=0 hijack' });
    assert.equal(c.t.last().code, 'E_SIGNAL_NO_OFFER');
    assert.deepEqual(a.t.take(), []);
  });

  it('refuses ICE between peers with no offer in progress', () => {
    const { h, a, b } = trio();
    h.send(a, { type: 'ice', to: b.id, offerId: 'o1', candidate: null });
    assert.equal(a.t.last().code, 'E_SIGNAL_NO_SESSION');
    assert.deepEqual(b.t.take(), []);
  });

  it("drops quietly the ICE that trails a refused offer (its sender could not know yet), one exchange's worth, and calls more a flood", () => {
    // A swarm too small for links: every offer is refused as not to a neighbour.
    const h = harness({ limits: { minSwarmForLinks: 100 } });
    h.announce(1);
    const a = h.join();
    const b = h.join();
    h.send(a, { type: 'offer', to: b.id, offerId: 'o1', sdp: 'v=0' });
    assert.equal(a.t.last().code, 'E_SIGNAL_UNKNOWN_PEER');
    a.t.take();
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    for (let i = 0; i < ICE_PER_EXCHANGE; i++) h.send(a, { type: 'ice', to: b.id, offerId: 'o1', candidate });
    assert.deepEqual(a.t.take(), [], 'no answer: the refusal of the offer was the answer');
    assert.equal(a.s.violations, 0, 'trickle behind a refused offer is no violation (ten closed an honest viewer)');
    assert.deepEqual(b.t.take(), [], 'and nothing reached the other peer');
    h.send(a, { type: 'ice', to: b.id, offerId: 'o1', candidate });
    assert.equal(a.t.last().code, 'E_SIGNAL_RATE_LIMITED');
    assert.equal(a.s.violations, 1);
    // ICE to a peer never offered to is still refused as before.
    const c = h.join();
    h.send(a, { type: 'ice', to: c.id, offerId: 'o2', candidate: null });
    assert.equal(a.t.last().code, 'E_SIGNAL_NO_SESSION');
  });

  it('treats a peer of another swarm as unknown and never relays across swarms', () => {
    const { h, a, elsewhere } = trio();
    h.send(a, { type: 'offer', to: elsewhere.id, offerId: 'o1', sdp: 'v=0' });
    assert.equal(a.t.last().code, 'E_SIGNAL_UNKNOWN_PEER');
    assert.deepEqual(elsewhere.t.take(), []);
  });

  it('rejects a spoofed sender and still relays the next honest message', () => {
    const { h, a, b } = trio();
    const c = h.join();
    h.send(c, { type: 'offer', to: b.id, offerId: 'o1', sdp: 'v=0', from: a.id });
    assert.equal(c.t.last().code, 'E_SIGNAL_SPOOFED_SENDER');
    assert.deepEqual(b.t.take(), []);
    h.send(c, { type: 'offer', to: b.id, offerId: 'o1', sdp: 'v=0' });
    assert.deepEqual(b.t.take(), [{ type: 'offer', from: c.id, offerId: 'o1', sdp: 'v=0' }]);
    assert.deepEqual(
      h.audit.map((e) => [e.kind, e.code, e.peer]),
      [['violation', 'E_SIGNAL_SPOOFED_SENDER', c.id]],
    );
  });

  it('closes with 4001 after too many violations and 4002 for a flood; others are unaffected', () => {
    const { h, a, b } = trio();
    const bad = h.join();
    for (let i = 0; i < 11; i++) h.c.message(bad.s, '{nope', false);
    assert.equal(bad.t.frames.length, 10);
    assert.deepEqual(bad.t.closed, { code: CLOSE_CODES.POLICY_VIOLATION, reason: 'policy violation' });
    const flood = h.join();
    for (let i = 0; i < 200; i++) h.send(flood, { type: 'heartbeat' });
    assert.equal(flood.t.closed?.code, CLOSE_CODES.RATE_LIMITED);
    assert.equal(flood.t.frames.filter((f) => f.code === 'E_SIGNAL_RATE_LIMITED').length, 10);
    h.send(a, { type: 'offer', to: b.id, offerId: 'after', sdp: 'v=0' });
    assert.deepEqual(
      b.t
        .take()
        .filter((f) => f.type === 'offer')
        .map((f) => f.offerId),
      ['after'],
    );
    assert.deepEqual(
      h.audit.filter((e) => e.kind === 'closed').map((e) => e.code),
      ['4001', '4002'],
    );
  });

  it('rejects binary frames and messages before join', () => {
    const h = harness();
    const x = h.connect();
    h.c.message(x.s, Buffer.from('{"type":"leave"}'), true);
    h.send(x, { type: 'offer', to: 'AAAAAAAAAAAA', offerId: 'o', sdp: 'v' });
    assert.deepEqual(
      x.t.take().map((f) => f.code),
      ['E_SIGNAL_BINARY', 'E_SIGNAL_NOT_JOINED'],
    );
  });
});

describe('signaling coordinator: announcements, receipts, liveness', () => {
  it('pushes each new segment once, to the peers of its rendition only', () => {
    const h = harness();
    h.announce(1);
    h.announce(1, 'live', '360p');
    const a = h.join();
    const other = h.join('live', '360p');
    const seg = h.announce(2);
    h.announce(2); // a replayed playlist msg
    assert.deepEqual(a.t.take(), [
      { type: 'segment', sequence: 2, rendition: '720p', url: seg.url, size: 1000, sha256: seg.sha256, duration: 2, fetchers: [a.id] },
    ]);
    assert.deepEqual(other.t.take(), []);
  });

  it('credits a corroborated receipt once and audits every inconsistent one', () => {
    const h = harness({ limits: { receiptWindow: 3 } });
    h.announce(1, 'live', '720p', 5000);
    h.announce(1, 'other', '720p');
    const up = h.join();
    const down = h.join();
    const elsewhere = h.join('other', '720p');
    h.negotiate(down, up);
    h.announce(2, 'live', '720p', 5000);
    down.t.take();
    h.deliver(up, down, 2, 5000);
    assert.deepEqual(down.t.take(), [{ type: 'receipt-ack', sequence: 2, from: up.id }]);
    assert.equal(h.receipts.length, 1);
    const r = h.receipts[0];
    assert.deepEqual(
      [r.sequence, r.bytes, r.segmentSize, r.uploader.peer, r.downloader.peer, r.sha256],
      [2, 5000, 5000, up.id, down.id, '2'.padStart(64, '0')],
    );
    const attempts: Array<[Record<string, unknown>, string]> = [
      [{ type: 'receipt', sequence: 2, from: up.id, bytes: 10 }, 'E_RECEIPT_DUPLICATE'],
      [{ type: 'receipt', sequence: 9, from: up.id, bytes: 10 }, 'E_RECEIPT_UNKNOWN_SEGMENT'],
      [{ type: 'receipt', sequence: 2, from: down.id, bytes: 10 }, 'E_RECEIPT_SELF'],
      [{ type: 'receipt', sequence: 2, from: elsewhere.id, bytes: 10 }, 'E_RECEIPT_UNKNOWN_UPLOADER'],
      [{ type: 'receipt', sequence: 2, from: 'ZZZZZZZZZZZZ', bytes: 10 }, 'E_RECEIPT_UNKNOWN_UPLOADER'],
      [{ type: 'receipt', sequence: 1, from: up.id, bytes: 10 }, 'E_RECEIPT_BEFORE_JOIN'],
    ];
    for (const [msg] of attempts) h.send(down, msg);
    // bytes > size, from a third peer who has not filed for segment 2 yet
    const third = h.join();
    h.send(third, { type: 'receipt', sequence: 2, from: up.id, bytes: 5001 });
    assert.deepEqual(
      down.t.take().map((f) => f.code),
      attempts.map(([, code]) => code).filter((code) => !HONEST_RECEIPT_REFUSALS.has(code as SignalErrorCode)),
      'refusals an honest client cannot avoid are not answered',
    );
    assert.equal(third.t.take()[0].code, 'E_RECEIPT_TOO_MANY_BYTES');
    // The second UNKNOWN_UPLOADER of the minute from this source is counted into a later record, not recorded at once.
    assert.deepEqual(
      h.audit.map((a) => a.code),
      [...new Set(attempts.map(([, code]) => code)), 'E_RECEIPT_TOO_MANY_BYTES'],
    );
    assert.equal(h.receipts.length, 1);
    // A few rejected receipts are not violations (an uploader may just have left): still connected.
    assert.equal(down.t.closed, undefined);
    assert.equal(h.audit.filter((a) => a.kind === 'violation').length, 0);
    // Segment 2 leaves the 3-segment window: no longer receiptable.
    h.announce(3, 'live', '720p');
    h.announce(4, 'live', '720p');
    h.announce(5, 'live', '720p');
    down.t.take();
    h.send(down, { type: 'receipt', sequence: 2, from: up.id, bytes: 1 });
    assert.equal(down.t.take()[0].code, 'E_RECEIPT_UNKNOWN_SEGMENT');
    assert.deepEqual(h.c.stats().invalidReceipts, 8);
  });

  it('evicts silent peers (4004), unjoined connections (4005) and tells the peers that knew them', () => {
    const h = harness();
    h.announce(1);
    const a = h.join();
    const b = h.join(); // b's welcome listed a → they are neighbours
    const idle = h.connect();
    h.advance(11_000);
    h.c.sweep();
    assert.equal(idle.t.closed?.code, 4005);
    assert.equal(a.t.pings, 0, 'pings go out once per heartbeat (15 s), deadlines are checked every sweep');
    h.advance(4_000);
    h.c.sweep();
    assert.equal(a.t.pings, 1);
    h.advance(16_000);
    h.c.touch(b.s); // b answers pings, a does not
    h.advance(25_000);
    h.c.sweep();
    assert.equal(a.t.closed?.code, 4004);
    assert.equal(b.t.closed, undefined);
    assert.deepEqual(b.t.take(), [{ type: 'peer-left', peer: a.id }]);
    assert.deepEqual(
      h.swarm.slice(-1).map((e) => [e.event, e.peer, e.reason, e.swarmPeers]),
      [['leave', a.id, 'heartbeat timeout', 1]],
    );
  });

  it('closes a slow consumer (4007) instead of buffering without bound', () => {
    const h = harness();
    h.announce(1);
    const slow = h.join();
    const ok = h.join();
    slow.t.buffered = 2 * 1024 * 1024;
    assert.equal(h.announce(2) && h.c.peerCount(), 1);
    assert.equal(slow.t.closed?.code, 4007);
    // ok was given slow in its welcome, so it hears that slow left, then gets the segment.
    assert.deepEqual(
      ok.t.take().map((f) => f.type),
      ['peer-left', 'segment'],
    );
  });

  it('limits connections per IP and checks the origin allow-list', () => {
    const h = harness({ limits: { maxConnectionsPerIp: 2, allowedOrigins: ['https://watch.example'] } });
    assert.deepEqual(h.c.admit('1.2.3.4', 'https://evil.example'), { ok: false, status: 403, reason: 'origin not allowed' });
    assert.deepEqual(h.c.admit('1.2.3.4', undefined), { ok: false, status: 403, reason: 'origin not allowed' });
    assert.deepEqual(h.c.admit('1.2.3.4', 'https://watch.example'), { ok: true });
    const one = h.connect('1.2.3.4');
    h.connect('1.2.3.4');
    assert.equal(h.c.admit('1.2.3.4', 'https://watch.example').ok, false);
    assert.equal(h.c.admit('5.6.7.8', 'https://watch.example').ok, true);
    h.c.disconnect(one.s);
    assert.equal(h.c.admit('1.2.3.4', 'https://watch.example').ok, true);
  });

  it('reports stats: peers, swarms, messages per second', () => {
    const h = harness();
    h.announce(1);
    const a = h.join();
    h.join();
    for (let i = 0; i < 8; i++) h.send(a, { type: 'heartbeat' });
    h.advance(2000);
    const s = h.c.stats();
    assert.deepEqual([s.connections, s.peers, s.swarms, s.messages, s.messagesPerSecond], [2, 2, 1, 10, 5]);
  });

  it('refuses a supporter whose verifier returns an id that breaks the id rule (payout would refuse every receipt of it)', async () => {
    const h = harness({ verifySupporter: async () => '..' });
    h.announce(1);
    const c = h.connect();
    h.send(c, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'supporter', token: 'good-token-0123456789' });
    await new Promise((r) => setImmediate(r));
    const frames = c.t.take();
    assert.deepEqual(
      frames.map((f) => f.code),
      ['E_SIGNAL_UNAUTHORIZED'],
    );
    assert.match(String(frames[0].message), /id rule/);
    assert.equal(h.swarm.length, 0, 'not admitted');
  });
});
