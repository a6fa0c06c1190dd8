// Audience figures that one viewer cannot bend (issue 24, item 5): what the stats output says of a
// swarm rests on every viewer's report held to what it could have played, voted one voice per
// address; reports of bad data name a member of the reporter's swarm.
import { strict as assert } from 'node:assert';
import { harness, type Client } from './harness';

const SEGMENT_BYTES = 1_000_000; // the harness announces 2-second segments: 500 kB/s
const MINUTE = 60_000;
const MAX = Number.MAX_SAFE_INTEGER; // the documented bound of a stats counter

type Stats = { httpBytes: number; p2pBytes: number; uploadedBytes: number; stalls: number; latencyMs?: number };
const stats = (s: Stats) => ({ type: 'stats', peers: 3, ...s });

/** Viewer i of 20 after a minute: 30 MB played (a minute of the stream), a share from 35 % to 65 %, latency 4 to 7.8 s. */
function honest(i: number): Stats {
  const played = 30_000_000 - i * 100_000;
  const p2pBytes = Math.round(played * (0.35 + (0.3 * i) / 19));
  return { httpBytes: played - p2pBytes, p2pBytes, uploadedBytes: p2pBytes, stalls: i % 3 === 0 ? 1 : 0, latencyMs: 4000 + 200 * i };
}

/** Lies inside the documented bounds of a stats frame. */
const LIES: Record<string, Stats> = {
  'all bytes from peers, an hour behind': { httpBytes: 0, p2pBytes: MAX, uploadedBytes: MAX, stalls: 1_000_000, latencyMs: 3_600_000 },
  'all bytes over HTTP, no latency': { httpBytes: MAX, p2pBytes: 0, uploadedBytes: 0, stalls: 0, latencyMs: 0 },
  'twice what it played, all from peers': { httpBytes: 0, p2pBytes: 60_000_000, uploadedBytes: 0, stalls: 0, latencyMs: 0 },
};

/** 20 viewers of one swarm, each from its own address, report after a minute; `lie` replaces viewer `liar`'s report. */
function swarmOf20(lie?: { liar: number; report: Stats }) {
  const h = harness();
  for (let seq = 1; seq <= 5; seq++) h.announce(seq, 'live', '720p', SEGMENT_BYTES);
  const viewers: Client[] = [];
  for (let i = 0; i < 20; i++) viewers.push(h.join());
  h.advance(MINUTE);
  viewers.forEach((v, i) => h.send(v, stats(lie?.liar === i ? lie.report : honest(i))));
  const [swarm] = h.c.stats().audience;
  return swarm;
}

