import assert from 'node:assert/strict';
import { startAlignedAgeMs } from '../../../lib/peer/start-aligned-age';

const media = (durations: number[]) =>
  '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:5\n' + durations.map((d, i) => `#EXTINF:${d},\nseg${i}.ts\n`).join('');

describe('peer: the first playlist is aged in whole segments', () => {
  it('an age within the last segment counts as 0: hls.js starts on a boundary, a full segment ahead', () => {
    assert.equal(startAlignedAgeMs(0, media([2, 2])), 0);
    assert.equal(startAlignedAgeMs(1_999, media([2, 2])), 0);
  });

  it('whole segments of age are kept: the copy is that many segments behind the live edge', () => {
    assert.equal(startAlignedAgeMs(2_000, media([2, 2])), 2_000);
    assert.equal(startAlignedAgeMs(2_900, media([2, 2])), 2_000);
    assert.equal(startAlignedAgeMs(4_100, media([2, 2])), 4_000);
  });

  it("counts in the last segment's duration, not the target duration", () => {
    assert.equal(startAlignedAgeMs(1_700, media([2, 1.5])), 1_500);
    assert.equal(startAlignedAgeMs(1_400, media([2, 1.5])), 0);
  });

  it('a playlist with no segment, or no usable EXTINF, keeps the age as it is', () => {
    assert.equal(startAlignedAgeMs(1_234, '#EXTM3U\n#EXT-X-TARGETDURATION:2\n'), 1_234);
    assert.equal(startAlignedAgeMs(1_234, '#EXTM3U\n#EXTINF:abc,\nseg.ts\n'), 1_234);
    assert.equal(startAlignedAgeMs(-5, media([2])), 0);
  });
});
