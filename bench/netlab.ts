/**
 * Relaycast on home networks (issue 20): viewers in a network lab (devtools/netlab), each in its
 * own home behind its own router, NAT and line, against the origin pipeline (real Node-RED,
 * local S3, counting proxies) at the lab's public address 198.18.0.1. Needs root (it stops at once
 * with the reason otherwise). --viewers is the number of homes. Modes (--modes, in this order):
 *   http       plain hls.js, one Chromium per home;
 *   p2p        the Relaycast loader, one Chromium per home; with --pair-synthetic 1 one synthetic
 *              viewer beside it in each home, and both shares printed per home (issue 20: within 3 points);
 *   p2pml      p2p-media-loader 2.3.1 (bench/support/p2pml-baseline.ts), one Chromium per home, given
 *              the signaling node's own STUN server and no other; installed before the lab starts;
 *   synthetic  --synthetic-per-home K (default 1) synthetic viewers (devtools/synthetic-viewer) in one
 *              process inside each home's namespace.
 *
 *   flock /tmp/heavy.flock npx tsx bench/netlab.ts --profile residential --viewers 6 --seconds 120 \
 *     --repeats 1 --stream 0.9 --modes http,p2p,p2pml [--pair-synthetic 1] [--latency standard,low]
 *   flock /tmp/heavy.flock npx tsx bench/netlab.ts --profile residential --viewers 10 --modes synthetic --synthetic-per-home 2
 *   npx tsx bench/netlab.ts --cleanup      (removes what a killed run left behind)
 *
 * Per profile and mode it prints: offload by the MEDIA PLAYED (bytes peers delivered that the
 * video played ÷ bytes it played), whole run and steady state; bytes received from peers and the
 * share of them wasted (neither played nor waiting in the player's buffer or the engine's store
 * when the run ends); the ceiling min(1 − 1/N, Σ usable uplinks ÷ (N × stream bitrate))
 * and the reachable ceiling (over the homes whose NAT lets them link); offload ÷ ceiling; stalls;
 * TTFF; latency (hls.js's, and wall-clock from PROGRAM-DATE-TIME: median and p95); origin requests per viewer-minute; machine CPU (a saturated run is not judged);
 * and per home its bytes up and down against its caps and its selected ICE pair types.
 * `--latency standard,low` runs it all once per latency mode, each on its own pipeline (1 s segments
 * and two behind live for low; lib/protocol/latency-mode.ts).
 */
import { describeHome, homeBytes, homesFor, Lab, loadProfile, ORIGIN_ADDRESS, preflight, removeLeftovers, runInsideLab } from '../devtools/netlab';
import type { Home, HomeSpec, Profile } from '../devtools/netlab';
import { seededRandom } from '../devtools/fault-proxy/seeded-random';
import { startSwarmPipeline, type SwarmPipeline } from '../test/support/swarm';
import { startLiveEncoder, type LiveEncoder } from './support/live-encoder';
import { isLatencyMode, LATENCY_RULES, type LatencyMode } from '../lib/protocol/latency-mode';
import { quantile } from '../lib/signaling/robust-figures';
import type { MediaFigures } from './support/media-watch';
import { ceiling, reachableCeiling } from './support/netlab-ceiling';
import { chromiumViewer, syntheticViewers, together, type HomeViewers, type Viewed } from './support/netlab-viewers';
import { P2pmlUnavailableError, startP2pmlBaseline, type P2pmlBaseline } from './support/p2pml-baseline';
import { ensureP2pmlInstalled } from './support/p2pml-install';
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
/** `--latency standard,low`: each latency mode on its own pipeline (segment length, distance to live), one after the other in this run. */
const LATENCIES = (args.get('latency') ?? 'standard').split(',').filter(isLatencyMode);
/** The signaling node's built-in STUN port; the p2p-media-loader baseline is given the same server. */
const STUN_PORT = 3478;
/** Synthetic viewers per home in the `synthetic` mode. */
const SYNTHETIC_PER_HOME = Number(args.get('synthetic-per-home') ?? 1);
/** 1: in the `p2p` mode each home also holds one synthetic viewer, and both shares are printed per home. */
const PAIR_SYNTHETIC = args.get('pair-synthetic') === '1';
const STEADY_AFTER_S = 30;
const STREAM = 'lab';
/** How long the origin pipeline may take to stop before the bench prints its figures anyway. */
const PIPELINE_STOP_MS = 20_000;
/** Above this machine CPU share the figures say more about the machine than about the swarm. */
const SATURATED = 0.9;

