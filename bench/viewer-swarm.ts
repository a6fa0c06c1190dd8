/**
 * Swarm benchmark: N viewers of the bundled viewer page in one headless Chromium, loopback only,
 * against a real pipeline (live encoder → hls-watch → r2-upload → local S3 → manifest → signaling).
 * For each N it runs plain hls.js over HTTP and the Relaycast P2P loader in the same run, and prints
 * per mode (`supporter` is P2P with one headless supporter, the relaycast-supporter command, in
 * the swarm; `p2pml` is p2p-media-loader 2.x with its own tracker, bench/support/p2pml-baseline.ts,
 * installed on demand into bench/.baselines and skipped with the reason when it cannot be): P2P share of segment bytes (whole run and steady state), origin segment and playlist
 * requests per viewer-minute, stalls, time to first frame, hls.js latency and wall-clock latency
 * (from PROGRAM-DATE-TIME), and machine CPU.
 *
 * `bare` is hls.js with the Relaycast loader on a page without the panel, `hlsjs` plain hls.js on
 * the same panel-less page (bench/support/bare-page.ts): with `p2p` (the bundled page) they give
 * Chromium's CPU per viewer for the page, the bare loader and plain hls.js (issue 21's target: the
 * bundled page ≤ 10 % above plain hls.js), summed over Chromium's processes in the steady state.
 *
 *   npx tsx bench/viewer-swarm.ts [--viewers 4,8,12] [--seconds 120] [--repeats 1] [--modes http,p2p,supporter,p2pml,bare,hlsjs] [--ladder 1] [--spread 1] [--latency standard,low]
 *
 * `--latency standard,low` runs everything once per latency mode (lib/protocol/latency-mode.ts), each
 * on its own pipeline: the encoder's segment length and the signaling node's Latency setting (the
 * bundled page's distance to live; the bare pages and plain hls.js get the same). It prints, per
 * mode, the wall-clock latency's median and p95 over every viewer's settled samples and the R2
 * Class A writes an hour the segment length costs.
 *
 * The encoder is a real ffmpeg (640x360, ~0.9 Mb/s, 2 s segments) when ffmpeg is installed, else
 * the demo encoder replaying the ts-single fixture (~0.4 Mb/s). `--ladder 1`: ffmpeg writes a
 * three-rung ladder (640x360 / 480x270 / 320x180 at 1.4 Mb/s / 600 kb/s / 270 kb/s, aligned
 * keyframes, a master playlist), and every row also prints the played bitrate (time-weighted
 * bitrate of the level playing, sampled each second of playback) and hls.js's level switches.
 * `--spread 1` caps viewer i at rung i mod 3 (hls.js autoLevelCapping), so that on loopback the
 * viewers sit on every rung as capped downlinks would put them; without it every viewer may climb.
 *
 * Every row prints time to first frame at the median and for the slowest viewer, and the median
 * start-up timeline (ms since navigation: the page's HTML, hls.js's steps, and the loader's
 * `relaycast:*` performance marks: engine start, signaling welcome, playlists from the socket or
 * HTTP, the first segment's source), so a slower start shows which step it is in.
 *
 * `--churn S`: a churn run instead (the late-joiner target). N viewers join 1 s apart; the first
 * half stay for the whole run, and every S seconds the longest-present of the others leaves and a
 * new viewer joins. It prints, by join order, each viewer's time to first frame and its median
 * latency behind live (wall clock, from PROGRAM-DATE-TIME, and hls.js's own figure) over its
 * playing seconds after the first 5, then the late joiners' median against the first N's.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../test/support/chromium';
import { latest, processUsage, startSupporter, type SupporterProcess } from '../test/support/supporter-process';
import { firstRendition, startSwarmPipeline, type SwarmPipeline } from '../test/support/swarm';
import { until } from '../test/support/until';
import { P2pmlUnavailableError, startP2pmlBaseline, type P2pmlBaseline } from './support/p2pml-baseline';
import { ensureP2pmlInstalled } from './support/p2pml-install';
import { startLiveEncoder } from './support/live-encoder';
import { cpuBusyBetween, cpuTimes, descendantCpuMs, median, pct, peerShareCeiling, sleep, waitForStream } from './support/swarm-figures';
import { serveBarePages } from './support/bare-pages';
import { confinedToLoopback } from './support/loopback-only';
import { isLatencyMode, LATENCY_RULES, type LatencyMode } from '../lib/protocol/latency-mode';
import { PRICES } from '../lib/costs/prices';
import { quantile } from '../lib/signaling/robust-figures';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const VIEWERS = (args.get('viewers') ?? '4,8').split(',').map(Number);
const SECONDS = Number(args.get('seconds') ?? 120);
const REPEATS = Number(args.get('repeats') ?? 1);
type Mode = 'http' | 'p2p' | 'supporter' | 'p2pml' | 'bare' | 'hlsjs';
const MODES = (args.get('modes') ?? 'http,p2p').split(',') as Mode[];
const SUPPORTER_TOKEN = 'bench-supporter-token-0123456789abcdef';
const STEADY_AFTER_S = 30;
const STREAM = 'bench';
const LADDER = args.get('ladder') === '1';
const SPREAD = args.get('spread') === '1';
const CHURN_S = Number(args.get('churn') ?? 0);
/** `--latency standard,low`: each mode on its own pipeline (segment length and distance to live), one after the other in this run. */
const LATENCIES = (args.get('latency') ?? 'standard').split(',').filter(isLatencyMode);
/** Latency samples of a viewer's first seconds of playback are left out (hls.js is still settling). */
const SETTLE_MS = 5000;

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
  /** Forward skips to the target latency in the first seconds of playback (viewer/page/join-skip.ts). */
  joinSkips: number;
  /** Start-up steps, ms since navigation: the page, hls.js's events, the loader's marks. */
  steps: Record<string, number>;
  /** Median wall-clock and hls.js latency (s) over the playing seconds after SETTLE_MS. */
  settledWallLatency?: number;
  settledHlsLatency?: number;
  /** Those wall-clock samples, sorted (s). */
  wallSamples: number[];
  /** The page's first stalls in detail (viewer/page/playback.ts StallRecord): when, where, the fragments before. */
  stallLog: unknown[];
}

