// The demo encoder stands in for ffmpeg/SRS/Owncast in every pipeline test, so it is held to what
// those encoders really do on disk: exact fixture bytes, playlists that parse and (for the
// renaming orders) never list a missing file, ffmpeg's deletion schedule, ENDLIST on stop,
// numbering back to 0 on restart, a discontinuity when it loops, an fMP4 init that starts empty.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as HLS from 'hls-parser';
import { DemoEncoder, type PlaylistWritten, type SegmentDeleted, type WriteOrder, type WrittenSegment } from '../../devtools/demo-encoder';

const FIXTURES_ROOT = path.resolve(__dirname, '../fixtures/hls');
const FIXTURE_NAMES = ['ts-single', 'fmp4-single', 'ts-multi', 'owncast'];
const WRITE_ORDERS: WriteOrder[] = ['ffmpeg', 'srs', 'playlist-first'];
const CLI = path.resolve(__dirname, '../../devtools/demo-encoder/cli.ts');

interface ExpectedSegment {
  uri: string;
  duration: number;
  sha256: string;
  byteLength: number;
}
interface ExpectedRendition {
  id: string;
  playlist: string;
  init: string | null;
  initBytes: Buffer | null;
  segments: ExpectedSegment[];
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads the fixture independently of the encoder's own loader, straight from the files. */
function expectedFixture(name: string): { master: string | null; renditions: ExpectedRendition[] } {
  const dir = path.join(FIXTURES_ROOT, name);
  const description = JSON.parse(readFileSync(path.join(dir, 'fixture.json'), 'utf8'));
  const renditions = description.renditions.map((r: { id: string; playlist: string; init: string | null }) => {
    const playlistPath = path.join(dir, r.playlist);
    const media = HLS.parse(readFileSync(playlistPath, 'utf8')) as HLS.types.MediaPlaylist;
    return {
      id: r.id,
      playlist: r.playlist,
      init: r.init,
      initBytes: r.init ? readFileSync(path.join(path.dirname(playlistPath), r.init)) : null,
      segments: media.segments.map((s) => {
        const bytes = readFileSync(path.join(path.dirname(playlistPath), s.uri));
        return { uri: s.uri, duration: s.duration, sha256: sha256(bytes), byteLength: bytes.length };
      }),
    };
  });
  return { master: description.master, renditions };
}

function parseMedia(file: string): HLS.types.MediaPlaylist {
  const parsed = HLS.parse(readFileSync(file, 'utf8'));
  assert.equal(parsed.isMasterPlaylist, false);
  return parsed as HLS.types.MediaPlaylist;
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...allFiles(full));
    else out.push(full);
  }
  return out;
}

/** Resolves with the first emitted value that matches. */
function nextEvent<T>(encoder: DemoEncoder, event: string, match: (value: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (value: T): void => {
      if (!match(value)) return;
      encoder.off(event, listener);
      resolve(value);
    };
    encoder.on(event, listener);
  });
}

