// The bundled viewer page tells the truth about the stream and about sharing, in headless Chromium
// against a real pipeline (demo encoder → hls-watch → r2-upload → local S3 → manifest → signaling in
// a real Node-RED runtime), loopback only (npm run test:webrtc):
//   - opened before the stream exists it says offline (no red LIVE badge), and its re-starts of the
//     missing master grow sparser; the stream starting makes it live (red badge), the encoder's
//     ENDLIST makes it ended. The badge's pixels are read from screenshots in each state;
//   - ?p2p=0 makes no RTCPeerConnection at all, says so, and is remembered across a reload; the
//     toggle turns sharing back on.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { launchChromium, requireLoopbackOnlyNetwork, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../support/chromium';
import { startSwarmPipeline, type SwarmPipeline } from '../support/swarm';
import { until } from '../support/viewer-pages';

const STREAM = 'e2e';
const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');
const MASTER_PATH = `/live/${STREAM}/master.m3u8`;

/** Counts RTCPeerConnections the page constructs (installed before the page's own scripts). */
const COUNT_PEER_CONNECTIONS = `(() => {
  window.peerConnectionsMade = 0;
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.peerConnectionsMade++; }
  };
})()`;

interface Shown {
  state: string;
  badge: string;
  status: string;
  mode: string;
  latency: string;
  currentTime: number;
  restarts: number;
  p2pChosen: boolean;
  toggle: boolean;
  peerConnectionsMade: number;
  peers: number;
}

/** What the page shows. A string, not a function: the test runner's transpiler would add helpers the page lacks. */
function shown(page: Page): Promise<Shown> {
  return page.evaluate(`(() => {
    const w = window;
    const text = (id) => document.getElementById(id).textContent || '';
    const status = (w.relaycastViewer && w.relaycastViewer.status()) || {};
    const stats = w.relaycastViewer && w.relaycastViewer.stats();
    return {
      state: status.state || 'none',
      badge: text('badge'),
      status: text('status'),
      mode: text('mode'),
      latency: text('latency'),
      currentTime: document.getElementById('video').currentTime,
      restarts: status.restarts || 0,
      p2pChosen: status.p2pChosen,
      toggle: document.getElementById('p2p-toggle').checked,
      peerConnectionsMade: w.peerConnectionsMade === undefined ? -1 : w.peerConnectionsMade,
      peers: (stats && stats.peers) || 0,
    };
  })()`) as Promise<Shown>;
}

/**
 * The share of the badge's pixels that are LIVE red (#e11d48), decoded from a PNG screenshot of the
 * badge by the browser itself.
 */
async function redShareOfBadge(page: Page, saveAs: string): Promise<number> {
  await page.screenshot({ path: saveAs });
  const png = await page.locator('#badge').screenshot();
  return page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    let red = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 180 && data[i + 1] < 80 && data[i + 2] < 120) red++;
    return red / (data.length / 4);
  }, png.toString('base64'));
}