/**
 * Installed before the page runs: once the viewer page publishes its player, samples each second
 * the bitrate of the level playing (while the video plays) and counts level switches.
 */
const LEVEL_WATCH = `(() => {
  let viewer;
  window.levelWatch = { sum: 0, seconds: 0, switches: 0, latency: [], firstFrameAt: 0, longTaskMs: 0 };
  // Main-thread time in long tasks (> 50 ms) before the first frame: a busy page starts late.
  try {
    new PerformanceObserver((list) => {
      if (window.levelWatch.firstFrameAt) return;
      for (const e of list.getEntries()) window.levelWatch.longTaskMs += e.duration;
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { /* no long task timing */ }
  Object.defineProperty(window, 'relaycastViewer', {
    configurable: true,
    get() { return viewer; },
    set(v) {
      viewer = v;
      v.hls.on('hlsLevelSwitched', () => { window.levelWatch.switches++; });
      v.hls.on('hlsMediaAttached', () => { window.levelWatch.mediaAttached ??= Math.round(performance.now()); });
      setInterval(() => {
        const video = document.getElementById('video');
        if (!video || video.paused || video.readyState < 3) return;
        const w = window.levelWatch;
        w.firstFrameAt ||= performance.now();
        if (performance.now() - w.firstFrameAt >= ${SETTLE_MS} && v.hls.playingDate) {
          w.latency.push({ wall: (Date.now() - v.hls.playingDate.getTime()) / 1000, hls: v.hls.latency });
        }
        const level = v.hls.levels && v.hls.levels[v.hls.currentLevel];
        if (!level) return;
        w.sum += level.bitrate;
        w.seconds++;
      }, 1000);
    },
  });
})()`;

