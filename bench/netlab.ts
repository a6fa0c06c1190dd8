/**
 * Relaycast on home networks (issue 20): viewers in a network lab (devtools/netlab), each in its
 * own home behind its own router, NAT and line, against the origin pipeline (real Node-RED,
 * local S3, counting proxies) at the lab's public address 198.18.0.1. One Chromium process per
 * home. Needs root (it stops at once with the reason otherwise).
 *
 *   flock /tmp/heavy.flock npx tsx bench/netlab.ts --profile residential --viewers 6 --seconds 120 \
 *     --repeats 1 --stream 0.9 --modes http,p2p
 *   npx tsx bench/netlab.ts --cleanup      (removes what a killed run left behind)
 *
 * Per profile and mode it prints: offload by the MEDIA PLAYED (bytes peers delivered that the
 * video played ÷ bytes it played), whole run and steady state; bytes received from peers and the
 * share of them never played; the ceiling min(1 − 1/N, Σ usable uplinks ÷ (N × stream bitrate))
 * and the reachable ceiling (over the homes whose NAT lets them link); offload ÷ ceiling; stalls;
 * TTFF; latency; origin requests per viewer-minute; machine CPU (a saturated run is not judged);
 * and per home its bytes up and down against its caps and its selected ICE pair types.
 */
import type { Page } from 'playwright-core';
import {
  describeHome,
  homeBytes,
  homeChromium,
  homesFor,
  Lab,
  loadProfile,
  ORIGIN_ADDRESS,
  preflight,
  removeLeftovers,
  runInsideLab,
} from '../devtools/netlab';
import type { Home, HomeSpec, Profile } from '../devtools/netlab';
import { seededRandom } from '../devtools/fault-proxy/seeded-random';
import { launchChromium } from '../test/support/chromium';
import { startSwarmPipeline, type SwarmPipeline } from '../test/support/swarm';
import { startLiveEncoder, type LiveEncoder } from './support/live-encoder';
import { MEDIA_WATCH, readMedia, type MediaFigures } from './support/media-watch';
import { ceiling, reachableCeiling } from './support/netlab-ceiling';
import { cpuBusyBetween, cpuTimes, median, pct, sleep, waitForStream } from './support/swarm-figures';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i].replace(/^--/, '');
  const next = process.argv[i + 1];
  if (next === undefined || next.startsWith('--')) args.set(key, '1');
  else args.set(key, process.argv[++i]);
}
const PROFILES = (args.get('profile') ?? 'residential').split(',');
const VIEWERS = Number(args.get('viewers') ?? 6);
const SECONDS = Number(args.get('seconds') ?? 120);
const REPEATS = Number(args.get('repeats') ?? 1);
const STREAM_MBIT = args.get('stream') ?? '0.9';
const MODE_NAMES = (args.get('modes') ?? 'http,p2p').split(',');
/** relaycast-signaling's ICE choice for the run (the built-in STUN on the origin by default). */
const ICE = args.get('ice') ?? 'relaycast';
const STEADY_AFTER_S = 30;
const STREAM = 'lab';
/** Above this machine CPU share the figures say more about the machine than about the swarm. */
const SATURATED = 0.9;

// ---- viewers and modes -------------------------------------------------------------------------

interface ViewerHandle {
  read(): Promise<MediaFigures>;
  close(): Promise<void>;
}

interface ModeContext {
  lab: Lab;
  home: Home;
  base: string;
}

interface ModeDefinition {
  describe: string;
  start(context: ModeContext): Promise<ViewerHandle>;
}

/** The bundled viewer page in its own Chromium process inside the home, no camera permission. */
async function chromiumViewer({ lab, home, base }: ModeContext, query: string): Promise<ViewerHandle> {
  const launch = homeChromium(lab.dir, home, base);
  const browser = await launchChromium(launch.args, launch.executablePath);
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  await page.addInitScript(MEDIA_WATCH);
  await page.goto(`${base}/live/${STREAM}/${query}`);
  return { read: () => readMedia(page), close: () => browser.close() };
}

/**
 * The modes a run compares, keyed by name. Two more plug in here as other work lands: the
 * p2p-media-loader baseline page (a Chromium viewer of another page) and the synthetic Node viewer
 * (the peer core in Node with a simulated player; its read() returns the same MediaFigures).
 */
