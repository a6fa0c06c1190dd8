// Guards the committed HLS fixtures: every test that replays them (demo encoder, hls-watch,
// r2-upload, manifest) trusts that fixture.json describes the files on disk and that the media
// really is what scripts/make-fixtures.sh promises (2 s segments, six of them, a master that
// lists every rendition).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as HLS from 'hls-parser';

const FIXTURES_ROOT = path.resolve(__dirname, '../fixtures/hls');
const SEGMENTS_PER_RENDITION = 6;
const SEGMENT_SECONDS = 2;

interface FixtureDescription {
  kind: 'ts' | 'fmp4';
  master: string | null;
  renditions: { id: string; playlist: string; init: string | null }[];
}

const EXPECTED: Record<string, { kind: 'ts' | 'fmp4'; master: string | null; renditionIds: string[]; segmentExtension: string }> = {
  'ts-single': { kind: 'ts', master: null, renditionIds: ['main'], segmentExtension: '.ts' },
  'fmp4-single': { kind: 'fmp4', master: null, renditionIds: ['main'], segmentExtension: '.m4s' },
  'ts-multi': { kind: 'ts', master: 'master.m3u8', renditionIds: ['0', '1', '2'], segmentExtension: '.ts' },
  owncast: { kind: 'ts', master: 'hls/stream.m3u8', renditionIds: ['0', '1'], segmentExtension: '.ts' },
};

function readDescription(fixture: string): FixtureDescription {
  return JSON.parse(readFileSync(path.join(FIXTURES_ROOT, fixture, 'fixture.json'), 'utf8')) as FixtureDescription;
}

function parseMedia(file: string): HLS.types.MediaPlaylist {
  const playlist = HLS.parse(readFileSync(file, 'utf8'));
  assert.equal(playlist.isMasterPlaylist, false, `${file} should be a media playlist`);
  return playlist as HLS.types.MediaPlaylist;
}

describe('HLS fixtures (test/fixtures/hls)', () => {
  for (const [fixture, expected] of Object.entries(EXPECTED)) {
    describe(fixture, () => {
      const fixtureDir = path.join(FIXTURES_ROOT, fixture);

      it('has a fixture.json that matches the expected kind, master and renditions', () => {
        const description = readDescription(fixture);
        assert.equal(description.kind, expected.kind);
        assert.equal(description.master, expected.master);
        assert.deepEqual(
          description.renditions.map((r) => r.id),
          expected.renditionIds,
        );
        for (const rendition of description.renditions) {
          assert.equal(rendition.init === null, expected.kind === 'ts', `init only for fMP4 (${rendition.id})`);
        }
      });

      it('has complete VOD media playlists: six ~2 s segments per rendition, all files present', () => {
        const description = readDescription(fixture);
        for (const rendition of description.renditions) {
          const playlistPath = path.join(fixtureDir, rendition.playlist);
          const playlist = parseMedia(playlistPath);
          assert.equal(playlist.endlist, true, 'ffmpeg VOD output ends with EXT-X-ENDLIST');
          assert.equal(playlist.mediaSequenceBase ?? 0, 0);
          assert.equal(playlist.targetDuration, SEGMENT_SECONDS);
          assert.equal(playlist.segments.length, SEGMENTS_PER_RENDITION);
          playlist.segments.forEach((segment, index) => {
            assert.ok(Math.abs(segment.duration - SEGMENT_SECONDS) < 0.1, `segment ${index} lasts ${segment.duration}s`);
            assert.ok(segment.uri.endsWith(expected.segmentExtension), segment.uri);
            const segmentPath = path.join(path.dirname(playlistPath), segment.uri);
            assert.ok(existsSync(segmentPath), `${segmentPath} exists`);
            assert.ok(statSync(segmentPath).size > 1000, `${segmentPath} holds real media`);
            assert.ok(segment.programDateTime instanceof Date, 'program_date_time is on');
          });
          // The segment files on disk are exactly the ones listed (no strays a replay would miss).
          const listed = playlist.segments.map((s) => path.basename(s.uri)).sort();
          const onDisk = readdirSync(path.dirname(playlistPath))
            .filter((name) => name.endsWith(expected.segmentExtension))
            .sort();
          assert.deepEqual(onDisk, listed);
        }
      });

      if (expected.kind === 'fmp4') {
        it('names its init segment in EXT-X-MAP and the file starts with an ftyp box', () => {
          const description = readDescription(fixture);
          for (const rendition of description.renditions) {
            const playlistPath = path.join(fixtureDir, rendition.playlist);
            const playlist = parseMedia(playlistPath);
            assert.equal(playlist.version, 7);
            for (const segment of playlist.segments) assert.equal(segment.map?.uri, rendition.init);
            const init = readFileSync(path.join(path.dirname(playlistPath), rendition.init as string));
            assert.equal(init.subarray(4, 8).toString('latin1'), 'ftyp');
          }
        });
      } else {
        it('holds MPEG-TS segments (0x47 sync byte every 188 bytes)', () => {
          const description = readDescription(fixture);
          for (const rendition of description.renditions) {
            const playlistPath = path.join(fixtureDir, rendition.playlist);
            const first = parseMedia(playlistPath).segments[0];
            const bytes = readFileSync(path.join(path.dirname(playlistPath), first.uri));
            assert.equal(bytes.length % 188, 0);
            assert.equal(bytes[0], 0x47);
            assert.equal(bytes[188], 0x47);
          }
        });
      }

      if (expected.master) {
        it('has a master playlist that lists every rendition playlist with bandwidth and resolution', () => {
          const description = readDescription(fixture);
          const masterPath = path.join(fixtureDir, expected.master as string);
          const master = HLS.parse(readFileSync(masterPath, 'utf8'));
          assert.equal(master.isMasterPlaylist, true);
          const variants = (master as HLS.types.MasterPlaylist).variants;
          const resolved = variants.map((v) => path.relative(fixtureDir, path.join(path.dirname(masterPath), v.uri)));
          assert.deepEqual(
            resolved,
            description.renditions.map((r) => r.playlist),
          );
          for (const variant of variants) {
            assert.ok(variant.bandwidth > 0);
            assert.ok(variant.resolution && variant.resolution.width > 0);
          }
          // Renditions are ordered from the highest to the lowest bitrate, like the ladders encode them.
          const bandwidths = variants.map((v) => v.bandwidth);
          assert.deepEqual(
            [...bandwidths].sort((a, b) => b - a),
            bandwidths,
          );
        });
      }
    });
  }

  it("keeps Owncast's naming: stream-<shortid>-<n>.ts with one shortid per session", () => {
    const description = readDescription('owncast');
    const ids = new Set<string>();
    for (const rendition of description.renditions) {
      const playlist = parseMedia(path.join(FIXTURES_ROOT, 'owncast', rendition.playlist));
      playlist.segments.forEach((segment, index) => {
        const match = /^stream-([A-Za-z0-9_-]+)-(\d+)\.ts$/.exec(segment.uri);
        assert.ok(match, segment.uri);
        ids.add(match[1]);
        assert.equal(Number(match[2]), index);
      });
    }
    assert.equal(ids.size, 1);
  });

  it('stays small enough to commit (under 5 MB in all)', () => {
    let total = 0;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else total += statSync(full).size;
      }
    };
    walk(FIXTURES_ROOT);
    assert.ok(total < 5 * 1024 * 1024, `fixtures hold ${total} bytes`);
  });
});