async function read(page: Page): Promise<ViewerFigures> {
  return page.evaluate(() => {
    const w = window as any;
    const v = w.relaycastViewer;
    const s = v?.stats?.();
    const video = document.getElementById('video') as HTMLVideoElement;
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const steps: Record<string, number> = { ...(v?.playback.timeline ?? {}) };
    if (nav) Object.assign(steps, { html: Math.round(nav.responseStart), domReady: Math.round(nav.domContentLoadedEventEnd) });
    if (w.levelWatch.mediaAttached) steps.mediaAttached = w.levelWatch.mediaAttached;
    steps.longTaskMsBeforeFirstFrame = Math.round(w.levelWatch.longTaskMs);
    for (const r of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
      if (r.initiatorType === 'script') steps.scriptLoaded = Math.round(r.responseEnd);
    }
    for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('relaycast:')) steps[m.name.slice(10)] = Math.round(m.startTime);
    // (No named helper in here: the bench's transpiler would wrap it in a function the page lacks.)
    const samples = w.levelWatch.latency as Array<{ wall: number; hls: number }>;
    const walls = samples.map((x) => x.wall).sort((a, b) => a - b);
    const hlsFigures = samples
      .map((x) => x.hls)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    return {
      steps,
      settledWallLatency: walls.length ? walls[Math.floor((walls.length - 1) / 2)] : undefined,
      wallSamples: walls,
      settledHlsLatency: hlsFigures.length ? hlsFigures[Math.floor((hlsFigures.length - 1) / 2)] : undefined,
      timeline: v?.playback.timeline ?? {},
      http: s?.httpBytes ?? 0,
      p2p: s?.p2pBytes ?? 0,
      httpSegments: s?.httpSegments ?? 0,
      stalls: v?.playback.stalls ?? 0,
      stallLog: v?.playback.stallLog ?? [],
      firstFrameMs: v?.playback.firstFrameMs,
      latency: v?.playback.latencySeconds(),
      wallLatencyMs: v?.playback.wallLatencyMs(),
      playing: !video.paused && video.currentTime > 0,
      playedBitrate: w.levelWatch.seconds > 0 ? w.levelWatch.sum / w.levelWatch.seconds : undefined,
      switches: w.levelWatch.switches,
      joinSkips: v?.joinSkips?.() ?? 0,
    };
  });
}

/** One browser context per viewer: its own HTTP cache and storage, as distinct viewers have. */
async function newViewer(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.grantPermissions(['camera', 'microphone']);
  const page = await context.newPage();
  await page.addInitScript(LEVEL_WATCH);
  return { context, page };
}

/** Chromium's processes are this bench's children (playwright starts them). */
const chromiumCpuMs = (): number => descendantCpuMs(process.pid, /^chrom/);

const announcements = (pipeline: SwarmPipeline): number => Number(pipeline.stats[pipeline.stats.length - 1]?.announcements ?? 0);

/** Each mode's viewer page: every mode is measured by the same figures, read the same way. */
type ModePages = Partial<Record<Mode, (viewerIndex: number) => string>>;

function relaycastPages(base: string): ModePages {
  return {
    http: () => `${viewerUrl(base, STREAM)}&relaycast=0`,
    p2p: () => viewerUrl(base, STREAM),
    supporter: () => viewerUrl(base, STREAM),
  };
}

/** Starts p2p-media-loader's tracker and page when asked for; on loopback no STUN server is needed. */
async function startBaselines(pipeline: SwarmPipeline): Promise<P2pmlBaseline | undefined> {
  if (!MODES.includes('p2pml')) return undefined;
  try {
    return await startP2pmlBaseline({ host: '127.0.0.1', port: 0, trackerPort: 0, stunUrls: [], masterUrl: `${pipeline.base}/live/${STREAM}/master.m3u8` });
  } catch (err) {
    if (!(err instanceof P2pmlUnavailableError)) throw err;
    console.log(`p2pml mode skipped: ${err.message}`);
    return undefined;
  }
}