const MODES: Record<string, ModeDefinition> = {
  http: { describe: 'plain hls.js over HTTP', start: (c) => chromiumViewer(c, '?relaycast=0') },
  p2p: { describe: 'the Relaycast loader', start: (c) => chromiumViewer(c, c.home.uploadOff ? '?upload=0' : '') },
};

// ---- one run -------------------------------------------------------------------------------------

interface Watched {
  spec: HomeSpec;
  home: Home;
  viewer: ViewerHandle;
  joinedAt: number;
}

interface Departed {
  spec: HomeSpec;
  figures: MediaFigures;
  bytes: { up: number; down: number };
  seconds: number;
  stayed: boolean;
}

interface RunResult {
  profile: string;
  mode: string;
  viewers: number;
  offloadWhole: number;
  offloadSteady: number;
  peerReceivedMB: number;
  playedMB: number;
  wasted: number;
  ceiling: number;
  reachable: number;
  stalls: number;
  stallsStayers: number;
  notPlaying: number;
  ttffMs: number;
  latencyS: number;
  wallLatencyS: number;
  segmentReqPerViewerMin: number;
  playlistReqPerViewerMin: number;
  cpu: number;
  pairs: Record<string, number>;
  homes: Departed[];
  left: number;
}

async function leave(lab: Lab, w: Watched, stayed: boolean): Promise<Departed> {
  const figures = await w.viewer.read().catch(() => emptyFigures());
  const bytes = homeBytes(w.home);
  await w.viewer.close().catch(() => undefined);
  lab.removeHome(w.spec.index);
  return { spec: w.spec, figures, bytes, seconds: (Date.now() - w.joinedAt) / 1000, stayed };
}

function emptyFigures(): MediaFigures {
  return { played: 0, playedFromPeers: 0, peerReceived: 0, httpReceived: 0, uploaded: 0, stalls: 0, playing: false, pairs: [] };
}

