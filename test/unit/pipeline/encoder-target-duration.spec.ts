// hls-watch → manifest (both cores, no Node-RED) on a real live ffmpeg encoder whose GOP varies, so
// its segments alternate between about 1 s and 2.5 s. The watcher starts while the encoder runs
// (a redeploy or a Node-RED restart mid-stream): the first segment it delivers lasts 1 s, but the
// encoder's playlist already says EXT-X-TARGETDURATION:3. A target taken from the first segment
// alone (1 s) would refuse every longer segment after it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { SegmentMsg } from '../../../lib/protocol/msgs';
import { HlsWatcher } from '../../../lib/hls-watch/watcher';
import type { WatchMsg } from '../../../lib/hls-watch/rendition-tracker';
import { ManifestCore } from '../../../lib/manifest';
import { PlaylistHistory, errorsOf, formatViolations } from '../../../devtools/hls-validator';
import { tempDir } from '../hls-watch/helpers';
import { until } from '../../support/until';

describe('encoder target duration: hls-watch carries it, manifest keeps to it (real ffmpeg, varying GOP)', function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => void;
  let encoder: ChildProcess | undefined;
  beforeEach(() => {
    const t = tempDir('relaycast-target-');
    dir = realpathSync(t.dir);
    cleanup = t.cleanup;
  });
  afterEach(async () => {
    if (encoder && encoder.exitCode === null) {
      const exited = new Promise((r) => encoder!.once('exit', r));
      encoder.kill('SIGKILL');
      await exited;
    }
    cleanup();
  });

  it("lists every segment of a stream whose first segment is shorter than the encoder's target duration", async () => {
    const playlist = path.join(dir, 'index.m3u8');
    // Keyframes at 0, 1, 3.5, 4.5, 7, 8 …: with -hls_time 1 ffmpeg cuts 1 s, 2.5 s, 1 s, 2.5 s, ….
    const keyframes = Array.from({ length: 8 }, (_, i) => [i * 3.5, i * 3.5 + 1])
      .flat()
      .join(',');
    const stderr: string[] = [];
    encoder = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-readrate',
        '4',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=160x90:rate=25',
        '-t',
        '14',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-g',
        '1000',
        '-sc_threshold',
        '0',
        '-force_key_frames',
        keyframes,
        '-f',
        'hls',
        '-hls_time',
        '1',
        '-hls_list_size',
        '0',
        '-hls_segment_filename',
        path.join(dir, 'seg_%03d.ts'),
        playlist,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    encoder.stderr!.setEncoding('utf8');
    encoder.stderr!.on('data', (c: string) => stderr.push(c));
    encoder.on('error', (err) => stderr.push(String(err)));
    const encoderExit = new Promise<number | null>((resolve) => encoder!.once('exit', resolve));
    // Mid-stream: the encoder has written its 1 s and its 2.5 s segment.
    await until(
      () => existsSync(playlist) && (readFileSync(playlist, 'utf8').match(/#EXTINF/g) ?? []).length >= 2,
      `two segments from ffmpeg (${stderr.join('')})`,
      30_000,
    );

    // No ENDLIST grace: the encoder's end is published with it (the grace has its own specs).
    const core = new ManifestCore({ dvr: true, endGraceSeconds: 0 });
    const history = new PlaylistHistory({ requireAbsoluteUris: true });
    const refused: string[] = [];
    const segments: SegmentMsg[] = [];
    let ended = false;
    const watcher = new HlsWatcher(
      { path: dir, stream: 'cam', checkIntervalMs: 100 },
      {
        onMessage: (m: WatchMsg) => {
          if (m.topic === 'segment') {
            segments.push(m);
            m.segment.url = `https://media.example.test/cam/${m.segment.uri}`;
          }
          if (m.topic === 'lifecycle' && m.payload.event === 'ended') ended = true;
          try {
            for (const media of core.apply(m).media) {
              const violations = history.push(media.text);
              assert.deepEqual(errorsOf(violations), [], `${media.text}\n${formatViolations(violations)}`);
            }
          } catch (err) {
            refused.push(`${(err as { code?: string }).code}: ${(err as Error).message}`);
          }
        },
        onError: (err) => refused.push(`${err.code}: ${err.message}`),
      },
    );
    try {
      await watcher.start();
      assert.equal(await encoderExit, 0, stderr.join(''));
      await until(() => ended, "the encoder's ENDLIST", 30_000);
    } finally {
      await watcher.close();
    }
    assert.deepEqual(refused, []);
    assert.equal(segments[0].segment.duration, 1, 'the first segment is the short one');
    assert.equal(segments[0].segment.targetDuration, 3, "and carries the encoder's EXT-X-TARGETDURATION");
    assert.ok(
      segments.some((s) => s.segment.duration > 2),
      'a longer segment follows',
    );
    assert.equal(core.targetDuration('cam'), 3, 'max(encoder target, ceil of the first segment)');
    const served = core.mediaPlaylist('cam', 'main')!.text;
    assert.match(served, /#EXT-X-TARGETDURATION:3\n/);
    assert.equal((served.match(/#EXTINF/g) ?? []).length, segments.length, 'every segment is listed');
    assert.match(served, /#EXT-X-ENDLIST/);
  });
});