async function run(pipeline: SwarmPipeline, browser: Browser, mode: Mode, n: number, pageUrl: (viewerIndex: number) => string) {
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
    await page.goto(pageUrl(i));
    if (SPREAD) {
      // hls.js's levels are sorted by bitrate: viewer i may climb no higher than rung i mod 3.
      await page.waitForFunction(() => (window as any).relaycastViewer?.hls.levels?.length > 0);
      await page.evaluate((cap) => {
        (window as any).relaycastViewer.hls.autoLevelCapping = cap;
      }, i % 3);
    }
    pages.push(page);
    await sleep(1000);
  }
  const cpu0 = cpuTimes();
  await sleep(STEADY_AFTER_S * 1000);
  const chromium0 = { at: Date.now(), ms: chromiumCpuMs() };
  const mid = await Promise.all(pages.map(read));
  const steadyStart = {
    at: Date.now(),
    segmentGets: pipeline.segmentRequests(),
    announced: announcements(pipeline),
    supporter: supporter && { usage: processUsage(supporter.child.pid!), uploaded: latest(supporter)!.uploadedBytes as number },
  };
  await sleep((SECONDS - STEADY_AFTER_S) * 1000);
  const end = await Promise.all(pages.map(read));
  const cpu1 = cpuTimes();
  const chromiumCores = (chromiumCpuMs() - chromium0.ms) / (Date.now() - chromium0.at);
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
    /** Each viewer's P2P share, in join order (a baseline's swarm may leave one viewer on HTTP). */
    viewerShares: end.map((f) => Number((f.p2p / Math.max(1, f.p2p + f.http)).toFixed(3))),
    segmentRequestsPerViewerMinute: (pipeline.segmentRequests() - segmentsBefore) / (n * minutes),
    /** Steady state: origin segment GETs per new segment (per rendition with a ladder), and how many of them viewers made. */
    originRequestsPerSegment: (pipeline.segmentRequests() - steadyStart.segmentGets) / steadyAnnounced,
    viewerHttpSegmentsPerSegment: (end.reduce((a, f) => a + f.httpSegments, 0) - mid.reduce((a, f) => a + f.httpSegments, 0)) / steadyAnnounced,
    supporter: supporterFigures,
    playlistRequestsPerViewerMinute: (pipeline.counts.playlists - playlistsBefore) / (n * minutes),
    stalls: end.reduce((a, f) => a + f.stalls, 0),
    /** Each viewer's stalls and their first records, in join order (for a run that stalled). */
    stallsByViewer: end.map((f) => ({ stalls: f.stalls, firstFrameMs: f.firstFrameMs, log: f.stallLog })),
    notPlaying: end.filter((f) => !f.playing).length,
    firstFrameMsMedian: median(end.map((f) => f.firstFrameMs ?? NaN).filter(Number.isFinite)),
    firstFrameMsMax: Math.max(...end.map((f) => f.firstFrameMs ?? Infinity)),
    latencySecondsMedian: median(end.map((f) => f.latency ?? NaN).filter(Number.isFinite)),
    wallLatencySecondsMedian: median(end.map((f) => (f.wallLatencyMs ?? NaN) / 1000).filter(Number.isFinite)),
    /** Every viewer's wall-clock latency samples once settled (s), pooled: the median and p95 the low-latency targets name. */
    wallLatencyP50:
      quantile(
        end.flatMap((f) => f.wallSamples),
        0.5,
      ) ?? NaN,
    wallLatencyP95:
      quantile(
        end.flatMap((f) => f.wallSamples),
        0.95,
      ) ?? NaN,
    cpuBusy: cpuBusyBetween(cpu0, cpu1),
    /** Steady state: Chromium's CPU (all its processes) per viewer, in cores. */
    chromiumCoresPerViewer: chromiumCores / n,
    playedBitrateMean: end.reduce((a, f) => a + (f.playedBitrate ?? 0), 0) / Math.max(1, end.filter((f) => f.playedBitrate !== undefined).length),
    switches: end.reduce((a, f) => a + f.switches, 0),
    /** Median ms since navigation of each start-up step, in time order: where time to first frame goes. */
    startup: startupSteps(end),
    /** Each viewer's own start-up steps, in join order (medians mix viewers). */
    startupByViewer: end.map((f) => Object.fromEntries(Object.entries(f.steps).sort((a, b) => a[1] - b[1]))),
  };
  for (const context of contexts) await context.close();
  return result;
}

