/**
 * Swarm benchmark: N viewers of the bundled viewer page in one headless Chromium, loopback only,
 * against a real pipeline (live encoder → hls-watch → r2-upload → local S3 → manifest → signaling).
 * For each N it runs plain hls.js over HTTP and the Relaycast P2P loader in the same run, and prints
 * per mode (`supporter` is P2P with one headless supporter, the relaycast-supporter command, in
 * the swarm) per mode: P2P share of segment bytes (whole run and steady state), origin segment and playlist
 * requests per viewer-minute, stalls, time to first frame, hls.js latency and wall-clock latency
 * (from PROGRAM-DATE-TIME), and machine CPU.
 *
 *   npx tsx bench/viewer-swarm.ts [--viewers 4,8,12] [--seconds 120] [--repeats 1] [--modes http,p2p,supporter] [--ladder 1] [--spread 1]
 *
 * The encoder is a real ffmpeg (640x360, ~0.9 Mb/s, 2 s segments) when ffmpeg is installed, else
 * the demo encoder replaying the ts-single fixture (~0.4 Mb/s). `--ladder 1`: ffmpeg writes a
 * three-rung ladder (640x360 / 480x270 / 320x180 at 1.4 Mb/s / 600 kb/s / 270 kb/s, aligned
 * keyframes, a master playlist), and every row also prints the played bitrate (time-weighted
 * bitrate of the level playing, sampled each second of playback) and hls.js's level switches.
 * `--spread 1` caps viewer i at rung i mod 3 (hls.js autoLevelCapping), so that on loopback the
 * viewers sit on every rung as capped downlinks would put them; without it every viewer may climb.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startLiveEncoder } from './support/live-encoder';
import { launchChromium, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../test/support/chromium';
import { latest, processUsage, startSupporter, type SupporterProcess } from '../test/support/supporter-process';
import { firstRendition, startSwarmPipeline, type SwarmPipeline } from '../test/support/swarm';
import { until } from '../test/support/until';
import { confinedToLoopback } from './support/loopback-only';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const VIEWERS = (args.get('viewers') ?? '4,8').split(',').map(Number);
const SECONDS = Number(args.get('seconds') ?? 120);
const REPEATS = Number(args.get('repeats') ?? 1);
type Mode = 'http' | 'p2p' | 'supporter';
const MODES = (args.get('modes') ?? 'http,p2p').split(',') as Mode[];
const SUPPORTER_TOKEN = 'bench-supporter-token-0123456789abcdef';
const STEADY_AFTER_S = 30;
const STREAM = 'bench';
const LADDER = args.get('ladder') === '1';
const SPREAD = args.get('spread') === '1';

interface ViewerFigures {
  timeline: Record<string, number>;
  http: number;
  p2p: number;
  httpSegments: number;
  stalls: number;
  firstFrameMs?: number;
  latency?: number;
  wallLatencyMs?: number;
  playing: boolean;
  /** Mean bitrate (bits/s) of the level playing, over the seconds it played; switches: LEVEL_SWITCHED count. */
  playedBitrate?: number;
  switches: number;
}

/**
 * Installed before the page runs: once the viewer page publishes its player, samples each second
 * the bitrate of the level playing (while the video plays) and counts level switches.
 */
