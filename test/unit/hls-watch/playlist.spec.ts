import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parsePlaylist, readPlaylistText } from '../../../lib/hls-watch/playlist';
import { mediaPlaylist, tempDir } from './helpers';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('hls-watch playlist reading', () => {
  it('reads a media playlist: sequences, exact EXTINF durations, discontinuity, program date-time, ENDLIST', () => {
    const text = mediaPlaylist({
      sequence: 41,
      entries: [
        { uri: 'seg_00041.ts', duration: 2.002, pdt: '2026-11-23T09:37:27.302+0000' },
        { uri: 'seg_00042.ts', duration: 1.968 },
        { uri: 'seg_00043.ts', duration: 0.033, discontinuity: true },
      ],
      ended: true,
    });
    const p = parsePlaylist(text);
    assert.equal(p.kind, 'media');
    if (p.kind !== 'media') return;
    assert.equal(p.mediaSequence, 41);
    assert.equal(p.ended, true);
    assert.deepEqual(p.entries, [
      { sequence: 41, uri: 'seg_00041.ts', duration: 2.002, discontinuity: false, programDateTime: '2026-11-23T09:37:27.302Z' },
      { sequence: 42, uri: 'seg_00042.ts', duration: 1.968, discontinuity: false },
      { sequence: 43, uri: 'seg_00043.ts', duration: 0.033, discontinuity: true },
    ]);
  });

  it('reads EXT-X-MAP for every fMP4 segment and a live playlist without ENDLIST', () => {
    const p = parsePlaylist(
      mediaPlaylist({
        sequence: 0,
        map: 'init_0.mp4',
        entries: [
          { uri: 'a.m4s', duration: 2 },
          { uri: 'b.m4s', duration: 2 },
        ],
      }),
    );
    assert.ok(p.kind === 'media');
    assert.deepEqual(
      p.entries.map((e) => e.initUri),
      ['init_0.mp4', 'init_0.mp4'],
    );
    assert.equal(p.ended, false);
  });

  it('reads a master playlist into variants with bandwidth, codecs and resolution', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-VERSION:6',
      '#EXT-X-STREAM-INF:BANDWIDTH=455400,AVERAGE-BANDWIDTH=400000,RESOLUTION=640x360,CODECS="avc1.42c01e,mp4a.40.2",FRAME-RATE=30.000',
      '0/stream.m3u8',
      '',
      '#EXT-X-STREAM-INF:BANDWIDTH=202400,RESOLUTION=320x180,CODECS="avc1.42c00d,mp4a.40.2"',
      '1/stream.m3u8',
      '',
    ].join('\n');
    const p = parsePlaylist(text);
    assert.ok(p.kind === 'master');
    assert.deepEqual(p.variants, [
      {
        uri: '0/stream.m3u8',
        variant: { bandwidth: 455400, averageBandwidth: 400000, codecs: 'avc1.42c01e,mp4a.40.2', resolution: { width: 640, height: 360 }, frameRate: 30 },
      },
      { uri: '1/stream.m3u8', variant: { bandwidth: 202400, codecs: 'avc1.42c00d,mp4a.40.2', resolution: { width: 320, height: 180 } } },
    ]);
  });

  it('rejects what is not a usable playlist with E_PLAYLIST_MALFORMED', () => {
    const good = mediaPlaylist({ sequence: 0, entries: [{ uri: 'a.ts', duration: 2 }] });
    const cases: Record<string, string> = {
      garbage: 'not a playlist at all',
      empty: '',
      'binary junk': '\u0000\u0001\u0002\u0003',
      'no EXTM3U': good.replace('#EXTM3U\n', ''),
      'bad duration': good.replace('#EXTINF:2.000000,', '#EXTINF:abc,'),
      'torn after EXTINF': good.replace(/a\.ts\n$/, ''),
      'no target duration': good.replace('#EXT-X-TARGETDURATION:2\n', ''),
    };
    for (const [name, text] of Object.entries(cases)) {
      assert.equal(
        codeOf(() => parsePlaylist(text)),
        'E_PLAYLIST_MALFORMED',
        name,
      );
    }
  });

  it('leaves hls-parser options as it found them (other nodes in the process share them)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const HLS = require('hls-parser') as typeof import('hls-parser');
    HLS.setOptions({ strictMode: true });
    try {
      parsePlaylist(mediaPlaylist({ sequence: 0, entries: [{ uri: 'a.ts', duration: 2 }] }));
      assert.equal(HLS.getOptions().strictMode, true);
    } finally {
      HLS.setOptions({ strictMode: false });
    }
  });

  describe('bounded file read', () => {
    let dir: string;
    let cleanup: () => void;
    beforeEach(() => ({ dir, cleanup } = tempDir()));
    afterEach(() => cleanup());

    it('returns the text of a playlist under the limit', async () => {
      const file = path.join(dir, 'index.m3u8');
      const text = mediaPlaylist({ sequence: 0, entries: [{ uri: 'a.ts', duration: 2 }] });
      writeFileSync(file, text);
      assert.equal(await readPlaylistText(file, 4096), text);
    });

    it('refuses an enormous file with E_PLAYLIST_TOO_LARGE without reading it whole', async () => {
      const file = path.join(dir, 'index.m3u8');
      writeFileSync(file, Buffer.alloc(5 * 1024 * 1024, 0x41));
      await assert.rejects(readPlaylistText(file, 1024 * 1024), { code: 'E_PLAYLIST_TOO_LARGE' });
    });

    it('passes ENOENT through so callers can wait for the encoder', async () => {
      await assert.rejects(readPlaylistText(path.join(dir, 'none.m3u8')), { code: 'ENOENT' });
    });
  });
});