/** Median ms since navigation of every start-up step any viewer recorded, earliest first. */
function startupSteps(figures: ViewerFigures[]): Record<string, number> {
  const names = new Set(figures.flatMap((f) => Object.keys(f.steps)));
  const medians = [...names].map((name) => [name, median(figures.map((f) => f.steps[name] ?? NaN))] as const);
  return Object.fromEntries(medians.filter(([, ms]) => Number.isFinite(ms)).sort((a, b) => a[1] - b[1]));
}

interface ChurnViewer {
  order: number;
  joinedAtS: number;
  context: BrowserContext;
  page: Page;
  figures?: ViewerFigures;
}

/**
 * The churn run (`--churn S`): N viewers, the first half stay, and every S s the longest-present of
 * the others is replaced. Each viewer's figures are read just before it leaves (or at the end).
 */
async function runChurn(browser: Browser, mode: Mode, n: number, pageUrl: (viewerIndex: number) => string) {
  const startedAt = Date.now();
  const present: ChurnViewer[] = [];
  const gone: ChurnViewer[] = [];
  let order = 0;
  const join = async (): Promise<void> => {
    const { context, page } = await newViewer(browser);
    const viewer: ChurnViewer = { order: order++, joinedAtS: (Date.now() - startedAt) / 1000, context, page };
    await page.goto(pageUrl(viewer.order));
    present.push(viewer);
  };
  const stay = Math.ceil(n / 2);
  for (let i = 0; i < n; i++) {
    await join();
    await new Promise((r) => setTimeout(r, 1000));
  }
  while (Date.now() - startedAt + CHURN_S * 1000 <= SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, CHURN_S * 1000));
    const leaving = present.find((v) => v.order >= stay)!;
    leaving.figures = await read(leaving.page);
    await leaving.context.close();
    present.splice(present.indexOf(leaving), 1);
    gone.push(leaving);
    await join();
  }
  await new Promise((r) => setTimeout(r, Math.max(0, SECONDS * 1000 - (Date.now() - startedAt))));
  for (const viewer of present) {
    viewer.figures = await read(viewer.page);
    await viewer.context.close();
  }
  const viewers = [...gone, ...present].sort((a, b) => a.order - b.order);
  const byOrder = viewers.map((v) => ({
    order: v.order,
    joinedAtS: Number(v.joinedAtS.toFixed(1)),
    firstFrameMs: v.figures?.firstFrameMs !== undefined ? Math.round(v.figures.firstFrameMs) : undefined,
    wallLatencyS: v.figures?.settledWallLatency,
    hlsLatencyS: v.figures?.settledHlsLatency,
    stalls: v.figures?.stalls ?? 0,
    joinSkips: v.figures?.joinSkips ?? 0,
    // When each stall began, in the run's seconds: stalls of several viewers at one moment are the
    // live edge's (the encoder's), a viewer's own stall soon after its join is its start's.
    stallsAtS: (v.figures?.stallLog ?? []).map((r) => Number((v.joinedAtS + (r as { atMs: number }).atMs / 1000).toFixed(1))),
  }));
  const latencyOf = (xs: typeof byOrder) => median(xs.map((x) => x.wallLatencyS ?? NaN));
  return {
    mode,
    viewers: n,
    churnS: CHURN_S,
    byOrder,
    earlyWallLatencyMedian: latencyOf(byOrder.filter((x) => x.order < n)),
    lateWallLatencyMedian: latencyOf(byOrder.filter((x) => x.order >= n)),
    earlyHlsLatencyMedian: median(byOrder.filter((x) => x.order < n).map((x) => x.hlsLatencyS ?? NaN)),
    lateHlsLatencyMedian: median(byOrder.filter((x) => x.order >= n).map((x) => x.hlsLatencyS ?? NaN)),
    startup: startupSteps(viewers.flatMap((v) => (v.figures ? [v.figures] : []))),
  };
}

