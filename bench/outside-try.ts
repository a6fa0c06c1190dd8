/**
 * The publishing path tried from the outside (issue 14, "Done when"): a real Node-RED process
 * (red.js, this package loaded from nodesDir) runs relaycast-hls-watch → relaycast-r2-upload →
 * relaycast-manifest; a real `ffmpeg -re -f hls` encoder writes in real time into the watched
 * folder, keeping every segment listed and on disk; r2-upload stores into a local S3 server through
 * the fault proxy; a player polls the served master and media playlists every 0.5 s and keeps every
 * version. One row per scenario: every encoder profile, graceful encoder restarts inside the
 * ENDLIST grace, 20 % upload faults, SIGKILLs of Node-RED at random moments, a slow store and a
 * store 10× slower than real time.
 *
 * Per row: segments the encoder wrote; stored byte for byte and listed in manifest's (DVR) playlist;
 * lost; listed twice; MSNs that named two URIs; RFC 8216 violations over every served version; the
 * longest wait between served versions adding a segment (less Node-RED's downtime after a SIGKILL
 * and the time no encoder was producing); Node-RED exits the bench did not cause; Node-RED RSS.
 * Exits 1 when a row misses a target.
 *
 *   npm run build && flock /tmp/heavy.flock npx tsx bench/outside-try.ts [--scenario ts,sigkill] [--seconds 60] [--seed 14]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../devtools/fault-proxy';
import { seededRandom } from '../devtools/fault-proxy/seeded-random';
import { parseMediaPlaylist } from '../devtools/hls-validator';
import { startLocalS3, type LocalS3 } from '../devtools/local-s3';
import { checkDelivery } from '../test/support/delivery-check';
import { until } from '../test/support/until';
import { FfmpegEncoder, renditionsOf, type Profile } from './support/ffmpeg-encoder';
import { NodeRedSupervisor } from './support/node-red-supervisor';
import { PollingPlayer, longestWait } from './support/polling-player';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SECONDS = Number(arg('seconds') ?? 60);
const SEED = Number(arg('seed') ?? 14);
const STREAM = 'try';

interface Scenario {
  name: string;
  what: string;
  profile: Profile;
  segmentSeconds: number;
  proxy?: Partial<FaultProxyOptions>;
  upload?: Record<string, unknown>;
  manifest?: Record<string, unknown>;
  restarts?: boolean;
  kills?: boolean;
  /**
   * A store slower than the stream: r2-upload's designed behaviour is to shed what exceeds its
   * backlog as gaps (E_UPLOAD_OVERLOADED) with memory flat, so "nothing lost" becomes "nothing lost
   * silently" and the stall target does not apply (ordered release waits for the slow PUT).
   */
  sheds?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'ts', what: 'single rendition, MPEG-TS', profile: 'ts', segmentSeconds: 2 },
  { name: 'fmp4', what: 'single rendition, fMP4 (-hls_segment_type fmp4)', profile: 'fmp4', segmentSeconds: 2 },
  { name: 'abr3', what: 'three renditions, master playlist (-var_stream_map, -master_pl_name)', profile: 'abr3', segmentSeconds: 2 },
  { name: 'vargop', what: 'variable GOP (irregular -force_key_frames): EXTINF varies', profile: 'vargop', segmentSeconds: 2 },
  // The operator's way out of the row above (the node's help): a configured target duration of at
  // least the longest segment, -hls_time + the longest keyframe interval (2 + 1.8 s), rounded up.
  {
    name: 'vargop-td4',
    what: 'variable GOP as above, manifest target duration configured to 4 s',
    profile: 'vargop',
    segmentSeconds: 2,
    manifest: { targetDuration: 4 },
  },
  {
    name: 'restarts',
    what: 'MPEG-TS, encoder stopped gracefully (ENDLIST) every ~12 s and started again 2 s later',
    profile: 'ts',
    segmentSeconds: 2,
    restarts: true,
  },
  {
    name: 'faults',
    what: 'three renditions (MPEG-TS), 20 % of store requests faulted (503/429/reset before/after/stall)',
    profile: 'abr3',
    segmentSeconds: 2,
    proxy: { faultRate: 0.2, stallMs: 30_000 },
  },
  {
    name: 'sigkill',
    what: 'MPEG-TS, Node-RED SIGKILLed every 5–12 s (half 5–20 ms after a listing), restarted at once',
    profile: 'ts',
    segmentSeconds: 2,
    kills: true,
  },
  { name: 'slow', what: 'MPEG-TS, every store request delayed 0.6–1.6 s', profile: 'ts', segmentSeconds: 2, proxy: { latency: { minMs: 600, maxMs: 1600 } } },
  {
    name: 'slow10x',
    what: 'MPEG-TS 1-s segments, every store request 10 s (10× slower than real time), 1 PUT at a time, backlog 3',
    profile: 'ts',
    segmentSeconds: 1,
    proxy: { latency: { minMs: 10_000, maxMs: 10_000 } },
    upload: { concurrency: 1, attemptTimeout: 60, maxQueue: 3 },
    sheds: true,
  },
];

