import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MediaFiles } from '../../../lib/hls-watch/media-files';
import { isInside, isTemporaryName, readMediaFile } from '../../../lib/hls-watch/segment-file';
import { segmentBytes, tempDir } from './helpers';

describe('hls-watch media file reads', () => {
  let dir: string;
  let outside: string;
  let cleanups: (() => void)[];
  beforeEach(() => {
    const a = tempDir();
    const b = tempDir('hls-watch-outside-');
    dir = realpathSync(a.dir);
    outside = realpathSync(b.dir);
    cleanups = [a.cleanup, b.cleanup];
  });
  afterEach(() => cleanups.forEach((c) => c()));

  it('reads the bytes and their SHA-256', async () => {
    const bytes = segmentBytes('seg_00000.ts', 300_000);
    writeFileSync(path.join(dir, 'seg_00000.ts'), bytes);
    const file = await readMediaFile(dir, path.join(dir, 'seg_00000.ts'), 1024 * 1024);
    assert.ok(file.bytes.equals(bytes));
    assert.equal(file.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(file.identity.size, bytes.length);
  });

  it('refuses a file above the size cap with E_SEGMENT_TOO_LARGE', async () => {
    writeFileSync(path.join(dir, 'junk.ts'), Buffer.alloc(2 * 1024 * 1024));
    await assert.rejects(readMediaFile(dir, path.join(dir, 'junk.ts'), 1024 * 1024), { code: 'E_SEGMENT_TOO_LARGE' });
  });

  it('refuses a symlink that resolves outside the folder with E_PATH_OUTSIDE', async () => {
    writeFileSync(path.join(outside, 'secret.ts'), 'secret');
    symlinkSync(path.join(outside, 'secret.ts'), path.join(dir, 'seg_00000.ts'));
    await assert.rejects(readMediaFile(dir, path.join(dir, 'seg_00000.ts'), 1024), { code: 'E_PATH_OUTSIDE' });
  });

  it('follows a symlink that stays inside the folder', async () => {
    mkdirSync(path.join(dir, 'store'));
    writeFileSync(path.join(dir, 'store', 'real.ts'), 'inside');
    symlinkSync(path.join(dir, 'store', 'real.ts'), path.join(dir, 'seg.ts'));
    const file = await readMediaFile(dir, path.join(dir, 'seg.ts'), 1024);
    assert.equal(file.bytes.toString(), 'inside');
    assert.equal(file.path, path.join(dir, 'seg.ts'));
  });

  it('passes ENOENT through', async () => {
    await assert.rejects(readMediaFile(dir, path.join(dir, 'none.ts'), 1024), { code: 'ENOENT' });
  });

  it('knows temp names and folder containment', () => {
    assert.deepEqual(['a.ts.tmp', 'index.m3u8.temp', 'A.TMP', 'a.ts', 'tmp.ts'].map(isTemporaryName), [true, true, true, false, false]);
    assert.equal(isInside('/a/b', '/a/b/c/d.ts'), true);
    assert.equal(isInside('/a/b', '/a/b'), true);
    assert.equal(isInside('/a/b', '/a/bc/d.ts'), false);
    assert.equal(isInside('/a/b', '/a/d.ts'), false);
  });

  describe('MediaFiles (both write orders)', () => {
    const never = (): boolean => false;

    it('playlist first: waits for the file to appear and reads it whole', async () => {
      const files = new MediaFiles({ realRoot: dir, maxSegmentBytes: 1 << 20, segmentWaitMs: 2000, pollMs: 5, settleMs: 5 });
      const target = path.join(dir, 'late.ts');
      const bytes = segmentBytes('late', 100_000);
      const taken = files.take(target, never);
      setTimeout(() => {
        writeFileSync(target, bytes);
        files.notify(target);
      }, 30);
      const file = await taken;
      assert.ok(file.bytes.equals(bytes));
      files.close();
    });

    it('a listed file that never appears is E_SEGMENT_LOST after the bounded wait', async () => {
      const files = new MediaFiles({ realRoot: dir, maxSegmentBytes: 1 << 20, segmentWaitMs: 60, pollMs: 5 });
      await assert.rejects(files.take(path.join(dir, 'never.ts'), never), { code: 'E_SEGMENT_LOST' });
      files.close();
    });

    it('segment first: held bytes survive the encoder deleting the file before it is listed', async () => {
      const files = new MediaFiles({ realRoot: dir, maxSegmentBytes: 1 << 20, segmentWaitMs: 50, pollMs: 5 });
      const target = path.join(dir, 'early.ts');
      const bytes = segmentBytes('early', 50_000);
      writeFileSync(target, bytes);
      await files.prefetch(target);
      unlinkSync(target);
      const file = await files.take(target, never);
      assert.ok(file.bytes.equals(bytes));
      files.close();
    });

    it('segment first: held bytes are not used when the file changed after they were read', async () => {
      const files = new MediaFiles({ realRoot: dir, maxSegmentBytes: 1 << 20, segmentWaitMs: 50, pollMs: 5 });
      const target = path.join(dir, 'growing.ts');
      writeFileSync(target, segmentBytes('part', 1000));
      await files.prefetch(target);
      const whole = segmentBytes('whole', 80_000);
      writeFileSync(target, whole);
      const file = await files.take(target, never);
      assert.ok(file.bytes.equals(whole));
      files.close();
    });

    it('an empty file (ffmpeg opens fMP4 init files empty) is waited for until filled', async () => {
      const files = new MediaFiles({ realRoot: dir, maxSegmentBytes: 1 << 20, segmentWaitMs: 2000, pollMs: 5, settleMs: 5 });
      const target = path.join(dir, 'init.mp4');
      writeFileSync(target, Buffer.alloc(0));
      setTimeout(() => writeFileSync(target, segmentBytes('init', 1356)), 30);
      const file = await files.take(target, never);
      assert.equal(file.bytes.length, 1356);
      files.close();
    });

    it('close ends a wait with E_CLOSED', async () => {
      const files = new MediaFiles({ realRoot: dir, maxSegmentBytes: 1 << 20, segmentWaitMs: 5000, pollMs: 1000 });
      const taken = files.take(path.join(dir, 'never.ts'), never);
      setTimeout(() => files.close(), 10);
      await assert.rejects(taken, { code: 'E_CLOSED' });
    });
  });
});
