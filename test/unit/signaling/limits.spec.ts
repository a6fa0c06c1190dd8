// Limits that hold across reconnects, IPv6 prefixes and proxies; offers that cannot be used to kick an
// honest peer; per-swarm state that is freed; neighbour sets that stay two-way; encoder restarts.
import assert from 'node:assert/strict';
import { clientAddress, parseTrustedProxies } from '../../../lib/signaling/client-address';
import { CLOSE_CODES } from '../../../lib/signaling/protocol';
import { harness } from './harness';

const viewerJoin = { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' };

describe('signaling limits: per-source budgets that survive reconnects', () => {
  it('refuses a reconnect storm from one address once its upgrade budget is spent, not another address', () => {
    const h = harness({ limits: { upgradesPerSecond: 1, upgradeBurst: 5, maxConnectionsPerIp: 0 } });
    const results: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const admitted = h.c.admit('192.0.2.7', undefined);
      results.push(admitted.ok);
      if (admitted.ok) h.c.disconnect(h.connect('192.0.2.7').s);
    }
    assert.deepEqual(results, [true, true, true, true, true, false, false, false]);
    assert.equal(h.c.admit('192.0.2.8', undefined).ok, true);
    h.advance(1000);
    assert.equal(h.c.admit('192.0.2.7', undefined).ok, true, 'the budget refills with time');
  });

  it('shares one message budget among the connections of an address, so reconnecting buys no burst', () => {
    const h = harness({ limits: { sourceRatePerSecond: 10, sourceBurst: 30, maxConnectionsPerIp: 0 } });
    h.announce(1);
    let accepted = 0;
    for (let round = 0; round < 6; round++) {
      const { t, s } = h.connect('192.0.2.9');
      for (let i = 0; i < 10; i++) h.c.message(s, JSON.stringify({ type: 'heartbeat' }), false);
      accepted += 10 - t.frames.filter((f) => f.code === 'E_SIGNAL_RATE_LIMITED').length;
      h.c.disconnect(s);
    }
    assert.equal(accepted, 30, 'the source burst, not 6 fresh per-connection bursts');
  });

  it("gives a household its connections' own budgets: each further connection open at once adds one connection's worth", () => {
    const h = harness({ limits: { ratePerSecond: 20, burst: 40, sourceRatePerSecond: 10, sourceBurst: 30, maxConnectionsPerIp: 0 } });
    h.announce(1);
    const housemates = Array.from({ length: 5 }, () => h.connect('192.0.2.10'));
    // Opening connections adds no tokens at once (or closing and opening one would buy a burst): the
    // address's bucket fills at the higher rate, 10 + 4 × 20 per second, to 30 + 4 × 40 = 190.
    h.advance(2_000);
    // Each sends 38 (< its own 40): 190 in all, the address's whole budget.
    const refusedOf = () => housemates.reduce((a, { t }) => a + t.frames.filter((f) => f.code === 'E_SIGNAL_RATE_LIMITED').length, 0);
    for (const { s } of housemates) for (let i = 0; i < 38; i++) h.c.message(s, JSON.stringify({ type: 'heartbeat' }), false);
    assert.equal(refusedOf(), 0, 'five viewers behind one address, each within its own limit, lose nothing');
    // The address's budget still binds: one more message each (within each connection's own) is refused.
    for (const { s } of housemates) h.c.message(s, JSON.stringify({ type: 'heartbeat' }), false);
    assert.equal(refusedOf(), 5);
  });

  it('carries violations across reconnects: a source that keeps violating is refused at the upgrade', () => {
    const h = harness({ limits: { maxSourceViolations: 25, maxConnectionsPerIp: 0 } });
    let refusedAt = -1;
    for (let attempt = 0; attempt < 10 && refusedAt < 0; attempt++) {
      const admitted = h.c.admit('192.0.2.66', undefined);
      if (!admitted.ok) {
        refusedAt = attempt;
        assert.equal(admitted.status, 429);
        break;
      }
      const bad = h.connect('192.0.2.66');
      for (let i = 0; i < 11; i++) h.c.message(bad.s, '{nope', false);
      assert.equal(bad.t.closed?.code, CLOSE_CODES.POLICY_VIOLATION);
    }
    assert.equal(refusedAt, 3, '25 violations allowed: the third connection spends them, the fourth is refused');
  });

  it('counts IPv6 by /64: addresses in one /64 share the connection count, another /64 does not', () => {
    const h = harness({ limits: { maxConnectionsPerIp: 2 } });
    h.connect('2001:db8:1:2::1');
    h.connect('2001:db8:1:2::ffff');
    assert.equal(h.c.admit('2001:db8:1:2:abcd::9', undefined).ok, false);
    assert.equal(h.c.admit('2001:db8:1:3::1', undefined).ok, true);
    const per128 = harness({ limits: { maxConnectionsPerIp: 2, sourcePrefixV6: 128 } });
    per128.connect('2001:db8:1:2::1');
    per128.connect('2001:db8:1:2::ffff');
    assert.equal(per128.c.admit('2001:db8:1:2:abcd::9', undefined).ok, true, 'the setting');
  });
});