function flows(
  hlsDir: string,
  endpoint: string,
  publicBaseUrl: string,
  upload: Record<string, unknown> = {},
  manifest: Record<string, unknown> = {},
): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'outside try' },
    {
      id: 'watch',
      type: 'relaycast-hls-watch',
      z: 'tab',
      path: hlsDir,
      stream: STREAM,
      renditions: 'all',
      usePolling: false,
      pollInterval: 250,
      maxSegmentMB: 64,
      segmentWait: 3000,
      x: 120,
      y: 60,
      wires: [['upload']],
    },
    // The node's defaults except keep-all (the encoder keeps every segment, and so does the bucket).
    {
      id: 'upload',
      type: 'relaycast-r2-upload',
      z: 'tab',
      bucket: 'bucket',
      concurrency: 4,
      maxAttempts: 5,
      attemptTimeout: 10,
      maxQueue: 256,
      maxQueueMB: 256,
      keepAll: true,
      keepSegments: 12,
      ...upload,
      x: 320,
      y: 60,
      wires: [['manifest']],
    },
    // DVR: the served playlist lists the whole stream, so "listed exactly once" is checked on all of
    // it; the end grace is the default (3 × target duration).
    {
      id: 'manifest',
      type: 'relaycast-manifest',
      z: 'tab',
      stream: STREAM,
      windowSegments: 6,
      targetDuration: 0,
      dvr: true,
      gapMode: 'gap',
      blockingReload: false,
      idleEndSeconds: 0,
      endGraceSeconds: '',
      ...manifest,
      x: 520,
      y: 60,
      wires: [[]],
    },
    {
      id: 'bucket',
      type: 'relaycast-r2-bucket',
      provider: 's3',
      endpoint,
      region: 'auto',
      bucket: 'relaycast',
      publicBaseUrl,
      keyPrefix: 'live',
      forcePathStyle: true,
    },
  ];
}

