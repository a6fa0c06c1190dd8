// The viewer page's honest words: the stream's state from what the player saw, the re-start
// backoff, the sharing choice and why P2P is off, the chart's scale and the money it shows.
import assert from 'node:assert/strict';
import { scaleTop } from '../../../viewer/page/chart-scale';
import { formatUsdShort } from '../../../viewer/page/costs';
import { modeText, NO_PEERS_AFTER_MS, P2P_CHOICE_KEY, p2pChosen, type ModeInput } from '../../../viewer/page/p2p-choice';
import { RETRY_CAP_MS, retryDelayMs, STALL_AFTER_MS, StreamStateTracker } from '../../../viewer/page/stream-state';

const LIVE = { live: true, endSN: 10, targetduration: 2 };

/** Plays `seconds` of media, one tick a second from `t0` ms; returns the time after. */
function play(tracker: StreamStateTracker, from: { time: number; now: number }, seconds: number): void {
  for (let i = 0; i < seconds; i++) {
    from.time += 1;
    from.now += 1000;
    tracker.tick(from.time, false, from.now);
  }
}

describe('viewer page: stream state', () => {
  it('a master that never loads is offline, not live', () => {
    const t = new StreamStateTracker();
    t.networkLost();
    assert.equal(t.tick(0, true, 1000), 'offline');
    assert.equal(t.tick(0, true, 2000), 'offline');
  });

  it('offline → live once the master loads and the playhead moves', () => {
    const t = new StreamStateTracker();
    t.networkLost();
    t.manifestLoaded();
    t.playlist(LIVE, 0);
    assert.equal(t.tick(0, false, 0), 'starting');
    assert.equal(t.tick(1, false, 1000), 'live');
  });

  it('a frozen playhead stays live for less than STALL_AFTER_MS, then stalled, then live again: no flip each second', () => {
    const t = new StreamStateTracker();
    t.manifestLoaded();
    t.playlist(LIVE, 0);
    const at = { time: 0, now: 0 };
    play(t, at, 5);
    const seen: string[] = [];
    for (let ms = 1000; ms <= STALL_AFTER_MS + 2000; ms += 1000) {
      t.playlist({ ...LIVE, endSN: LIVE.endSN + ms / 1000 }, at.now + ms); // the stream still advances
      seen.push(t.tick(at.time, false, at.now + ms));
    }
    assert.deepEqual(seen, ['live', 'live', 'stalled', 'stalled', 'stalled']);
    at.now += STALL_AFTER_MS + 2000;
    play(t, at, 1);
    assert.equal(t.state, 'live');
  });

  it('a viewer who pauses is not stalled', () => {
    const t = new StreamStateTracker();
    t.manifestLoaded();
    const at = { time: 0, now: 0 };
    play(t, at, 3);
    assert.equal(t.tick(at.time, true, at.now + 10_000), 'live');
  });

  it('ENDLIST is ended, for good', () => {
    const t = new StreamStateTracker();
    t.manifestLoaded();
    const at = { time: 0, now: 0 };
    play(t, at, 3);
    t.playlist({ ...LIVE, live: false }, at.now);
    assert.equal(t.state, 'ended');
    assert.equal(t.endedBy, 'endlist');
    play(t, at, 2); // the last buffered seconds play out
    assert.equal(t.state, 'ended');
  });

  it('a stream whose playlist stopped advancing, and whose playhead froze, stopped (ended), and comes back live', () => {
    const t = new StreamStateTracker();
    t.manifestLoaded();
    t.playlist(LIVE, 0);
    const at = { time: 0, now: 0 };
    play(t, at, 3);
    // The same playlist (no new segment) for 10 s, more than four target durations.
    for (let ms = 1000; ms <= 10_000; ms += 1000) {
      t.playlist(LIVE, at.now + ms);
      t.tick(at.time, false, at.now + ms);
    }
    assert.equal(t.state, 'ended');
    assert.equal(t.endedBy, 'stopped');
    at.now += 10_000;
    t.playlist({ ...LIVE, endSN: 11 }, at.now);
    play(t, at, 1);
    assert.equal(t.state, 'live');
  });

  it('a stream that goes away after playing is ended (stopped), not offline; its master coming back makes it live', () => {
    const t = new StreamStateTracker();
    t.manifestLoaded();
    const at = { time: 0, now: 0 };
    play(t, at, 3);
    t.networkLost();
    assert.equal(t.tick(at.time, false, at.now + 1000), 'ended');
    assert.equal(t.endedBy, 'stopped');
    t.manifestLoaded();
    at.now += 1000;
    play(t, at, 1);
    assert.equal(t.state, 'live');
  });
});

