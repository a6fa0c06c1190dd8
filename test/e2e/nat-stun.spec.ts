// Two homes behind NAT, each router dropping unsolicited inbound traffic as real home routers do,
// and the origin (a real Node-RED with the demo-like pipeline) on the lab's internet at 198.18.0.1.
// One Chromium viewer per home, with no camera permission (mDNS host candidates, as real viewers).
// With the signaling node's built-in STUN the two viewers link through their NATs (server-
// reflexive or peer-reflexive pairs, never host to host) and peer bytes reach the players intact;
// with iceMode 'none' and the same homes, no link forms and no byte comes from a peer. So the
// built-in STUN, and nothing else, is what makes the link.
//
// It needs real network namespaces, so it runs inside a network lab (devtools/netlab), as root:
//   npx tsx devtools/netlab/cli.ts exec -- npx mocha test/e2e/nat-stun.spec.ts
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { readMedia, MEDIA_WATCH, type MediaFigures } from '../../bench/support/media-watch';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { homeChromium, Lab, ORIGIN_ADDRESS, preflight, type HomeSpec } from '../../devtools/netlab';
import { launchChromium } from '../support/chromium';
import { startSwarmPipeline, type SwarmPipeline } from '../support/swarm';
import { figures, until, watchIntegrity } from '../support/viewer-pages';

const STREAM = 'nat';
const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');
/** Segments this page holds that peers delivered (every byte from a peer), with their bytes, base64. */
async function peerDeliveredSegments(page: Page): Promise<Array<{ url: string; base64: string }>> {
  return page.evaluate(`(() => {
    const engine = window.relaycastViewer.session.peerEngine;
    const out = [];
    window.mediaWatch.peerBySequence.forEach((peer, sequence) => {
      const meta = engine.store.meta(sequence);
      const bytes = engine.store.bytes(sequence);
      if (!meta || !bytes || peer !== meta.size) return;
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      out.push({ url: meta.url, base64: btoa(binary) });
    });
    return out;
  })()`) as Promise<Array<{ url: string; base64: string }>>;
}

const home = (index: number): HomeSpec => ({ index, nat: 'endpoint-independent', udpBlocked: false, uploadOff: false });

interface Swarm {
  pipeline: SwarmPipeline;
  encoder: DemoEncoder;
  browsers: Browser[];
  pages: Page[];
}

