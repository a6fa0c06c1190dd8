// How long peers may take for a requested segment, case by case: the HTTP reserve scales with the
// segment's length, so low latency's 1 s segments (1–2 s buffered) still leave peers a window.
import assert from 'node:assert/strict';
import { peerBudgetMs, safetySeconds, STARTUP_PEER_BUDGET_MS } from '../../../lib/peer/playback-budget';

const playing = { first: false, playing: true, peersHolding: 0, openLinks: 1, linking: 0, maxMs: 9_500 };

describe('peer: the playback budget for peers', () => {
  it('keeps 0.75 s of reserve per second of segment, between 0.5 s and 1.5 s', () => {
    assert.deepEqual(
      [0.5, 1, 2, 4, 6].map((d) => safetySeconds(d)),
      [0.5, 0.75, 1.5, 1.5, 1.5],
    );
  });

  it('with no open link, nothing can come from a peer: HTTP at once, or a short chance while a link is being set up', () => {
    assert.equal(peerBudgetMs({ ...playing, openLinks: 0, aheadSeconds: 5, durationSeconds: 2 }), 0);
    assert.equal(
      peerBudgetMs({ ...playing, openLinks: 0, linking: 1, aheadSeconds: 5, durationSeconds: 2 }),
      STARTUP_PEER_BUDGET_MS,
      'a link on its way gets the short chance only: links that never form must not cost the buffer',
    );
    assert.ok(peerBudgetMs({ ...playing, openLinks: 1, aheadSeconds: 5, durationSeconds: 2 }) > 0);
  });

  it('standard latency: a 2 s segment with 3.5 s buffered gives peers 2 s', () => {
    assert.equal(peerBudgetMs({ ...playing, aheadSeconds: 3.5, durationSeconds: 2 }), 2000);
  });

  it('low latency: a 1 s segment listed with 1 s buffered gives peers 250 ms, where a fixed 1.5 s reserve gave none', () => {
    assert.equal(peerBudgetMs({ ...playing, aheadSeconds: 1, durationSeconds: 1 }), 250);
    assert.equal(peerBudgetMs({ ...playing, aheadSeconds: 1.9, durationSeconds: 1 }), 1150);
  });

  it('under the reserve: a short chance only for a peer that holds it; never on the first request; capped by the load policy', () => {
    assert.equal(peerBudgetMs({ ...playing, aheadSeconds: 0.6, durationSeconds: 1 }), 0);
    assert.equal(peerBudgetMs({ ...playing, aheadSeconds: 0.6, durationSeconds: 1, peersHolding: 1 }), STARTUP_PEER_BUDGET_MS);
    assert.equal(peerBudgetMs({ ...playing, first: true, aheadSeconds: 5, durationSeconds: 1, peersHolding: 3 }), 0);
    assert.equal(peerBudgetMs({ ...playing, aheadSeconds: 30, durationSeconds: 2, maxMs: 4000 }), 4000);
  });
});