describe('viewer page: re-start backoff', () => {
  it('doubles from 2 s, is capped, and is jittered by at most ±20 %', () => {
    const mid = (attempt: number) => retryDelayMs(attempt, () => 0.5);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map(mid), [2000, 4000, 8000, 16_000, 32_000, RETRY_CAP_MS, RETRY_CAP_MS, RETRY_CAP_MS]);
    assert.equal(
      retryDelayMs(0, () => 0),
      1600,
    );
    assert.equal(
      retryDelayMs(0, () => 1),
      2400,
    );
    // Even the jitter's extremes keep each wait longer than the one before (until the cap).
    for (let a = 0; a < 4; a++) assert.ok(retryDelayMs(a + 1, () => 0) > retryDelayMs(a, () => 1));
  });
});

describe('viewer page: the sharing choice and why P2P is off', () => {
  const store = (initial: Record<string, string> = {}) => {
    const map = new Map(Object.entries(initial));
    return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), map };
  };

  it('on by default; ?p2p=0 turns it off and is remembered; the remembered choice holds without the parameter; ?p2p=1 turns it back on', () => {
    const s = store();
    assert.equal(p2pChosen('', s), true);
    assert.equal(p2pChosen('?p2p=0', s), false);
    assert.equal(s.map.get(P2P_CHOICE_KEY), '0');
    assert.equal(p2pChosen('?candidates=x', s), false);
    assert.equal(p2pChosen('?p2p=1', s), true);
    assert.equal(p2pChosen('', s), true);
  });

  it('storage that throws does not break the page', () => {
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    assert.equal(p2pChosen('?p2p=0', broken), false);
    assert.equal(p2pChosen('', broken), true);
  });

  it('says why P2P is off: opted out, no WebRTC, no peers reachable', () => {
    const on: ModeInput = { relaycast: true, chosen: true, webrtc: true, joined: true, supporter: false, peers: 2, alonePlayingMs: 0 };
    assert.equal(modeText(on), 'P2P');
    assert.equal(modeText({ ...on, chosen: false, webrtc: false }), 'HTTP only (P2P off: you opted out)');
    assert.equal(modeText({ ...on, webrtc: false }), 'HTTP only (no WebRTC)');
    assert.equal(modeText({ ...on, peers: 0, alonePlayingMs: NO_PEERS_AFTER_MS - 1 }), 'P2P');
    assert.equal(modeText({ ...on, peers: 0, alonePlayingMs: NO_PEERS_AFTER_MS }), 'P2P · no peers reachable');
    assert.equal(modeText({ ...on, supporter: true }), 'P2P · supporter');
    assert.equal(modeText({ ...on, joined: false }), 'connecting…');
    assert.equal(modeText({ ...on, relaycast: false }), 'plain hls.js (HTTP)');
  });
});

describe('viewer page: chart scale and money', () => {
  it('the start-up burst does not set the scale once later points exist', () => {
    const startUp = [true, true, false, false];
    assert.equal(scaleTop([[5000, 3000, 40, 50]], startUp), 60);
    // Two series: the larger later point of either sets it.
    assert.equal(
      scaleTop(
        [
          [5000, 0, 40, 50],
          [0, 900, 100, 0],
        ],
        startUp,
      ),
      120,
    );
    // Only start-up points so far: they are all there is to show.
    assert.equal(scaleTop([[5000, 3000]], [true, true]), 6000);
    assert.equal(scaleTop([[0, 0, 1]], [false, false, false]), 10);
  });

  it('money in whole cents, never five decimals', () => {
    assert.equal(formatUsdShort(0), '$0');
    assert.equal(formatUsdShort(0.00006), '< $0.01');
    assert.equal(formatUsdShort(0.0123), '$0.01');
    assert.equal(formatUsdShort(1.499), '$1.50');
  });
});
