// The headless supporter peer end to end: the `relaycast-supporter` command (Node, @roamhq/wrtc,
// the browser viewer's peer engine unchanged) in its own process, and four viewer pages in headless
// Chromium, against a live pipeline in a real Node-RED runtime (demo encoder → hls-watch →
// r2-upload → local S3 → manifest → signaling → payout). It proves that a Node supporter and
// Chromium viewers interoperate over WebRTC on loopback, that the supporter takes the swarm's HTTP
// fetches so the viewers get almost everything from peers, that its uploads come out of signaling
// as receipts and out of payout as exactly that credit, that a wrong token earns nothing, and that
// killing it mid-stream stalls no one. Runs in the loopback-only namespace (npm run test:webrtc).
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { launchChromium, requireLoopbackOnlyNetwork, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../support/chromium';
import { latest, startSupporter, type SupporterProcess } from '../support/supporter-process';
import { firstRendition, startSwarmPipeline, type SwarmPipeline } from '../support/swarm';
import { connectedCandidatePairs, figures, until, watchIntegrity, type PageFigures } from '../support/viewer-pages';

const STREAM = 'sup';
const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');
const TOKEN = 'bob-supporter-token-abcdefghijklmnop';
const VIEWERS = 4;

const share = (fs: PageFigures[]) => {
  const p2p = fs.reduce((a, f) => a + f.p2p, 0);
  const http = fs.reduce((a, f) => a + f.http, 0);
  return p2p / Math.max(1, p2p + http);
};

describe('e2e: the headless supporter command relays to Chromium viewers', function () {
  this.timeout(600_000);
  let pipeline: SwarmPipeline;
  let encoder: DemoEncoder;
  let browser: Browser;
  let rendition: string;
  const viewers: Array<{ context: BrowserContext; page: Page }> = [];
  const supporters: SupporterProcess[] = [];
  const fromBob = () => pipeline.receipts.filter((r) => (r.uploader as { supporter?: string }).supporter === 'bob');
  const all = () => Promise.all(viewers.map((v) => figures(v.page)));

  before(async () => {
    requireLoopbackOnlyNetwork('test/e2e/supporter-peer.spec.ts');
    pipeline = await startSwarmPipeline({ stream: STREAM, statsInterval: 2, supporters: { bob: TOKEN } });
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: pipeline.hlsDir, speed: 1, loop: true });
    await encoder.start();
    browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
    await until(() => pipeline.stats.some((s) => (s.announcements as number) >= 3), 'three announced segments');
    rendition = await firstRendition(pipeline.base, STREAM);
    if (process.env.RELAYCAST_DEBUG_SUPPORTER) console.log('rendition', rendition);
  });

  after(async () => {
    for (const s of supporters) s.child.kill('SIGKILL');
    for (const v of viewers.splice(0)) await v.context.close().catch(() => undefined);
    await browser?.close();
    await encoder?.stop().catch(() => undefined);
    await pipeline?.stop();
  });

  it('a supporter with a wrong token is refused and earns nothing; it leaves cleanly on SIGTERM', async () => {
    const impostor = startSupporter(pipeline.base, STREAM, rendition, 'not-bobs-token-0000000000000000');
    supporters.push(impostor);
    await until(() => impostor.stderr.join('').includes('E_SIGNAL_UNAUTHORIZED'), 'the refusal');
    await until(() => latest(impostor)?.refused === 'E_SIGNAL_UNAUTHORIZED', 'the refusal in its figures');
    assert.equal(latest(impostor)!.peers, 0);
    assert.equal(fromBob().length, 0, 'no receipt names the supporter');
    assert.ok(!impostor.stderr.join('').includes('not-bobs-token'), 'the token is not printed');
    impostor.child.kill('SIGTERM');
    assert.equal(await impostor.exited, 0, 'it leaves cleanly on SIGTERM');
  });

  it(`one supporter and ${VIEWERS} Chromium viewers: no stalls, ≥ 95 % of steady-state bytes from peers, the supporter the only HTTP fetcher, paid exactly for the confirmed bytes`, async () => {
    pipeline.receive('pay', { topic: 'supporter', payload: { id: 'bob', name: 'Bob', address: 'bob@example.org' } });
    const bob = startSupporter(pipeline.base, STREAM, rendition, TOKEN);
    supporters.push(bob);
    await until(() => latest(bob)?.swarms?.[0]?.joined === true, 'the supporter to join');
    for (let i = 0; i < VIEWERS; i++) {
      const context = await browser.newContext();
      await context.grantPermissions(['camera', 'microphone']);
      const page = await context.newPage();
      await page.goto(viewerUrl(pipeline.base, STREAM));
      await watchIntegrity(page);
      viewers.push({ context, page });
    }
    await until(async () => (await all()).every((f) => f.currentTime > 0), 'every viewer to start playing');
    // Steady state: once every viewer has linked the supporter and played 10 s.
    await until(() => (latest(bob)?.peers ?? 0) >= VIEWERS, `the supporter linked to all ${VIEWERS} viewers`);
    const t0 = await all();
    await until(async () => (await all()).every((f, i) => f.currentTime - t0[i].currentTime >= 10), '10 s of playback');
    const start = await all();
    const segmentGets = pipeline.segmentRequests();
    const announcedAt = pipeline.stats[pipeline.stats.length - 1].announcements as number;
    await until(async () => (await all()).every((f, i) => f.currentTime - start[i].currentTime >= 40), '40 s more playback', 120_000);
    const end = await all();
    const steady = end.map((f, i) => ({ ...f, p2p: f.p2p - start[i].p2p, http: f.http - start[i].http }));
    for (const [i, f] of end.entries()) {
      assert.equal(f.stalls, 0, `viewer${i} stalled: ${JSON.stringify(f.stallLog)}`);
      assert.deepEqual(f.fatal, [], `viewer${i} had a fatal hls.js error`);
      assert.equal(f.bad, 0, `viewer${i}: a fragment did not match its SHA-256`);
      assert.ok(steady[i].p2p > 0, `viewer${i} got peer bytes`);
    }
    const steadyShare = share(steady);
    console.log(`      P2P share with a supporter: ${(steadyShare * 100).toFixed(1)} % steady state, ${(share(end) * 100).toFixed(1)} % whole run`);
    assert.ok(steadyShare >= 0.95, `steady-state P2P share ${(steadyShare * 100).toFixed(1)} % (target ≥ 95 %)`);
    // Origin segment GETs over the interval: the viewers' own HTTP fetches (deadline fallbacks, if
    // any) aside, at most one per new segment (±1 at each end: stats come every 2 s), the supporter's.
    const announced = (pipeline.stats[pipeline.stats.length - 1].announcements as number) - announcedAt;
    const gets = pipeline.segmentRequests() - segmentGets;
    const viewerGets = end.reduce((a, f, i) => a + f.httpSegments - start[i].httpSegments, 0);
    assert.ok(gets - viewerGets <= announced + 2, `${gets} origin segment requests (${viewerGets} by viewers) for ${announced} new segments`);
    assert.ok(gets - viewerGets >= announced - 2, `the supporter fetched the new segments (${gets - viewerGets} for ${announced})`);
    assert.ok(latest(bob)!.uploadedBytes > 0 && latest(bob)!.fetchedBytes > 0, JSON.stringify(latest(bob)));
    // Chromium ↔ Node WebRTC stayed on loopback.
    for (const v of viewers) for (const pair of await connectedCandidatePairs(v.page)) assert.deepEqual(pair, ['127.0.0.1', '127.0.0.1']);

    // What viewers confirmed becomes receipts naming bob, and payout pays exactly those bytes.
    await until(() => fromBob().length >= 8, 'receipts naming the supporter');
    const credited = () => fromBob().reduce((n, r) => n + (r.bytes as number), 0);
    const before = credited();
    assert.ok(before <= latest(bob)!.uploadedBytes, 'credit never exceeds what the supporter sent');
    const statementAt = pipeline.statements.length;
    pipeline.receive('pay', { topic: 'settle', payload: { period: 'node-supporter', pool: { amount: 500, currency: 'EUR' } } });
    await until(() => pipeline.statements.length > statementAt, 'the statement');
    const after = credited();
    const { lines } = pipeline.statements[statementAt] as { lines: Array<Record<string, unknown>> };
    assert.deepEqual(
      lines.map((l) => [l.supporter, l.paid]),
      [['bob', 500]],
      'only the supporter is paid',
    );
    const paidBytes = lines[0].bytes as number;
    assert.ok(paidBytes >= before && paidBytes <= after, `paid for ${paidBytes} bytes, signaling credited ${before}–${after}`);
    const everything = JSON.stringify([pipeline.receipts, pipeline.audit, pipeline.stats, pipeline.statements, pipeline.payoutAudit, bob.lines, bob.stderr]);
    assert.ok(!everything.includes(TOKEN), 'the token is in no msg and no output');
  });

  it('rejoins after a signaling redeploy, and killing it mid-stream stalls no viewer', async () => {
    const bob = supporters[supporters.length - 1];
    const joins = () => bob.stderr.join('').split('joined').length - 1;
    const joinedBefore = joins();
    await pipeline.redeploy();
    await until(() => joins() > joinedBefore, 'the supporter to rejoin the redeployed signaling node');
    await until(() => (latest(bob)?.peers ?? 0) >= 1, 'viewers to link the rejoined supporter');
    const beforeKill = await all();
    bob.child.kill('SIGKILL');
    await bob.exited;
    await until(async () => (await all()).every((f, i) => f.currentTime - beforeKill[i].currentTime >= 20), '20 s of playback without the supporter', 90_000);
    const afterKill = await all();
    for (const [i, f] of afterKill.entries()) {
      assert.equal(f.stalls, 0, `viewer${i} stalled: ${JSON.stringify(f.stallLog)}`);
      assert.deepEqual(f.fatal, []);
      assert.equal(f.bad, 0);
    }
    // The viewers fall back to each other (peer bytes keep coming) and to HTTP (one of them fetches).
    assert.ok(share(afterKill) > 0 && afterKill.some((f, i) => f.http > beforeKill[i].http), 'one viewer fetches over HTTP now');
    assert.ok(afterKill.reduce((a, f) => a + f.p2p, 0) > beforeKill.reduce((a, f) => a + f.p2p, 0), 'peers keep sharing');
  });
});
