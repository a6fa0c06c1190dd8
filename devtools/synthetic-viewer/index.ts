/**
 * Synthetic viewers for scale: N SyntheticViewers (the real peer engine, a simulated player) in
 * this one Node process, one event loop, so that 50 fit a 2-core machine. A bench or the network
 * lab starts them in-process (startSyntheticViewers / runSyntheticViewers), or spawns the CLI
 * inside a namespace (syntheticCommand) and reads its JSON report (readSyntheticReport).
 */
import path from 'node:path';
import { nodePlatform } from '../../lib/supporter/node-platform';
import type { PeerPlatform } from '../../lib/peer/platform';
import { defaultRenditionFromUrl, defaultStreamFromUrl } from '../../viewer/loader/options';
import { cpuBusyBetween, cpuTimes, sleep, type CpuTimes } from '../../bench/support/swarm-figures';
import { swarmFigures, type SyntheticReport } from './figures';
import { SyntheticViewer, type SyntheticViewerOptions } from './viewer';

export type { SwarmFigures, SyntheticReport, ViewerFigures } from './figures';
export { SyntheticViewer } from './viewer';

export interface SyntheticSwarmOptions {
  masterUrl: string;
  /** ws(s):// URL of the signaling node. */
  signalingUrl: string;
  viewers: number;
  /** Share of viewers (0–1) that never upload, spread evenly through the join order. */
  uploadOffShare?: number;
  /** Upload cap of each uploading viewer, bytes per second (0 = uncapped). */
  uploadBytesPerSecond?: number;
  maxPeers?: number;
  /** ms between two viewers' joins (default 200). */
  joinEveryMs?: number;
  candidateFilter?: (candidate: string) => boolean;
  /**
   * The address viewer i's signaling socket binds to. Signaling budgets messages (and dedupes
   * receipts) per client address, so N viewers on one address look like one flooding home; on
   * loopback, loopbackSource gives each its own 127.0.x.y, as distinct homes have.
   */
  localAddress?: (i: number) => string | undefined;
  onSegment?: (viewer: string, ...args: Parameters<NonNullable<SyntheticViewerOptions['onSegment']>>) => void;
  platform?: PeerPlatform;
}

export interface SyntheticSwarm {
  viewers: SyntheticViewer[];
  /** Resolves once every viewer has been started (joins are spread over joinEveryMs). */
  joined: Promise<void>;
  report(): SyntheticReport;
  stop(): void;
}

/** Whether viewer `i` has upload off: `share` of them, spread evenly through the join order. */
export function uploadOff(i: number, share: number): boolean {
  return Math.floor((i + 1) * share + 1e-9) > Math.floor(i * share + 1e-9);
}

/** The stream, the first variant's rendition and its media playlist URL, from the master playlist. */
export async function resolveMaster(masterUrl: string): Promise<{ stream: string; rendition: string; mediaUrl: string }> {
  const res = await fetch(masterUrl);
  if (!res.ok) throw new Error(`GET ${masterUrl}: HTTP ${res.status}`);
  const text = await res.text();
  const variant = text.split(/\r?\n/).find((line) => line.trim() !== '' && !line.startsWith('#'));
  if (!variant) throw new Error(`no variant in the master playlist at ${masterUrl}`);
  const mediaUrl = new URL(variant.trim(), masterUrl).toString();
  return { stream: defaultStreamFromUrl(new URL(masterUrl).pathname), rendition: defaultRenditionFromUrl(variant.trim()), mediaUrl };
}

/** The machine's CPU jiffies, when /proc/stat is readable (Linux). */
function machineCpu(): CpuTimes | undefined {
  try {
    return cpuTimes();
  } catch {
    return undefined;
  }
}