function printChurn(r: Awaited<ReturnType<typeof runChurn>>): void {
  const s = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(2)} s` : '–');
  console.log(`\nchurn, ${r.mode}, N = ${r.viewers}, one viewer replaced every ${r.churnS} s: latency by join order`);
  console.log('| join # | joined at | TTFF | wall latency | hls.js latency | stalls (at) | join skips |');
  console.log('|---|---|---|---|---|---|---|');
  for (const v of r.byOrder) {
    console.log(
      `| ${v.order}${v.order >= r.viewers ? ' (late)' : ''} | ${v.joinedAtS.toFixed(1)} s | ${s(v.firstFrameMs === undefined ? undefined : v.firstFrameMs / 1000)} | ${s(v.wallLatencyS)} | ${s(v.hlsLatencyS)} | ${v.stalls}${v.stallsAtS.length ? ` (${v.stallsAtS.join(', ')} s)` : ''} | ${v.joinSkips} |`,
    );
  }
  console.log(
    `${r.mode}: late joiners' median wall latency ${s(r.lateWallLatencyMedian)} vs the first ${r.viewers}' ${s(r.earlyWallLatencyMedian)} (late − early ${s(r.lateWallLatencyMedian - r.earlyWallLatencyMedian)}); hls.js latency ${s(r.lateHlsLatencyMedian)} vs ${s(r.earlyHlsLatencyMedian)}`,
  );
}

/** For each N where both modes ran: the mean of a figure over each mode's rows (its repeats). */
function sideBySide(rows: Array<Record<string, unknown>>, a: Mode, b: Mode, print: (n: number, a: MeanOf, b: MeanOf) => void): void {
  const of = (mode: Mode, n: number): MeanOf | undefined => {
    const xs = rows.filter((r) => r.mode === mode && r.viewers === n);
    return xs.length === 0 ? undefined : { mean: (k) => xs.reduce((sum, r) => sum + Number(r[k]), 0) / xs.length };
  };
  for (const n of VIEWERS) {
    const [left, right] = [of(a, n), of(b, n)];
    if (left && right) print(n, left, right);
  }
}
interface MeanOf {
  mean(figure: string): number;
}

async function main(): Promise<void> {
  // Inside the namespace the registry is out of reach: install the baseline first (or skip it, with why).
  if (process.env.RELAYCAST_LOOPBACK_ONLY !== '1' && MODES.includes('p2pml')) {
    const outcome = await ensureP2pmlInstalled();
    if (!outcome.ok) console.log(`p2pml mode will be skipped: ${outcome.reason}`);
  }
  if (!confinedToLoopback(__filename)) return;
  const rows: Array<Record<string, unknown>> = [];
  const churnRows: Array<Awaited<ReturnType<typeof runChurn>>> = [];
  for (const latency of LATENCIES) await runLatency(latency, rows, churnRows);
  for (const r of churnRows) printChurn(r);
  if (CHURN_S > 0) return;
  printRows(rows);
}

/** Every N, repeat and mode on one pipeline and encoder set up for `latency` (its segment length, the pages' distance to live). */
async function runLatency(latency: LatencyMode, rows: Array<Record<string, unknown>>, churnRows: Array<Awaited<ReturnType<typeof runChurn>>>): Promise<void> {
  const pipeline = await startSwarmPipeline({
    stream: STREAM,
    signaling: { latency },
    ...(MODES.includes('supporter') ? { supporters: { bench: SUPPORTER_TOKEN } } : {}),
  });
  const encoder = startLiveEncoder(pipeline.hlsDir, LADDER ? 'ladder' : '360p', LATENCY_RULES[latency].segmentSeconds);
  // hls-watch takes the folder name as the rendition of a single-variant stream; wait for the stream.
  await waitForStream(pipeline.base, STREAM);
  pipeline.counts.playlists = 0;
  await sleep(8000); // a few segments in the window before the first viewer
  const p2pml = await startBaselines(pipeline);
  const bare = await serveBarePages(pipeline, STREAM, ' 127\\.0\\.0\\.1 ', latency);
  const pages: ModePages = {
    ...relaycastPages(pipeline.base),
    bare: () => bare.bare,
    hlsjs: () => bare.hlsjs,
    ...(p2pml ? { p2pml: (i: number) => p2pml.pageUrl(i) } : {}),
  };
  const browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
  console.log(
    `viewer swarm bench, ${latency} latency: ${encoder.kind}; ${SECONDS} s per run, steady state after ${STEADY_AFTER_S} s; viewers join 1 s apart; Chromium ${browser.version()}`,
  );
  try {
    for (const n of VIEWERS) {
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        for (const mode of MODES) {
          const pageUrl = pages[mode];
          if (!pageUrl) continue;
          if (CHURN_S > 0) {
            const churn = { latency, ...(await runChurn(browser, mode, n, pageUrl)) };
            console.log(JSON.stringify({ ...churn, repeat }));
            churnRows.push(churn);
            continue;
          }
          const r = { latency, ...(await run(pipeline, browser, mode, n, pageUrl)), classAWritesPerHour: classAWritesPerHour(latency) };
          rows.push(r);
          console.log(JSON.stringify({ ...r, repeat }));
        }
      }
    }
  } finally {
    await browser.close();
    await p2pml?.close();
    await encoder.stop();
    await pipeline.stop();
  }
}

/**
 * R2 Class A operations an hour for the bench's stream: one PUT per segment per rendition (manifest
 * serves the playlists itself; deletes are free). Shorter segments cost proportionally more.
 */
function classAWritesPerHour(latency: LatencyMode): number {
  return (3600 / LATENCY_RULES[latency].segmentSeconds) * (LADDER ? 3 : 1);
}

function printRows(allRows: Array<Record<string, unknown>>): void {
  for (const latency of LATENCIES) {
    const rows = allRows.filter((r) => r.latency === latency);
    if (rows.length > 0) printLatencyRows(latency, rows);
  }
}

function printLatencyRows(latency: LatencyMode, rows: Array<Record<string, unknown>>): void {
  const writes = classAWritesPerHour(latency);
  console.log(
    `\n${latency} latency (${LATENCY_RULES[latency].segmentSeconds} s segments, ${LATENCY_RULES[latency].liveSyncSegments} behind live): R2 Class A writes ${writes} an hour, $${((writes / 1e6) * PRICES.r2.classAPerMillion).toFixed(4)} an hour ($${(((writes * 24 * 30) / 1e6) * PRICES.r2.classAPerMillion).toFixed(2)} a 30-day month of 24 h streaming, before the free tier)`,
  );
  console.log(
    "| mode | N | P2P share (whole / steady) | min viewer | origin segment req/viewer-min | origin req per segment (viewers' part) | playlist req/viewer-min | stalls | TTFF p50 | hls.js latency | wall latency (end) | wall latency p50 / p95 (settled samples) | played bitrate | switches | CPU | Chromium CPU/viewer |",
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows as any[]) {
    console.log(
      `| ${r.mode} | ${r.viewers} | ${pct(r.p2pShareWhole)} / ${pct(r.p2pShareSteady)} | ${pct(r.minViewerShare)} | ${r.segmentRequestsPerViewerMinute.toFixed(2)} | ${r.originRequestsPerSegment.toFixed(2)} (${r.viewerHttpSegmentsPerSegment.toFixed(2)}) | ${r.playlistRequestsPerViewerMinute.toFixed(2)} | ${r.stalls}${r.notPlaying ? ` (${r.notPlaying} not playing)` : ''} | ${(r.firstFrameMsMedian / 1000).toFixed(2)} s | ${r.latencySecondsMedian.toFixed(1)} s | ${r.wallLatencySecondsMedian.toFixed(1)} s | ${r.wallLatencyP50.toFixed(2)} / ${r.wallLatencyP95.toFixed(2)} s | ${(r.playedBitrateMean / 1000).toFixed(0)} kb/s | ${r.switches} | ${pct(r.cpuBusy)} | ${pct(r.chromiumCoresPerViewer)} of a core |`,
    );
  }
  // The loader against plain hls.js (the ABR issue's targets), and against p2p-media-loader (issue 20:
  // Relaycast ahead on offload and on stalls), side by side in this run.
  sideBySide(rows, 'http', 'p2p', (n, http, p2p) =>
    console.log(
      `N = ${n}: played bitrate loader ÷ plain hls.js = ${(p2p.mean('playedBitrateMean') / http.mean('playedBitrateMean')).toFixed(3)}; switches loader ${p2p.mean('switches').toFixed(1)} vs plain ${http.mean('switches').toFixed(1)}; TTFF p50 loader − plain = ${((p2p.mean('firstFrameMsMedian') - http.mean('firstFrameMsMedian')) / 1000).toFixed(2)} s, slowest loader − plain = ${((p2p.mean('firstFrameMsMax') - http.mean('firstFrameMsMax')) / 1000).toFixed(2)} s`,
    ),
  );
  // What the page costs: the bundled page and the bare loader against plain hls.js (target: page ≤ 1.10×).
  for (const mode of ['p2p', 'bare', 'http'] as const)
    sideBySide(rows, mode, 'hlsjs', (n, page, plain) =>
      console.log(
        `N = ${n}: Chromium CPU per viewer ${mode === 'p2p' ? 'bundled page' : mode === 'bare' ? 'bare loader' : 'bundled page, plain hls.js (?relaycast=0)'} ÷ plain hls.js = ${(page.mean('chromiumCoresPerViewer') / plain.mean('chromiumCoresPerViewer')).toFixed(2)} (${pct(page.mean('chromiumCoresPerViewer'))} vs ${pct(plain.mean('chromiumCoresPerViewer'))} of a core)`,
      ),
    );
  // Where start-up time goes, per row: the median start-up timeline (ms since navigation).
  for (const r of rows as any[]) {
    console.log(
      `start-up ${r.mode}, N = ${r.viewers}: TTFF p50 ${(r.firstFrameMsMedian / 1000).toFixed(2)} s, slowest ${(r.firstFrameMsMax / 1000).toFixed(2)} s; ${Object.entries(
        r.startup as Record<string, number>,
      )
        .map(([step, ms]) => `${step} ${ms}`)
        .join(', ')}`,
    );
  }
  sideBySide(rows, 'p2p', 'p2pml', (n, p2p, p2pml) =>
    console.log(
      `N = ${n}: P2P share steady Relaycast ${pct(p2p.mean('p2pShareSteady'))} vs p2p-media-loader ${pct(p2pml.mean('p2pShareSteady'))} (ceiling ${pct(peerShareCeiling(n))}); stalls ${p2p.mean('stalls').toFixed(1)} vs ${p2pml.mean('stalls').toFixed(1)}; hls.js latency ${p2p.mean('latencySecondsMedian').toFixed(1)} s vs ${p2pml.mean('latencySecondsMedian').toFixed(1)} s`,
    ),
  );
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
