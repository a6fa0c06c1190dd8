// What a receiver expects of each holder, and when its own playback makes uploads stand aside: the
// two small rules the engine applies, alone.
import assert from 'node:assert/strict';
import { HolderScores } from '../../../lib/peer/holder-choice';
import { LATE_MARGIN_MS, ownPlaybackNeedsUplink } from '../../../lib/peer/own-playback';

describe('holder choice', () => {
  it('expects less of a holder that was slow for me, tries holders it knows nothing of, and forgives with time', () => {
    let now = 0;
    const scores = new HolderScores(() => now);
    scores.delivered('FAST', 225_000, 90);
    scores.delivered('SLOW', 225_000, 1800);
    assert.ok(Math.abs(scores.rate('FAST') - 2_500_000) < 1, `${scores.rate('FAST')}`);
    assert.ok(Math.abs(scores.rate('SLOW') - 125_000) < 1, `${scores.rate('SLOW')}`);
    // A holder never measured is assumed as good as the best: it gets tried.
    assert.equal(scores.rate('NEW'), scores.rate('FAST'));
    // One more transfer moves the estimate most of the way.
    scores.delivered('SLOW', 225_000, 225);
    assert.ok(scores.rate('SLOW') > 500_000 && scores.rate('SLOW') < 1_000_000, `${scores.rate('SLOW')}`);
    // A refusal halves what a holder is expected to deliver.
    const before = scores.rate('FAST');
    scores.refused('FAST');
    assert.ok(scores.rate('FAST') < before * 0.6);
    // A minute later the slow holder's record has mostly faded: it is worth asking again.
    scores.delivered('SLOW', 225_000, 1800);
    now = 60_000;
    assert.ok(scores.rate('SLOW') > 0.8 * scores.rate('FAST'), `${scores.rate('SLOW')} vs ${scores.rate('FAST')}`);
    scores.forget('FAST');
    assert.ok(scores.rate('FAST') >= 1_000_000, 'a forgotten holder is unknown again');
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
