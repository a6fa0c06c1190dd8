// The viewer end to end: the bundled viewer page (hls.js + the Relaycast P2P loader) in headless
// Chromium, several viewers each in its own browser context, against a live pipeline (demo encoder →
// hls-watch → r2-upload → local S3 → manifest → signaling) in a real Node-RED runtime. WebRTC runs on
// loopback only: the spec runs in a network namespace with only `lo` (npm run test:webrtc), Chromium
// gathers 127.0.0.1 candidates (--allow-loopback-in-peer-connection, camera permission granted), the
// page keeps only those, and every connected candidate pair is checked to be 127.0.0.1 ↔ 127.0.0.1.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { launchChromium, requireLoopbackOnlyNetwork, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../support/chromium';
import { startSwarmPipeline, type SwarmPipeline } from '../support/swarm';
import { until as untilHolds } from '../support/until';
import { connectedCandidatePairs, figures, until, watchIntegrity } from '../support/viewer-pages';

const STREAM = 'e2e';
const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');
const SUPPORTER_TOKEN = 'alice-supporter-token-0123456789';
const HLS_JS = readFileSync(require.resolve('hls.js/dist/hls.min.js'));

interface Viewer {
  context: BrowserContext;
  page: Page;
  name: string;
}

describe('e2e: the viewer page and its P2P swarm in headless Chromium', function () {
  this.timeout(600_000);
  let pipeline: SwarmPipeline;
  let encoder: DemoEncoder;
  let browser: Browser;
  const viewers: Viewer[] = [];

  async function openViewer(name: string, initScript?: string, fragment = ''): Promise<Viewer> {
    const context = await browser.newContext();
    await context.grantPermissions(['camera', 'microphone']);
    if (initScript) await context.addInitScript({ content: initScript });
    const page = await context.newPage();
    await page.goto(viewerUrl(pipeline.base, STREAM) + fragment);
    await watchIntegrity(page);
    const viewer = { context, page, name };
    viewers.push(viewer);
    return viewer;
  }

  before(async () => {
    requireLoopbackOnlyNetwork('test/e2e/viewer-swarm.spec.ts');
    // Some specs here pair two pages on their own (run alone with --grep, nobody else is in the swarm):
    // a swarm links from three members by default.
    pipeline = await startSwarmPipeline({ stream: STREAM, statsInterval: 2, supporters: { alice: SUPPORTER_TOKEN }, signaling: { minSwarmForLinks: 2 } });
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: pipeline.hlsDir, speed: 1, loop: true });
    await encoder.start();
    browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
    // A few segments in the window before anyone watches.
    await until(() => pipeline.stats.some((s) => (s.announcements as number) >= 3), 'three announced segments');
  });

  after(async () => {
    for (const v of viewers.splice(0)) await v.context.close().catch(() => undefined);
    await browser?.close();
    await encoder?.stop().catch(() => undefined);
    await pipeline?.stop();
  });

  it('six viewers for 90 s: continuous playback, peer bytes for every viewer, almost no origin playlist requests, receipts, nothing corrupt', async () => {
    const playlistsBefore = pipeline.counts.playlists;
    const startedAt = Date.now();
    for (let i = 0; i < 6; i++) await openViewer(`viewer${i}`);
    await until(async () => (await Promise.all(viewers.map((v) => figures(v.page)))).every((f) => f.currentTime > 0), 'every viewer to start playing');
    const startTimes = await Promise.all(viewers.map(async (v) => (await figures(v.page)).currentTime));
    // Play on for 90 s of media on every viewer: the condition is media time, not a sleep.
    await until(
      async () => (await Promise.all(viewers.map((v) => figures(v.page)))).every((f, i) => f.currentTime - startTimes[i] >= 90),
      '90 s of playback on every viewer',
      180_000,
    );
    const all = await Promise.all(viewers.map((v) => figures(v.page)));
    const viewerMinutes = (6 * (Date.now() - startedAt)) / 60_000;
    for (const [i, f] of all.entries()) {
      assert.equal(f.stalls, 0, `viewer${i} stalled: ${JSON.stringify(f.stallLog)}`);
      assert.deepEqual(f.fatal, [], `viewer${i} had a fatal hls.js error`);
      assert.ok(f.p2p > 0, `viewer${i} received peer bytes (${JSON.stringify(f)})`);
      assert.ok(f.checked > 40, `viewer${i}: every fragment hls.js got was hashed (${f.checked})`);
      assert.equal(f.bad, 0, `viewer${i}: a fragment reached hls.js that does not match its SHA-256`);
    }
    const p2p = all.reduce((a, f) => a + f.p2p, 0);
    const http = all.reduce((a, f) => a + f.http, 0);
    // With one HTTP fetch per segment per swarm the share approaches 1 − 1/6 ≈ 83 %; start-up costs some.
    assert.ok(p2p / (p2p + http) > 0.5, `P2P share ${(p2p / (p2p + http)).toFixed(3)}`);
    const playlistRate = (pipeline.counts.playlists - playlistsBefore) / viewerMinutes;
    assert.ok(playlistRate <= 0.5, `origin playlist requests per viewer-minute: ${playlistRate.toFixed(2)} (plain hls.js polls ~30)`);
    assert.ok(
      all.every((f) => f.fromSwarm > 30),
      'playlists were served from the swarm socket',
    );
    assert.ok(pipeline.receipts.length > 0, "receipts reached the signaling node's receipt output");
    for (const r of pipeline.receipts) {
      assert.ok((r.bytes as number) > 0 && (r.bytes as number) <= (r.segmentSize as number));
      assert.notEqual((r.uploader as { peer: string }).peer, (r.downloader as { peer: string }).peer);
    }
    // WebRTC stayed on loopback: every connected candidate pair of every viewer is 127.0.0.1 ↔ 127.0.0.1.
    for (const v of viewers) {
      const pairs = await connectedCandidatePairs(v.page);
      assert.ok(pairs.length > 0, `${v.name} has connected candidate pairs`);
      for (const [local, remote] of pairs) assert.deepEqual([local, remote], ['127.0.0.1', '127.0.0.1'], `${v.name}: a pair off loopback`);
    }
    // The signaling node adds up what the audience reported.
    const audience = (pipeline.stats[pipeline.stats.length - 1].audience as Array<Record<string, number>>)[0];
    assert.ok(audience.reporting >= 5 && audience.p2pBytes > 0, JSON.stringify(audience));
  });

  it('shows the stats panel and chart: share from peers, peers, uploads, money saved (screenshot)', async () => {
    const page = viewers[0].page;
    const panel = await page.evaluate(() => ({
      share: document.getElementById('share')!.textContent,
      peers: document.getElementById('peers')!.textContent,
      fromPeers: document.getElementById('from-peers')!.textContent,
      saved: document.getElementById('saved')!.textContent,
      stalls: document.getElementById('stalls')!.textContent,
      latency: document.getElementById('latency')!.textContent,
      chartPoints: (window as any).relaycastViewer.chart.points(),
      canvas: document.querySelector('#chart canvas') !== null,
      legend: document.querySelector('#chart .u-legend')?.textContent ?? '',
    }));
    assert.match(panel.share!, /^[1-9]\d?%$|^100%$/, `share from peers shown: ${panel.share}`);
    assert.ok(Number(panel.peers) >= 1, `peers connected shown: ${panel.peers}`);
    assert.match(panel.fromPeers!, /\d+(\.\d)? (KB|MB)/);
    assert.match(panel.saved!, /^(\$\d+\.\d\d|< \$0\.01)$/, 'money in whole cents');
    assert.equal(panel.stalls, '0');
    assert.match(panel.latency!, /^\d+\.\d s$/);
    assert.ok(panel.canvas && panel.chartPoints >= 30, `chart drawn with ${panel.chartPoints} points`);
    assert.match(panel.legend, /peers/);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'relaycast-viewer-')), 'viewer.png');
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: file });
    assert.ok(statSync(file).size > 20_000, 'a screenshot with content');
    // Phone width: the panel moves below the player and stays readable.
    await page.setViewportSize({ width: 390, height: 844 });
    const layout = await page.evaluate(() => {
      const video = document.getElementById('video')!.getBoundingClientRect();
      const stats = document.getElementById('stats')!.getBoundingClientRect();
      return { below: stats.top >= video.bottom - 1, fits: stats.right <= window.innerWidth + 1 && video.right <= window.innerWidth + 1 };
    });
    assert.deepEqual(layout, { below: true, fits: true });
    console.log(`      screenshot: ${file}`);
  });

  it('a peer that leaves mid-transfer and a signaling redeploy mid-stream cause no stall', async () => {
    const before = await Promise.all(viewers.map((v) => figures(v.page)));
    // Two viewers vanish at once (their links close mid-transfer), then the whole flow is redeployed.
    for (const v of viewers.splice(4, 2)) await v.context.close();
    await pipeline.redeploy();
    const remaining = viewers.slice(0, 4);
    await until(
      async () => (await Promise.all(remaining.map((v) => figures(v.page)))).every((f, i) => f.joined && f.peerId !== before[i].peerId),
      'every viewer to rejoin the new signaling node',
      60_000,
    );
    const rejoined = await Promise.all(remaining.map((v) => figures(v.page)));
    await until(
      async () => (await Promise.all(remaining.map((v) => figures(v.page)))).every((f, i) => f.currentTime - rejoined[i].currentTime >= 20),
      '20 s more playback',
      90_000,
    );
    const after = await Promise.all(remaining.map((v) => figures(v.page)));
    for (const [i, f] of after.entries()) {
      assert.equal(f.stalls, 0, `viewer${i} stalled: ${JSON.stringify(f.stallLog)}`);
      assert.deepEqual(f.fatal, []);
      assert.equal(f.bad, 0);
    }
    assert.ok(after.reduce((a, f) => a + f.p2p, 0) > rejoined.reduce((a, f) => a + f.p2p, 0), 'peers keep sharing after the redeploy');
  });

  it('detects and drops a corrupting peer; no corrupt segment reaches hls.js', async () => {
    // The liar's page flips one byte in the middle of every DATA frame (type 3) it sends.
    const liar = await openViewer(
      'liar',
      `
      const send = RTCDataChannel.prototype.send;
      RTCDataChannel.prototype.send = function (data) {
        if (data instanceof Uint8Array && data[0] === 3 && data.byteLength > 100) { data = data.slice(); data[data.byteLength >> 1] ^= 0xff; }
        return send.call(this, data);
      };`,
    );
    await until(async () => (await figures(liar.page)).joined, 'the liar to join');
    const liarId = (await figures(liar.page)).peerId!;
    await until(() => pipeline.audit.some((a) => a.kind === 'report' && a.accused === liarId), 'an honest viewer to report the liar', 120_000);
    const report = pipeline.audit.find((a) => a.kind === 'report' && a.accused === liarId)!;
    assert.equal(report.code, 'PEER_BAD_HASH');
    const honest = await Promise.all(viewers.filter((v) => v !== liar).map((v) => figures(v.page)));
    assert.ok(
      honest.some((f) => f.dropped.includes(`${liarId}:hash`)),
      'the receiving viewer dropped the liar',
    );
    for (const f of honest) {
      assert.equal(f.bad, 0, 'no fragment that fails its SHA-256 reached hls.js');
      assert.equal(f.stalls, 0);
    }
    const liarReceipts = pipeline.receipts.filter((r) => (r.uploader as { peer: string }).peer === liarId);
    assert.equal(liarReceipts.length, 0, 'corrupt deliveries are never receipted');
    await liar.context.close();
    viewers.splice(viewers.indexOf(liar), 1);
  });

  it("a supporter's viewer page relays the stream and is paid exactly for the bytes viewers confirmed", async () => {
    pipeline.receive('pay', { topic: 'supporter', payload: { id: 'alice', name: 'Alice', address: 'alice@example.org' } });
    const fromAlice = () => pipeline.receipts.filter((r) => (r.uploader as { supporter?: string }).supporter === 'alice');
    const alice = await openViewer('alice', undefined, `#supporter=${SUPPORTER_TOKEN}`);
    await until(async () => (await figures(alice.page)).joined, 'the supporter to join');
    assert.equal(new URL(alice.page.url()).hash, '', 'the token left the address bar');
    // The panel refreshes once a second.
    await until(
      async () => (await alice.page.evaluate(() => document.getElementById('mode')!.textContent)) === 'P2P · supporter',
      'the panel to show the supporter role',
    );
    // Supporters are named first fetchers: the swarm's segments now come from alice.
    await until(() => fromAlice().length >= 8, 'viewers to confirm eight deliveries from the supporter', 120_000);
    const credited = (list: Array<Record<string, unknown>>) => list.reduce((n, r) => n + (r.bytes as number), 0);
    const before = credited(fromAlice());
    const statement = new Promise<Record<string, unknown>>((resolve) => {
      const check = () => {
        if (pipeline.statements.length > 0) resolve(pipeline.statements[0]);
        else setTimeout(check, 100);
      };
      check();
    });
    pipeline.receive('pay', { topic: 'settle', payload: { period: 'browsers', pool: { amount: 1000, currency: 'EUR' } } });
    const { lines, totals } = (await statement) as { lines: Array<Record<string, unknown>>; totals: Record<string, number> };
    const after = credited(fromAlice());
    assert.deepEqual(
      lines.map((l) => [l.supporter, l.paid, l.address]),
      [['alice', 1000, 'alice@example.org']],
      'only the supporter is paid; viewers never are',
    );
    const paidBytes = lines[0].bytes as number;
    assert.ok(paidBytes >= before && paidBytes <= after, `paid for ${paidBytes} bytes, signaling credited ${before}–${after}`);
    assert.equal(totals.paid, 1000);
    const everything = JSON.stringify([pipeline.receipts, pipeline.audit, pipeline.stats, pipeline.statements, pipeline.payoutAudit]);
    assert.ok(!everything.includes(SUPPORTER_TOKEN), 'the token is in no msg');
    await alice.context.close();
    viewers.splice(viewers.indexOf(alice), 1);
  });

  it('works from any hls.js page: plain hls.js plus the classic relaycast-hls.js script', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['camera', 'microphone']);
    const page = await context.newPage();
    const html = `<!doctype html><html><body><video id="v" muted playsinline></video>
      <script src="/vendor/hls.min.js"></script>
      <script src="/relaycast/viewer/relaycast-hls.js"></script>
      <script>
        const { config, session } = Relaycast.relaycastHlsConfig({
          signalingUrl: '/relaycast/signal',
          candidateFilter: (c) => / 127\\.0\\.0\\.1 /.test(c),
        });
        const hls = new Hls(config);
        session.attach(hls);
        hls.loadSource('/live/${STREAM}/master.m3u8');
        hls.attachMedia(document.getElementById('v'));
        hls.on(Hls.Events.MANIFEST_PARSED, () => document.getElementById('v').play());
        window.custom = { session, hls };
      </script></body></html>`;
    // The page and hls.js itself are the page author's, on the same host but not from Node-RED.
    pipeline.serve('/custom.html', 'text/html', html);
    pipeline.serve('/vendor/hls.min.js', 'text/javascript', HLS_JS);
    await page.goto(`${pipeline.base}/custom.html`);
    const read = () =>
      page.evaluate(`(() => {
      const s = window.custom.session.stats();
      return { p2p: s ? s.p2pBytes : 0, time: document.getElementById('v').currentTime, fromSwarm: s ? s.playlistsFromSwarm : 0 };
    })()`) as Promise<{ p2p: number; time: number; fromSwarm: number }>;
    await until(
      async () => {
        const f = await read();
        return f.time > 10 && f.p2p > 0;
      },
      'the custom page to play and take bytes from peers',
      90_000,
    );
    const f = await read();
    assert.ok(f.fromSwarm > 0, 'its playlists came over the socket too');
    await context.close();
  });

  it("a master playlist that answers 404 is retried exactly as plain hls.js retries it (hls.js's own loader and policy)", async () => {
    // A viewer who opens the page before the stream starts: the master answers 404. The page's
    // policy retries 4xx twice; the loader's HTTP is hls.js's own loader, so it must do the same.
    const page = (relaycast: boolean, stream: string) => `<!doctype html><html><body><video id="v" muted></video>
      <script src="/vendor/hls.min.js"></script>
      <script src="/relaycast/viewer/relaycast-hls.js"></script>
      <script>
        const policy = { manifestLoadPolicy: { default: {
          maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 20000, timeoutRetry: null,
          errorRetry: { maxNumRetry: 2, retryDelayMs: 100, maxRetryDelayMs: 100, shouldRetry: (config, count) => count < config.maxNumRetry },
        } } };
        const config = ${relaycast} ? Relaycast.relaycastHlsConfig({ signalingUrl: '/relaycast/signal' }, policy).config : policy;
        const hls = new Hls(config);
        window.fatal = [];
        hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.fatal.push(d.details + ':' + (d.response ? d.response.code : '')); });
        hls.loadSource('/live/${stream}/master.m3u8');
        hls.attachMedia(document.getElementById('v'));
      </script></body></html>`;
    pipeline.serve('/vendor/hls.min.js', 'text/javascript', HLS_JS);
    const outcomes: Record<string, { fatal: string[]; requests: number }> = {};
    for (const [name, relaycast] of [
      ['plain', false],
      ['loader', true],
    ] as const) {
      const stream = `not-started-${name}`;
      pipeline.serve(`/${name}-404.html`, 'text/html', page(relaycast, stream));
      const context = await browser.newContext();
      const tab = await context.newPage();
      await tab.goto(`${pipeline.base}/${name}-404.html`);
      await until(async () => ((await tab.evaluate('window.fatal.length')) as number) > 0, `the ${name} page to give up on the master`);
      outcomes[name] = { fatal: (await tab.evaluate('window.fatal')) as string[], requests: pipeline.requestsFor(`/live/${stream}/master.m3u8`) };
      await context.close();
    }
    assert.deepEqual(outcomes.plain, { fatal: ['manifestLoadError:404'], requests: 3 }, 'plain hls.js: the first request and two retries');
    assert.deepEqual(outcomes.loader, outcomes.plain, 'the loader retries and fails exactly as plain hls.js');
  });

  it('shares peer to peer from a page that is not a secure context (plain HTTP at a host name), verifying every peer byte without crypto.subtle', async () => {
    // Chromium gives no crypto.subtle to http://relaycast.test (mapped to 127.0.0.1 here): the loader
    // must verify with its pure-JS SHA-256 instead of giving up P2P. Fragments are hashed in Node.
    const insecure = await launchChromium([...WEBRTC_LOOPBACK_ARGS, '--host-resolver-rules=MAP relaycast.test 127.0.0.1']);
    try {
      const base = pipeline.base.replace('127.0.0.1', 'relaycast.test');
      const pages: Page[] = [];
      const digests: Array<{ checked: number; bad: number }> = [];
      for (let i = 0; i < 2; i++) {
        const context = await insecure.newContext();
        await context.grantPermissions(['camera', 'microphone']);
        const page = await context.newPage();
        const tally = { checked: 0, bad: 0 };
        digests.push(tally);
        await page.exposeFunction('sha256InNode', (base64: string, expected: string) => {
          tally.checked++;
          if (createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex') !== expected) tally.bad++;
        });
        await page.goto(viewerUrl(base, STREAM));
        await page.waitForFunction(() => (window as any).relaycastViewer !== undefined);
        await page.evaluate(`(() => {
          const v = window.relaycastViewer;
          v.hls.on('hlsFragLoaded', (_e, d) => {
            const engine = v.session && v.session.peerEngine;
            const sequence = engine && engine.store.sequenceOf(d.frag.url);
            if (sequence === undefined) return;
            const bytes = new Uint8Array(d.payload.slice(0));
            let binary = '';
            for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
            window.sha256InNode(btoa(binary), engine.store.meta(sequence).sha256);
          });
        })()`);
        pages.push(page);
      }
      const context = await pages[0].evaluate(() => ({ secure: window.isSecureContext, subtle: typeof globalThis.crypto?.subtle }));
      assert.deepEqual(context, { secure: false, subtle: 'undefined' }, 'the page is not a secure context and has no crypto.subtle');
      let seen: unknown[] = [];
      const state = (p: Page) =>
        p.evaluate(() => {
          const v = (window as any).relaycastViewer;
          return {
            stats: v.stats() ?? null,
            time: (document.getElementById('video') as HTMLVideoElement).currentTime,
            mode: document.getElementById('mode')?.textContent,
          };
        });
      await untilHolds(
        async () => {
          seen = await Promise.all(pages.map(state));
          // currentTime is on the live timeline, so "> 8" alone can hold at once: wait too for the fragments the assertions count.
          // Each page shares (receives or uploads: the swarm picks one fetcher per segment by spare
          // upload, and a page picked for every segment uploads all and receives nothing), and at
          // least one received peer bytes, every one of them verified without crypto.subtle.
          const pageStates = seen as Array<{ stats: { p2pBytes: number; uploadedBytes: number } | null; time: number }>;
          const sharing = pageStates.every((f) => f.stats !== null && f.stats.p2pBytes + f.stats.uploadedBytes > 0 && f.time > 8);
          const received = pageStates.some((f) => f.stats !== null && f.stats.p2pBytes > 0);
          return sharing && received && digests.length === pages.length && digests.every((d) => d.checked > 3);
        },
        'both insecure pages to play and share, one to receive peer bytes, and each to have more than 3 fragments hashed in Node',
        120_000,
        250,
        () => JSON.stringify(seen),
      );
      for (const [i, page] of pages.entries()) {
        const f = await page.evaluate(() => (window as any).relaycastViewer.stats());
        assert.equal(f.droppedPeers, 0, `page ${i}: no peer dropped`);
        assert.ok(digests[i].checked > 3, `page ${i}: fragments hashed in Node (${digests[i].checked})`);
        assert.equal(digests[i].bad, 0, `page ${i}: a fragment that does not match its SHA-256 reached hls.js`);
      }
    } finally {
      await insecure.close();
    }
  });

  it('plays over HTTP on a page without RTCPeerConnection', async () => {
    const plain = await openViewer('no-webrtc', 'delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;');
    await until(async () => (await figures(plain.page)).currentTime > 12, '12 s of playback without WebRTC', 90_000);
    const f = await figures(plain.page);
    assert.equal(f.webrtc, false);
    assert.equal(f.p2p, 0);
    assert.equal(f.uploaded, 0);
    assert.ok(f.http > 0);
    assert.equal(f.stalls, 0);
    assert.equal(f.bad, 0);
    assert.ok(f.fromSwarm > 0, 'it still takes playlists from the socket');
    const mode = await plain.page.evaluate(() => document.getElementById('mode')!.textContent);
    assert.equal(mode, 'HTTP only (no WebRTC)');
  });
});
