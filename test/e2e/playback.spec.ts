// End to end playback: the demo encoder writes a live multi-rendition HLS stream, relaycast-hls-watch
// reads it, relaycast-r2-upload stores it in a real local S3 server through a fault-injecting proxy,
// relaycast-manifest serves the playlists from Node-RED's HTTP app, and hls.js in headless Chromium
// plays it in real time for more than 60 s of media, through an encoder restart, a level switch and
// a full redeploy of the flow (every node closes and restores its state from its state file).
// ffmpeg reads the same stream from the playlist URL through to EXT-X-ENDLIST.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { startFaultProxy, type FaultProxy } from '../../devtools/fault-proxy';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { PlaylistHistory, errorsOf, formatViolations, parseMediaPlaylist, validateMasterPlaylist } from '../../devtools/hls-validator';
import { launchChromium } from '../support/chromium';
import { distNode, helper } from '../support/node-red';
import { until } from '../support/until';

const FIXTURES = path.resolve(__dirname, '../fixtures/hls');
const HLS_JS = readFileSync(require.resolve('hls.js/dist/hls.min.js'));
const MEDIA_SECONDS_TO_PLAY = 62;

const manifestModule = distNode('manifest') as (red: unknown) => unknown;
let httpNode: http.RequestListener | undefined;
function manifestWithRed(red: unknown): unknown {
  httpNode = (red as { httpNode: http.RequestListener }).httpNode;
  return manifestModule(red);
}