describe('demo encoder (devtools/demo-encoder)', () => {
  let outDir: string;
  let encoder: DemoEncoder | null;

  beforeEach(async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), 'relaycast-demo-encoder-'));
    encoder = null;
  });

  afterEach(async () => {
    await encoder?.stop();
    await rm(outDir, { recursive: true, force: true });
  });

  for (const fixtureName of FIXTURE_NAMES) {
    for (const writeOrder of WRITE_ORDERS) {
      it(`${fixtureName} / ${writeOrder}: writes the fixture's exact bytes and live playlists that parse`, async () => {
        const expected = expectedFixture(fixtureName);
        const total = expected.renditions[0].segments.length;
        const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, fixtureName), outDir, speed: Infinity, writeOrder }));
        const problems: string[] = [];
        const segmentsSeen: WrittenSegment[] = [];
        const playlistsSeen: PlaylistWritten[] = [];

        enc.on('segment', (segment: WrittenSegment) => {
          segmentsSeen.push(segment);
          // Read at once: the file must be complete under its final name when announced.
          const bytes = readFileSync(segment.path);
          const rendition = expected.renditions.find((r) => r.id === segment.rendition)!;
          const source = rendition.segments[segment.sequence];
          if (sha256(bytes) !== source.sha256) problems.push(`bytes of ${segment.path} differ from the fixture`);
          if (segment.sha256 !== source.sha256 || segment.byteLength !== source.byteLength) problems.push(`reported hash/length of ${segment.uri}`);
        });
        enc.on('playlist', (written: PlaylistWritten) => {
          playlistsSeen.push(written);
          const rendition = expected.renditions.find((r) => r.id === written.rendition)!;
          const media = parseMedia(written.path);
          if (media.mediaSequenceBase !== written.mediaSequence) problems.push(`media sequence ${media.mediaSequenceBase} ≠ ${written.mediaSequence}`);
          if (media.endlist !== written.endList) problems.push(`ENDLIST ${media.endlist} on ${written.path}`);
          media.segments.forEach((listed, index) => {
            const sequence = written.mediaSequence + index;
            const source = rendition.segments[sequence];
            if (listed.uri !== source.uri) problems.push(`listed ${listed.uri}, fixture ${source.uri}`);
            if (listed.duration !== source.duration) problems.push(`EXTINF ${listed.duration} ≠ ${source.duration}`);
            if (!(listed.programDateTime instanceof Date)) problems.push(`no PROGRAM-DATE-TIME on ${listed.uri}`);
            if (rendition.init && listed.map?.uri !== rendition.init) problems.push(`EXT-X-MAP ${listed.map?.uri}`);
            const exists = existsSync(path.join(path.dirname(written.path), listed.uri));
            const newest = sequence === written.lastSequence && !written.endList;
            if (writeOrder === 'playlist-first' && newest) {
              if (exists) problems.push(`playlist-first: ${listed.uri} already existed at the rename`);
            } else if (!exists) {
              problems.push(`${written.path} lists missing ${listed.uri}`);
            }
          });
        });

        await enc.start();
        await enc.finished();
        assert.deepEqual(problems, []);

        // All renditions advance together: one tick writes the next segment of every rendition.
        const ids = expected.renditions.map((r) => r.id);
        assert.deepEqual(
          segmentsSeen.map((s) => `${s.rendition}#${s.sequence}`),
          Array.from({ length: total }, (_, n) => ids.map((id) => `${id}#${n}`)).flat(),
        );
        // Names, durations and hashes are the fixture's, per rendition, in order.
        for (const rendition of expected.renditions) {
          const mine = enc.written.filter((s) => s.rendition === rendition.id);
          assert.deepEqual(
            mine.map((s) => [s.uri, s.duration, s.sha256, s.discontinuity, s.session]),
            rendition.segments.map((s) => [s.uri, s.duration, s.sha256, false, 1]),
          );
          const finalPlaylist = parseMedia(path.join(outDir, rendition.playlist));
          assert.equal(finalPlaylist.endlist, true);
          assert.deepEqual(
            finalPlaylist.segments.map((s) => s.uri),
            rendition.segments.slice(total - 5).map((s) => s.uri),
          );
          // One rename per segment plus the ENDLIST rewrite.
          assert.equal(playlistsSeen.filter((p) => p.rendition === rendition.id).length, total + 1);
          if (rendition.initBytes) assert.ok(readFileSync(path.join(outDir, path.dirname(rendition.playlist), rendition.init!)).equals(rendition.initBytes));
        }
        assert.deepEqual(
          allFiles(outDir).filter((f) => /\.(tmp|temp)$/.test(f)),
          [],
          'no temp files left behind',
        );
        if (expected.master) {
          assert.ok(readFileSync(path.join(outDir, expected.master)).equals(readFileSync(path.join(FIXTURES_ROOT, fixtureName, expected.master))));
        }
      });
    }
  }

  it('writes ffmpeg-style playlists: version, target duration, independent segments, EXTINF with six decimals', async () => {
    const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'fmp4-single'), outDir, speed: Infinity, segments: 2 }));
    await enc.start();
    await enc.finished();
    const text = readFileSync(path.join(outDir, 'index.m3u8'), 'utf8');
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(0, 6), [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MAP:URI="init.mp4"',
    ]);
    assert.equal(lines[6], '#EXTINF:2.000000,');
    assert.match(lines[7], /^#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    assert.equal(lines[8], 'seg_00000.m4s');
    assert.equal(lines.at(-2), '#EXT-X-ENDLIST');
    const ts = parseMedia(path.join(FIXTURES_ROOT, 'ts-single', 'index.m3u8'));
    assert.equal(ts.version, 6);
  });

  it('takes every EXTINF from the fixture playlist (never a nominal 2 s), and the target duration too', async () => {
    // The committed fixtures are all exactly 2.000000 s, which cannot tell a copied duration from
    // an invented one: replay a copy of ts-single whose playlist states other (NTSC-like) values.
    const fixtureCopy = path.join(outDir, 'fixture');
    await cp(path.join(FIXTURES_ROOT, 'ts-single'), fixtureCopy, { recursive: true });
    const durations = ['2.002000', '1.968667', '2.035367', '2.002000', '0.033333', '2.500000'];
    let index = 0;
    const original = readFileSync(path.join(fixtureCopy, 'index.m3u8'), 'utf8');
    const rewritten = original
      .replace(/#EXTINF:[\d.]+,/g, () => `#EXTINF:${durations[index++]},`)
      .replace('#EXT-X-TARGETDURATION:2', '#EXT-X-TARGETDURATION:3');
    await writeFile(path.join(fixtureCopy, 'index.m3u8'), rewritten);
    const enc = (encoder = new DemoEncoder({ fixture: fixtureCopy, outDir: path.join(outDir, 'out'), speed: Infinity, listSize: 0 }));
    await enc.start();
    await enc.finished();
    assert.deepEqual(
      enc.written.map((s) => s.duration),
      durations.map(Number),
    );
    const text = readFileSync(path.join(outDir, 'out', 'index.m3u8'), 'utf8');
    assert.deepEqual(
      text.match(/#EXTINF:[^\n]*/g),
      durations.map((d) => `#EXTINF:${d},`),
    );
    assert.match(text, /^#EXT-X-TARGETDURATION:3$/m);
  });

  it('deletes a segment once it is listSize + deleteThreshold behind, like ffmpeg delete_segments', async () => {
    const listSize = 2;
    const deleteThreshold = 1;
    const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'ts-single'), outDir, speed: Infinity, listSize, deleteThreshold }));
    const onDiskAtEachSegment: string[][] = [];
    const deleted: SegmentDeleted[] = [];
    enc.on('segment', () =>
      onDiskAtEachSegment.push(
        readdirSync(outDir)
          .filter((f) => f.endsWith('.ts'))
          .sort(),
      ),
    );
    enc.on('deleted', (d: SegmentDeleted) => deleted.push(d));
    await enc.start();
    await enc.finished();
    const name = (n: number): string => `seg_${String(n).padStart(5, '0')}.ts`;
    // When segment n lands, segments n-3 .. n are on disk (n-3 is unreferenced, kept by the threshold).
    assert.deepEqual(
      onDiskAtEachSegment,
      [0, 1, 2, 3, 4, 5].map((n) =>
        Array.from({ length: n - Math.max(0, n - listSize - deleteThreshold) + 1 }, (_, i) => name(Math.max(0, n - listSize - deleteThreshold) + i)),
      ),
    );
    assert.deepEqual(
      deleted.map((d) => d.sequence),
      [0, 1, 2],
    );
    assert.deepEqual(
      readdirSync(outDir)
        .filter((f) => f.endsWith('.ts'))
        .sort(),
      [name(3), name(4), name(5)],
    );
  });

  it('keeps more unreferenced segments with a higher deleteThreshold, and all of them with listSize 0', async () => {
    const first = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'ts-single'), outDir, speed: Infinity, listSize: 1, deleteThreshold: 3 }));
    await first.start();
    await first.finished();
    assert.deepEqual(
      readdirSync(outDir)
        .filter((f) => f.endsWith('.ts'))
        .sort(),
      ['seg_00002.ts', 'seg_00003.ts', 'seg_00004.ts', 'seg_00005.ts'],
    );
    const media = parseMedia(path.join(outDir, 'index.m3u8'));
    assert.deepEqual(
      media.segments.map((s) => s.uri),
      ['seg_00005.ts'],
    );

    const allDir = path.join(outDir, 'all');
    const second = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'ts-single'), outDir: allDir, speed: Infinity, listSize: 0 }));
    await second.start();
    await second.finished();
    assert.equal(readdirSync(allDir).filter((f) => f.endsWith('.ts')).length, 6);
    assert.equal(parseMedia(path.join(allDir, 'index.m3u8')).segments.length, 6);
  });

  it('appends EXT-X-ENDLIST on stop (not with endList false), writes nothing after, and stop is idempotent', async () => {
    const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'ts-multi'), outDir, speed: Infinity, loop: true }));
    await enc.start();
    await nextEvent<WrittenSegment>(enc, 'segment', (s) => s.rendition === '2' && s.sequence === 2);
    const stopping = enc.stop();
    assert.equal(enc.stop(), stopping);
    await stopping;
    await enc.finished();
    const count = enc.written.length;
    for (const id of ['0', '1', '2']) {
      const media = parseMedia(path.join(outDir, id, 'index.m3u8'));
      assert.equal(media.endlist, true);
      assert.equal(media.segments.at(-1)!.uri, `seg_${String(Math.floor(count / 3) - 1).padStart(5, '0')}.ts`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(enc.written.length, count, 'no segment after stop');
    await enc.stop();

    const quietDir = path.join(outDir, 'no-endlist');
    const quiet = (encoder = new DemoEncoder({
      fixture: path.join(FIXTURES_ROOT, 'ts-single'),
      outDir: quietDir,
      speed: Infinity,
      loop: true,
      endList: false,
    }));
    await quiet.start();
    await nextEvent<WrittenSegment>(quiet, 'segment', (s) => s.sequence === 1);
    await quiet.stop();
    assert.equal(parseMedia(path.join(quietDir, 'index.m3u8')).endlist, false);
  });

  it('clears its timers on stop (no handle keeps the process alive)', async () => {
    // The encoder's own pending timers and immediates, tracked by wrapping the globals during this
    // test and keeping those created from devtools/demo-encoder: a process-wide count also saw other
    // specs' leftover timers fire or re-arm meanwhile (a flake on a loaded machine).
    const g = globalThis as unknown as Record<'setTimeout' | 'clearTimeout' | 'setImmediate' | 'clearImmediate', (...args: unknown[]) => unknown>;
    const real = { setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, setImmediate: g.setImmediate, clearImmediate: g.clearImmediate };
    const pending = new Set<unknown>();
    const fromEncoder = (): boolean => (new Error().stack ?? '').includes(path.join('devtools', 'demo-encoder'));
    const track =
      (create: (...args: unknown[]) => unknown) =>
      (fn: (...a: unknown[]) => void, ...rest: unknown[]) => {
        const handle: unknown = create(
          (...a: unknown[]) => {
            pending.delete(handle);
            fn(...a);
          },
          ...rest,
        );
        if (fromEncoder()) pending.add(handle);
        return handle;
      };
    const untrack = (clear: (handle: unknown) => unknown) => (handle: unknown) => {
      pending.delete(handle);
      return clear(handle);
    };
    Object.assign(g, {
      setTimeout: track(real.setTimeout),
      setImmediate: track(real.setImmediate),
      clearTimeout: untrack(real.clearTimeout),
      clearImmediate: untrack(real.clearImmediate),
    });
    try {
      const timers = (): number => pending.size;
      const baseline = timers();
      const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'ts-single'), outDir, speed: 1 }));
      await enc.start();
      assert.equal(timers(), baseline + 1, 'one pending timer for the next segment');
      await enc.stop();
      assert.equal(timers(), baseline);
      assert.equal(enc.written.length, 0);
      // Nothing written yet, so there is no media playlist to end.
      assert.equal(existsSync(path.join(outDir, 'index.m3u8')), false);
    } finally {
      Object.assign(g, real);
    }
  });

  it('restart: no ENDLIST, media sequence and file names back to 0 (overwriting), a new session', async () => {
    const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'ts-single'), outDir, speed: Infinity, loop: true, listSize: 3 }));
    const playlists: PlaylistWritten[] = [];
    enc.on('playlist', (p: PlaylistWritten) => playlists.push(p));
    await enc.start();
    await nextEvent<WrittenSegment>(enc, 'segment', (s) => s.sequence === 3);
    await enc.restart();
    const firstOfNewSession = nextEvent<PlaylistWritten>(enc, 'playlist', () => true);
    const playlistAfterRestart = await firstOfNewSession;
    const media = parseMedia(playlistAfterRestart.path);
    assert.equal(media.mediaSequenceBase, 0);
    assert.deepEqual(
      media.segments.map((s) => s.uri),
      ['seg_00000.ts'],
    );
    assert.equal(media.endlist, false);
    await nextEvent<WrittenSegment>(enc, 'segment', (s) => s.session === 2 && s.sequence === 1);
    await enc.stop();

    assert.equal(playlists.filter((p) => p.endList).length, 1, 'only the final stop writes ENDLIST');
    const sessionOne = enc.written.filter((s) => s.session === 1);
    const sessionTwo = enc.written.filter((s) => s.session === 2);
    assert.deepEqual(
      sessionOne.slice(0, 4).map((s) => s.sequence),
      [0, 1, 2, 3],
    );
    assert.deepEqual(
      sessionTwo.slice(0, 2).map((s) => [s.sequence, s.uri, s.discontinuity]),
      [
        [0, 'seg_00000.ts', false],
        [1, 'seg_00001.ts', false],
      ],
    );
    const fixtureFirst = readFileSync(path.join(FIXTURES_ROOT, 'ts-single', 'seg_00000.ts'));
    assert.ok(readFileSync(path.join(outDir, 'seg_00000.ts')).equals(fixtureFirst));
    assert.equal(sessionTwo[0].sha256, sha256(fixtureFirst));
  });

  it('loop: continues the numbering and writes EXT-X-DISCONTINUITY before the repeated first segment', async () => {
    const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'owncast'), outDir, speed: Infinity, loop: true, segments: 9, listSize: 2 }));
    const byLast = new Map<number, HLS.types.MediaPlaylist>();
    enc.on('playlist', (p: PlaylistWritten) => {
      if (p.rendition === '0' && !p.endList) byLast.set(p.lastSequence, parseMedia(p.path));
    });
    await enc.start();
    await enc.finished();
    const renditionZero = enc.written.filter((s) => s.rendition === '0');
    assert.deepEqual(
      renditionZero.map((s) => s.uri),
      Array.from({ length: 9 }, (_, n) => `stream-Kq7vX2mB-${n}.ts`),
    );
    assert.deepEqual(
      renditionZero.map((s) => s.discontinuity),
      [false, false, false, false, false, false, true, false, false],
    );
    const fixture = expectedFixture('owncast').renditions[0];
    assert.deepEqual(
      renditionZero.map((s) => s.sha256),
      [0, 1, 2, 3, 4, 5, 0, 1, 2].map((i) => fixture.segments[i].sha256),
    );
    const atWrap = byLast.get(6)!;
    assert.deepEqual(
      atWrap.segments.map((s) => [s.uri, s.discontinuity === true]),
      [
        ['stream-Kq7vX2mB-5.ts', false],
        ['stream-Kq7vX2mB-6.ts', true],
      ],
    );
    assert.equal(atWrap.discontinuitySequenceBase ?? 0, 0);
    // Once the discontinuity slid out of the window, EXT-X-DISCONTINUITY-SEQUENCE counts it (RFC 8216 §4.3.3.3).
    const afterSlide = byLast.get(8)!;
    assert.equal(afterSlide.discontinuitySequenceBase, 1);
    assert.deepEqual(
      afterSlide.segments.map((s) => s.uri),
      ['stream-Kq7vX2mB-7.ts', 'stream-Kq7vX2mB-8.ts'],
    );
  });

  for (const writeOrder of WRITE_ORDERS) {
    it(`fMP4 / ${writeOrder}: init.mp4 exists empty from the start and equals the fixture once the first segment ends`, async () => {
      const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'fmp4-single'), outDir, speed: Infinity, writeOrder }));
      const initPath = path.join(outDir, 'init.mp4');
      const fixtureInit = readFileSync(path.join(FIXTURES_ROOT, 'fmp4-single', 'init.mp4'));
      let initAtFirstSegment: Buffer | null = null;
      enc.once('segment', () => (initAtFirstSegment = readFileSync(initPath)));
      await enc.start();
      assert.equal(statSync(initPath).size, 0);
      assert.equal(existsSync(path.join(outDir, 'index.m3u8')), false);
      await enc.finished();
      assert.ok(initAtFirstSegment, 'first segment seen');
      assert.ok((initAtFirstSegment as Buffer).equals(fixtureInit));
    });
  }

  it('writes the master at start and creates rendition folders only when it first writes into them', async () => {
    const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'owncast'), outDir, speed: 1 }));
    await enc.start();
    assert.ok(readFileSync(path.join(outDir, 'hls/stream.m3u8')).equals(readFileSync(path.join(FIXTURES_ROOT, 'owncast/hls/stream.m3u8'))));
    assert.equal(existsSync(path.join(outDir, 'hls/0')), false);
    assert.equal(existsSync(path.join(outDir, 'hls/1')), false);
    await enc.stop();
  });

  it('masterWrittenAt first-segment: the master appears only after the first media playlists, as ffmpeg does', async () => {
    const enc = (encoder = new DemoEncoder({
      fixture: path.join(FIXTURES_ROOT, 'ts-multi'),
      outDir,
      speed: Infinity,
      segments: 2,
      masterWrittenAt: 'first-segment',
    }));
    const masterPath = path.join(outDir, 'master.m3u8');
    const masterSeenAtPlaylist: boolean[] = [];
    enc.on('playlist', () => masterSeenAtPlaylist.push(existsSync(masterPath)));
    await enc.start();
    assert.equal(existsSync(masterPath), false);
    await enc.finished();
    // First tick: three media playlists without a master; from the second tick on it is there.
    assert.deepEqual(masterSeenAtPlaylist.slice(0, 6), [false, false, false, true, true, true]);
    assert.ok(readFileSync(masterPath).equals(readFileSync(path.join(FIXTURES_ROOT, 'ts-multi', 'master.m3u8'))));
  });

  it('fails like an encoder whose output folder vanished: error event, finished() rejects, timers gone', async () => {
    const target = path.join(outDir, 'vanishing');
    const enc = (encoder = new DemoEncoder({ fixture: path.join(FIXTURES_ROOT, 'ts-single'), outDir: target, speed: Infinity, loop: true }));
    const errors: Error[] = [];
    enc.on('error', (err: Error) => errors.push(err));
    await enc.start();
    const finished = enc.finished();
    // Removed synchronously inside the listener, so the encoder's very next write finds no folder.
    enc.on('playlist', (p: PlaylistWritten) => {
      if (p.lastSequence === 1) rmSync(target, { recursive: true, force: true });
    });
    await assert.rejects(finished, { code: 'ENOENT' });
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOENT');
    await enc.stop();
    const timers = process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length;
    assert.equal(timers, 0);
  });

  it('rejects bad options and fixtures with coded errors', async () => {
    assert.throws(() => new DemoEncoder({ fixture: 'x', outDir, speed: 0 }), { code: 'E_DEMO_OPTIONS' });
    assert.throws(() => new DemoEncoder({ fixture: 'x', outDir, listSize: -1 }), { code: 'E_DEMO_OPTIONS' });
    assert.throws(() => new DemoEncoder({ fixture: 'x', outDir, segments: 0 }), { code: 'E_DEMO_OPTIONS' });
    assert.throws(() => new DemoEncoder({ fixture: 'x', outDir, writeOrder: 'nginx' as WriteOrder }), { code: 'E_DEMO_OPTIONS' });
    const missing = new DemoEncoder({ fixture: path.join(outDir, 'no-such-fixture'), outDir });
    await assert.rejects(missing.start(), { code: 'E_FIXTURE_INVALID' });
  });

  describe('cli.ts', () => {
    function runCli(args: string[], onLine?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          const before = stdout;
          stdout += chunk.toString();
          if (onLine)
            for (const line of stdout
              .slice(before.lastIndexOf('\n') + 1)
              .split('\n')
              .slice(0, -1))
              onLine(line, child);
        });
        child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve({ code, stdout }) : reject(new Error(`cli exited ${code}: ${stderr}`))));
      });
    }

    it('replays a bounded number of segments and exits 0', async () => {
      const { stdout } = await runCli(['--fixture', path.join(FIXTURES_ROOT, 'ts-multi'), '--out', outDir, '--speed', 'max', '--segments', '2']);
      assert.match(stdout, /segment {2}0\/seg_00000\.ts {2}#0/);
      assert.match(stdout, /EXT-X-ENDLIST/);
      assert.equal(parseMedia(path.join(outDir, '2', 'index.m3u8')).endlist, true);
    });

    it('stops cleanly on SIGTERM, writing ENDLIST', async () => {
      let signalled = false;
      const { stdout } = await runCli(['--fixture', path.join(FIXTURES_ROOT, 'ts-single'), '--out', outDir, '--speed', '100', '--loop'], (line, child) => {
        if (!signalled && line.startsWith('playlist')) {
          signalled = true;
          child.kill('SIGTERM');
        }
      });
      assert.match(stdout, /SIGTERM: stopping/);
      const media = parseMedia(path.join(outDir, 'index.m3u8'));
      assert.equal(media.endlist, true);
      assert.ok(media.segments.length >= 1);
    });
  });
});