const LEVEL_WATCH = `(() => {
  let viewer;
  window.levelWatch = { sum: 0, seconds: 0, switches: 0 };
  Object.defineProperty(window, 'relaycastViewer', {
    configurable: true,
    get() { return viewer; },
    set(v) {
      viewer = v;
      v.hls.on('hlsLevelSwitched', () => { window.levelWatch.switches++; });
      setInterval(() => {
        const video = document.getElementById('video');
        const level = v.hls.levels && v.hls.levels[v.hls.currentLevel];
        if (!level || !video || video.paused || video.readyState < 3) return;
        window.levelWatch.sum += level.bitrate;
        window.levelWatch.seconds++;
      }, 1000);
    },
  });
})()`;

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function read(page: Page): Promise<ViewerFigures> {
  return page.evaluate(() => {
    const w = window as any;
    const v = w.relaycastViewer;
    const s = v?.stats?.();
    const video = document.getElementById('video') as HTMLVideoElement;
    return {
      timeline: v?.playback.timeline ?? {},
      http: s?.httpBytes ?? 0,
      p2p: s?.p2pBytes ?? 0,
      httpSegments: s?.httpSegments ?? 0,
      stalls: v?.playback.stalls ?? 0,
      firstFrameMs: v?.playback.firstFrameMs,
      latency: v?.playback.latencySeconds(),
      wallLatencyMs: v?.playback.wallLatencyMs(),
      playing: !video.paused && video.currentTime > 0,
      playedBitrate: w.levelWatch.seconds > 0 ? w.levelWatch.sum / w.levelWatch.seconds : undefined,
      switches: w.levelWatch.switches,
    };
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** One browser context per viewer: its own HTTP cache and storage, as distinct viewers have. */
async function newViewer(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.grantPermissions(['camera', 'microphone']);
  const page = await context.newPage();
  await page.addInitScript(LEVEL_WATCH);
  return { context, page };
}

const announcements = (pipeline: SwarmPipeline): number => Number(pipeline.stats[pipeline.stats.length - 1]?.announcements ?? 0);

async function run(pipeline: SwarmPipeline, browser: Browser, mode: Mode, n: number) {
  let supporter: SupporterProcess | undefined;
  if (mode === 'supporter') {
    supporter = startSupporter(pipeline.base, STREAM, await firstRendition(pipeline.base, STREAM), SUPPORTER_TOKEN);
    await until(() => latest(supporter!)?.swarms?.[0]?.joined === true, 'the supporter to join', 60_000, 100);
  }
  const pages: Page[] = [];
  const contexts: BrowserContext[] = [];
  const segmentsBefore = pipeline.segmentRequests();
  const playlistsBefore = pipeline.counts.playlists;
  const startedAt = Date.now();
  for (let i = 0; i < n; i++) {
    const { context, page } = await newViewer(browser);
    contexts.push(context);
    await page.goto(viewerUrl(pipeline.base, STREAM) + (mode === 'http' ? '&relaycast=0' : ''));
    if (SPREAD) {
      // hls.js's levels are sorted by bitrate: viewer i may climb no higher than rung i mod 3.
      await page.waitForFunction(() => (window as any).relaycastViewer?.hls.levels?.length > 0);
      await page.evaluate((cap) => {
        (window as any).relaycastViewer.hls.autoLevelCapping = cap;
      }, i % 3);
    }
    pages.push(page);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const cpu0 = cpuTimes();
  await new Promise((r) => setTimeout(r, STEADY_AFTER_S * 1000));
  const mid = await Promise.all(pages.map(read));
  const steadyStart = {
    at: Date.now(),
    segmentGets: pipeline.segmentRequests(),
    announced: announcements(pipeline),
    supporter: supporter && { usage: processUsage(supporter.child.pid!), uploaded: latest(supporter)!.uploadedBytes as number },
  };
  await new Promise((r) => setTimeout(r, (SECONDS - STEADY_AFTER_S) * 1000));
  const end = await Promise.all(pages.map(read));
  const cpu1 = cpuTimes();
  const steadyAnnounced = Math.max(1, announcements(pipeline) - steadyStart.announced);
  let supporterFigures: Record<string, number> | undefined;
  if (supporter && steadyStart.supporter) {
    const usage = processUsage(supporter.child.pid!);
    const uploadedMB = ((latest(supporter)!.uploadedBytes as number) - steadyStart.supporter.uploaded) / 1e6;
    const seconds = (Date.now() - steadyStart.at) / 1000;
    supporterFigures = {
      uploadMBps: uploadedMB / seconds,
      cpuMsPerMB: (usage.cpuMs - steadyStart.supporter.usage.cpuMs) / Math.max(1e-9, uploadedMB),
      rssMB: usage.rssBytes / 1e6,
      peers: latest(supporter)!.peers as number,
    };
    supporter.child.kill('SIGTERM');
    await supporter.exited;
  }
  const minutes = (Date.now() - startedAt) / 60_000;
  const sum = (xs: ViewerFigures[], k: 'http' | 'p2p') => xs.reduce((a, f) => a + f[k], 0);
  const whole = sum(end, 'p2p') / Math.max(1, sum(end, 'p2p') + sum(end, 'http'));
  const steadyP2p = sum(end, 'p2p') - sum(mid, 'p2p');
  const steadyHttp = sum(end, 'http') - sum(mid, 'http');
  const result = {
    mode,
    viewers: n,
    p2pShareWhole: whole,
    p2pShareSteady: steadyP2p / Math.max(1, steadyP2p + steadyHttp),
    minViewerShare: Math.min(...end.map((f) => f.p2p / Math.max(1, f.p2p + f.http))),
    segmentRequestsPerViewerMinute: (pipeline.segmentRequests() - segmentsBefore) / (n * minutes),
    /** Steady state: origin segment GETs per new segment (per rendition with a ladder), and how many of them viewers made. */
    originRequestsPerSegment: (pipeline.segmentRequests() - steadyStart.segmentGets) / steadyAnnounced,
    viewerHttpSegmentsPerSegment: (end.reduce((a, f) => a + f.httpSegments, 0) - mid.reduce((a, f) => a + f.httpSegments, 0)) / steadyAnnounced,
    supporter: supporterFigures,
    playlistRequestsPerViewerMinute: (pipeline.counts.playlists - playlistsBefore) / (n * minutes),
    stalls: end.reduce((a, f) => a + f.stalls, 0),
    notPlaying: end.filter((f) => !f.playing).length,
    firstFrameMsMedian: median(end.map((f) => f.firstFrameMs ?? NaN).filter(Number.isFinite)),
    latencySecondsMedian: median(end.map((f) => f.latency ?? NaN).filter(Number.isFinite)),
    wallLatencySecondsMedian: median(end.map((f) => (f.wallLatencyMs ?? NaN) / 1000).filter(Number.isFinite)),
    cpuBusy: (cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total),
    playedBitrateMean: end.reduce((a, f) => a + (f.playedBitrate ?? 0), 0) / Math.max(1, end.filter((f) => f.playedBitrate !== undefined).length),
    switches: end.reduce((a, f) => a + f.switches, 0),
    /** Median ms since navigation of each start-up step: where time to first frame goes. */
    startup: Object.fromEntries(
      ['master', 'media', 'fragRequested', 'fragLoaded', 'fragBuffered', 'playing'].map((step) => [
        step,
        median(end.map((f) => f.timeline[step] ?? NaN).filter(Number.isFinite)),
      ]),
    ),
  };
  for (const context of contexts) await context.close();
  return result;
}

async function main(): Promise<void> {
  if (!confinedToLoopback(__filename)) return;
  const pipeline = await startSwarmPipeline({ stream: STREAM, ...(MODES.includes('supporter') ? { supporters: { bench: SUPPORTER_TOKEN } } : {}) });
  const encoder = startLiveEncoder(pipeline.hlsDir, LADDER);
  // hls-watch takes the folder name as the rendition of a single-variant stream; wait for the stream.
  for (let i = 0; i < 120; i++) {
    const res = await fetch(`${pipeline.base}/live/${STREAM}/master.m3u8`).catch(() => undefined);
    if (res?.ok) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  pipeline.counts.playlists = 0;
  await new Promise((r) => setTimeout(r, 8000)); // a few segments in the window before the first viewer
  const browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
  console.log(
    `viewer swarm bench: ${encoder.kind}; ${SECONDS} s per run, steady state after ${STEADY_AFTER_S} s; viewers join 1 s apart; Chromium ${browser.version()}`,
  );
  const rows: Array<Record<string, unknown>> = [];
  try {
    for (const n of VIEWERS) {
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        for (const mode of MODES) {
          const r = await run(pipeline, browser, mode, n);
          rows.push(r);
          console.log(JSON.stringify({ ...r, repeat }));
        }
      }
    }
  } finally {
    await browser.close();
    await encoder.stop();
    await pipeline.stop();
  }
  console.log(
    "\n| mode | N | P2P share (whole / steady) | min viewer | origin segment req/viewer-min | origin req per segment (viewers' part) | playlist req/viewer-min | stalls | TTFF p50 | hls.js latency | wall latency | played bitrate | switches | CPU |",
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows as any[]) {
    console.log(
      `| ${r.mode} | ${r.viewers} | ${pct(r.p2pShareWhole)} / ${pct(r.p2pShareSteady)} | ${pct(r.minViewerShare)} | ${r.segmentRequestsPerViewerMinute.toFixed(2)} | ${r.originRequestsPerSegment.toFixed(2)} (${r.viewerHttpSegmentsPerSegment.toFixed(2)}) | ${r.playlistRequestsPerViewerMinute.toFixed(2)} | ${r.stalls}${r.notPlaying ? ` (${r.notPlaying} not playing)` : ''} | ${(r.firstFrameMsMedian / 1000).toFixed(2)} s | ${r.latencySecondsMedian.toFixed(1)} s | ${r.wallLatencySecondsMedian.toFixed(1)} s | ${(r.playedBitrateMean / 1000).toFixed(0)} kb/s | ${r.switches} | ${pct(r.cpuBusy)} |`,
    );
  }
  // The loader against plain hls.js, side by side in this run (the ABR issue's targets).
  for (const n of VIEWERS) {
    const http = (rows as any[]).filter((r) => r.mode === 'http' && r.viewers === n);
    const p2p = (rows as any[]).filter((r) => r.mode === 'p2p' && r.viewers === n);
    if (http.length === 0 || p2p.length === 0) continue;
    const mean = (xs: any[], k: string) => xs.reduce((a, r) => a + r[k], 0) / xs.length;
    console.log(
      `N = ${n}: played bitrate loader ÷ plain hls.js = ${(mean(p2p, 'playedBitrateMean') / mean(http, 'playedBitrateMean')).toFixed(3)}; switches loader ${mean(p2p, 'switches').toFixed(1)} vs plain ${mean(http, 'switches').toFixed(1)}; TTFF p50 loader − plain = ${((mean(p2p, 'firstFrameMsMedian') - mean(http, 'firstFrameMsMedian')) / 1000).toFixed(2)} s`,
    );
  }
  for (const r of (rows as any[]).filter((x) => x.supporter)) {
    console.log(
      `supporter, N = ${r.viewers}: upload ${r.supporter.uploadMBps.toFixed(2)} MB/s to ${r.supporter.peers} peers, ${r.supporter.cpuMsPerMB.toFixed(0)} ms CPU per MB relayed, RSS ${r.supporter.rssMB.toFixed(0)} MB`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
