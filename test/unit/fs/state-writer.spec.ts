// The one JSON state writer (lib/fs/json-state-file.ts over lib/fs/atomic-file.ts and
// lib/fs/coalescing-writer.ts), used by manifest, r2-upload and hls-watch: a reader never sees a
// partial file, even across a SIGKILL mid-write; rapid writes coalesce; the last write wins.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StateFile } from '../../../lib/fs/json-state-file';
import { CoalescingWriter } from '../../../lib/fs/coalescing-writer';

const CHILD = path.join(__dirname, '..', '..', 'support', 'state-file-writer-child.ts');

/** Parses the file as the child wrote it; throws if it is not one whole state. */
function readWhole(file: string): { n: number } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const value = JSON.parse(text) as { n: number; length: number; pad: string };
  assert.equal(value.pad.length, value.length, `state ${value.n} is torn`);
  return value;
}

describe('JSON state writer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-state-writer-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a reader sees only whole states while another process writes, and after it is SIGKILLed mid-write', async function () {
    this.timeout(30_000);
    const file = path.join(dir, 'state.json');
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => resolve());
        child.on('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
      });
      const seen = new Set<number>();
      const until = Date.now() + 100 + Math.random() * 400;
      while (Date.now() < until) {
        const value = readWhole(file);
        if (value) seen.add(value.n);
        await new Promise((r) => setImmediate(r));
      }
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      assert.ok(seen.size > 1, 'the reader saw the state change while it was written');
      assert.ok(readWhole(file), 'after the kill the file holds a whole state');
      assert.equal(stderr, '');
    }
  });

  it('coalesces a burst: one write in flight, then only the newest; each request resolves once its value (or a newer) is written, in order', async () => {
    const writes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const writer = new CoalescingWriter<number>(
      async (n) => {
        writes.push(n);
        if (writes.length === 1) await gate;
      },
      () => undefined,
    );
    const resolved: number[] = [];
    const requests = [1, 2, 3, 4, 5].map((n) =>
      writer.request(n).then(() => {
        resolved.push(n);
        // Resolved only once a value at least this new was written.
        assert.ok(writes[writes.length - 1] >= n);
      }),
    );
    release();
    await Promise.all(requests);
    await writer.flush();
    assert.deepEqual(writes, [1, 5]);
    assert.deepEqual(resolved, [1, 2, 3, 4, 5]);
  });

  it('the last save wins: after a burst of saves the file holds the newest, and no temp file is left', async () => {
    const file = new StateFile(path.join(dir, 'sub', 'node.json'), { code: 'E_TEST_STATE', what: 'test state' });
    for (let n = 0; n < 100; n++) file.save({ n });
    const durable = file.saveDurably({ n: 100 }).then(() => JSON.parse(readFileSync(file.file, 'utf8')) as { n: number });
    assert.deepEqual(await durable, { n: 100 }, 'on disk once saveDurably resolves');
    await file.flush();
    assert.deepEqual(file.load(), { n: 100 });
    assert.deepEqual(readdirSync(path.join(dir, 'sub')), ['node.json']);
  });

  it('a failed write is reported with its _WRITE code, resolves its waiter, and the next save tries again', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    writeFileSync(blocker, '');
    const errors: Array<{ code?: string }> = [];
    const file = new StateFile(path.join(blocker, 'node.json'), {
      code: 'E_TEST_STATE',
      what: 'test state',
      onError: (err) => errors.push(err as { code?: string }),
    });
    await file.saveDurably({ n: 1 });
    assert.deepEqual(
      errors.map((e) => e.code),
      ['E_TEST_STATE_WRITE'],
    );
    rmSync(blocker);
    await file.saveDurably({ n: 2 });
    assert.deepEqual(file.load(), { n: 2 });
    assert.equal(errors.length, 1);
  });
});
