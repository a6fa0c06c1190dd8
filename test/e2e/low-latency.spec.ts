// Low-latency mode end to end: a real ffmpeg writing 1 s segments, the signaling node set to `low`,
// two viewer pages in headless Chromium (loopback-only namespace, as the viewer swarm spec). The
// pages play through the loader two segments behind live, take peer bytes, take their playlists
// from the socket as deltas (no digest mismatch), and every playlist version the origin serves
// passes the RFC 8216 validator.
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PlaylistHistory, errorsOf, formatViolations } from '../../devtools/hls-validator';
import { startLiveEncoder, type LiveEncoder } from '../../bench/support/live-encoder';
import { launchChromium, requireLoopbackOnlyNetwork, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../support/chromium';
import { firstRendition, startSwarmPipeline, type SwarmPipeline } from '../support/swarm';
import { figures, until, watchIntegrity } from '../support/viewer-pages';

const STREAM = 'low';

describe('e2e: low-latency mode (1 s segments from a real ffmpeg, two segments behind live)', function () {
  this.timeout(300_000);
  let pipeline: SwarmPipeline;
  let encoder: LiveEncoder;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    requireLoopbackOnlyNetwork('test/e2e/low-latency.spec.ts');
    pipeline = await startSwarmPipeline({ stream: STREAM, signaling: { latency: 'low', minSwarmForLinks: 2 } });
    encoder = startLiveEncoder(pipeline.hlsDir, '360p', 1);
    browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
    await until(() => pipeline.stats.some((s) => (s.announcements as number) >= 4), 'four announced 1 s segments', 90_000);
  });

  after(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
    await browser?.close();
    await encoder?.stop();
    await pipeline?.stop();
  });

  async function openViewer(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    await context.grantPermissions(['camera', 'microphone']);
    const page = await context.newPage();
    await page.goto(viewerUrl(pipeline.base, STREAM));
    await watchIntegrity(page);
    return page;
  }

  it('plays through the loader with peer bytes, two 1 s segments behind live, from pushed deltas; every served version is valid', async () => {
    const rendition = await firstRendition(pipeline.base, STREAM);
    // Every version the origin serves, read as a player would (a version lasts about a second).
    const history = new PlaylistHistory({ requireAbsoluteUris: true });
    const violations: string[] = [];
    let versions = 0;
    let last = '';
    let polling = true;
    let polls = 0;
    const poll = (async () => {
      while (polling) {
        polls++;
        const text = await (await fetch(`${pipeline.base}/live/${STREAM}/${rendition}.m3u8`)).text();
        if (text !== last) {
          last = text;
          versions++;
          const found = errorsOf(history.push(text));
          if (found.length > 0) violations.push(`${text}\n${formatViolations(found)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    try {
      // The origin counts every playlist request, this spec's own polls too.
      const playlistsBefore = pipeline.counts.playlists - polls;
      const pages = [await openViewer(), await openViewer()];
      for (const [i, page] of pages.entries()) {
        await until(
          async () => (await figures(page)).p2p > 0 && (await figures(page)).checked >= 10,
          `viewer ${i}: peer bytes and ten verified fragments`,
          120_000,
        );
      }
      for (const page of pages) {
        const f = await figures(page);
        assert.equal(f.bad, 0, 'every fragment hls.js got equals its announced hash');
        assert.deepEqual(f.fatal, []);
        const player = (await page.evaluate(`(() => {
          const v = window.relaycastViewer;
          const details = v.hls.levels[v.hls.currentLevel].details;
          return {
            liveSyncDurationCount: v.hls.config.liveSyncDurationCount,
            targetDuration: details && details.targetduration,
            targetLatency: v.hls.targetLatency,
            mismatches: v.session.peerEngine.playlistFeed.mismatches,
            mode: document.getElementById('latency-mode').textContent,
            stalls: v.playback.stalls,
            stallLog: JSON.stringify(v.playback.stallLog),
          };
        })()`)) as Record<string, unknown> & { targetLatency: number; stalls: number; stallLog: string };
        // hls.js moves its target a second further back after a stall (liveSyncOnStallIncrease, at most
        // one target duration): two 1 s segments behind live, or three once the player has stalled.
        const { targetLatency, stalls, stallLog, ...config } = player;
        assert.ok(targetLatency === 2 || (targetLatency === 3 && stalls > 0), `target latency ${targetLatency} s after ${stalls} stalls: ${stallLog}`);
        assert.deepEqual(config, { liveSyncDurationCount: 2, targetDuration: 1, mismatches: 0, mode: 'low (1 s segments)' });
      }
      // The pages' media playlists came from the socket (deltas applied and verified), not from polling.
      const fromPages = pipeline.counts.playlists - polls - playlistsBefore;
      assert.ok(fromPages <= 4, `${fromPages} playlist requests from two pages`);
    } finally {
      polling = false;
      await poll;
    }
    assert.ok(versions >= 10, `${versions} served versions checked`);
    assert.deepEqual(violations, []);
  });
});