describe('e2e: two viewers behind home NATs link only through the built-in STUN', function () {
  this.timeout(600_000);
  const lab = Lab.current();
  let swarm: Swarm | undefined;

  before(function () {
    if (lab) return;
    const check = preflight();
    if (!check.ok) {
      console.log(`      skipped: ${check.reason}`);
      this.skip();
    }
    throw new Error('this spec runs inside a network lab: npx tsx devtools/netlab/cli.ts exec -- npx mocha test/e2e/nat-stun.spec.ts');
  });

  async function startSwarm(signaling: Record<string, unknown>): Promise<Swarm> {
    // Two viewers must be introduced in both cases (a swarm links from three members by default), so
    // that 'none' fails for want of a path through the NATs, not for want of a neighbour.
    const pipeline = await startSwarmPipeline({ stream: STREAM, host: ORIGIN_ADDRESS, statsInterval: 2, signaling: { minSwarmForLinks: 2, ...signaling } });
    const encoder = new DemoEncoder({ fixture: FIXTURE, outDir: pipeline.hlsDir, speed: 1, loop: true });
    swarm = { pipeline, encoder, browsers: [], pages: [] };
    await encoder.start();
    await until(() => pipeline.stats.some((s) => (s.announcements as number) >= 3), 'three announced segments');
    for (const spec of [home(1), home(2)]) {
      const h = lab!.addHome(spec);
      const launch = homeChromium(lab!.dir, h, pipeline.base);
      const browser = await launchChromium(launch.args, launch.executablePath);
      swarm.browsers.push(browser);
      // No permissions granted: the page's host candidates are mDNS names.
      const page = await (await browser.newContext()).newPage();
      await page.addInitScript(MEDIA_WATCH);
      await page.goto(`${pipeline.base}/live/${STREAM}/`);
      await watchIntegrity(page);
      swarm.pages.push(page);
    }
    return swarm;
  }

  async function stopSwarm(): Promise<void> {
    if (!swarm) return;
    const { pipeline, encoder, browsers } = swarm;
    swarm = undefined;
    for (const b of browsers) await b.close().catch(() => undefined);
    await encoder.stop().catch(() => undefined);
    await pipeline.stop();
    lab?.removeHome(1);
    lab?.removeHome(2);
  }

  afterEach(stopSwarm);
  after(() => lab?.close());

  const read = (s: Swarm): Promise<MediaFigures[]> => Promise.all(s.pages.map(readMedia));

  it('with the built-in STUN: both viewers link through their NATs and play peer bytes that match the origin', async () => {
    const s = await startSwarm({ iceMode: 'relaycast', publicHost: ORIGIN_ADDRESS });
    await until(async () => (await read(s)).every((f) => f.playedFromPeers > 0 && f.pairs.length > 0), 'both viewers to play bytes from the other', 180_000);
    console.log(`      selected pairs: ${(await read(s)).map((f, i) => `viewer ${i + 1} ${f.pairs.join(' ')}`).join('; ')}`);
    for (const [i, f] of (await read(s)).entries()) {
      assert.ok(f.peerReceived > 0, `viewer ${i + 1} received peer bytes`);
      for (const pair of f.pairs) {
        const [local, remote] = pair.split('-');
        assert.ok(remote === 'srflx' || remote === 'prflx', `viewer ${i + 1}: the remote end of ${pair} is the other home's NAT mapping`);
        assert.notEqual(`${local}-${remote}`, 'host-host', `viewer ${i + 1}: a host-to-host pair cannot cross two NATs`);
      }
      // Byte for byte: what peers delivered is what the origin serves at the same URL.
      const delivered = await peerDeliveredSegments(s.pages[i]);
      assert.ok(delivered.length > 0, `viewer ${i + 1} holds segments that peers delivered`);
      for (const segment of delivered) {
        const origin = Buffer.from(await (await fetch(new URL(segment.url, s.pipeline.base))).arrayBuffer());
        assert.ok(origin.equals(Buffer.from(segment.base64, 'base64')), `viewer ${i + 1}: ${segment.url} from a peer differs from the origin's bytes`);
      }
      const page = await figures(s.pages[i]);
      assert.ok(page.checked > 0, `viewer ${i + 1}: fragments were hashed`);
      assert.equal(page.bad, 0, `viewer ${i + 1}: a fragment differs from the bytes the origin announced`);
    }
  });

  it("with iceMode 'none' and the same homes: no link, no peer byte, playback over HTTP", async () => {
    const s = await startSwarm({ iceMode: 'none' });
    await until(async () => (await Promise.all(s.pages.map(figures))).every((f) => f.currentTime > 0), 'both viewers to start playing');
    const start = await Promise.all(s.pages.map(async (p) => (await figures(p)).currentTime));
    // Long enough for links to form: the STUN run above links within seconds.
    await until(
      async () => (await Promise.all(s.pages.map(figures))).every((f, i) => f.currentTime - start[i] >= 30),
      '30 s of playback on both viewers',
      180_000,
    );
    // Signaling did its part: one viewer's offer reached the other and the answer came back, so the
    // missing link is for want of a path through the NATs, not for want of an exchange.
    const signals = (await Promise.all(s.pages.map((p) => p.evaluate('window.mediaWatch.signals')))) as Array<Record<string, number>>;
    const exchanged = signals.some((r, i) => (r.offer ?? 0) > 0 && (signals[1 - i].answer ?? 0) > 0);
    assert.ok(exchanged, `an offer to one viewer and its answer to the other, by frames received: ${JSON.stringify(signals)}`);
    for (const [i, f] of (await read(s)).entries()) {
      assert.equal(f.peerReceived, 0, `viewer ${i + 1} received no peer bytes`);
      assert.deepEqual(f.pairs, [], `viewer ${i + 1} has no connected pair`);
      assert.ok(f.played > 0, `viewer ${i + 1} played over HTTP`);
    }
  });
});
