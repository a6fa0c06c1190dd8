// "Put it online" as the README describes it, on loopback: Debian's Caddy runs the docs' own
// Caddyfile (docs/deploy/Caddyfile, its domain replaced by https://127.0.0.1:<port> with
// `tls internal`) in front of a live pipeline in a real Node-RED runtime. Chromium trusts Caddy's
// CA by its public key only (--ignore-certificate-errors-spki-list), opens the viewer page on
// https://, plays, takes its signaling over wss:// through Caddy, and two viewers share peer to
// peer. Segments come from a second Caddy site standing in for R2's public https URL (an https
// page cannot fetch http segments). Runs in a loopback-only network namespace (npm run test:webrtc).
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { caddyfileFromDocs, httpsStatus, startCaddy, type Caddy } from '../support/caddy';
import { launchChromium, requireLoopbackOnlyNetwork, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../support/chromium';
import { freePort, freeUdpPort } from '../support/free-port';
import { startSwarmPipeline, type SwarmPipeline } from '../support/swarm';
import { connectedCandidatePairs, figures, until, watchIntegrity } from '../support/viewer-pages';

const STREAM = 'e2e';
const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');

interface Viewer {
  context: BrowserContext;
  page: Page;
  /** URLs of the WebSockets the page opened. */
  sockets: string[];
  /** Text frames the page received on them. */
  frames: string[];
  /** URLs of the media segments the page fetched over HTTP. */
  segmentUrls: string[];
}

describe('e2e: Caddy (docs/deploy/Caddyfile) in front of Node-RED, viewers on https://', function () {
  this.timeout(300_000);
  let pipeline: SwarmPipeline;
  let encoder: DemoEncoder;
  let caddy: Caddy;
  let browser: Browser;
  let site: string;
  let httpPort: number;
  let mediaOrigin: string;
  let stunPort: number;
  const viewers: Viewer[] = [];

  async function openViewer(): Promise<Viewer> {
    const context = await browser.newContext();
    await context.grantPermissions(['camera', 'microphone']);
    const page = await context.newPage();
    const viewer: Viewer = { context, page, sockets: [], frames: [], segmentUrls: [] };
    page.on('websocket', (ws) => {
      viewer.sockets.push(ws.url());
      ws.on('framereceived', (frame) => {
        if (typeof frame.payload === 'string') viewer.frames.push(frame.payload);
      });
    });
    page.on('request', (request) => {
      if (request.url().endsWith('.ts')) viewer.segmentUrls.push(request.url());
    });
    await page.goto(viewerUrl(site, STREAM));
    await watchIntegrity(page);
    viewers.push(viewer);
    return viewer;
  }

  before(async () => {
    requireLoopbackOnlyNetwork('test/e2e/online-caddy.spec.ts');
    const httpsPort = await freePort();
    httpPort = await freePort();
    const mediaPort = await freePort();
    stunPort = await freeUdpPort();
    site = `https://127.0.0.1:${httpsPort}`;
    mediaOrigin = `https://127.0.0.1:${mediaPort}`;
    pipeline = await startSwarmPipeline({
      stream: STREAM,
      statsInterval: 2,
      mediaOrigin,
      signaling: {
        // The spec's swarm is two viewers: a swarm links from three members by default
        // (minSwarmForLinks), so two alone would never be introduced to each other.
        minSwarmForLinks: 2,
        // The README's setting: the built-in STUN on its own UDP port (not through Caddy), Caddy trusted.
        iceMode: 'relaycast',
        stunPort,
        trustedProxies: '127.0.0.1',
      },
    });
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: pipeline.hlsDir, speed: 1, loop: true });
    await encoder.start();
    const caddyfile = caddyfileFromDocs({
      httpsPort,
      httpPort,
      upstream: new URL(pipeline.base).host,
      // R2's public https URL, played by Caddy in front of the local S3 server's counting proxy.
      extraSites: `${mediaOrigin} {\n\ttls internal\n\treverse_proxy ${new URL(pipeline.segmentOrigin).host}\n}\n`,
    });
    caddy = await startCaddy(caddyfile, `${site}/live/${STREAM}/`);
    browser = await launchChromium([...WEBRTC_LOOPBACK_ARGS, `--ignore-certificate-errors-spki-list=${caddy.caSpkiHash}`]);
    await until(() => pipeline.stats.some((s) => (s.announcements as number) >= 3), 'three announced segments');
  });

  after(async () => {
    for (const v of viewers.splice(0)) await v.context.close().catch(() => undefined);
    await browser?.close();
    await caddy?.stop();
    await encoder?.stop().catch(() => undefined);
    await pipeline?.stop();
  });

  it("serves the viewer page and playlists over HTTPS from Caddy's CA, and keeps the rest of Node-RED private", async () => {
    assert.equal(await httpsStatus(`${site}/live/${STREAM}/`, caddy.rootCaPem), 200);
    assert.equal(await httpsStatus(`${site}/live/${STREAM}/master.m3u8`, caddy.rootCaPem), 200);
    // The editor and admin API are not proxied: Caddy answers 404 itself, Node-RED never sees the request.
    for (const privatePath of ['/', '/flows', '/settings']) {
      assert.equal(await httpsStatus(`${site}${privatePath}`, caddy.rootCaPem), 404, privatePath);
      assert.equal(pipeline.requestsFor(privatePath), 0, `${privatePath} reached Node-RED`);
    }
    // Plain HTTP is redirected to HTTPS by Caddy (to the default port 443, as for a real domain).
    const plain = await fetch(`http://127.0.0.1:${httpPort}/live/${STREAM}/`, { redirect: 'manual' });
    assert.equal(plain.status, 308);
    assert.equal(plain.headers.get('location'), `https://127.0.0.1/live/${STREAM}/`);
  });

  it('a Chromium viewer on https:// plays, with signaling over wss:// through Caddy and STUN pointed at the UDP port Node-RED answers itself', async () => {
    const viewer = await openViewer();
    await until(async () => {
      const f = await figures(viewer.page);
      return f.currentTime > 4 && f.checked > 2;
    }, 'the https viewer to play and hash fragments');
    const f = await figures(viewer.page);
    assert.deepEqual(f.fatal, []);
    assert.equal(f.bad, 0);
    assert.ok(f.joined, 'joined the swarm');
    assert.equal(await viewer.page.evaluate(() => window.isSecureContext), true, 'the page is a secure context');
    assert.deepEqual(viewer.sockets, [`${site.replace('https:', 'wss:')}/relaycast/signal`], 'one signaling socket, wss:// through Caddy');
    const welcome = viewer.frames.map((text) => JSON.parse(text) as { type?: string; iceServers?: unknown }).find((m) => m.type === 'welcome');
    assert.ok(welcome, 'a welcome came over the wss socket');
    // Caddy passed the Host through, so the viewer is told the host it used, with the STUN responder's own port.
    assert.match(JSON.stringify(welcome.iceServers), new RegExp(`"stun:127\\.0\\.0\\.1:${stunPort}"`));
    assert.ok(viewer.segmentUrls.length > 0, 'segments were fetched over HTTP');
    for (const url of viewer.segmentUrls) assert.ok(url.startsWith(`${mediaOrigin}/`), `segment from the https media origin: ${url}`);
    assert.ok(pipeline.segmentRequests() > 0, 'segment requests reached the store through the media site');
  });

  it('two viewers on https:// share peer to peer through it, every peer byte verified', async () => {
    const second = await openViewer();
    const pair = viewers.slice(0, 2);
    await until(
      async () => (await Promise.all(pair.map((v) => figures(v.page)))).every((f) => f.p2p > 0 && f.checked > 3),
      'both viewers to receive peer bytes',
    );
    for (const [i, v] of pair.entries()) {
      const f = await figures(v.page);
      assert.ok(f.p2p > 0, `viewer ${i + 1} received peer bytes`);
      assert.equal(f.bad, 0, `viewer ${i + 1}: a fragment that does not match its SHA-256 reached hls.js`);
      assert.deepEqual(f.fatal, []);
      const pairs = await connectedCandidatePairs(v.page);
      assert.ok(pairs.length > 0, `viewer ${i + 1} has a connected candidate pair`);
      for (const candidates of pairs) assert.deepEqual(candidates, ['127.0.0.1', '127.0.0.1']);
    }
    assert.deepEqual(second.sockets, [`${site.replace('https:', 'wss:')}/relaycast/signal`]);
    await until(() => pipeline.receipts.length > 0, "a receipt at the signaling node's output");
  });
});