async function runOnce(lab: Lab, pipeline: SwarmPipeline, encoder: LiveEncoder, profile: Profile, modeName: string): Promise<RunResult> {
  const mode = MODES[modeName];
  const specs = homesFor(profile, VIEWERS);
  const watched: Watched[] = [];
  const done: Departed[] = [];
  const segmentsBefore = pipeline.segmentRequests();
  const playlistsBefore = pipeline.counts.playlists;
  const startedAt = Date.now();
  const join = async (spec: HomeSpec): Promise<void> => {
    const home = lab.addHome(spec);
    watched.push({ spec, home, viewer: await mode.start({ lab, home, base: pipeline.base }), joinedAt: Date.now() });
  };
  try {
    for (const spec of specs) {
      await join(spec);
      await sleep(1000);
    }
    const cpu0 = cpuTimes();
    const random = seededRandom((profile.seed ?? 20) + 1);
    let nextIndex = VIEWERS + 1;
    let mid: Map<number, MediaFigures> | undefined;
    const steadyAt = startedAt + STEADY_AFTER_S * 1000;
    const endAt = startedAt + SECONDS * 1000;
    const churnMs = profile.churn ? profile.churn.everySeconds * 1000 : Infinity;
    let nextChurn = startedAt + churnMs;
    while (Date.now() < endAt) {
      const next = Math.min(endAt, mid ? Infinity : steadyAt, nextChurn);
      await sleep(Math.max(0, next - Date.now()));
      if (!mid && Date.now() >= steadyAt) {
        mid = new Map(await Promise.all(watched.map(async (w) => [w.spec.index, await w.viewer.read()] as const)));
      }
      if (profile.churn && Date.now() >= nextChurn && Date.now() < endAt) {
        // Viewers leave and as many new ones join, in homes like theirs (same line, NAT, upload).
        nextChurn += churnMs;
        const count = Math.max(1, Math.round(profile.churn.share * VIEWERS));
        for (let k = 0; k < count; k++) {
          const [w] = watched.splice(Math.floor(random() * watched.length), 1);
          done.push(await leave(lab, w, false));
          await join({ ...w.spec, index: nextIndex++ });
        }
      }
    }
    const cpu1 = cpuTimes();
    const stayers = watched.map((w) => w.spec.index);
    const end = new Map(await Promise.all(watched.map(async (w) => [w.spec.index, await w.viewer.read()] as const)));
    for (const w of watched.splice(0)) done.push(await leave(lab, w, true));
    const minutes = (Date.now() - startedAt) / 60_000;
    const all = done.map((d) => d.figures);
    const sum = (xs: MediaFigures[], k: 'played' | 'playedFromPeers' | 'peerReceived'): number => xs.reduce((a, f) => a + f[k], 0);
    const steadyPeers = stayers.reduce((a, i) => a + (end.get(i)!.playedFromPeers - (mid?.get(i)?.playedFromPeers ?? 0)), 0);
    const steadyPlayed = stayers.reduce((a, i) => a + (end.get(i)!.played - (mid?.get(i)?.played ?? 0)), 0);
    const pairs: Record<string, number> = {};
    for (const f of all) for (const p of f.pairs) pairs[p] = (pairs[p] ?? 0) + 1;
    return {
      profile: profile.name,
      mode: modeName,
      viewers: VIEWERS,
      offloadWhole: sum(all, 'playedFromPeers') / Math.max(1, sum(all, 'played')),
      offloadSteady: steadyPeers / Math.max(1, steadyPlayed),
      peerReceivedMB: sum(all, 'peerReceived') / 1e6,
      playedMB: sum(all, 'played') / 1e6,
      wasted: sum(all, 'peerReceived') > 0 ? Math.max(0, 1 - sum(all, 'playedFromPeers') / sum(all, 'peerReceived')) : 0,
      ceiling: ceiling(specs, encoder.bitrate),
      reachable: reachableCeiling(specs, encoder.bitrate),
      stalls: all.reduce((a, f) => a + f.stalls, 0),
      stallsStayers: done.filter((d) => d.stayed).reduce((a, d) => a + d.figures.stalls, 0),
      notPlaying: done.filter((d) => d.stayed && !d.figures.playing).length,
      ttffMs: median(all.map((f) => f.firstFrameMs ?? NaN)),
      latencyS: median(all.map((f) => f.latencySeconds ?? NaN)),
      wallLatencyS: median(all.map((f) => (f.wallLatencyMs ?? NaN) / 1000)),
      segmentReqPerViewerMin: (pipeline.segmentRequests() - segmentsBefore) / (VIEWERS * minutes),
      playlistReqPerViewerMin: (pipeline.counts.playlists - playlistsBefore) / (VIEWERS * minutes),
      cpu: cpuBusyBetween(cpu0, cpu1),
      pairs,
      homes: done,
      left: done.filter((d) => !d.stayed).length,
    };
  } finally {
    // An error mid-run: every browser closes and every home goes before the error travels on.
    for (const w of watched.splice(0)) await leave(lab, w, true).catch(() => undefined);
  }
}

// ---- printing ------------------------------------------------------------------------------------

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

function printRun(r: RunResult): void {
  const judged = r.cpu < SATURATED;
  console.log(
    `\n### ${r.profile} · ${r.mode} · ${r.viewers} viewers${r.left ? ` (${r.left} left, as many joined)` : ''}${judged ? '' : ' · CPU SATURATED: not judged'}`,
  );
  console.log(
    '| home | line (up/down Mb/s) | NAT | upload | up MB (avg Mb/s) | down MB (avg Mb/s) | played MB | from peers (played) | peer MB received | stalls | pairs |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const h of r.homes) {
    const f = h.figures;
    const rate = (bytes: number): string => ((bytes * 8) / 1e6 / Math.max(1, h.seconds)).toFixed(2);
    console.log(
      `| ${h.spec.index}${h.stayed ? '' : ' (left)'} | ${h.spec.uplinkMbit ?? '∞'}/${h.spec.downlinkMbit ?? '∞'} | ${h.spec.nat}${h.spec.udpBlocked ? ', UDP blocked' : ''} | ${h.spec.uploadOff ? 'off' : 'on'} | ${mb(h.bytes.up)} (${rate(h.bytes.up)}) | ${mb(h.bytes.down)} (${rate(h.bytes.down)}) | ${mb(f.played)} | ${pct(f.playedFromPeers / Math.max(1, f.played))} | ${mb(f.peerReceived)} | ${f.stalls} | ${f.pairs.join(' ') || '–'} |`,
    );
  }
}