interface Row {
  scenario: Scenario;
  written: number;
  stored: number;
  listed: number;
  lost: number;
  gaps: number;
  shedLogged: number;
  twice: number;
  notStored: number;
  inOrder: boolean;
  conflicts: string[];
  violations: string[];
  badInits: number;
  ended: boolean;
  stallMs: number;
  rawStallMs: number;
  targetDuration: number;
  crashes: string[];
  kills: number;
  restarts: number;
  rssMax: number;
  rssFirst: number;
  rssLast: number;
  extinf: string;
  injected: string;
  problems: string[];
  versions: number;
  masterVersions: number;
  errorLines: string[];
  encoderTargets: string;
  discontinuities: number;
  missed: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function fetchBody(url: string): Promise<Buffer | undefined> {
  const res = await fetch(url).catch(() => undefined);
  if (!res || res.status !== 200) return undefined;
  return Buffer.from(await res.arrayBuffer());
}

async function run(scenario: Scenario): Promise<Row> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `relaycast-outside-${scenario.name}-`));
  const random = seededRandom(SEED);
  let s3: LocalS3 | undefined;
  let proxy: FaultProxy | undefined;
  let supervisor: NodeRedSupervisor | undefined;
  let player: PollingPlayer | undefined;
  const hlsDir = path.join(dir, 'hls');
  const encoder = new FfmpegEncoder({ profile: scenario.profile, outDir: hlsDir, segmentSeconds: scenario.segmentSeconds, seed: SEED });
  try {
    s3 = await startLocalS3({ bucket: 'relaycast' });
    proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 0, seed: SEED, ...scenario.proxy });
    supervisor = new NodeRedSupervisor({
      userDir: path.join(dir, 'userdir'),
      flows: flows(hlsDir, proxy.endpoint, s3.publicBaseUrl, scenario.upload, scenario.manifest),
      credentials: { bucket: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } },
    });
    await supervisor.start();
    const sup = supervisor;
    player = new PollingPlayer(() => sup.base, STREAM, renditionsOf(scenario.profile));
    player.start();

    encoder.start();
    const started = performance.now();
    const endAt = started + SECONDS * 1000;
    let restarts = 0;
    let nextRestart = started + 12_000;
    let nextKill = started + 5000 + random() * 7000;
    let kill = 0;
    while (performance.now() < endAt) {
      if (scenario.restarts && performance.now() >= nextRestart && endAt - performance.now() > 8000) {
        await encoder.stop();
        await sleep(2000);
        encoder.start();
        restarts += 1;
        nextRestart = performance.now() + 12_000;
      }
      if (scenario.kills && performance.now() >= nextKill) {
        if (kill++ % 2 === 0) {
          // 5–20 ms after the encoder lists a segment: hls-watch is reading it or r2-upload storing it.
          const before = encoder.lastListedAt;
          await until(() => encoder.lastListedAt !== before, 'the encoder to list a segment', 10_000, 1);
          await sleep(5 + random() * 15);
        }
        await sup.killAndRestart();
        nextKill = performance.now() + 5000 + random() * 7000;
      }
      await sleep(50);
    }
    const stopAt = performance.now();
    await encoder.stop();
    // Every rendition ends (the encoder's ENDLIST, after manifest's grace) once all is released.
    const endedAll = (): boolean => [...player!.renditions.values()].every((v) => v.latest !== undefined && parseMediaPlaylist(v.latest).endList);
    await until(endedAll, 'every served playlist to end', 90_000, 200).catch(() => undefined);
    await player.pollOnce().catch(() => undefined);
    await player.stop();

    // What the encoder wrote against what was served in the end.
    const writtenBy = encoder.written();
    const row: Row = {
      scenario,
      written: 0,
      stored: 0,
      listed: 0,
      lost: 0,
      gaps: 0,
      shedLogged: 0,
      twice: 0,
      notStored: 0,
      inOrder: true,
      conflicts: player.conflicts(),
      violations: [],
      badInits: 0,
      ended: endedAll(),
      stallMs: 0,
      rawStallMs: 0,
      targetDuration: 0,
      crashes: supervisor.crashes,
      kills: supervisor.kills,
      restarts,
      rssMax: 0,
      rssFirst: 0,
      rssLast: 0,
      extinf: '',
      injected: '',
      problems: [],
      missed: [],
      versions: [...player.renditions.values()].reduce((n, v) => n + v.history.versions.length, 0),
      masterVersions: player.masterVersions,
      errorLines: [],
      discontinuities: 0,
      encoderTargets: encoder.targetDurations.join('→') || '–',
    };
    const idle = encoder.idle.map((w) => ({ from: w.from, to: w.to ?? Number.POSITIVE_INFINITY }));
    const inits = encoder.inits();
    for (const [rendition, view] of player.renditions) {
      const written = writtenBy.get(rendition) ?? [];
      const served = view.latest ? parseMediaPlaylist(view.latest) : undefined;
      const segments = served?.segments ?? [];
      row.targetDuration = Math.max(row.targetDuration, served?.targetDuration ?? 0);
      row.gaps += segments.filter((s) => s.gap).length;
      row.discontinuities += segments.filter((s) => s.discontinuity).length;
      const delivery = await checkDelivery(
        written,
        segments.filter((s) => !s.gap).map((s) => s.uri),
      );
      row.written += delivery.written;
      row.stored += delivery.stored;
      row.listed += delivery.listed;
      row.lost += delivery.lost;
      row.twice += delivery.listedTwice;
      row.notStored += delivery.notStored;
      row.inOrder &&= delivery.inOrder;
      row.problems.push(...delivery.problems.map((p) => `${rendition}: ${p}`));
      for (const mapUri of new Set(segments.flatMap((s) => (s.mapUri ? [s.mapUri] : [])))) {
        const body = await fetchBody(mapUri);
        if (!body || !inits.has(sha256(body))) {
          row.badInits += 1;
          row.problems.push(`${rendition}: init ${mapUri} not stored byte for byte`);
        }
      }
      row.stallMs = Math.max(row.stallMs, longestWait(view.newSegmentAt, [...supervisor.down, ...idle], stopAt));
      row.rawStallMs = Math.max(row.rawStallMs, longestWait(view.newSegmentAt, [], stopAt));
    }
    row.violations = player.violations().map((v) => `${v.rule}: ${v.message}`);
    const out = supervisor.output();
    row.shedLogged = (out.match(/the store is not keeping up/g) ?? []).length;
    // Node-RED's own error lines (the last process's), for a row that misses: what the nodes said.
    row.errorLines = out
      .split('\n')
      .filter((l) => l.includes('[error]') && !l.includes('not keeping up'))
      .slice(0, 3);
    const rss = supervisor.rss.map((s) => s.mib);
    const third = Math.max(1, Math.floor(rss.length / 3));
    row.rssMax = Math.max(0, ...rss);
    row.rssFirst = Math.max(0, ...rss.slice(0, third));
    row.rssLast = Math.max(0, ...rss.slice(-third));
    const d = encoder.durations();
    row.extinf = d.length > 0 ? `${Math.min(...d).toFixed(2)}–${Math.max(...d).toFixed(2)} s` : '–';
    const injected = Object.entries(proxy.counts.injected).filter(([, v]) => v > 0);
    row.injected =
      injected.length === 0
        ? ''
        : `${injected.reduce((n, [, v]) => n + v, 0)} of ${proxy.counts.requests} requests (${injected.map(([k, v]) => `${k} ${v}`).join(', ')})`;
    if (row.written === 0) row.problems.push(`the encoder wrote nothing: ${encoder.allStderr().slice(-800)}`);
    judge(row);
    return row;
  } finally {
    await player?.stop().catch(() => undefined);
    await encoder.stop().catch(() => undefined);
    await supervisor?.stop().catch(() => undefined);
    await proxy?.stop().catch(() => undefined);
    await s3?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function judge(row: Row): void {
  const miss = (ok: boolean, what: string): void => {
    if (!ok) row.missed.push(what);
  };
  miss(row.written >= 10, 'too few segments to judge');
  if (row.scenario.sheds) {
    // Nothing lost in silence: what is not listed is a gap in its place, each shed by the backlog.
    miss(row.lost === row.gaps, `${row.lost} lost but ${row.gaps} gaps`);
    miss(row.gaps <= row.shedLogged, `${row.gaps} gaps but ${row.shedLogged} E_UPLOAD_OVERLOADED`);
    miss(row.rssLast - row.rssFirst <= 32, `RSS grew ${(row.rssLast - row.rssFirst).toFixed(0)} MiB`);
  } else {
    miss(row.lost === 0, `${row.lost} lost`);
    miss(row.gaps === 0, `${row.gaps} gaps`);
    miss(row.stallMs <= 1500 * row.targetDuration, `stall ${(row.stallMs / 1000).toFixed(2)} s > 1.5 × ${row.targetDuration} s`);
  }
  miss(row.twice === 0, `${row.twice} listed twice`);
  miss(row.notStored === 0, `${row.notStored} listed URLs not the encoder's bytes`);
  miss(row.badInits === 0, `${row.badInits} init sections wrong`);
  miss(row.inOrder, 'out of order');
  miss(row.conflicts.length === 0, `${row.conflicts.length} MSNs named two URIs`);
  miss(row.violations.length === 0, `${row.violations.length} RFC 8216 violations`);
  miss(row.crashes.length === 0, `${row.crashes.length} Node-RED crashes`);
  miss(row.ended, 'a served playlist never ended');
}

function printTable(rows: Row[]): void {
  const head = [
    'scenario',
    'written',
    'stored',
    'listed',
    'lost',
    'gaps',
    'twice',
    'MSN→2',
    'RFC',
    'stall s (raw)',
    'limit s',
    'crashes',
    'kills',
    'RSS MiB max',
    'result',
  ];
  const lines = rows.map((r) =>
    [
      r.scenario.name,
      r.written,
      r.stored,
      r.listed,
      r.lost,
      r.gaps,
      r.twice,
      r.conflicts.length,
      r.violations.length,
      `${(r.stallMs / 1000).toFixed(2)} (${(r.rawStallMs / 1000).toFixed(2)})`,
      r.scenario.sheds ? 'n/a' : (1.5 * r.targetDuration).toFixed(1),
      r.crashes.length,
      r.kills,
      r.rssMax.toFixed(0),
      r.missed.length === 0 ? 'met' : 'MISSED',
    ].map(String),
  );
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const l of lines) console.log(`| ${l.join(' | ')} |`);
  for (const r of rows) {
    const notes = [
      r.scenario.what,
      `encoder EXT-X-TARGETDURATION ${r.encoderTargets}`,
      `${r.versions} media playlist versions and ${r.masterVersions} master versions seen`,
      `EXTINF ${r.extinf}`,
      `target duration ${r.targetDuration} s`,
      r.restarts ? `${r.restarts} encoder restarts` : '',
      `${r.discontinuities} EXT-X-DISCONTINUITY in the served playlist(s)`,
      r.injected ? `injected: ${r.injected}` : '',
      r.scenario.sheds
        ? `shed (E_UPLOAD_OVERLOADED logged) ${r.shedLogged}; RSS first third ${r.rssFirst.toFixed(0)} → last third ${r.rssLast.toFixed(0)} MiB`
        : '',
    ]
      .filter(Boolean)
      .join('; ');
    console.log(`\n${r.scenario.name}: ${notes}`);
    if (r.missed.length > 0) console.log(`  MISSED: ${r.missed.join('; ')}`);
    for (const p of r.problems.slice(0, 5)) console.log(`  ${p}`);
    if (r.missed.length > 0) for (const l of r.errorLines) console.log(`  Node-RED: ${l.slice(0, 400)}`);
    for (const v of r.violations.slice(0, 3)) console.log(`  RFC 8216: ${v}`);
    for (const c of r.conflicts.slice(0, 3)) console.log(`  MSN: ${c}`);
    for (const c of r.crashes.slice(0, 2)) console.log(`  crash: ${c.slice(0, 1200)}`);
  }
}

async function main(): Promise<void> {
  const wanted = arg('scenario')?.split(',');
  const chosen = wanted ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;
  if (chosen.length === 0) throw new Error(`no such scenario; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`);
  console.log(`outside try: ${chosen.length} scenario(s) × ${SECONDS} s of live ffmpeg, seed ${SEED}; Node ${process.version}`);
  const rows: Row[] = [];
  for (const s of chosen) {
    const t0 = performance.now();
    const row = await run(s);
    rows.push(row);
    console.log(`  ${s.name}: ${row.missed.length === 0 ? 'met' : `MISSED (${row.missed.join('; ')})`} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  console.log('');
  printTable(rows);
  if (rows.some((r) => r.missed.length > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
