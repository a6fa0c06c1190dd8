/**
 * From OBS to a viewer, as a new operator does it: `npm start -- --ingest` (real Node-RED, the
 * relaycast-ingest node in place of the demo encoder and its hls-watch, so the flow reads
 * ingest → r2-upload → manifest → signaling; a local S3 server) prints an RTMP server and
 * a stream key; ffmpeg publishes to them as OBS does (FLV over RTMP, H.264 with 2 s keyframes, AAC);
 * a Chromium tab on the printed viewer page plays. Checked: playback moves past several segments
 * with no fatal hls.js error, every fragment hls.js receives hashes to the digest the pipeline
 * announced for it, and every segment the stream's playlist lists is stored byte for byte as the
 * ingest's ffmpeg wrote it. Runs in the loopback-only namespace (npm run test:webrtc): the page
 * joins the swarm over WebRTC.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseMediaPlaylist } from '../../devtools/hls-validator';
import { fetchBytes, sha256 } from '../unit/upload/support/harness';
import { launchChromium, requireLoopbackOnlyNetwork, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../support/chromium';
import { freePort } from '../support/free-port';
import { publishRtmp, type Publisher } from '../support/rtmp-publisher';
import { untilValue } from '../support/until';
import { figures, until, watchIntegrity } from '../support/viewer-pages';
import { spawnDemo, stopDemo, untilPlaylistLists } from '../support/demo-process';

/** The ingest's segment length (demo/ingest-mode.ts KEYFRAME_SECONDS, as the publisher's keyframes). */
const SEGMENT_SECONDS = 2;
/** Media published: enough for start-up and several segments of playback, well under a minute. */
const PUBLISH_SECONDS = 40;

/**
 * SHA-256 of every finished segment file the ingest's ffmpeg has written into `dir` so far. Its
 * temp_file flag gives a segment its .ts name only once complete, and it deletes old ones: the
 * spec reads the folder all along so no segment goes unseen.
 */
class WrittenSegments {
  readonly hashes = new Set<string>();
  private readonly read = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly dir: string) {
    this.timer = setInterval(() => this.scan(), 200);
  }

  scan(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
    } catch {
      return; // not created yet
    }
    for (const name of names) {
      if (this.read.has(name)) continue;
      try {
        this.hashes.add(sha256(readFileSync(path.join(this.dir, name))));
        this.read.add(name);
      } catch {
        // deleted by ffmpeg meanwhile
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

describe('e2e: OBS (ffmpeg over RTMP) → npm start -- --ingest → a Chromium viewer plays', function () {
  this.timeout(240_000);
  let demo: ChildProcess;
  let output = '';
  let base: string;
  let runDir: string;
  let browser: Browser | undefined;
  let publisher: Publisher | undefined;
  let written: WrittenSegments | undefined;

  before(async () => {
    requireLoopbackOnlyNetwork('test/e2e/obs-ingest-viewer.spec.ts');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    runDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-obs-'));
    // No key from the environment: the demo makes one and prints it, as for a new operator.
    const env: NodeJS.ProcessEnv = {
      PORT: String(port),
      INGEST_PORT: String(await freePort()),
      RELAYCAST_DEMO_RUN_DIR: runDir,
      RELAYCAST_DEMO_STREAM_KEY: undefined,
    };
    demo = spawnDemo(['--ingest'], env, (text) => (output += text));
    await untilValue(
      async () => (output.includes('Press Ctrl-C') ? true : undefined),
      'the OBS settings to be printed',
      60_000,
      250,
      () => output,
    );
    written = new WrittenSegments(path.join(runDir, 'hls'));
    browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
  });

  after(async () => {
    written?.stop();
    await publisher?.stop();
    await browser?.close();
    await stopDemo(demo);
    rmSync(runDir, { recursive: true, force: true });
  });

  it('publishing to the printed server and key makes a stream the printed viewer page plays, stored byte for byte', async () => {
    // What the operator copies into OBS, as printed.
    const server = /Server {5}(\S+)/.exec(output)?.[1];
    const key = /Stream Key (\S+)/.exec(output)?.[1];
    const viewer = /Viewer page {5}: (\S+)/.exec(output)?.[1];
    assert.ok(server && key && viewer, output);
    assert.equal(viewer, `${base}/live/demo/`);
    assert.match(server, /^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);

    // The flow it runs: the ingest's output 1 feeds r2-upload, and no hls-watch watches the folder.
    const flow = JSON.parse(readFileSync(path.join(runDir, 'userdir-ingest', 'flows.json'), 'utf8')) as Array<{ id: string; type: string; wires?: string[][] }>;
    const ingest = flow.find((n) => n.type === 'relaycast-ingest');
    const upload = flow.find((n) => n.type === 'relaycast-r2-upload');
    assert.ok(ingest && upload && ingest.wires?.[0]?.includes(upload.id), 'ingest → r2-upload');
    assert.ok(!flow.some((n) => n.type === 'relaycast-hls-watch'), 'no hls-watch in the flow');

    publisher = publishRtmp(`${server}/${key}`, PUBLISH_SECONDS);
    // The page opens on a stream that lists segments (one opened earlier waits out the offline backoff: viewer-page.spec).
    const media = `${base}/live/demo/main.m3u8`;
    await untilPlaylistLists(media, 2, 'the ingested stream to list two segments', () => `${publisher?.stderr()}\n${output.slice(-2000)}`);

    const page: Page = await (await browser!.newContext()).newPage();
    await page.goto(viewerUrl(base, 'demo'));
    await watchIntegrity(page);
    const started = await untilValue(
      async () => {
        const f = await figures(page);
        return f.currentTime > 0 ? f.currentTime : undefined;
      },
      'playback to start',
      60_000,
      250,
    );
    await until(async () => {
      const f = await figures(page);
      return f.currentTime > started + 3 * SEGMENT_SECONDS && f.checked >= 3;
    }, 'playback to move past three more segments, each fragment hashed');

    const f = await figures(page);
    assert.deepEqual(f.fatal, [], 'no fatal hls.js error');
    assert.equal(f.bad, 0, 'every fragment hls.js received hashes to the digest the pipeline announced');
    assert.ok(f.joined, 'the page joined the swarm');
    const status = (await page.evaluate('window.relaycastViewer.status().state')) as string;
    assert.equal(status, 'live');
    assert.ok(publisher.process.exitCode === null, 'the publisher is still live: playback ran on the ingested stream');

    // The playlist lists only segments stored exactly as the ingest's ffmpeg wrote them.
    written!.scan();
    const served = parseMediaPlaylist(await (await fetch(media)).text()).segments;
    assert.ok(served.length >= 3, `${served.length} segments listed`);
    for (const segment of served) {
      const stored = await fetchBytes(segment.uri);
      assert.equal(stored.status, 200, segment.uri);
      assert.ok(written!.hashes.has(sha256(stored.bytes)), `${segment.uri} holds the bytes of a segment the ingest's ffmpeg wrote`);
    }
    assert.ok(!output.includes('E_INGEST'), `no ingest error: ${output.slice(-2000)}`);
  });
});