describe('signaling audience figures: one viewer cannot bend them', () => {
  it('one lying viewer among 20 moves the P2P share by at most 2 points and the latency by at most 1 s', () => {
    const truth = swarmOf20();
    const played = [...Array(20).keys()].map(honest);
    const byteShare = played.reduce((n, s) => n + s.p2pBytes, 0) / played.reduce((n, s) => n + s.p2pBytes + s.httpBytes, 0);
    assert.ok(Math.abs(truth.p2pShare! - byteShare) < 0.01, `honest figures measure the swarm: ${truth.p2pShare} vs ${byteShare}`);
    assert.ok(Math.abs(truth.latencyMs! - 5900) <= 100, `the median latency of 4–7.8 s: ${truth.latencyMs}`);
    for (const [name, report] of Object.entries(LIES)) {
      for (const liar of [0, 10, 19]) {
        const bent = swarmOf20({ liar, report });
        const where = `${name}, viewer ${liar}`;
        assert.ok(Math.abs(bent.p2pShare! - truth.p2pShare!) <= 0.02, `${where}: P2P share ${truth.p2pShare} → ${bent.p2pShare}`);
        assert.ok(Math.abs(bent.latencyMs! - truth.latencyMs!) <= 1000, `${where}: latency ${truth.latencyMs} → ${bent.latencyMs}`);
      }
    }
    assert.deepEqual(
      [truth.reporting, truth.p2pShareViewers, truth.latencyViewers, truth.capped],
      [20, 20, 20, 0],
      'the figures rest on 20 viewers, none held',
    );
  });

  it('holds a report to what its connection could have played since it joined, and counts the viewers it held', () => {
    const h = harness();
    h.announce(1, 'live', '720p', SEGMENT_BYTES);
    const liar = h.join();
    const fair = h.join();
    h.advance(10_000);
    h.send(liar, stats({ httpBytes: 1e12, p2pBytes: 1e12, uploadedBytes: 1e15, stalls: 1_000_000 }));
    h.send(fair, stats({ httpBytes: 3_000_000, p2pBytes: 2_000_000, uploadedBytes: 1_000_000, stalls: 1 }));
    const [swarm] = h.c.stats().audience;
    // 10 s of a 500 kB/s stream, twice over, and a 30-second buffer on arrival: 25 MB; the liar's share (1/2) is kept.
    assert.equal(swarm.httpBytes, 12_500_000 + 3_000_000);
    assert.equal(swarm.p2pBytes, 12_500_000 + 2_000_000);
    assert.ok(swarm.uploadedBytes <= 20 * 25_000_000 + 1_000_000, `uploads to at most a list of peers each: ${swarm.uploadedBytes}`);
    assert.ok(swarm.stalls <= 1 + 5 + 10, `one stall per segment played, twice over: ${swarm.stalls}`);
    assert.equal(swarm.capped, 1, 'the operator sees that one report was held');
  });

  it('keeps the figures of a viewer that reconnects from the same address once, whether it cycles or plays', () => {
    const h = harness();
    h.announce(1, 'live', '720p', SEGMENT_BYTES);
    const stays = h.join();
    h.send(stays, stats({ httpBytes: 1_000_000, p2pBytes: 1_000_000, uploadedBytes: 0, stalls: 0 }));
    for (let round = 0; round < 3; round++) {
      const cycler = h.join('live', '720p', '10.9.9.9');
      h.send(cycler, stats({ httpBytes: 1e9, p2pBytes: 0, uploadedBytes: 0, stalls: 0 }));
      h.send(cycler, { type: 'leave' });
    }
    let [swarm] = h.c.stats().audience;
    assert.ok(swarm.httpBytes <= 1_000_000 + 15_000_000, `three join → report → leave cycles add one arrival's worth: ${swarm.httpBytes}`);
    assert.equal(swarm.p2pShareViewers, 2, 'the cycling address is one viewer');

    // An honest reconnect: a minute played, a drop, another minute: both minutes count, once.
    const first = h.join('live', '720p', '10.8.8.8');
    h.advance(MINUTE);
    h.send(first, stats({ httpBytes: 30_000_000, p2pBytes: 0, uploadedBytes: 0, stalls: 0 }));
    h.c.disconnect(first.s);
    const again = h.join('live', '720p', '10.8.8.8');
    h.advance(MINUTE);
    h.send(again, stats({ httpBytes: 30_000_000, p2pBytes: 0, uploadedBytes: 0, stalls: 0 }));
    const before = swarm.httpBytes;
    [swarm] = h.c.stats().audience;
    assert.equal(swarm.httpBytes - before, 60_000_000);
    assert.equal(swarm.p2pShareViewers, 3);
  });

  it('counts one voice per address: a liar with four connections among 16 viewers moves the share by at most 2 points', () => {
    const run = (lying: boolean) => {
      const h = harness();
      h.announce(1, 'live', '720p', SEGMENT_BYTES);
      const viewers = [...Array(16).keys()].map(() => h.join());
      const liars = [...Array(4).keys()].map(() => h.join('live', '720p', '10.7.7.7'));
      h.advance(MINUTE);
      viewers.forEach((v, i) => h.send(v, stats(honest(i))));
      liars.forEach((v, i) => h.send(v, stats(lying ? LIES['all bytes from peers, an hour behind'] : honest(16 + i))));
      return h.c.stats().audience[0];
    };
    const truth = run(false);
    const bent = run(true);
    assert.ok(Math.abs(bent.p2pShare! - truth.p2pShare!) <= 0.02, `P2P share ${truth.p2pShare} → ${bent.p2pShare}`);
    assert.ok(Math.abs(bent.latencyMs! - truth.latencyMs!) <= 1000, `latency ${truth.latencyMs} → ${bent.latencyMs}`);
    assert.equal(bent.p2pShareViewers, 17, "the figures rest on 17 viewers: the liar's address is one");
  });

  it('refuses a report of bad data naming the reporter, a peer of another swarm or no peer, and counts it', () => {
    const h = harness();
    h.announce(1);
    h.announce(1, 'other');
    const reporter = h.join();
    const member = h.join();
    const elsewhere = h.join('other');
    const violations = h.c.stats().violations;
    const report = (peer: string) => {
      h.send(reporter, { type: 'report', peer, sequence: 1, reason: 'hash' });
      return reporter.t.take().map((f) => f.code);
    };
    assert.deepEqual(report(reporter.id), ['E_SIGNAL_BAD_FIELD']);
    assert.deepEqual(report(elsewhere.id), ['E_SIGNAL_UNKNOWN_PEER']);
    assert.deepEqual(report('AAAAAAAAAAAA'), ['E_SIGNAL_UNKNOWN_PEER']);
    assert.deepEqual(report(member.id), [], 'a member of its swarm may be reported');
    const stats = h.c.stats();
    assert.equal(stats.refusedReports, 3);
    assert.equal(stats.violations, violations + 1, 'naming oneself is a violation; the others may be a race with a leave');
    assert.deepEqual(
      h.audit.filter((a) => a.kind === 'report').map((a) => a.accused),
      [member.id],
      'only the report naming a member is audited as one',
    );
  });
});