function printSummary(rows: RunResult[]): void {
  console.log(
    '\n| profile | mode | N | offload played (whole / steady) | ceiling | reachable ceiling | offload ÷ ceiling (÷ reachable) | peer MB received / played MB | wasted | stalls (stayers) | TTFF p50 | latency p50 (wall) | origin seg req/viewer-min | playlist req/viewer-min | ICE pairs | CPU |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const pairs = Object.entries(r.pairs)
      .map(([k, n]) => `${k}×${n}`)
      .join(' ');
    console.log(
      `| ${r.profile} | ${r.mode} | ${r.viewers} | ${pct(r.offloadWhole)} / ${pct(r.offloadSteady)} | ${pct(r.ceiling)} | ${pct(r.reachable)} | ${r.ceiling > 0 ? (r.offloadWhole / r.ceiling).toFixed(2) : '–'} (${r.reachable > 0 ? (r.offloadWhole / r.reachable).toFixed(2) : '–'}) | ${r.peerReceivedMB.toFixed(1)} / ${r.playedMB.toFixed(1)} | ${pct(r.wasted)} | ${r.stalls} (${r.stallsStayers})${r.notPlaying ? `, ${r.notPlaying} not playing` : ''} | ${(r.ttffMs / 1000).toFixed(2)} s | ${r.latencyS.toFixed(1)} s (${r.wallLatencyS.toFixed(1)} s) | ${r.segmentReqPerViewerMin.toFixed(2)} | ${r.playlistReqPerViewerMin.toFixed(2)} | ${pairs || '–'} | ${pct(r.cpu)}${r.cpu >= SATURATED ? ' SATURATED' : ''} |`,
    );
  }
}

// ---- main ----------------------------------------------------------------------------------------

function signalingConfig(): Record<string, unknown> {
  if (ICE === 'none') return { iceMode: 'none' };
  return { iceMode: 'relaycast', publicHost: ORIGIN_ADDRESS };
}

async function insideLab(lab: Lab): Promise<void> {
  for (const m of MODE_NAMES) if (!MODES[m]) throw new Error(`unknown mode ${m}; modes: ${Object.keys(MODES).join(', ')}`);
  if (STREAM_MBIT !== '0.9' && STREAM_MBIT !== '2.7') throw new Error('--stream is 0.9 or 2.7');
  const profiles = PROFILES.map((p) => loadProfile(p));
  const pipeline = await startSwarmPipeline({ stream: STREAM, host: ORIGIN_ADDRESS, signaling: signalingConfig() });
  const encoder = startLiveEncoder(pipeline.hlsDir, STREAM_MBIT === '2.7' ? '720p' : '360p');
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await encoder.stop().catch(() => undefined);
    await pipeline.stop().catch(() => undefined);
    lab.close();
  };
  const onSignal = (): void => {
    void stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rows: RunResult[] = [];
  try {
    await waitForStream(pipeline.base, STREAM);
    await sleep(8000); // a few segments in the window before the first viewer
    console.log(
      `netlab bench: ${encoder.kind}; origin ${pipeline.base}; ${SECONDS} s per run, steady state after ${STEADY_AFTER_S} s; viewers join 1 s apart; signaling ICE ${ICE}`,
    );
    for (const profile of profiles) {
      console.log(`\nprofile ${profile.name}: ${profile.description}`);
      for (const h of homesFor(profile, VIEWERS)) console.log(`  ${describeHome(h)}`);
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        for (const mode of MODE_NAMES) {
          const r = await runOnce(lab, pipeline, encoder, profile, mode);
          rows.push(r);
          printRun(r);
        }
      }
    }
  } finally {
    await stop();
  }
  printSummary(rows);
}

async function main(): Promise<number> {
  if (args.has('cleanup')) {
    const removed = removeLeftovers();
    console.log(removed.length ? `removed ${removed.join(', ')}` : 'nothing left behind');
    return 0;
  }
  const lab = Lab.current();
  if (lab) {
    await insideLab(lab);
    return 0;
  }
  const check = preflight();
  if (!check.ok) {
    console.error(`netlab bench: ${check.reason}`);
    return 1;
  }
  return runInsideLab([process.execPath, ...process.execArgv, __filename, ...process.argv.slice(2)]);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
