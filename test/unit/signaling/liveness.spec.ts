// The documented deadlines hold when the coordinator is swept at its own declared period: a silent
// connection is closed no later than one sweep after its deadline (the node runs sweep() every sweepMs).
import assert from 'node:assert/strict';
import { CLOSE_CODES } from '../../../lib/signaling/protocol';
import { harness } from './harness';

/** Sweeps on the fake clock at the coordinator's own period until `done`; returns the elapsed ms. */
function sweepUntil(h: ReturnType<typeof harness>, done: () => boolean, limitMs: number): number {
  const start = h.now();
  assert.ok(h.c.sweepMs > 0 && h.c.sweepMs <= 1000, `sweep period ${h.c.sweepMs}`);
  while (!done() && h.now() - start < limitMs) {
    h.advance(h.c.sweepMs);
    h.c.sweep();
  }
  return h.now() - start;
}

describe('signaling liveness: documented deadlines hold', () => {
  it('closes a connection that never joins within joinTimeoutMs + one sweep (4005)', () => {
    const h = harness();
    const idle = h.connect();
    const elapsed = sweepUntil(h, () => idle.t.closed !== undefined, 60_000);
    assert.equal(idle.t.closed?.code, CLOSE_CODES.JOIN_TIMEOUT);
    assert.ok(elapsed > h.c.limits.joinTimeoutMs && elapsed <= h.c.limits.joinTimeoutMs + 1000, `closed after ${elapsed} ms`);
  });

  it('evicts a joined peer that stops answering within peerTimeoutMs + one sweep (4004), pinging once per heartbeat', () => {
    const h = harness();
    h.announce(1);
    const silent = h.join();
    const elapsed = sweepUntil(h, () => silent.t.closed !== undefined, 120_000);
    assert.equal(silent.t.closed?.code, CLOSE_CODES.HEARTBEAT_TIMEOUT);
    assert.ok(elapsed > h.c.limits.peerTimeoutMs && elapsed <= h.c.limits.peerTimeoutMs + 1000, `evicted after ${elapsed} ms`);
    assert.equal(silent.t.pings, Math.floor(h.c.limits.peerTimeoutMs / h.c.limits.heartbeatMs), 'one ping per heartbeat, not per sweep');
  });
});

describe('signaling audit of refused upgrades', () => {
  it('audits every refusal, but a storm from one address as one record per second with the count', () => {
    const h = harness();
    for (let i = 0; i < 100; i++) h.c.auditRefusal('192.0.2.1', 429, 'too many connection attempts from this address');
    h.c.auditRefusal('192.0.2.2', 403, 'origin not allowed');
    h.advance(1000);
    h.c.auditRefusal('192.0.2.1', 429, 'too many connection attempts from this address');
    assert.deepEqual(
      h.audit.map((a) => [a.code, a.ip, a.repeated]),
      [
        ['HTTP_429', '192.0.2.1', undefined],
        ['HTTP_403', '192.0.2.2', undefined],
        ['HTTP_429', '192.0.2.1', 100],
      ],
    );
  });
});
