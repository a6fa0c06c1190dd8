// A viewer that joins a live stream ends up at the target latency, like the viewers before it:
// it skips forward inside its buffer in its first seconds, never past what keeps a segment ahead.
import assert from 'node:assert/strict';
import Hls from 'hls.js';
import { JOIN_WINDOW_MS, joinSkipSeconds, MIN_SKIP_SECONDS, type JoinPosition } from '../../../viewer/page/join-skip';
import { joinAtTargetLatency } from '../../../viewer/page/playback';

/** A joiner 1.8 s behind its live-sync position, 6 s buffered ahead, 2 s segments, just started. */
const behind: JoinPosition = { playingForMs: 500, liveSyncPosition: 21.8, currentTime: 20, bufferedEnd: 26, targetDuration: 2 };

describe('viewer page: join skip', () => {
  it('skips the whole distance to the live-sync position when a segment stays buffered beyond it', () => {
    assert.ok(Math.abs(joinSkipSeconds(behind) - 1.8) < 1e-9);
  });

  it('does not skip when that would leave less than two target durations buffered ahead', () => {
    assert.equal(joinSkipSeconds({ ...behind, bufferedEnd: 25.7 }), 0);
    assert.ok(joinSkipSeconds({ ...behind, bufferedEnd: 25.8 }) > 0);
  });

  it('low latency (two 1 s segments behind live) is never skipped: it never has two segments ahead of the target', () => {
    assert.equal(joinSkipSeconds({ playingForMs: 500, liveSyncPosition: 21.5, currentTime: 20, bufferedEnd: 22.9, targetDuration: 1 }), 0);
  });

  it('leaves small distances to the live-sync rate', () => {
    assert.equal(joinSkipSeconds({ ...behind, liveSyncPosition: 20 + MIN_SKIP_SECONDS - 0.01 }), 0);
    assert.ok(joinSkipSeconds({ ...behind, liveSyncPosition: 20 + MIN_SKIP_SECONDS }) > 0);
  });

  it('never skips backwards: a viewer closer to live than the target stays there', () => {
    assert.equal(joinSkipSeconds({ ...behind, liveSyncPosition: 19 }), 0);
  });

  it('only in the join window: later a jump would cut what the viewer is watching', () => {
    assert.ok(joinSkipSeconds({ ...behind, playingForMs: JOIN_WINDOW_MS }) > 0);
    assert.equal(joinSkipSeconds({ ...behind, playingForMs: JOIN_WINDOW_MS + 1 }), 0);
  });

  it('nothing without a live position or a target duration (VOD, or before the first playlist)', () => {
    assert.equal(joinSkipSeconds({ ...behind, liveSyncPosition: null }), 0);
    assert.equal(joinSkipSeconds({ ...behind, liveSyncPosition: NaN }), 0);
    assert.equal(joinSkipSeconds({ ...behind, targetDuration: 0 }), 0);
    assert.equal(joinSkipSeconds({ ...behind, playingForMs: NaN }), 0);
  });
});

describe('viewer page: joinAtTargetLatency (the skip wired to hls.js and the video element)', () => {
  /** A video element's few members the skip reads, and an hls.js with its live-sync position. */
  function player(at: { currentTime: number; bufferedEnd: number; liveSyncPosition: number }) {
    const video = Object.assign(new EventTarget(), {
      currentTime: at.currentTime,
      paused: false,
      seeking: false,
      buffered: { length: 1, start: () => 0, end: () => at.bufferedEnd },
    });
    const handlers = new Map<string, () => void>();
    const hls = {
      liveSyncPosition: at.liveSyncPosition,
      latestLevelDetails: { targetduration: 2 },
      on: (event: string, handler: () => void) => handlers.set(event, handler),
      off: (event: string) => handlers.delete(event),
    };
    return { video, hls, fragBuffered: () => handlers.get(Hls.Events.FRAG_BUFFERED)!(), listening: () => handlers.has(Hls.Events.FRAG_BUFFERED) };
  }

  it('skips at the first frame, not before, and says how many times', () => {
    let clock = 0;
    const p = player({ currentTime: 20, bufferedEnd: 26, liveSyncPosition: 21.5 });
    const join = joinAtTargetLatency(p.hls as never, p.video as never, () => clock);
    p.fragBuffered();
    assert.equal(p.video.currentTime, 20, 'nothing moves before playback starts');
    clock = 100;
    p.video.dispatchEvent(new Event('playing'));
    assert.equal(p.video.currentTime, 21.5);
    assert.equal(join.skips(), 1);
  });

  it('waits for the buffer: a fragment buffered later lets the skip happen, inside the join window only', () => {
    let clock = 0;
    const p = player({ currentTime: 20, bufferedEnd: 24, liveSyncPosition: 21.5 });
    const join = joinAtTargetLatency(p.hls as never, p.video as never, () => clock);
    p.video.dispatchEvent(new Event('playing'));
    assert.equal(join.skips(), 0, 'only 2.5 s would stay buffered');
    p.video.buffered = { length: 1, start: () => 0, end: () => 26 };
    clock = 2000;
    p.fragBuffered();
    assert.equal(p.video.currentTime, 21.5);

    const late = player({ currentTime: 20, bufferedEnd: 22, liveSyncPosition: 21.5 });
    clock = 0;
    const lateJoin = joinAtTargetLatency(late.hls as never, late.video as never, () => clock);
    late.video.dispatchEvent(new Event('playing'));
    late.video.buffered = { length: 1, start: () => 0, end: () => 26 };
    clock = JOIN_WINDOW_MS + 1;
    late.fragBuffered();
    assert.equal(lateJoin.skips(), 0, 'after the join window the live-sync rate closes the distance');
    assert.equal(late.video.currentTime, 20);
    assert.equal(late.listening(), false, 'and it stops listening to hls.js');
  });
});
