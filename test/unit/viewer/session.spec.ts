// The loader session's deadlines for peers (budgetMs), over a stub engine: the first fragment
// always goes to HTTP at once, whatever the peers hold and whether the media element is known yet.
import assert from 'node:assert/strict';
import { RelaycastSession } from '../../../viewer/loader/session';

describe('viewer loader session: peer budgets', () => {
  const saved = (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection;
  before(() => {
    (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection = class {};
  });
  after(() => {
    (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection = saved;
  });

  let linkingStarted = 0;
  function session(holding: number) {
    const s = new RelaycastSession({ signalingUrl: 'ws://test/signal', stream: 'live' }, null);
    s.peerEngine = {
      peersHolding: () => holding,
      linking: () => 0,
      openLinks: () => (holding > 0 ? holding : 1),
      startLinking: () => {
        linkingStarted++;
      },
      close: () => undefined,
    } as never;
    return s;
  }

  function attached(s: RelaycastSession, bufferedEnd: number) {
    const media = { currentTime: 10, buffered: { length: 1, start: () => 10, end: () => bufferedEnd }, addEventListener: () => undefined };
    s.attach({ media: media as never, on: () => undefined });
  }

  it('gives the first fragment no time for peers, even when a linked peer holds it and no media is known yet', () => {
    const s = session(2);
    linkingStarted = 0;
    assert.equal(s.budgetMs('a.ts', 2, 10_000), 0, 'the first fragment goes to HTTP at once');
    assert.equal(linkingStarted, 1, 'and lets the engine start its WebRTC links');
    assert.equal(s.budgetMs('b.ts', 2, 10_000), 2000, 'later ones, with no media to read, get one segment duration');
  });

  it('with a media element: WebRTC links start with the first fragment request, alongside its HTTP load', () => {
    const s = session(0);
    const media = {
      currentTime: 0,
      buffered: { length: 0, start: () => 0, end: () => 0 },
      addEventListener: () => undefined,
    };
    s.attach({ media: media as never, on: () => undefined });
    linkingStarted = 0;
    assert.equal(s.budgetMs('a.ts', 2, 10_000), 0, 'the first fragment goes to HTTP at once');
    assert.equal(linkingStarted, 1, 'links start as the first request goes out');
    s.budgetMs('b.ts', 2, 10_000);
    assert.equal(linkingStarted, 1, 'once');
    s.destroy();
  });

  it('with media: what is buffered beyond 1.5 s, or a short chance at start-up when a peer holds it', () => {
    const s = session(1);
    attached(s, 16);
    assert.equal(s.budgetMs('a.ts', 2, 10_000), 0, 'first fragment');
    assert.equal(s.budgetMs('b.ts', 2, 10_000), 4500, '6 s buffered → 4.5 s for peers');
    const low = session(1);
    attached(low, 11);
    low.budgetMs('a.ts', 2, 10_000);
    assert.equal(low.budgetMs('b.ts', 2, 10_000), 200, '1 s buffered, a peer holds it');
    const none = session(0);
    attached(none, 11);
    none.budgetMs('a.ts', 2, 10_000);
    assert.equal(none.budgetMs('b.ts', 2, 10_000), 0, '1 s buffered, no peer holds it');
  });
});
