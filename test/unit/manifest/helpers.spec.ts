import assert from 'node:assert/strict';
import { compilePathTemplate, playlistCacheControl, relativeUri } from '../../../lib/manifest';
import { measureBandwidth, roundUpSignificant } from '../../../lib/manifest/bandwidth';
import { RelaycastError } from '../../../lib/errors';

describe('manifest core: path templates, cache policy, bandwidth rounding', () => {
  it('matches and fills path templates with id-safe placeholders only', () => {
    const media = compilePathTemplate('/live/{stream}/{rendition}.m3u8', 'media', ['stream', 'rendition']);
    assert.deepEqual(media.match('/live/demo/720p.m3u8'), { stream: 'demo', rendition: '720p' });
    assert.equal(media.match('/live/demo/../x.m3u8'), undefined);
    assert.equal(media.match('/live/demo/a%2Fb.m3u8'), undefined);
    assert.equal(media.match('/live/demo/720p.m3u8x'), undefined);
    assert.equal(media.fill({ stream: 's', rendition: 'r' }), '/live/s/r.m3u8');
    for (const bad of ['live/x.m3u8', '/live/{stream}/x.m3u8', '/a//b', '/a/../b', '/a/b/', '/a b']) {
      assert.throws(
        () => compilePathTemplate(bad, 'media', ['rendition']),
        (e: unknown) => e instanceof RelaycastError && e.code === 'E_MANIFEST_CONFIG',
        bad,
      );
    }
    assert.equal(relativeUri('/live/demo/master.m3u8', '/live/demo/0.m3u8'), '0.m3u8');
    assert.equal(relativeUri('/hls/demo/master.m3u8', '/hls/demo/0/index.m3u8'), '0/index.m3u8');
  });

  it('caches a live playlist for at most half the target duration, an ended one for 60 s', () => {
    assert.equal(playlistCacheControl(2, false), 'public, max-age=1');
    assert.equal(playlistCacheControl(6, false), 'public, max-age=3');
    assert.equal(playlistCacheControl(1, false), 'no-cache');
    assert.equal(playlistCacheControl(6, true), 'public, max-age=60');
  });

  it('rounds bandwidth up to 3 significant digits, never below the measurement', () => {
    assert.equal(roundUpSignificant(455_401), 456_000);
    assert.equal(roundUpSignificant(455_000), 455_000);
    assert.equal(roundUpSignificant(999.2), 1000);
    assert.equal(roundUpSignificant(12), 12);
    const base = { msn: 0, url: 'https://x.test/a', discontinuity: false, programDateTime: '2026-01-01T00:00:00.000Z', session: 's', sourceSequence: 0 };
    assert.deepEqual(
      measureBandwidth([
        { ...base, duration: 2, gap: false, byteLength: 100_000 },
        { ...base, duration: 1, gap: false, byteLength: 100_000 },
        { ...base, duration: 2, gap: true },
      ]),
      { peak: 800_000, average: 534_000 },
    );
    assert.equal(measureBandwidth([{ ...base, duration: 2, gap: true }]), undefined);
  });
});
