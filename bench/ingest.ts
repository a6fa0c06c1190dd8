/**
 * What relaycast-ingest adds, measured on lib/ingest's IngestServer with a real ffmpeg publishing
 * as OBS does (720p30 H.264 at 2500 kbit/s with a keyframe every 2 s, AAC), in five runs: RTMP
 * copy, SRT copy, and RTMP into a ladder of one, two and three rungs (720:2800,480:1200,360:600),
 * so the CPU each rung adds shows.
 *
 * - Latency, per segment: the moment its file appears in the folder (ffmpeg renames it from .tmp
 *   once complete; seen through fs.watch) − the moment the publisher sent its last sample. The
 *   media timeline comes from the ingest's playlist: segment i ends at (PROGRAM-DATE-TIME_i −
 *   PROGRAM-DATE-TIME_0) + EXTINF_i after the first sample. The first sample's send time is taken
 *   as the publisher's spawn (it publishes with -re, in real time), so the figure includes the
 *   publisher's own start-up and is an upper bound. ffmpeg anchors PROGRAM-DATE-TIME itself on its
 *   wall clock when it opens the output, after connecting and probing the first packets: that
 *   offset (publisher start → first PROGRAM-DATE-TIME) is printed too; PROGRAM-DATE-TIME + EXTINF
 *   alone would leave it out, and then a segment looks stored before it was sent.
 * - CPU: the ingest's ffmpeg (user + system time from /proc, over its lifetime up to the sample,
 *   as a share of one core) and the Node gate (process.cpuUsage over the publish), for each run.
 *   The publisher's own CPU is not counted.
 *
 *   npm run build && flock /tmp/heavy.flock npx tsx bench/ingest.ts [--seconds 24]
 *
 * Prints figures, asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseMediaPlaylist } from '../devtools/hls-validator';
import { IngestServer, type IngestOptions } from '../lib/ingest/ingest-server';
import { DEFAULT_LADDER, parseLadder } from '../lib/ingest/ladder';
import { freePort, freeUdpPort } from '../lib/net/free-port';
import { publishRtmp, publishSrt, type Publisher } from '../test/support/rtmp-publisher';
import { until } from '../test/support/until';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 24);
const KEY = 'bench-stream-key-0123456789';
const PASSPHRASE = 'bench-srt-passphrase-0123';
const VIDEO = { size: '1280x720', kbps: 2500 };
/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

interface Run {
  name: string;
  protocol: 'rtmp' | 'srt';
  ladder: string | undefined;
}

const RUNS: Run[] = [
  { name: 'RTMP, copy', protocol: 'rtmp', ladder: undefined },
  { name: 'SRT, copy', protocol: 'srt', ladder: undefined },
  // The ladder grown a rung at a time: the CPU each rung adds is the difference.
  { name: 'RTMP, ladder 720:2800', protocol: 'rtmp', ladder: '720:2800' },
  { name: 'RTMP, ladder 720:2800,480:1200', protocol: 'rtmp', ladder: '720:2800,480:1200' },
  { name: `RTMP, ladder ${DEFAULT_LADDER}`, protocol: 'rtmp', ladder: DEFAULT_LADDER },
];

/** CPU seconds (user + system) of a process and its age in seconds, from /proc. */
function cpuOf(pid: number): { cpu: number; age: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const startTicks = Number(fields[19]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return { cpu: (utime + stime) / CLOCK_TICKS, age: uptime - startTicks / CLOCK_TICKS };
}

/** The ingest's ffmpeg: this process's ffmpeg child that is not a publisher (it writes HLS). */
function ingestFfmpegPid(): number | undefined {
  try {
    const pids = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'ffmpeg .*-f hls'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    return pids.length === 1 ? Number(pids[0]) : undefined;
  } catch {
    return undefined;
  }
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function measure(run: Run): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'relaycast-bench-ingest-'));
  const ladder = run.ladder ? parseLadder(run.ladder) : [];
  const watched = ladder.length > 0 ? path.join(work, ladder[0]!.name) : work;
  const options: IngestOptions = {
    bind: '127.0.0.1',
    port: await freePort(),
    streamKey: KEY,
    outDir: work,
    ffmpegPath: 'ffmpeg',
    ladder,
    segmentSeconds: 2,
    listSize: 30,
    srt: run.protocol === 'srt' ? { port: await freeUdpPort(), passphrase: PASSPHRASE, latencyMs: 120 } : undefined,
  };
  let publishing = false;
  let ended = false;
  const speeds: number[] = [];
  const server = new IngestServer(options, {
    onStatus: (status) => {
      if (status.speed !== undefined) speeds.push(status.speed);
    },
    onEvent: (event) => {
      if (event.event === 'publishing') publishing = true;
      if (event.event === 'ended') ended = true;
    },
    onError: (err) => console.error(`  ${err.code}: ${err.message}`),
  });
  await server.start();

  // Every segment file's first appearance under its final name (the first rung's, in a ladder).
  const appeared = new Map<string, number>();
  mkdirSync(watched, { recursive: true });
  const watcher = watch(watched, (_event, name) => {
    if (name && name.endsWith('.ts') && !appeared.has(name)) appeared.set(name, Date.now());
  });

  const startedAt = Date.now();
  const publisher: Publisher =
    run.protocol === 'srt'
      ? publishSrt(`srt://127.0.0.1:${server.srtPort}?passphrase=${PASSPHRASE}`, SECONDS, VIDEO)
      : publishRtmp(`rtmp://127.0.0.1:${server.port}/live/${KEY}`, SECONDS, VIDEO);
  await until(() => publishing, 'the publish to start', 30_000);
  const gateCpuBefore = process.cpuUsage();
  const gateFrom = Date.now();
  // CPU sampled two seconds before the publisher stops, while ffmpeg still runs.
  await new Promise((resolve) => setTimeout(resolve, Math.max(1000, (SECONDS - 2) * 1000 - (Date.now() - startedAt))));
  const pid = ingestFfmpegPid();
  const ffmpegCpu = pid === undefined ? undefined : cpuOf(pid);
  const gateCpu = process.cpuUsage(gateCpuBefore);
  const gateSeconds = (Date.now() - gateFrom) / 1000;
  const publisherExit = await publisher.exited;
  await until(() => ended, 'the publish to end', 30_000);
  watcher.close();
  await server.close();

  const playlist = parseMediaPlaylist(readFileSync(path.join(watched, 'index.m3u8'), 'utf8'));
  const latencies: number[] = [];
  const firstPdt = Date.parse(playlist.segments[0]?.programDateTime ?? '');
  if (playlist.segments[0]?.uri.endsWith('-00000.ts') !== true) console.log('  (the playlist no longer lists the first segment: figures skipped)');
  else
    for (const segment of playlist.segments) {
      const pdt = segment.programDateTime ? Date.parse(segment.programDateTime) : NaN;
      const at = appeared.get(path.basename(segment.uri));
      if (Number.isNaN(pdt) || at === undefined) continue;
      latencies.push(at - (startedAt + (pdt - firstPdt) + segment.duration * 1000));
    }
  latencies.sort((a, b) => a - b);
  const cpuShare = ffmpegCpu ? `${((100 * ffmpegCpu.cpu) / ffmpegCpu.age).toFixed(1)} % of one core` : 'not sampled';
  console.log(`${run.name} (${SECONDS} s published, exit ${publisherExit})`);
  console.log(`  segments measured         : ${latencies.length}`);
  if (latencies.length > 0)
    console.log(
      `  publish → stored          : p50 ${percentile(latencies, 50)} ms, p90 ${percentile(latencies, 90)} ms, max ${latencies[latencies.length - 1]} ms`,
    );
  if (!Number.isNaN(firstPdt)) console.log(`  publisher start → 1st PDT : ${firstPdt - startedAt} ms`);
  console.log(`  ingest ffmpeg CPU         : ${cpuShare}`);
  console.log(`  Node gate CPU             : ${((100 * (gateCpu.user + gateCpu.system)) / 1e6 / gateSeconds).toFixed(1)} % of one core`);
  if (speeds.length > 0) console.log(`  ffmpeg speed              : min ×${Math.min(...speeds).toFixed(2)}, last ×${speeds[speeds.length - 1]!.toFixed(2)}`);
  rmSync(work, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.log(
    `relaycast-ingest bench: ${VIDEO.size} 30 fps, ${VIDEO.kbps} kbit/s, 2 s keyframes; ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  for (const run of RUNS) await measure(run);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
