// Whom a receiver asks, and when its own playback makes uploads stand aside: the two small rules
// the engine applies, alone.
import assert from 'node:assert/strict';
import { HolderScores } from '../../../lib/peer/holder-choice';
import { LATE_MARGIN_MS, ownPlaybackNeedsUplink } from '../../../lib/peer/own-playback';

describe('holder choice', () => {
  it('asks a holder that was slow for me less, tries holders it knows nothing of, and forgives with time', () => {
    let now = 0;
    const scores = new HolderScores(() => now);
    const fast = { id: 'FAST', load: 0 };
    const slow = { id: 'SLOW', load: 0 };
    const fresh = { id: 'NEW', load: 0 };
    scores.delivered('FAST', 225_000, 90);
    scores.delivered('SLOW', 225_000, 1800);
    assert.equal(
      scores.choose([slow, fast], 225_000, () => 0.5),
      fast,
    );
    // The fast one stays the choice until it is many transfers deep.
    const fastBusy = { ...fast, load: 5 };
    assert.equal(
      scores.choose([slow, fastBusy], 225_000, () => 0.5),
      fastBusy,
    );
    assert.equal(
      scores.choose([slow, { ...fast, load: 40 }], 225_000, () => 0.5),
      slow,
    );
    // A holder never measured is assumed as good as the best: it gets tried.
    assert.equal(
      scores.choose([slow, fresh], 225_000, () => 0.5),
      fresh,
    );
    // A refusal halves what a holder is expected to deliver.
    const before = scores.rate('FAST');
    scores.refused('FAST');
    assert.ok(scores.rate('FAST') < before * 0.6);
    // A minute later the slow holder's record has mostly faded: it is worth asking again.
    now = 60_000;
    assert.ok(scores.rate('SLOW') > 0.8 * scores.rate('FAST'), `${scores.rate('SLOW')} vs ${scores.rate('FAST')}`);
  });

  it('picks among linked holders, skipping the ones the acquisition avoids and counting what each serves me already', () => {
    const scores = new HolderScores(() => 0);
    const [a, b] = [{ remoteId: 'A' }, { remoteId: 'B' }];
    const wanting = (avoided: string[], peer?: { remoteId: string }) => ({
      meta: { size: 100_000 },
      filled: 0,
      avoided: new Set(avoided),
      currentPeer: () => peer,
    });
    scores.delivered('A', 100_000, 100);
    scores.delivered('B', 100_000, 150);
    assert.equal(
      scores.pick(wanting([]), [a, b], [], () => 0),
      a,
      'the faster one',
    );
    assert.equal(
      scores.pick(wanting(['A']), [a, b], [], () => 0),
      b,
      'unless it is avoided',
    );
    assert.equal(
      scores.pick(wanting([]), [a, b], [wanting([], a)], () => 0),
      b,
      'or already busy for me',
    );
    assert.equal(
      scores.pick(wanting(['A', 'B']), [a, b], [], () => 0),
      undefined,
    );
  });
});

describe('own playback first', () => {
  const waiting = (deadline: number | undefined, finished = false) => ({ deadline, finished });
  it('pauses uploads only while the player waits and the uplink is full, or a wait is about to miss while uploads hold the uplink', () => {
    const idle = { busy: false, saturated: false };
    const busy = { busy: true, saturated: false };
    const full = { busy: true, saturated: true };
    assert.equal(ownPlaybackNeedsUplink([waiting(10_000)], 0, full), true);
    assert.equal(ownPlaybackNeedsUplink([waiting(10_000)], 0, busy), false);
    assert.equal(ownPlaybackNeedsUplink([waiting(10_000)], 10_000 - LATE_MARGIN_MS, busy), true);
    assert.equal(ownPlaybackNeedsUplink([waiting(10_000)], 20_000, idle), false, 'an idle uplink costs the player nothing');
    assert.equal(ownPlaybackNeedsUplink([waiting(undefined), waiting(0, true)], 20_000, full), false, 'prefetches and finished transfers do not count');
  });
});
