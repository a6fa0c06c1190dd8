// Restoring manifest state from its file (lib/manifest/restore.ts): a saved state continues its
// sequences; an unusable one starts empty but numbered from the wall clock, with the file kept aside.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManifestCore, restoreManifest, wallClockMediaSequence } from '../../../lib/manifest';
import { StateFile } from '../../../lib/fs/json-state-file';
import { segmentMsg } from '../../support/manifest-msgs';

describe('manifest state restore', () => {
  let dir: string;
  const fileIn = (d: string) => StateFile.forNode(d, 'manifest', 'n1', { code: 'E_MANIFEST_STATE', what: 'manifest state' });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-restore-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('continues the sequences of a saved state; nothing saved is no error', async () => {
    const file = fileIn(dir);
    const empty = new ManifestCore();
    assert.equal(restoreManifest(empty, file), undefined);
    assert.deepEqual(empty.streamIds(), []);
    const before = new ManifestCore();
    for (const sequence of [0, 1, 2]) before.apply(segmentMsg({ sequence }));
    await file.saveDurably(before.snapshot());
    const after = new ManifestCore();
    assert.equal(restoreManifest(after, fileIn(dir)), undefined);
    after.apply(segmentMsg({ sequence: 3 }));
    assert.equal(after.mediaPlaylist('demo', 'main')!.lastMsn, 3);
  });

  for (const [name, text] of [
    ['not JSON', '{"format": 1, "streams": ['],
    ['JSON of another shape', '{"format": 99}'],
  ] as const) {
    it(`a state file that is ${name}: returns the error, keeps the file aside, numbers from the wall clock`, () => {
      const file = fileIn(dir);
      const now = Date.parse('2026-06-01T00:00:00Z');
      mkdirSync(path.dirname(file.file), { recursive: true });
      writeFileSync(file.file, text);
      const core = new ManifestCore();
      const lost = restoreManifest(core, file, now);
      assert.ok(lost instanceof Error);
      assert.equal((lost as { code?: string }).code, 'E_MANIFEST_STATE');
      assert.ok(
        readdirSync(path.join(dir, 'relaycast', 'manifest')).some((f) => f.startsWith('n1.json.bad-')),
        'bad file kept',
      );
      core.apply(segmentMsg({ sequence: 0 }));
      assert.ok(core.mediaPlaylist('demo', 'main')!.lastMsn! >= wallClockMediaSequence(now));
    });
  }
});