describe('signaling limits: client address behind proxies', () => {
  const trusted = parseTrustedProxies('127.0.0.1, 10.0.0.0/8, ::1');
  it('believes X-Forwarded-For and Forwarded only from listed proxies', () => {
    assert.equal(clientAddress('203.0.113.9', { 'x-forwarded-for': '198.51.100.1' }, trusted), '203.0.113.9', 'untrusted peer: header ignored');
    assert.equal(clientAddress('127.0.0.1', { 'x-forwarded-for': '198.51.100.1' }, trusted), '198.51.100.1');
    assert.equal(
      clientAddress('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.1, 10.1.1.1' }, trusted),
      '198.51.100.1',
      "the first untrusted hop from the right: the leftmost entries are the client's to forge",
    );
    assert.equal(clientAddress('::1', { forwarded: 'for="[2001:db8::17]:4711";proto=https, for=10.2.2.2' }, trusted), '2001:db8::17');
    assert.equal(clientAddress('127.0.0.1', { forwarded: 'for=unknown' }, trusted), '127.0.0.1', 'no usable hop: the proxy itself');
    assert.equal(clientAddress('127.0.0.1', {}, trusted), '127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', { 'x-forwarded-for': '198.51.100.1' }, parseTrustedProxies('')), '127.0.0.1', 'no proxies listed: never believed');
    assert.throws(
      () => parseTrustedProxies('10.0.0.0/99'),
      (err: Error & { code?: string }) => err.code === 'E_SIGNAL_CONFIG',
    );
  });
});

