// A viewer that joins a live stream ends up at the target latency, like the viewers before it:
// it skips forward inside its buffer in its first seconds, never past what keeps a segment ahead.
import assert from 'node:assert/strict';
import { JOIN_WINDOW_MS, joinSkipSeconds, MIN_SKIP_SECONDS, type JoinPosition } from '../../../viewer/page/join-skip';

/** A joiner 1.8 s behind its live-sync position, 6 s buffered ahead, 2 s segments, just started. */
const behind: JoinPosition = { playingForMs: 500, liveSyncPosition: 21.8, currentTime: 20, bufferedEnd: 26, targetDuration: 2 };

describe('viewer page: join skip', () => {
  it('skips the whole distance to the live-sync position when a segment stays buffered beyond it', () => {
    assert.ok(Math.abs(joinSkipSeconds(behind) - 1.8) < 1e-9);
  });

  it('does not skip when that would leave less than a target duration buffered ahead', () => {
    assert.equal(joinSkipSeconds({ ...behind, bufferedEnd: 23.7 }), 0);
    assert.ok(joinSkipSeconds({ ...behind, bufferedEnd: 23.8 }) > 0);
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
