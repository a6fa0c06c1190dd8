// The LL-HLS part packager (lib/ll-hls) on real ffmpeg output: test/fixtures/ll-parts holds 2.4 s
// of 1/3 s MPEG-TS parts, a keyframe every second (scripts/make-fixtures.sh). Which parts start at
// a random access point, how they group into segments, that a segment's bytes play as one MPEG-TS
// segment, and the playlist the packager writes for hls-watch.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parsePlaylist, type MediaPlaylistInfo } from '../../../lib/hls-watch/playlist';
import { renderEncoderPlaylist } from '../../../lib/ll-hls/encoder-playlist';
import { PartPackaging } from '../../../lib/ll-hls/part-packaging';
import { packParts, segmentBytes, type PartFile } from '../../../lib/ll-hls/part-packager';
import { startsAtRandomAccess } from '../../../lib/ll-hls/ts-random-access';
import { tempDirPerTest } from '../hls-watch/helpers';
import { until } from '../../support/until';

const FIXTURE = path.resolve(__dirname, '../../fixtures/ll-parts');
const staged = parsePlaylist(readFileSync(path.join(FIXTURE, 'parts.m3u8'), 'utf8')) as MediaPlaylistInfo;
const bytesOf = (uri: string) => readFileSync(path.join(FIXTURE, uri));
const fixtureParts: PartFile[] = staged.entries.map((e) => ({ uri: e.uri, duration: e.duration, independent: startsAtRandomAccess(bytesOf(e.uri)) }));

/** ffprobe's view of an MPEG-TS file: its duration and how many video frames are keyframes. */
function probe(file: string): { duration: number; keyframes: number; frames: number } {
  const run = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame:format=duration', '-of', 'json', file], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { frames: Array<{ key_frame: number }>; format: { duration: string } };
  return { duration: Number(out.format.duration), keyframes: out.frames.filter((f) => f.key_frame === 1).length, frames: out.frames.length };
}

