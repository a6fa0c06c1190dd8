// A real live encoder, not the demo encoder: `ffmpeg -f hls` writes a stream in real time (at 4×)
// into a folder that relaycast-hls-watch watches in a Node-RED runtime; relaycast-r2-upload stores
// each segment in a real local S3 server and relaycast-manifest serves the playlist on httpNode.
// Every segment ffmpeg wrote must be stored byte for byte and listed, in ffmpeg's order, with its
// EXTINF; every playlist version manifest produced must pass the RFC 8216 validator, and the
// served playlist must end with EXT-X-ENDLIST once ffmpeg has.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { PlaylistHistory, errorsOf, formatViolations, parseMediaPlaylist } from '../../devtools/hls-validator';
import { startHttpNodeServer, type HttpNodeServer } from '../support/http-node';
import { distNode, helper } from '../support/node-red';
import { until } from '../support/until';
import { fetchBytes, sha256 } from '../unit/upload/support/harness';

type Msg = Record<string, any>;

describe('e2e: a live ffmpeg -f hls encoder → hls-watch → r2-upload → manifest (Node-RED runtime)', function () {
  this.timeout(90_000);
  let s3: LocalS3;
  let httpNode: HttpNodeServer;
  let dir: string;
  let ffmpeg: ChildProcess | undefined;

  before(async () => {
    s3 = await startLocalS3({ bucket: 'live' });
    httpNode = await startHttpNodeServer();
  });
  after(async () => {
    await httpNode.stop();
    await s3.stop();
  });
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'relaycast-ffmpeg-live-')));
    helper.settings({ userDir: path.join(dir, 'userdir') });
  });
  afterEach(async () => {
    if (ffmpeg && ffmpeg.exitCode === null) {
      const exited = new Promise((r) => ffmpeg!.once('exit', r));
      ffmpeg.kill('SIGKILL');
      await exited;
    }
    await helper.unload();
    helper.settings({});
    rmSync(dir, { recursive: true, force: true });
  });

  /** hls-watch (on `watchPath`) → r2-upload → manifest with DVR, the encoder's ENDLIST published at once. */
  async function loadPipeline(watchPath: string, stream: string, targetDuration: number): Promise<void> {
    const flow = [
      { id: 'tab', type: 'tab', label: 'ffmpeg' },
      // Deployed first: the watcher waits for a folder ffmpeg has not made yet.
      {
        id: 'w1',
        type: 'relaycast-hls-watch',
        z: 'tab',
        path: watchPath,
        stream,
        renditions: 'all',
        usePolling: false,
        pollInterval: 100,
        maxSegmentMB: 64,
        wires: [['u1']],
      },
      {
        id: 'b1',
        type: 'relaycast-r2-bucket',
        z: 'tab',
        provider: 's3',
        endpoint: s3.endpoint,
        region: 'auto',
        bucket: s3.bucket,
        publicBaseUrl: s3.publicBaseUrl,
        keyPrefix: stream,
        forcePathStyle: true,
      },
      { id: 'u1', type: 'relaycast-r2-upload', z: 'tab', bucket: 'b1', concurrency: 4, maxAttempts: 3, attemptTimeout: 5, keepAll: true, wires: [['m1']] },
      // DVR keeps every segment listed; the encoder's ENDLIST is published at once (no grace).
      { id: 'm1', type: 'relaycast-manifest', z: 'tab', windowSegments: 6, targetDuration, dvr: true, gapMode: 'gap', endGraceSeconds: 0, wires: [['pl']] },
      { id: 'pl', type: 'helper', z: 'tab' },
      { id: 'c1', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    const credentials = { b1: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
    await helper.load(
      [distNode('hls-watch'), distNode('r2-bucket'), distNode('r2-upload'), httpNode.capture(distNode('manifest'))] as never,
      flow as never,
      credentials as never,
    );
  }

  /** Runs ffmpeg to its end; it must exit 0. */
  async function runFfmpeg(args: string[]): Promise<void> {
    const stderr: string[] = [];
    ffmpeg = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    ffmpeg.stderr!.setEncoding('utf8');
    ffmpeg.stderr!.on('data', (c: string) => stderr.push(c));
    ffmpeg.on('error', (err) => stderr.push(String(err)));
    const exitCode = await new Promise<number | null>((resolve) => ffmpeg!.once('exit', resolve));
    assert.equal(exitCode, 0, stderr.join(''));
  }

  it('stores every segment ffmpeg wrote byte for byte and lists each once, in order; every playlist version is valid', async () => {
    const out = path.join(dir, 'hls');
    await loadPipeline(out, 'ff', 0);
    const history = new PlaylistHistory({ requireAbsoluteUris: true });
    const violations: string[] = [];
    const errors: unknown[] = [];
    let ended = false;
    helper.getNode('pl').on('input', (msg: Msg) => {
      if (msg.playlist.rendition === null) return;
      const found = errorsOf(history.push(msg.payload));
      if (found.length > 0) violations.push(`${msg.payload}\n${formatViolations(found)}`);
      if (msg.playlist.ended) ended = true;
    });
    helper.getNode('caught').on('input', (msg: Msg) => errors.push(msg.error));

    // 10 s of video at 4× real time, a keyframe every second, one segment per second. ffmpeg does
    // not create the folder: it appears now, while the watcher already waits for it.
    const playlist = path.join(out, 'index.m3u8');
    mkdirSync(out);
    await runFfmpeg([
      '-readrate',
      '4',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x90:rate=25',
      '-t',
      '10',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '25',
      '-keyint_min',
      '25',
      '-sc_threshold',
      '0',
      '-f',
      'hls',
      '-hls_time',
      '1',
      '-hls_list_size',
      '0',
      '-hls_segment_filename',
      path.join(out, 'seg_%03d.ts'),
      playlist,
    ]);
    await until(() => ended, 'the served playlist to end (EXT-X-ENDLIST)', 30_000);

    // What ffmpeg wrote: its final playlist and the files it names.
    const written = parseMediaPlaylist(readFileSync(playlist, 'utf8'));
    assert.ok(written.endList, 'ffmpeg ended its playlist');
    assert.ok(written.segments.length >= 8, `${written.segments.length} segments from ffmpeg`);

    // What is served: fetched over HTTP from the manifest node, as a player would.
    const res = await fetch(`${httpNode.base}/live/ff/main.m3u8`);
    assert.equal(res.status, 200);
    const served = parseMediaPlaylist(await res.text());
    assert.ok(served.endList);
    assert.deepEqual(
      served.segments.map((s) => s.duration),
      written.segments.map((s) => s.duration),
      "each segment once, in ffmpeg's order, with its EXTINF",
    );
    for (const [i, segment] of served.segments.entries()) {
      const stored = await fetchBytes(segment.uri);
      assert.equal(stored.status, 200, segment.uri);
      const onDisk = readFileSync(path.join(out, written.segments[i]!.uri));
      assert.equal(stored.bytes.length, onDisk.length, `${written.segments[i]!.uri}: length`);
      assert.equal(sha256(stored.bytes), sha256(onDisk), `${written.segments[i]!.uri}: bytes`);
    }
    assert.deepEqual(violations, [], 'every playlist version manifest produced is valid RFC 8216');
    assert.ok(history.versions.length >= written.segments.length, 'one version per segment at least');
    assert.deepEqual(errors, []);
  });

  // #14 defects 4 and 11 (the first master lacked CODECS and RESOLUTION for one rendition): three
  // fMP4 renditions with a master playlist, whose keyframes come at uneven times, so segments run
  // 0.5–2.5 s. Manifest's target duration is set to the longest GOP, as its help says for ffmpeg.
  it('three fMP4 renditions with uneven GOPs: every segment and init stored and listed once; every master served while live lists each variant with its CODECS and RESOLUTION', async () => {
    const out = path.join(dir, 'hls');
    await loadPipeline(path.join(out, 'master.m3u8'), 'ladder', 3);
    const renditions = ['0', '1', '2'];
    const histories = new Map(renditions.map((r) => [r, new PlaylistHistory({ requireAbsoluteUris: true })]));
    const violations: string[] = [];
    const masters: string[] = [];
    const errors: unknown[] = [];
    const ended = new Set<string>();
    helper.getNode('pl').on('input', (msg: Msg) => {
      // While every rendition is live (at the end, one that has ended leaves the master).
      if (msg.playlist.rendition === null) {
        if (ended.size === 0) masters.push(msg.payload);
        return;
      }
      const found = errorsOf(histories.get(msg.playlist.rendition)!.push(msg.payload));
      if (found.length > 0) violations.push(`${msg.playlist.rendition}:\n${msg.payload}\n${formatViolations(found)}`);
      if (msg.playlist.ended) ended.add(msg.playlist.rendition);
    });
    helper.getNode('caught').on('input', (msg: Msg) => errors.push(msg.error));

    mkdirSync(out);
    await runFfmpeg([
      '-readrate',
      '4',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x180:rate=25',
      '-t',
      '12',
      '-filter_complex',
      '[0:v]split=3[a][b][c];[b]scale=240:136[b1];[c]scale=160:90[c1]',
      '-map',
      '[a]',
      '-map',
      '[b1]',
      '-map',
      '[c1]',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-b:v:0',
      '600k',
      '-b:v:1',
      '300k',
      '-b:v:2',
      '150k',
      // Keyframes only where forced: segments of 1, 2, 0.5, 2.5, 1, 2.5, 0.5, 1 and 1 s.
      '-g',
      '1000',
      '-keyint_min',
      '1',
      '-sc_threshold',
      '0',
      '-force_key_frames',
      '0,1,3,3.5,6,7,9.5,10,11',
      '-f',
      'hls',
      '-hls_time',
      '1',
      '-hls_list_size',
      '0',
      '-hls_segment_type',
      'fmp4',
      '-hls_fmp4_init_filename',
      'init.mp4',
      '-var_stream_map',
      'v:0 v:1 v:2',
      '-master_pl_name',
      'master.m3u8',
      '-hls_segment_filename',
      path.join(out, '%v', 'seg_%03d.m4s'),
      path.join(out, '%v', 'index.m3u8'),
    ]);
    await until(
      () => ended.size === renditions.length,
      'every served rendition to end (EXT-X-ENDLIST)',
      30_000,
      10,
      () => JSON.stringify({ ended: [...ended], errors }),
    );

    for (const rendition of renditions) {
      const folder = path.join(out, rendition);
      const written = parseMediaPlaylist(readFileSync(path.join(folder, 'index.m3u8'), 'utf8'));
      const durations = written.segments.map((s) => s.duration);
      assert.ok(Math.max(...durations) - Math.min(...durations) >= 1.5, `${rendition}: segment lengths vary (${durations.join(', ')})`);
      const res = await fetch(`${httpNode.base}/live/ladder/${rendition}.m3u8`);
      assert.equal(res.status, 200, rendition);
      const text = await res.text();
      const served = parseMediaPlaylist(text);
      assert.ok(served.endList, rendition);
      assert.deepEqual(
        served.segments.map((s) => s.duration),
        durations,
        `${rendition}: each segment once, in ffmpeg's order, with its EXTINF`,
      );
      for (const [i, segment] of served.segments.entries()) {
        const stored = await fetchBytes(segment.uri);
        assert.equal(stored.status, 200, segment.uri);
        assert.equal(
          sha256(stored.bytes),
          sha256(readFileSync(path.join(folder, written.segments[i]!.uri))),
          `${rendition}/${written.segments[i]!.uri}: bytes`,
        );
      }
      // The init section (EXT-X-MAP), stored byte for byte too.
      const mapUri = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1];
      assert.ok(mapUri, `${rendition}: EXT-X-MAP`);
      const writtenInit = /#EXT-X-MAP:URI="([^"]+)"/.exec(readFileSync(path.join(folder, 'index.m3u8'), 'utf8'))![1]!;
      const init = await fetchBytes(mapUri);
      assert.equal(init.status, 200, mapUri);
      assert.equal(sha256(init.bytes), sha256(readFileSync(path.join(folder, writtenInit))), `${rendition}: init bytes`);
    }
    assert.ok(masters.length > 0, 'a master playlist was served while the stream was live');
    for (const master of masters) {
      const variants = master.split('\n').filter((line) => line.startsWith('#EXT-X-STREAM-INF:'));
      assert.equal(variants.length, renditions.length, master);
      for (const variant of variants)
        assert.match(
          variant,
          /RESOLUTION=\d+x\d+.*CODECS="avc1\.[0-9a-f]{6}"|CODECS="avc1\.[0-9a-f]{6}".*RESOLUTION=\d+x\d+/,
          `every master version names CODECS and RESOLUTION:\n${master}`,
        );
    }
    assert.deepEqual(violations, [], 'every playlist version manifest produced is valid RFC 8216');
    assert.deepEqual(errors, []);
  });
});