describe('signaling limits: offers cannot be used against an honest peer', () => {
  it("caps pending offers per sender→receiver pair: a flooder's extra offers are refused, not relayed", () => {
    const h = harness({ limits: { maxPendingOffersPerPair: 4, burst: 1000, sourceBurst: 1000 } });
    h.announce(1);
    const victim = h.join();
    const honest = h.join();
    const flooder = h.join();
    h.send(honest, { type: 'offer', to: victim.id, offerId: 'real', sdp: 'v=0' });
    for (let i = 0; i < 200; i++) h.send(flooder, { type: 'offer', to: victim.id, offerId: `f${i}`, sdp: 'v=0' });
    assert.equal(victim.t.take().filter((f) => f.type === 'offer' && f.from === flooder.id).length, 4, 'the victim hears 4, not 200');
    assert.equal(flooder.t.take().filter((f) => f.code === 'E_SIGNAL_BUSY').length, 196);
    assert.equal(flooder.s.violations, 0, 'busy is not a violation: an honest peer may retry too early');
    h.send(victim, { type: 'answer', to: honest.id, offerId: 'real', sdp: 'v=0' });
    assert.deepEqual(
      honest.t.take().map((f) => f.type),
      ['answer'],
    );
    assert.equal(victim.t.take().length, 0, 'no error for the victim');
    assert.equal(victim.s.violations, 0);
  });

  it('never counts an honest race as a violation: an answer to an offer that expired, late ICE', () => {
    const h = harness();
    h.announce(1);
    const a = h.join();
    const b = h.join();
    h.send(a, { type: 'offer', to: b.id, offerId: 'slow', sdp: 'v=0' });
    h.advance(20_000);
    h.c.sweep();
    h.advance(11_000);
    h.send(b, { type: 'answer', to: a.id, offerId: 'slow', sdp: 'v=0' });
    h.send(b, { type: 'ice', to: a.id, offerId: 'slow', candidate: null });
    const errors = b.t
      .take()
      .filter((f) => f.type === 'error')
      .map((f) => f.code);
    assert.deepEqual(errors, ['E_SIGNAL_OFFER_EXPIRED', 'E_SIGNAL_SESSION_EXPIRED']);
    assert.equal(b.s.violations, 0);
    // An answer to an offer never made is still a violation.
    h.send(b, { type: 'answer', to: a.id, offerId: 'never', sdp: 'v=0' });
    assert.equal(b.s.violations, 1);
  });

  it("forgets a departed sender's pending offers, so sybils that leave free the victim at once", () => {
    const h = harness({ limits: { maxPendingOffers: 2 } });
    h.announce(1);
    const victim = h.join();
    const sybils = [h.join(), h.join()];
    const honest = h.join();
    for (const s of sybils) h.send(s, { type: 'offer', to: victim.id, offerId: 'x', sdp: 'v=0' });
    h.send(honest, { type: 'offer', to: victim.id, offerId: 'first', sdp: 'v=0' });
    h.send(honest, { type: 'offer', to: victim.id, offerId: 'second', sdp: 'v=0' });
    assert.deepEqual(
      honest.t.take().map((f) => f.code),
      ['E_SIGNAL_BUSY'],
      'equal shares: the second waits',
    );
    for (const s of sybils) h.c.disconnect(s.s);
    h.send(honest, { type: 'offer', to: victim.id, offerId: 'second', sdp: 'v=0' });
    assert.deepEqual(
      victim.t
        .take()
        .filter((f) => f.type === 'offer' && f.from === honest.id)
        .map((f) => f.offerId),
      ['first', 'second'],
    );
  });

  it('bounds the offers relayed to one peer per second, however many senders there are', () => {
    // Lists long enough that every sender is introduced to the victim: offers pass only between neighbours.
    const h = harness({ limits: { offersPerSecondToPeer: 5, offerBurstToPeer: 10, maxPendingOffers: 1000, peersPerList: 64 } });
    h.announce(1);
    const victim = h.join();
    const partner = h.join();
    h.negotiate(partner, victim);
    const senders = Array.from({ length: 30 }, () => h.join());
    for (const sender of senders) h.send(sender, { type: 'offer', to: victim.id, offerId: 'x', sdp: 'v=0' });
    assert.equal(victim.t.take().filter((f) => f.type === 'offer').length, 9, "the burst, less the partner's first offer");
    h.send(partner, { type: 'offer', to: victim.id, offerId: 'renegotiate', sdp: 'v=0' });
    assert.deepEqual(
      victim.t.take().map((f) => f.from),
      [partner.id],
      'a negotiated partner is not a stranger',
    );
    assert.equal(senders.filter((s) => s.t.take().some((f) => f.code === 'E_SIGNAL_BUSY')).length, 21);
    assert.ok(senders.every((s) => s.s.violations === 0));
    h.advance(1000);
    for (const sender of senders.slice(10)) h.send(sender, { type: 'offer', to: victim.id, offerId: 'x', sdp: 'v=0' });
    assert.equal(victim.t.take().filter((f) => f.type === 'offer').length, 5, 'the rate refills');
  });

  it('bounds the ICE candidates one offer/answer exchange may carry', () => {
    const h = harness({ limits: { burst: 1000, sourceBurst: 1000 } });
    h.announce(1);
    const a = h.join();
    const b = h.join();
    h.negotiate(a, b);
    for (let i = 0; i < 300; i++) h.send(a, { type: 'ice', to: b.id, offerId: 'o', candidate: { candidate: `c${i}` } });
    assert.equal(b.t.take().filter((f) => f.type === 'ice').length, 2 * 64, 'the offer and the answer each allow 64 candidates');
  });

  it("keeps room for a newcomer when a victim is full of one sender's offers, and refuses when all are equal", () => {
    const h = harness({ limits: { maxPendingOffers: 4, maxPendingOffersPerPair: 4 } });
    h.announce(1);
    const victim = h.join();
    const flooder = h.join();
    const honest = h.join();
    const others = [h.join(), h.join(), h.join()];
    for (let i = 0; i < 4; i++) h.send(flooder, { type: 'offer', to: victim.id, offerId: `f${i}`, sdp: 'v=0' });
    h.send(honest, { type: 'offer', to: victim.id, offerId: 'real', sdp: 'v=0' });
    assert.deepEqual(
      honest.t.take().map((f) => f.code),
      [],
      'the heaviest sender gives up its oldest offer',
    );
    for (const other of others) h.send(other, { type: 'offer', to: victim.id, offerId: 'x', sdp: 'v=0' });
    assert.deepEqual(
      others.map((o) => o.t.take().map((f) => f.code)),
      [[], [], []],
      'each newcomer displaces the flooder',
    );
    // Now one offer each from honest and the three others: a second one from anybody is refused.
    h.send(others[0], { type: 'offer', to: victim.id, offerId: 'y', sdp: 'v=0' });
    assert.deepEqual(
      others[0].t.take().map((f) => f.code),
      ['E_SIGNAL_BUSY'],
    );
    assert.equal(others[0].s.violations, 0);
    h.send(victim, { type: 'answer', to: honest.id, offerId: 'real', sdp: 'v=0' });
    assert.equal(honest.t.take().filter((f) => f.type === 'answer').length, 1);
    h.send(victim, { type: 'answer', to: flooder.id, offerId: 'f0', sdp: 'v=0' });
    assert.equal(victim.t.take().filter((f) => f.code === 'E_SIGNAL_OFFER_EXPIRED').length, 1, 'answering an evicted offer is a race, not a violation');
    assert.equal(victim.s.violations, 0);
  });
});