/** Viewer i's own loopback address: 127.0.1.1, 127.0.1.2, … (all of 127/8 is local on Linux). */
export function loopbackSource(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

export async function startSyntheticViewers(options: SyntheticSwarmOptions): Promise<SyntheticSwarm> {
  const { stream, rendition, mediaUrl } = await resolveMaster(options.masterUrl);
  const platform = options.platform ?? nodePlatform();
  const startedAt = performance.now();
  const cpu0 = process.cpuUsage();
  const machine0 = machineCpu();
  let rssPeak = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 1000);
  const viewers: SyntheticViewer[] = [];
  let stopped = false;
  const joined = (async () => {
    for (let i = 0; i < options.viewers && !stopped; i++) {
      const id = `s${i}`;
      const localAddress = options.localAddress?.(i);
      const viewer = new SyntheticViewer(id, {
        platform: localAddress ? nodePlatform({ localAddress }) : platform,
        masterUrl: options.masterUrl,
        mediaUrl,
        signalingUrl: options.signalingUrl,
        stream,
        rendition,
        upload: !uploadOff(i, options.uploadOffShare ?? 0),
        uploadBytesPerSecond: options.uploadBytesPerSecond,
        maxPeers: options.maxPeers,
        candidateFilter: options.candidateFilter,
        onSegment: options.onSegment && ((segment, bytes) => options.onSegment!(id, segment, bytes)),
      });
      viewers.push(viewer);
      viewer.start();
      if (i + 1 < options.viewers) await sleep(options.joinEveryMs ?? 200);
    }
  })();
  return {
    viewers,
    joined,
    report() {
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const seconds = (performance.now() - startedAt) / 1000;
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const machine1 = machineCpu();
      const figures = viewers.map((v) => v.figures());
      return {
        swarm: swarmFigures(figures, seconds, {
          process: { cpuMs, cpuOfOneCore: cpuMs / Math.max(1, seconds * 1000), rssPeakMB: rssPeak / 1e6 },
          ...(machine0 && machine1 ? { machineCpuBusy: cpuBusyBetween(machine0, machine1) } : {}),
        }),
        viewers: figures,
      };
    },
    stop() {
      stopped = true;
      clearInterval(rssTimer);
      for (const v of viewers) v.close();
    },
  };
}

/** Starts the viewers, lets them play `seconds` (from the last join), reports and stops them. */
export async function runSyntheticViewers(options: SyntheticSwarmOptions & { seconds: number }): Promise<SyntheticReport> {
  const swarm = await startSyntheticViewers(options);
  try {
    await swarm.joined;
    await sleep(options.seconds * 1000);
    return swarm.report();
  } finally {
    swarm.stop();
  }
}

/**
 * The command that runs synthetic viewers in their own process, for a bench that places them in a
 * network namespace (`ip netns exec <home> …syntheticCommand(o)`): its stdout's last line is the
 * JSON report (readSyntheticReport).
 */
export function syntheticCommand(options: {
  masterUrl: string;
  signalingUrl: string;
  viewers: number;
  seconds: number;
  uploadOffShare?: number;
  uploadKbps?: number;
  /** Each viewer on its own 127.0.x.y (see loopbackSource). */
  loopbackSources?: boolean;
  /** A report line this often while playing (cli.ts --report-every-ms); the last line is the latest. */
  reportEveryMs?: number;
}): string[] {
  const cli = path.join(__dirname, 'cli.ts');
  const args = ['--master', options.masterUrl, '--signal', options.signalingUrl, '--viewers', String(options.viewers), '--seconds', String(options.seconds)];
  if (options.uploadOffShare !== undefined) args.push('--upload-off-share', String(options.uploadOffShare));
  if (options.uploadKbps !== undefined) args.push('--upload-kbps', String(options.uploadKbps));
  if (options.loopbackSources) args.push('--loopback-sources', '1');
  if (options.reportEveryMs !== undefined) args.push('--report-every-ms', String(options.reportEveryMs));
  return [process.execPath, '--import', 'tsx', cli, ...args];
}

export function readSyntheticReport(stdout: string): SyntheticReport {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as SyntheticReport;
}

/** The entry the network lab's mode table takes under the name `synthetic`. */
export const syntheticMode = { name: 'synthetic', command: syntheticCommand, read: readSyntheticReport, run: runSyntheticViewers } as const;
