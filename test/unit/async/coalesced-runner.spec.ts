import assert from 'node:assert/strict';
import { CoalescedRunner } from '../../../lib/async/coalesced-runner';

describe('CoalescedRunner', () => {
  it('folds every call made during a pass into exactly one more pass, never overlapping', async () => {
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    let release!: () => void;
    const runner = new CoalescedRunner(async () => {
      passes++;
      active++;
      maxActive = Math.max(maxActive, active);
      if (passes === 1)
        await new Promise<void>((r) => {
          release = r;
        });
      active--;
    });
    const first = runner.run();
    const during = [runner.run(), runner.run(), runner.run()];
    release();
    await Promise.all([first, ...during]);
    assert.equal(passes, 2, 'one pass for the first call, one for the three made while it ran');
    assert.equal(maxActive, 1);
    await runner.run();
    assert.equal(passes, 3, 'a call after the runner went idle starts a fresh pass');
  });

  it('starts no further pass once stopped', async () => {
    let passes = 0;
    let stopped = false;
    let release!: () => void;
    const runner = new CoalescedRunner(
      async () => {
        passes++;
        await new Promise<void>((r) => {
          release = r;
        });
      },
      () => stopped,
    );
    const first = runner.run();
    void runner.run();
    stopped = true;
    release();
    await first;
    assert.equal(passes, 1, 'the call made during the pass was dropped because the runner stopped');
  });

  it('passes a failing pass to its callers, while whenIdle still resolves', async () => {
    const runner = new CoalescedRunner(async () => {
      throw new Error('pass failed');
    });
    await assert.rejects(runner.run(), /pass failed/);
    await runner.whenIdle();
  });
});
