// LL-HLS over plain HTTP, end to end: a real ffmpeg writes 1/3 s MPEG-TS parts, the part packager
// groups them into 1 s segments (lib/ll-hls), and a real Node-RED runs hls-watch → r2-upload →
// manifest against a local S3 server. hls.js in headless Chromium, in its low-latency mode and with
// no P2P loader, plays the stream from the parts (EXT-X-PART, blocking reload on _HLS_msn and
// _HLS_part); every playlist version manifest serves passes the RFC 8216 and LL-HLS validator.
// The wall-clock latency it reached is printed, not asserted (this machine is shared).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { PlaylistHistory, errorsOf, formatViolations } from '../../devtools/hls-validator';
import { startPartEncoder, type LiveEncoder } from '../../bench/support/live-encoder';
import { launchChromium } from '../support/chromium';
import { startSwarmPipeline, type SwarmPipeline } from '../support/swarm';
import { until } from '../support/until';

const STREAM = 'll';
const HLS_JS = readFileSync(require.resolve('hls.js/dist/hls.min.js'));
/** Media seconds hls.js must play from parts. */
const SECONDS_TO_PLAY = 15;

const PAGE = `<!doctype html><html><body>
<video id="v" muted playsinline style="width:320px"></video>
<script src="/hls.min.js"></script>
<script>
  window.report = { errors: [], parts: 0, fragments: 0, blocking: 0 };
  const video = document.getElementById('v');
  const hls = new Hls({ lowLatencyMode: true });
  window.hls = hls;
  hls.on(Hls.Events.ERROR, (_e, d) => window.report.errors.push({ fatal: d.fatal, type: d.type, details: d.details }));
  hls.on(Hls.Events.FRAG_LOADED, (_e, d) => { if (d.part) window.report.parts++; else window.report.fragments++; });
  hls.on(Hls.Events.LEVEL_LOADED, (_e, d) => { if (/_HLS_part=/.test(d.details.url)) window.report.blocking++; });
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
  hls.loadSource('/live/${STREAM}/master.m3u8');
  hls.attachMedia(video);
</script></body></html>`;

describe('e2e: LL-HLS parts from a real ffmpeg, played by hls.js in low-latency mode over HTTP', function () {
  this.timeout(240_000);
  let pipeline: SwarmPipeline;
  let encoder: LiveEncoder;
  let browser: Browser;
  const history = new PlaylistHistory({ requireAbsoluteUris: true });
  const violations: string[] = [];
  let withParts = 0;

  before(async () => {
    pipeline = await startSwarmPipeline({
      stream: STREAM,
      // Every version manifest serves, in order: one per part, so no poller could see them all.
      onPlaylist: (msg) => {
        if (msg.playlist.rendition === null) return;
        const found = errorsOf(history.push(msg.payload));
        if (found.length > 0) violations.push(`${msg.payload}\n${formatViolations(found)}`);
        if (/#EXT-X-PART:/.test(msg.payload) && /#EXT-X-PRELOAD-HINT:TYPE=PART/.test(msg.payload)) withParts++;
      },
    });
    pipeline.serve('/', 'text/html', PAGE);
    pipeline.serve('/hls.min.js', 'text/javascript', HLS_JS);
    encoder = startPartEncoder(pipeline.hlsDir);
    browser = await launchChromium();
    await until(() => withParts >= 6, 'playlist versions listing parts', 60_000, 100);
  });

  after(async () => {
    await browser?.close();
    await encoder?.stop();
    await pipeline?.stop();
  });

  it('plays from parts, with blocking reloads, and every served version passes the LL-HLS rules', async () => {
    const page: Page = await browser.newPage();
    try {
      await page.goto(`${pipeline.base}/`);
      const played = () => page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
      await until(async () => (await played()) > 0, 'playback to start', 60_000, 100);
      const start = await played();
      await until(async () => (await played()) - start >= SECONDS_TO_PLAY, `${SECONDS_TO_PLAY} s of media played`, 120_000, 250);
      const report = (await page.evaluate('window.report')) as { errors: Array<{ fatal: boolean }>; parts: number; fragments: number; blocking: number };
      const live = (await page.evaluate(`(() => {
        const hls = window.hls;
        const details = hls.levels[hls.currentLevel].details;
        return { partTarget: details.partTarget, canBlockReload: details.canBlockReload, latency: hls.latency, playingDate: hls.playingDate && hls.playingDate.getTime(), now: Date.now() };
      })()`)) as { partTarget: number; canBlockReload: boolean; latency: number; playingDate: number | null; now: number };
      assert.deepEqual(
        report.errors.filter((e) => e.fatal),
        [],
        JSON.stringify(report.errors),
      );
      assert.ok(report.parts >= 3 * SECONDS_TO_PLAY * 0.5, `hls.js loaded ${report.parts} parts (and ${report.fragments} whole segments)`);
      assert.ok(report.blocking > 0, 'hls.js asked for playlists with _HLS_msn and _HLS_part');
      assert.equal(live.canBlockReload, true);
      assert.equal(live.partTarget, 0.334);
      const wall = live.playingDate ? ((live.now - live.playingDate) / 1000).toFixed(2) : 'unknown';
      console.log(
        `      LL-HLS over HTTP: wall-clock latency ${wall} s (PROGRAM-DATE-TIME to the playhead), hls.js latency ${live.latency.toFixed(2)} s; ` +
          `${report.parts} parts and ${report.fragments} whole segments loaded, ${report.blocking} blocking playlist reloads with _HLS_part`,
      );
    } finally {
      await page.close();
    }
    assert.ok(history.versions.length >= 3 * SECONDS_TO_PLAY, `${history.versions.length} served versions checked`);
    assert.deepEqual(violations, []);
    assert.deepEqual(pipeline.caught, [], 'no node reported an error');
  });
});
