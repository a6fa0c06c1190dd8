// The synthetic viewer's simulated player buffer, on an injected clock: it fills from delivered
// segments, drains one media second per second of playback, counts a stall (and its length) each
// time it runs empty while playing, and the deadline the engine is given comes from what is left.
import assert from 'node:assert/strict';
import { SimulatedBuffer } from '../../../devtools/synthetic-viewer/buffer';
import { peerBudgetMs, safetySeconds } from '../../../lib/peer/playback-budget';

const SAFETY_SECONDS = safetySeconds(2);

function clocked(): { buffer: SimulatedBuffer; advance(ms: number): void } {
  let now = 1_000;
  const buffer = new SimulatedBuffer(() => now);
  return { buffer, advance: (ms) => (now += ms) };
}

const budget = (buffer: SimulatedBuffer) =>
  peerBudgetMs({
    first: false,
    aheadSeconds: buffer.aheadSeconds(),
    playing: buffer.started,
    peersHolding: 1,
    openLinks: 1,
    linking: 0,
    durationSeconds: 2,
    maxMs: 9_500,
  });

describe('synthetic viewer: the simulated buffer', () => {
  it('fills from delivered segments and starts at the first one (TTFF = join → first segment buffered)', () => {
    const { buffer, advance } = clocked();
    assert.equal(buffer.started, false);
    assert.equal(buffer.aheadSeconds(), 0);
    advance(640);
    buffer.append(100, 2);
    assert.equal(buffer.started, true);
    assert.equal(buffer.figures().ttffMs, 640);
    assert.equal(buffer.position(), 100, 'the playhead starts at the first segment');
    buffer.append(102, 2);
    buffer.append(104, 2);
    assert.equal(buffer.aheadSeconds(), 6);
    assert.equal(buffer.bufferedEnd(), 106);
  });

  it('drains in real time while playing', () => {
    const { buffer, advance } = clocked();
    buffer.append(0, 2);
    buffer.append(2, 2);
    advance(1_500);
    assert.equal(buffer.aheadSeconds(), 2.5);
    assert.equal(buffer.position(), 1.5);
    advance(2_000);
    assert.equal(buffer.aheadSeconds(), 0.5);
    assert.equal(buffer.figures().playedSeconds, 3.5);
    assert.equal(buffer.figures().stalls, 0);
  });

  it('counts a stall when it runs empty while playing, dated when it ran out, and its length until data comes', () => {
    const { buffer, advance } = clocked();
    buffer.append(0, 2);
    assert.equal(buffer.latestStallAt(), undefined);
    advance(5_000); // ran out at 2 s: stalled for 3 s so far
    assert.equal(buffer.aheadSeconds(), 0);
    assert.equal(buffer.latestStallAt(), 3_000, 'the stall log dates it when the buffer ran out, not when asked');
    assert.deepEqual(buffer.figures(), { ttffMs: 0, stalls: 1, stallMs: 3_000, playedSeconds: 2 });
    advance(1_000);
    assert.equal(buffer.figures().stalls, 1, 'one stall, however often it is asked');
    buffer.append(2, 2);
    assert.equal(buffer.figures().stallMs, 4_000);
    advance(1_000);
    assert.equal(buffer.position(), 3, 'playback resumed where it stopped');
    assert.equal(buffer.figures().stallMs, 4_000, 'the stall ended with the data');
    advance(2_000);
    assert.equal(buffer.figures().stalls, 2, 'running empty again is a second stall');
    assert.equal(buffer.latestStallAt(), 9_000);
  });

  it('jumps a gap when the data after a stall starts later (hls.js gap controller)', () => {
    const { buffer, advance } = clocked();
    buffer.append(0, 2);
    advance(3_000);
    buffer.append(6, 2);
    assert.equal(buffer.position(), 6);
    assert.equal(buffer.aheadSeconds(), 2);
  });

  it('no stall before playback starts: waiting for the first segment is TTFF, not a stall', () => {
    const { buffer, advance } = clocked();
    advance(10_000);
    assert.deepEqual(buffer.figures(), { stalls: 0, stallMs: 0, playedSeconds: 0 });
  });

  it('gives the engine the buffer left as its deadline (minus the loader safety margin), shrinking as it drains', () => {
    const { buffer, advance } = clocked();
    for (let i = 0; i < 3; i++) buffer.append(2 * i, 2);
    assert.equal(budget(buffer), (6 - SAFETY_SECONDS) * 1000);
    advance(2_500);
    assert.equal(budget(buffer), (3.5 - SAFETY_SECONDS) * 1000);
    advance(2_500);
    assert.ok(buffer.aheadSeconds() < SAFETY_SECONDS);
    assert.equal(budget(buffer), 200, 'below the margin a holder gets only a short chance');
    advance(2_000);
    assert.equal(buffer.aheadSeconds(), 0);
  });
});