const PAGE = `<!doctype html><html><body>
<video id="v" muted playsinline style="width:320px"></video>
<script src="/hls.min.js"></script>
<script>
  window.report = { errors: [], switched: [], levels: 0, parsed: false };
  const video = document.getElementById('v');
  const hls = new Hls({ lowLatencyMode: false });
  window.hls = hls;
  hls.on(Hls.Events.ERROR, (_e, d) => window.report.errors.push({ fatal: d.fatal, type: d.type, details: d.details }));
  hls.on(Hls.Events.LEVEL_SWITCHED, (_e, d) => window.report.switched.push(d.level));
  hls.on(Hls.Events.MANIFEST_PARSED, (_e, d) => { window.report.parsed = true; window.report.levels = d.levels.length; video.play(); });
  hls.loadSource('/live/e2e/master.m3u8');
  hls.attachMedia(video);
</script></body></html>`;

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('e2e: hls.js and ffmpeg play the live stream served by relaycast-manifest', function () {
  this.timeout(240_000);
  let s3: LocalS3;
  let proxy: FaultProxy;
  let browser: Browser;
  let server: http.Server;
  let base: string;
  let dir: string;
  let encoder: DemoEncoder | undefined;

  before(async () => {
    s3 = await startLocalS3({ bucket: 'relaycast' });
    proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 0.1, seed: 777, stallMs: 3000 });
    browser = await launchChromium();
    server = http.createServer((req, res) => {
      if (req.url === '/') {
        res.setHeader('Content-Type', 'text/html');
        res.end(PAGE);
        return;
      }
      if (req.url === '/hls.min.js') {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(HLS_JS);
        return;
      }
      if (httpNode) {
        httpNode(req, res);
        return;
      }
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-e2e-playback-'));
    helper.settings({ userDir: path.join(dir, 'userdir') });
  });

  after(async () => {
    await encoder?.stop().catch(() => undefined);
    await helper.unload();
    helper.settings({});
    httpNode = undefined;
    await browser?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await proxy?.stop();
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plays ts-multi for > 60 s of media through an encoder restart, a level switch and a redeploy, no fatal error; ffmpeg reads it to ENDLIST', async () => {
    const out = path.join(dir, 'hls');
    mkdirSync(out);
    const flow = [
      { id: 'tab', type: 'tab', label: 'e2e' },
      {
        id: 'w1',
        type: 'relaycast-hls-watch',
        z: 'tab',
        path: out,
        stream: 'e2e',
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
        endpoint: proxy.endpoint,
        region: 'auto',
        bucket: s3.bucket,
        publicBaseUrl: s3.publicBaseUrl,
        keyPrefix: 'e2e',
        forcePathStyle: true,
      },
      { id: 'u1', type: 'relaycast-r2-upload', z: 'tab', bucket: 'b1', concurrency: 4, maxAttempts: 8, attemptTimeout: 1, keepAll: true, wires: [['m1']] },
      { id: 'm1', type: 'relaycast-manifest', z: 'tab', windowSegments: 6, targetDuration: 0, dvr: false, gapMode: 'gap', wires: [['pl']] },
      { id: 'pl', type: 'helper', z: 'tab' },
      { id: 'c1', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    const credentials = { b1: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
    await helper.load([distNode('hls-watch'), distNode('r2-bucket'), distNode('r2-upload'), manifestWithRed] as never, flow as never, credentials as never);

    // Every playlist version the manifest produces is validated as it appears, by one history per
    // rendition that spans the redeploy: a reset or a re-listed segment after it is a violation.
    const histories = new Map<string, PlaylistHistory>();
    const violations: string[] = [];
    const errors: unknown[] = [];
    let ended = 0;
    // A full redeploy replaces the helper nodes too, so the listeners are attached again after it.
    const listen = (): void => {
      helper.getNode('pl').on('input', (msg: any) => {
        if (msg.playlist.rendition === null) {
          const found = errorsOf(validateMasterPlaylist(msg.payload));
          if (found.length) violations.push(formatViolations(found));
          return;
        }
        if (!histories.has(msg.playlist.rendition)) histories.set(msg.playlist.rendition, new PlaylistHistory({ requireAbsoluteUris: true }));
        const found = errorsOf(histories.get(msg.playlist.rendition)!.push(msg.payload));
        if (found.length) violations.push(`${msg.payload}\n${formatViolations(found)}`);
        if (msg.playlist.ended) ended += 1;
      });
      helper.getNode('caught').on('input', (msg: any) => errors.push(msg.error));
    };
    listen();

    const statusSpy = helper.getNode('w1').status as unknown as { getCalls(): Array<{ thisValue: { id: string } }> };
    await until(() => statusSpy.getCalls().some((call) => call.thisValue.id === 'w1'), 'hls-watch status', 30_000, 100);
    encoder = new DemoEncoder({ fixture: path.join(FIXTURES, 'ts-multi'), outDir: out, speed: 1, loop: true });
    await encoder.start();
    // hls.js starts three target durations from the live edge: wait for four segments per rendition.
    await until(() => ['0', '1', '2'].every((r) => (histories.get(r)?.versions.length ?? 0) >= 4), 'four listed segments per rendition', 30_000, 100);

    // ffmpeg follows the live playlist from here until EXT-X-ENDLIST.
    const ffmpegLog: string[] = [];
    const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'info', '-i', `${base}/live/e2e/0.m3u8`, '-c', 'copy', '-f', 'null', '-'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    ffmpeg.stderr.setEncoding('utf8');
    ffmpeg.stderr.on('data', (c: string) => ffmpegLog.push(c));
    const ffmpegExit = new Promise<number | null>((resolve) => ffmpeg.on('exit', (code) => resolve(code)));

    let versionsAtRedeploy: Record<string, number> | undefined;
    let playedAtRedeploy = 0;
    const page = await browser.newPage();
    try {
      await page.goto(base + '/');
      const supported = await page.evaluate(() => (window as any).MediaSource?.isTypeSupported('video/mp4; codecs="avc1.42c01e,mp4a.40.2"'));
      assert.equal(supported, true, 'this Chromium cannot play H.264/AAC through MSE');
      await until(
        async () => (await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime)) > 0,
        'playback to start',
        30_000,
        100,
      );

      let previous = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
      let played = 0;
      let restarted = false;
      let switchTarget: number | undefined;
      const samples: number[] = [previous];
      while (played < MEDIA_SECONDS_TO_PLAY) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
        samples.push(now);
        assert.ok(now > previous, `currentTime did not advance: ${previous} → ${now} (samples ${samples.join(', ')})`);
        played += now - previous;
        previous = now;
        if (!restarted && played >= 20) {
          restarted = true;
          await encoder.restart();
        }
        if (switchTarget === undefined && played >= 35) {
          switchTarget = await page.evaluate(() => {
            const hls = (window as any).hls;
            const target = (Math.max(hls.currentLevel, 0) + 1) % hls.levels.length;
            hls.currentLevel = target;
            return target;
          });
        }
        if (!versionsAtRedeploy && played >= 45) {
          // The same flow deployed again in 'full' mode: every node closes (uploads in flight finish,
          // playlist routes go away) and starts again from its state file, while hls.js keeps playing.
          versionsAtRedeploy = Object.fromEntries(['0', '1', '2'].map((r) => [r, histories.get(r)!.versions.length]));
          playedAtRedeploy = played;
          await helper.setFlows(flow as never, 'full', credentials as never);
          listen();
        }
      }
      assert.ok(versionsAtRedeploy, 'the flow was redeployed');
      assert.ok(played - playedAtRedeploy >= 10, `only ${played - playedAtRedeploy} s played after the redeploy`);
      const report = await page.evaluate(() => (window as any).report);
      assert.equal(report.levels, 3);
      assert.deepEqual(
        report.errors.filter((e: { fatal: boolean }) => e.fatal),
        [],
        JSON.stringify(report.errors),
      );
      assert.ok(report.switched.includes(switchTarget), `level switch to ${switchTarget} not seen: ${JSON.stringify(report.switched)}`);
    } finally {
      await page.close();
    }

    await encoder.stop();
    await until(() => ended >= 3, 'ENDLIST on every rendition', 30_000, 100);
    const exitCode = await Promise.race([ffmpegExit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
    if (exitCode === 'timeout') ffmpeg.kill('SIGKILL');
    const log = ffmpegLog.join('');
    assert.equal(exitCode, 0, log.slice(-2000));
    assert.doesNotMatch(log, /\berror\b/i, log.slice(-2000));

    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
    // Versions from both sides of the redeploy went through the same history, and every segment kept
    // one media sequence number for good (no segment listed twice, no number reused).
    const listedUrls = new Set<string>();
    for (const r of ['0', '1', '2']) {
      const versions = histories.get(r)!.versions;
      assert.ok(versions.length > versionsAtRedeploy![r] + 3, `rendition ${r}: ${versions.length - versionsAtRedeploy![r]} versions after the redeploy`);
      const uriOfMsn = new Map<number, string>();
      const msnOfUri = new Map<string, number>();
      for (const text of versions) {
        for (const segment of parseMediaPlaylist(text).segments) {
          assert.equal(uriOfMsn.get(segment.msn) ?? segment.uri, segment.uri, `rendition ${r}: msn ${segment.msn} names two segments`);
          assert.equal(msnOfUri.get(segment.uri) ?? segment.msn, segment.msn, `rendition ${r}: ${segment.uri} listed under two sequence numbers`);
          uriOfMsn.set(segment.msn, segment.uri);
          msnOfUri.set(segment.uri, segment.msn);
          if (!segment.gap) listedUrls.add(segment.uri);
          if (segment.mapUri) listedUrls.add(segment.mapUri);
        }
      }
    }
    // Every object any playlist version ever listed (except EXT-X-GAP entries) is really there.
    const missing: string[] = [];
    for (const url of listedUrls) if ((await get(url)).status !== 200) missing.push(url);
    assert.deepEqual(missing, [], `${missing.length} of ${listedUrls.size} listed URLs are not served`);
    const master = await get(`${base}/live/e2e/master.m3u8`);
    const medias: Record<string, string> = {};
    for (const r of ['0', '1', '2']) medias[`${r}.m3u8`] = (await get(`${base}/live/e2e/${r}.m3u8`)).body;
    assert.deepEqual(errorsOf(validateMasterPlaylist(master.body, medias)), []);
    for (const text of Object.values(medias)) assert.match(text, /#EXT-X-DISCONTINUITY\n/, 'the encoder restart is marked');
    assert.ok(Object.values(proxy.counts.injected).reduce((a, b) => a + b, 0) > 0, 'the proxy injected upload faults');
  });
});
