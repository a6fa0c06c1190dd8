import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyframeFit, launchKeyframeFit } from '../../../lib/ingest/keyframe-fit';

describe('ingest keyframe fit (copy mode: OBS keyframe interval vs segment length)', () => {
  it('fits when every segment lasts the segment length, within timestamp rounding', () => {
    assert.deepEqual(keyframeFit([2, 2.002, 1.968, 2.033], 2), { fits: true, longestSeconds: 2.033 });
  });

  it("does not fit with OBS's default interval (8.3 s), nor with one that does not divide the length", () => {
    assert.deepEqual(keyframeFit([8.333, 8.333], 2), { fits: false, longestSeconds: 8.333 });
    assert.deepEqual(keyframeFit([3, 1.5, 1.5, 3], 2), { fits: false, longestSeconds: 3 });
    assert.equal(keyframeFit([], 2), undefined, 'nothing to say before the first segment');
  });

  it("reads only the current launch's segments from ffmpeg's playlist", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-kf-'));
    try {
      writeFileSync(
        path.join(dir, 'index.m3u8'),
        '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:9\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:8.333,\nold-00000.ts\n#EXTINF:2.000,\nnew-00000.ts\n#EXTINF:2.000,\nnew-00001.ts\n',
      );
      assert.deepEqual(await launchKeyframeFit(dir, 'new', 2), { fits: true, longestSeconds: 2 });
      assert.deepEqual(await launchKeyframeFit(dir, 'old', 2), { fits: false, longestSeconds: 8.333 });
      assert.equal(await launchKeyframeFit(dir, 'none', 2), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says nothing while ffmpeg has written no playlist', async () => {
    assert.equal(await launchKeyframeFit(path.join(os.tmpdir(), 'relaycast-kf-missing-folder'), 'x', 2), undefined);
  });
});