describe('signaling limits: state is bounded and freed', () => {
  it('frees every per-swarm and per-source structure once a swarm empties and its sources go quiet', () => {
    const h = harness();
    h.announce(1);
    const peers = Array.from({ length: 6 }, () => h.join());
    h.negotiate(peers[1], peers[0]);
    h.announce(2);
    h.deliver(peers[0], peers[1], 2, 100);
    h.send(peers[2], { type: 'receipt', sequence: 2, from: peers[0].id, bytes: 1 });
    h.send(peers[3], { type: 'stats', httpBytes: 1, p2pBytes: 1, uploadedBytes: 0, stalls: 0, peers: 1 });
    assert.ok(h.c.footprint().receiptSwarms > 0);
    for (const p of peers) h.c.disconnect(p.s);
    h.advance(10 * 60_000);
    h.c.sweep();
    assert.deepEqual(h.c.footprint(), { sessions: 0, peers: 0, swarms: 0, sources: 0, receiptSwarms: 0, fetcherSwarms: 0, audienceSwarms: 0 });
  });

  it('keeps neighbour sets two-way when they are full', () => {
    const h = harness({ limits: { peersPerList: 20, maxConnectionsPerIp: 0 } });
    h.announce(1);
    const peers = Array.from({ length: 150 }, () => h.join());
    // Each keeps the neighbours it has (a `peers` request drops those it does not list) and asks for more.
    for (let i = 0; i < 50; i++) h.send(peers[i], { type: 'peers', exclude: [...(peers[i].s.neighbours ?? [])].slice(0, 64) });
    const byId = new Map(peers.map((p) => [p.id, p.s]));
    let oneWay = 0;
    let full = 0;
    for (const p of peers) {
      const mine = p.s.neighbours ?? new Set();
      if (mine.size >= 64) full++;
      for (const other of mine) if (!byId.get(other)!.neighbours?.has(p.id)) oneWay++;
    }
    assert.ok(full > 0, 'the case under test: some sets are full');
    assert.equal(oneWay, 0);
  });
});

describe('signaling limits: an encoder restart', () => {
  it('follows a new hls-watch session that restarts at sequence 0, and audits it', () => {
    const h = harness();
    const announce = (sequence: number, session: string) =>
      h.c.announce({
        stream: 'live',
        rendition: '720p',
        sequence,
        session,
        url: `https://cdn.example/${session}/${sequence}.ts`,
        size: 1000,
        sha256: `${session === 's1' ? 'a' : 'b'}${sequence}`.padEnd(64, '0'),
        duration: 2,
      });
    for (let n = 0; n < 5; n++) announce(n, 's1');
    const viewer = h.join();
    assert.equal(announce(0, 's2'), 1, 'sequence 0 of the new session reaches the swarm');
    assert.equal(announce(1, 's2'), 1);
    assert.equal(announce(5, 's1'), 0, 'a late segment of the old session is not announced');
    assert.deepEqual(
      viewer.t
        .take()
        .filter((f) => f.type === 'segment')
        .map((f) => [f.sequence, f.url]),
      [
        [0, 'https://cdn.example/s2/0.ts'],
        [1, 'https://cdn.example/s2/1.ts'],
      ],
    );
    const joiner = h.connect();
    h.send(joiner, viewerJoin);
    assert.deepEqual(
      (joiner.t.take()[0].segments as Array<{ sequence: number }>).map((s) => s.sequence),
      [0, 1],
      'the old window is gone',
    );
    assert.deepEqual(
      h.audit.filter((a) => a.kind === 'session').map((a) => [a.code, a.stream, a.rendition]),
      [['SESSION_RESTARTED', 'live', '720p']],
    );
  });
});