// ---- viewers and modes -------------------------------------------------------------------------

interface ModeContext {
  lab: Lab;
  home: Home;
  base: string;
}

interface ModeDefinition {
  describe: string;
  /** Viewers in each home (the ceiling counts viewers and shares a home's uplink among its own). */
  perHome: number;
  start(context: ModeContext): Promise<HomeViewers>;
}

/** Synthetic viewers outlive the run by this much; the bench stops them when their home leaves. */
const SYNTHETIC_SPARE_S = 300;
const synthetic = (c: ModeContext, count: number): HomeViewers =>
  syntheticViewers(c.home, { base: c.base, stream: STREAM, count, seconds: SECONDS + SYNTHETIC_SPARE_S });
const relaycastPage = (c: ModeContext, query: string): string => `${c.base}/live/${STREAM}/${query}`;
/** The p2p-media-loader baseline's server (page, origin pass-through, tracker), while a run needs it. */
let p2pml: P2pmlBaseline | undefined;

/** The modes a run compares, keyed by name. */
const MODES: Record<string, ModeDefinition> = {
  http: { describe: 'plain hls.js over HTTP', perHome: 1, start: (c) => chromiumViewer(c.lab, c.home, relaycastPage(c, '?relaycast=0')) },
  p2p: {
    describe: PAIR_SYNTHETIC ? 'the Relaycast loader in Chromium, beside a synthetic viewer in each home' : 'the Relaycast loader',
    perHome: PAIR_SYNTHETIC ? 2 : 1,
    async start(c) {
      const page = await chromiumViewer(c.lab, c.home, relaycastPage(c, c.home.uploadOff ? '?upload=0' : ''));
      return PAIR_SYNTHETIC ? together([page, synthetic(c, 1)]) : page;
    },
  },
  p2pml: {
    describe: 'p2p-media-loader 2.3.1 with its own tracker and the same STUN',
    perHome: 1,
    start: (c) => chromiumViewer(c.lab, c.home, p2pml!.pageUrl(c.home.index, { upload: !c.home.uploadOff })),
  },
  synthetic: {
    describe: `synthetic viewers (the peer engine on @roamhq/wrtc, a simulated player), ${SYNTHETIC_PER_HOME} per home`,
    perHome: SYNTHETIC_PER_HOME,
    start: (c) => Promise.resolve(synthetic(c, SYNTHETIC_PER_HOME)),
  },
};

// ---- one run -------------------------------------------------------------------------------------

interface Watched {
  spec: HomeSpec;
  home: Home;
  viewer: HomeViewers;
  joinedAt: number;
}

interface Departed {
  spec: HomeSpec;
  figures: Viewed[];
  bytes: { up: number; down: number };
  seconds: number;
  stayed: boolean;
}

interface RunResult {
  latency?: LatencyMode;
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
  /** 95th percentile (nearest rank) of the viewers' wall-clock latencies at the end. */
  wallLatencyP95S: number;
  segmentReqPerViewerMin: number;
  playlistReqPerViewerMin: number;
  cpu: number;
  pairs: Record<string, number>;
  homes: Departed[];
  left: number;
}