describe('e2e: the viewer page says what the stream is doing and whether it shares', function () {
  this.timeout(300_000);
  let pipeline: SwarmPipeline;
  let browser: Browser;
  let encoder: DemoEncoder | undefined;
  const contexts: BrowserContext[] = [];
  const shots = mkdtempSync(path.join(os.tmpdir(), 'relaycast-viewer-states-'));

  async function open(url: string, initScript?: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    contexts.push(context);
    await context.grantPermissions(['camera', 'microphone']);
    if (initScript) await context.addInitScript({ content: initScript });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (window as any).relaycastViewer !== undefined);
    return page;
  }

  async function startEncoder(): Promise<void> {
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: pipeline.hlsDir, speed: 1, loop: true });
    await encoder.start();
  }

  // Each case gets its own pipeline: the first ends its stream (ENDLIST), and a stream restarted on
  // the same pipeline after an end is not what the second case is about.
  beforeEach(async () => {
    requireLoopbackOnlyNetwork('test/e2e/viewer-page.spec.ts');
    pipeline = await startSwarmPipeline({ stream: STREAM, statsInterval: 2, signaling: { minSwarmForLinks: 2 } });
    browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
    await browser?.close();
    await encoder?.stop().catch(() => undefined);
    encoder = undefined;
    await pipeline?.stop();
  });

  it('offline (no red badge, re-starts back off, words steady) → live (red badge, behind live) → ended at ENDLIST (no red badge, behind live blank)', async () => {
    // Opened before the stream exists: its master answers 404.
    const masterRequests: number[] = [];
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    contexts.push(context);
    await context.grantPermissions(['camera', 'microphone']);
    const page = await context.newPage();
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === MASTER_PATH) masterRequests.push(Date.now());
    });
    await page.goto(viewerUrl(pipeline.base, STREAM));
    let seen: Shown | undefined;
    await until(async () => (seen = await shown(page)).badge === 'offline', 'the page to say offline');
    // Until five requests of the missing master: what the page shows must not flip meanwhile.
    const wordsWhileOffline = new Set<string>();
    await until(
      async () => {
        seen = await shown(page);
        wordsWhileOffline.add(`${seen.badge} | ${seen.status} | ${seen.latency}`);
        return masterRequests.length >= 5;
      },
      'five requests of the missing master',
      90_000,
    );
    assert.deepEqual([...wordsWhileOffline], ['offline | Not started yet, or offline. This page keeps checking and starts by itself. | –']);
    assert.ok(!/live/i.test(seen!.badge), 'a missing stream shows no LIVE badge');
    assert.equal(await redShareOfBadge(page, path.join(shots, '1-offline.png')), 0, 'the offline badge has no LIVE red');
    // hls.js's own policy does not retry a 404 (a 5xx or a timeout it would); the page's re-starts then grow.
    const gaps = masterRequests.slice(1).map((t, i) => t - masterRequests[i]);
    const early = Math.max(gaps[0], gaps[1]);
    const late = Math.max(gaps[gaps.length - 1], gaps[gaps.length - 2]);
    assert.ok(late >= 2 * early, `requests for the missing master become sparser: gaps ${gaps.join(', ')} ms`);

    // The stream starts: the page picks it up by itself.
    await startEncoder();
    await until(
      async () => (seen = await shown(page)).badge === 'live' && seen.latency !== '–',
      'the page to say live, with its distance behind live',
      120_000,
    );
    assert.equal(seen!.state, 'live');
    assert.equal(seen!.status, '');
    assert.match(seen!.latency, /^\d+\.\d s$/);
    const liveRed = await redShareOfBadge(page, path.join(shots, '2-live.png'));
    assert.ok(liveRed > 0.4, `the live badge is LIVE red (${liveRed.toFixed(2)} of its pixels)`);

    // The encoder ends (EXT-X-ENDLIST after the manifest's end grace): the page says ended.
    await encoder!.stop();
    await until(async () => (seen = await shown(page)).badge === 'ended', 'the page to say ended', 90_000);
    assert.equal(seen!.state, 'ended');
    assert.equal(seen!.status, 'The stream has ended.');
    assert.equal(seen!.latency, '–', 'no distance behind live once ended');
    assert.equal(await redShareOfBadge(page, path.join(shots, '3-ended.png')), 0, 'the ended badge has no LIVE red');
    writeFileSync(path.join(shots, 'README.txt'), 'viewer page screenshots: 1 offline, 2 live, 3 ended\n');
    console.log(`      screenshots: ${shots}`);
  });

  it('?p2p=0: no peer connection at all, the page says so, the choice survives a reload, and the toggle turns sharing back on', async () => {
    await startEncoder();
    const url = viewerUrl(pipeline.base, STREAM);
    // Two sharing viewers link with each other: the swarm is there to join.
    const sharing = [await open(url, COUNT_PEER_CONNECTIONS), await open(url, COUNT_PEER_CONNECTIONS)];
    const optedOut = await open(`${url}&p2p=0`, COUNT_PEER_CONNECTIONS);
    let states: Shown[] = [];
    await until(
      async () => {
        states = await Promise.all([...sharing, optedOut].map(shown));
        return states.every((s) => s.state === 'live' && s.currentTime > 4) && states[0].peers >= 1 && states[1].peers >= 1;
      },
      'three viewers playing, the two sharing ones linked',
      120_000,
    );
    const out = states[2];
    assert.equal(out.peerConnectionsMade, 0, 'the opted-out page made no RTCPeerConnection');
    assert.equal(out.peers, 0);
    assert.equal(out.mode, 'HTTP only (P2P off: you opted out)');
    assert.equal(out.toggle, false, 'the toggle shows sharing off');
    assert.ok(states[0].peerConnectionsMade > 0, 'the sharing pages did make peer connections (the count works)');

    // A reload without ?p2p=0 remembers the choice.
    await optedOut.goto(url);
    await optedOut.waitForFunction(() => (window as any).relaycastViewer !== undefined);
    let again: Shown | undefined;
    await until(async () => (again = await shown(optedOut)).state === 'live' && again.currentTime > 4, 'the reloaded page to play');
    assert.equal(again!.p2pChosen, false);
    assert.equal(again!.toggle, false);
    assert.equal(again!.mode, 'HTTP only (P2P off: you opted out)');
    assert.equal(again!.peerConnectionsMade, 0);
    assert.equal(await optedOut.evaluate(() => localStorage.getItem('relaycast.p2p')), '0');

    // Ticking the toggle turns sharing on (remembered; the page reloads) and the page links.
    await Promise.all([optedOut.waitForEvent('load'), optedOut.click('#p2p-toggle')]);
    await optedOut.waitForFunction(() => (window as any).relaycastViewer !== undefined);
    await until(async () => (again = await shown(optedOut)).peers >= 1, 'the page, sharing again, to link with a peer', 120_000);
    assert.equal(again!.p2pChosen, true);
    assert.ok(again!.peerConnectionsMade > 0);
    assert.equal(await optedOut.evaluate(() => localStorage.getItem('relaycast.p2p')), '1');
  });
});