describe('LL-HLS part packager (real ffmpeg parts)', () => {
  const tmp = tempDirPerTest({ prefix: 'll-parts-' });

  it('finds the random access point at the start of each second (every third part), and only there', () => {
    assert.deepEqual(
      fixtureParts.map((p) => p.independent),
      [true, false, false, true, false, false, true, false],
    );
    assert.equal(startsAtRandomAccess(Buffer.alloc(0)), false);
    assert.equal(startsAtRandomAccess(Buffer.from('not an MPEG-TS packet, and far too short for one')), false);
    // The audio PES carries the indicator on every frame: a part is independent by its video alone.
    assert.equal(startsAtRandomAccess(bytesOf('part_00001.ts')), false);
  });

  it('groups the parts into segments that start at an independent part; the last one stays open', () => {
    const packing = packParts(fixtureParts);
    assert.deepEqual(
      packing.segments.map((s) => s.parts.map((p) => p.uri)),
      [
        ['part_00000.ts', 'part_00001.ts', 'part_00002.ts'],
        ['part_00003.ts', 'part_00004.ts', 'part_00005.ts'],
      ],
    );
    for (const s of packing.segments) assert.ok(Math.abs(s.duration - 1) < 0.001, `segment of ${s.duration} s`);
    assert.deepEqual(
      packing.open.map((p) => p.uri),
      ['part_00006.ts', 'part_00007.ts'],
    );
    assert.deepEqual(packing.skipped, []);
  });

  it('leaves out the parts before the first independent one (nothing could decode them)', () => {
    const packing = packParts(fixtureParts.slice(1));
    assert.deepEqual(
      packing.skipped.map((p) => p.uri),
      ['part_00001.ts', 'part_00002.ts'],
    );
    assert.equal(packing.segments.length, 1);
    assert.deepEqual(packParts(fixtureParts.slice(1, 3)), { segments: [], open: [], skipped: fixtureParts.slice(1, 3) });
  });

  it('makes each segment the concatenation of its parts: one MPEG-TS segment of 1 s with one keyframe, first', () => {
    const [first] = packParts(fixtureParts).segments;
    const bytes = segmentBytes(first.parts.map((p) => bytesOf(p.uri)));
    assert.equal(
      bytes.length,
      first.parts.reduce((n, p) => n + bytesOf(p.uri).length, 0),
    );
    assert.ok(startsAtRandomAccess(bytes));
    const file = path.join(tmp.dir, 'seg.ts');
    writeFileSync(file, bytes);
    const probed = probe(file);
    assert.ok(Math.abs(probed.duration - 1) < 0.05, `ffprobe reads ${probed.duration} s`);
    assert.deepEqual({ keyframes: probed.keyframes, frames: probed.frames }, { keyframes: 1, frames: 30 });
  });

  it('writes a playlist hls-watch reads back: segments with their parts, and the parts in progress', () => {
    const packing = packParts(fixtureParts);
    const text = renderEncoderPlaylist({
      mediaSequence: 7,
      targetDuration: 1,
      partTarget: 1 / 3,
      segments: packing.segments.map((s, i) => ({ uri: `seg_${i}.ts`, duration: s.duration, parts: s.parts })),
      open: packing.open,
      partsListedSegments: 1,
      ended: false,
    });
    const read = parsePlaylist(text) as MediaPlaylistInfo;
    assert.equal(read.partTarget, 0.333333);
    assert.deepEqual(
      read.entries.map((e) => [e.sequence, e.uri, e.parts?.map((p) => [p.uri, p.independent])]),
      [
        [7, 'seg_0.ts', undefined],
        [
          8,
          'seg_1.ts',
          [
            ['part_00003.ts', true],
            ['part_00004.ts', false],
            ['part_00005.ts', false],
          ],
        ],
      ],
    );
    assert.deepEqual(read.open, {
      sequence: 9,
      parts: [
        { uri: 'part_00006.ts', duration: 0.333333, independent: true },
        { uri: 'part_00007.ts', duration: 0.066667, independent: false },
      ],
    });
  });

  it('runs beside an encoder: copies each part once, writes whole segments and the LL-HLS playlist, closes the last one at ENDLIST', async () => {
    const stagingDir = path.join(tmp.dir, 'staging');
    const outDir = path.join(tmp.dir, 'out');
    for (const dir of [stagingDir, outDir]) mkdirSync(dir);
    for (const e of staged.entries) copyFileSync(path.join(FIXTURE, e.uri), path.join(stagingDir, e.uri));
    const live = readFileSync(path.join(FIXTURE, 'parts.m3u8'), 'utf8').replace(/#EXT-X-PLAYLIST-TYPE:VOD\n|#EXT-X-ENDLIST\n/g, '');
    writeFileSync(path.join(stagingDir, 'parts.m3u8'), live);
    const errors: Error[] = [];
    const packaging = new PartPackaging({
      stagingPlaylist: path.join(stagingDir, 'parts.m3u8'),
      outDir,
      partTarget: 1 / 3,
      targetDuration: 1,
      pollMs: 5,
      onError: (err) => errors.push(err),
    });
    packaging.start();
    try {
      await until(() => existsSync(path.join(outDir, 'index.m3u8')), 'the packager playlist', 5000);
      const playlist = parsePlaylist(readFileSync(path.join(outDir, 'index.m3u8'), 'utf8')) as MediaPlaylistInfo;
      assert.deepEqual(
        playlist.entries.map((e) => [e.uri, e.parts?.length]),
        [
          ['seg_000000.ts', 3],
          ['seg_000001.ts', 3],
        ],
      );
      assert.equal(playlist.open?.parts.length, 2);
      const expected = Buffer.concat(['part_00003.ts', 'part_00004.ts', 'part_00005.ts'].map(bytesOf));
      assert.ok(readFileSync(path.join(outDir, 'seg_000001.ts')).equals(expected), 'segment 1 is its three parts, joined');
      assert.ok(readFileSync(path.join(outDir, 'part_000006.ts')).equals(bytesOf('part_00006.ts')));
      writeFileSync(path.join(stagingDir, 'parts.m3u8'), `${live}#EXT-X-ENDLIST\n`);
    } finally {
      await packaging.stop();
    }
    const ended = parsePlaylist(readFileSync(path.join(outDir, 'index.m3u8'), 'utf8')) as MediaPlaylistInfo;
    assert.equal(ended.ended, true);
    assert.deepEqual(
      ended.entries.map((e) => e.uri),
      ['seg_000000.ts', 'seg_000001.ts', 'seg_000002.ts'],
    );
    assert.equal(ended.open, undefined);
    assert.deepEqual(errors, []);
  });
});