async function leave(lab: Lab, w: Watched, stayed: boolean): Promise<Departed> {
  const figures = await w.viewer.read().catch((): Viewed[] => []);
  const bytes = homeBytes(w.home);
  await w.viewer.close().catch(() => undefined);
  lab.removeHome(w.spec.index);
  return { spec: w.spec, figures, bytes, seconds: (Date.now() - w.joinedAt) / 1000, stayed };
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
    let mid: Map<number, Viewed[]> | undefined;
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
    const all = done.flatMap((d) => d.figures);
    const stayed = done.filter((d) => d.stayed).flatMap((d) => d.figures);
    const steadyPeers = stayers.reduce((a, i) => a + sum(end.get(i)!, 'playedFromPeers') - sum(mid?.get(i) ?? [], 'playedFromPeers'), 0);
    const steadyPlayed = stayers.reduce((a, i) => a + sum(end.get(i)!, 'played') - sum(mid?.get(i) ?? [], 'played'), 0);
    const viewers = VIEWERS * mode.perHome;
    const pairs: Record<string, number> = {};
    for (const f of all) for (const p of f.pairs) pairs[p] = (pairs[p] ?? 0) + 1;
    return {
      profile: profile.name,
      mode: modeName,
      viewers,
      offloadWhole: sum(all, 'playedFromPeers') / Math.max(1, sum(all, 'played')),
      offloadSteady: steadyPeers / Math.max(1, steadyPlayed),
      peerReceivedMB: sum(all, 'peerReceived') / 1e6,
      playedMB: sum(all, 'played') / 1e6,
      // Peer bytes neither played nor waiting to be (in the video's buffer, or held ahead of what the player loaded).
      wasted: sum(all, 'peerReceived') > 0 ? Math.max(0, 1 - (sum(all, 'playedFromPeers') + sum(all, 'aheadFromPeers')) / sum(all, 'peerReceived')) : 0,
      ceiling: ceiling(specs, encoder.bitrate, mode.perHome),
      reachable: reachableCeiling(specs, encoder.bitrate, mode.perHome),
      stalls: all.reduce((a, f) => a + f.stalls, 0),
      stallsStayers: stayed.reduce((a, f) => a + f.stalls, 0),
      notPlaying: stayed.filter((f) => !f.playing).length + done.filter((d) => d.stayed).reduce((a, d) => a + Math.max(0, mode.perHome - d.figures.length), 0),
      ttffMs: median(all.map((f) => f.firstFrameMs ?? NaN)),
      latencyS: median(all.map((f) => f.latencySeconds ?? NaN)),
      wallLatencyS: median(all.map((f) => (f.wallLatencyMs ?? NaN) / 1000)),
      wallLatencyP95S: quantile(all.map((f) => (f.wallLatencyMs ?? NaN) / 1000).filter(Number.isFinite), 0.95) ?? NaN,
      segmentReqPerViewerMin: (pipeline.segmentRequests() - segmentsBefore) / (viewers * minutes),
      playlistReqPerViewerMin: (pipeline.counts.playlists - playlistsBefore) / (viewers * minutes),
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

const sum = (xs: MediaFigures[], k: 'played' | 'playedFromPeers' | 'aheadFromPeers' | 'peerReceived'): number => xs.reduce((a, f) => a + f[k], 0);
/** A figure a mode cannot measure is NaN and prints as – (the README says why per mode). */
const seconds = (x: number, digits: number): string => (Number.isFinite(x) ? `${x.toFixed(digits)} s` : '–');
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

function printRun(r: RunResult): void {
  const judged = r.cpu < SATURATED;
  console.log(
    `\n### ${r.profile} · ${r.mode} · ${r.viewers} viewers${r.left ? ` (${r.left} left, as many joined)` : ''}${judged ? '' : ' · CPU SATURATED: not judged'}`,
  );
  console.log(
    '| home | line (up/down Mb/s) | NAT | upload | up MB (avg Mb/s) | down MB (avg Mb/s) | played MB | from peers (played) | peer MB received | segments peer / HTTP (why: at once, missed, no holder, unannounced) | stalls | pairs |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const h of r.homes) {
    const f = { played: sum(h.figures, 'played'), playedFromPeers: sum(h.figures, 'playedFromPeers'), peerReceived: sum(h.figures, 'peerReceived') };
    const stalls = h.figures.reduce((a, v) => a + v.stalls, 0);
    const pairs = h.figures.flatMap((v) => v.pairs);
    const rate = (bytes: number): string => ((bytes * 8) / 1e6 / Math.max(1, h.seconds)).toFixed(2);
    const counted = h.figures.flatMap((v) => (v.segments ? [v.segments] : []));
    const segments = counted.length
      ? `${counted.reduce((a, c) => a + c.peer, 0)} / ${counted.reduce((a, c) => a + c.http, 0)} (${(['atOnce', 'misses', 'noHolder', 'unannounced'] as const).map((k) => counted.reduce((a, c) => a + c[k], 0)).join(', ')})`
      : '–';
    console.log(
      `| ${h.spec.index}${h.stayed ? '' : ' (left)'} | ${h.spec.uplinkMbit ?? '∞'}/${h.spec.downlinkMbit ?? '∞'} | ${h.spec.nat}${h.spec.udpBlocked ? ', UDP blocked' : ''} | ${h.spec.uploadOff ? 'off' : 'on'} | ${mb(h.bytes.up)} (${rate(h.bytes.up)}) | ${mb(h.bytes.down)} (${rate(h.bytes.down)}) | ${mb(f.played)} | ${pct(f.playedFromPeers / Math.max(1, f.played))} | ${mb(f.peerReceived)} | ${segments} | ${stalls} | ${pairs.join(' ') || '–'} |`,
    );
  }
  for (const h of r.homes) {
    for (const [i, v] of h.figures.entries()) {
      // What each stall looked like: a buffer that ended where the next segment should begin, in several
      // homes at one moment, is the live edge's; one home's, after a slow fragment, is its own.
      const who = `home ${h.spec.index}${h.figures.length > 1 ? ` viewer ${i}` : ''}`;
      for (const record of v.stallLog ?? []) console.log(`stall, ${who}: ${JSON.stringify(record)}`);
      if (v.errors?.length) console.log(`errors, ${who}: ${JSON.stringify(v.errors)}`);
    }
  }
  if (r.mode === 'p2p' && PAIR_SYNTHETIC) printPairs(r);
}

/** The issue's check: a synthetic and a Chromium viewer in the same home get the same share (±3 points). */
function printPairs(r: RunResult): void {
  console.log('\n| home | Chromium from peers (played) | synthetic from peers (played) | difference (points) |');
  console.log('|---|---|---|---|');
  for (const h of r.homes) {
    const share = (kind: string): number => {
      const of = h.figures.filter((v) => v.kind === kind);
      return sum(of, 'played') > 0 ? sum(of, 'playedFromPeers') / sum(of, 'played') : NaN;
    };
    const [c, s] = [share('chromium'), share('synthetic')];
    const diff = Math.abs(c - s) * 100;
    console.log(`| ${h.spec.index} | ${pct(c)} | ${pct(s)} | ${Number.isFinite(diff) ? `${diff.toFixed(1)}${diff > 3 ? ' (over 3)' : ''}` : '–'} |`);
  }
}

function printSummary(rows: RunResult[]): void {
  console.log(
    '\n| latency | profile | mode | N | offload played (whole / steady) | ceiling | reachable ceiling | offload ÷ ceiling (÷ reachable) | peer MB received / played MB | wasted | stalls (stayers) | TTFF p50 | latency p50 (wall p50 / p95) | origin seg req/viewer-min | playlist req/viewer-min | ICE pairs | CPU |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const pairs = Object.entries(r.pairs)
      .map(([k, n]) => `${k}×${n}`)
      .join(' ');
    console.log(
      `| ${r.latency ?? 'standard'} | ${r.profile} | ${r.mode} | ${r.viewers} | ${pct(r.offloadWhole)} / ${pct(r.offloadSteady)} | ${pct(r.ceiling)} | ${pct(r.reachable)} | ${r.ceiling > 0 ? (r.offloadWhole / r.ceiling).toFixed(2) : '–'} (${r.reachable > 0 ? (r.offloadWhole / r.reachable).toFixed(2) : '–'}) | ${r.peerReceivedMB.toFixed(1)} / ${r.playedMB.toFixed(1)} | ${pct(r.wasted)} | ${r.stalls} (${r.stallsStayers})${r.notPlaying ? `, ${r.notPlaying} not playing` : ''} | ${seconds(r.ttffMs / 1000, 2)} | ${seconds(r.latencyS, 1)} (${seconds(r.wallLatencyS, 1)} / ${seconds(r.wallLatencyP95S, 1)}) | ${r.segmentReqPerViewerMin.toFixed(2)} | ${r.playlistReqPerViewerMin.toFixed(2)} | ${pairs || '–'} | ${pct(r.cpu)}${r.cpu >= SATURATED ? ' SATURATED' : ''} |`,
    );
  }
}

// ---- main ----------------------------------------------------------------------------------------

function signalingConfig(): Record<string, unknown> {
  if (ICE === 'none') return { iceMode: 'none' };
  return { iceMode: 'relaycast', publicHost: ORIGIN_ADDRESS, stunPort: STUN_PORT };
}

async function insideLab(lab: Lab): Promise<void> {
  for (const m of MODE_NAMES) if (!MODES[m]) throw new Error(`unknown mode ${m}; modes: ${Object.keys(MODES).join(', ')}`);
  if (STREAM_MBIT !== '0.9' && STREAM_MBIT !== '2.7') throw new Error('--stream is 0.9 or 2.7');
  if (!Number.isInteger(SYNTHETIC_PER_HOME) || SYNTHETIC_PER_HOME < 1 || SYNTHETIC_PER_HOME > 50) throw new Error('--synthetic-per-home is 1–50');
  const profiles = PROFILES.map((p) => loadProfile(p));
  const rows: RunResult[] = [];
  try {
    for (const latency of LATENCIES) await runLatency(lab, profiles, latency, rows);
  } finally {
    lab.close();
  }
  printSummary(rows);
}

/** Every profile, repeat and mode on one pipeline and encoder set up for `latency` (segment length, the pages' distance to live). */
async function runLatency(lab: Lab, profiles: ReturnType<typeof loadProfile>[], latency: LatencyMode, rows: RunResult[]): Promise<void> {
  const pipeline = await startSwarmPipeline({ stream: STREAM, host: ORIGIN_ADDRESS, signaling: { ...signalingConfig(), latency } });
  const encoder = startLiveEncoder(pipeline.hlsDir, STREAM_MBIT === '2.7' ? '720p' : '360p', LATENCY_RULES[latency].segmentSeconds);
  // One stop, however many ask: a signal during the end of a run waits for the same one.
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await p2pml?.close().catch(() => undefined);
      await encoder.stop().catch(() => undefined);
      // Bounded: twice, after fifty synthetic viewers whose homes were deleted under their open
      // connections, the origin's server waited for connections that would never close, and the
      // figures (printed after this) never came. The lab's teardown and the exit end what is left.
      await Promise.race([pipeline.stop().catch(() => undefined), sleep(PIPELINE_STOP_MS)]);
    })());
  const onSignal = (): void => {
    void stop().then(() => {
      lab.close();
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (MODE_NAMES.includes('p2pml')) p2pml = await startBaseline(pipeline);
    await waitForStream(pipeline.base, STREAM);
    await sleep(8000); // a few segments in the window before the first viewer
    console.log(
      `netlab bench, ${latency} latency: ${encoder.kind}; origin ${pipeline.base}; ${SECONDS} s per run, steady state after ${STEADY_AFTER_S} s; viewers join 1 s apart; signaling ICE ${ICE}`,
    );
    for (const profile of profiles) {
      console.log(`\nprofile ${profile.name}: ${profile.description}`);
      for (const mode of MODE_NAMES) console.log(`  mode ${mode}: ${MODES[mode].describe}`);
      for (const h of homesFor(profile, VIEWERS)) console.log(`  ${describeHome(h)}`);
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        for (const mode of MODE_NAMES) {
          if (mode === 'p2pml' && !p2pml) continue;
          const r = { ...(await runOnce(lab, pipeline, encoder, profile, mode)), latency };
          rows.push(r);
          printRun(r);
        }
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stop();
  }
}

/** The baseline at the origin's address, told the signaling node's own STUN and no other. */
async function startBaseline(pipeline: SwarmPipeline): Promise<P2pmlBaseline | undefined> {
  const stunUrls = ICE === 'none' ? [] : [`stun:${ORIGIN_ADDRESS}:${STUN_PORT}`];
  const masterUrl = `${pipeline.base}/live/${STREAM}/master.m3u8`;
  try {
    return await startP2pmlBaseline({ host: ORIGIN_ADDRESS, port: 0, trackerPort: 0, stunUrls, masterUrl });
  } catch (err) {
    if (!(err instanceof P2pmlUnavailableError)) throw err;
    console.log(`p2pml mode skipped: ${err.message}`);
    return undefined;
  }
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
  // Installed out here: inside the lab the registry is out of reach (the mode is skipped if this fails).
  if (MODE_NAMES.includes('p2pml')) {
    const outcome = await ensureP2pmlInstalled();
    if (!outcome.ok) console.log(`p2pml mode will be skipped: ${outcome.reason}`);
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
