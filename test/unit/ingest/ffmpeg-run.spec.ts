// FfmpegRun's lifecycle with a stand-in child (node itself): finish() lets it end by itself and
// leaves no timer behind; stdin carries the script, then closes.
import assert from 'node:assert/strict';
import { FfmpegRun } from '../../../lib/ingest/ffmpeg-run';

/** Runs `body` while recording the timers it sets that were neither cleared nor fired. */
async function pendingTimersOf<T>(body: () => Promise<T>): Promise<{ result: T; pending: number }> {
  const pending = new Set<NodeJS.Timeout>();
  const [realSet, realClear] = [global.setTimeout, global.clearTimeout];
  global.setTimeout = ((fn: () => void, ms?: number) => {
    const timer = realSet(() => {
      pending.delete(timer);
      fn();
    }, ms);
    pending.add(timer);
    return timer;
  }) as typeof setTimeout;
  global.clearTimeout = ((timer: NodeJS.Timeout) => {
    pending.delete(timer);
    realClear(timer);
  }) as typeof clearTimeout;
  try {
    const result = await body();
    return { result, pending: pending.size };
  } finally {
    [global.setTimeout, global.clearTimeout] = [realSet, realClear];
    for (const timer of pending) realClear(timer);
  }
}

function standIn(script: string, stdin?: string): FfmpegRun {
  return new FfmpegRun({ ffmpegPath: process.execPath, args: ['-e', script], listenPort: 1, stdin, onProgress: () => undefined, redact: (t) => t });
}

describe('FfmpegRun', () => {
  it('finish(): a child that ends within the grace ends by itself, and the grace timer is cleared', async () => {
    const { result: exit, pending } = await pendingTimersOf(() => standIn('setTimeout(() => process.exit(0), 50)').finish(60_000));
    assert.equal(exit.code, 0);
    assert.equal(pending, 0, 'no grace timer left pending');
  });

  it('finish(): a child that outlives the grace is stopped', async () => {
    const exit = await standIn('setInterval(() => undefined, 1000)').finish(50);
    assert.equal(exit.signal, 'SIGTERM');
  });

  it('writes the script to stdin and closes it', async () => {
    const run = standIn(
      "let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => process.exit(s === 'the script\\n' ? 0 : 3))",
      'the script\n',
    );
    assert.equal((await run.exited).code, 0);
  });
});
