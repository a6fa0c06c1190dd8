// Small measuring helpers of the swarm benches (bench/viewer-swarm.ts, bench/netlab.ts,
// bench/synthetic-scale.ts) and of the synthetic viewers' report (devtools/synthetic-viewer).
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuTimes {
  busy: number;
  total: number;
}

/** Machine-wide CPU jiffies from /proc/stat: busy = everything but idle and iowait. Throws off Linux. */
export function cpuTimes(): CpuTimes {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export const cpuBusyBetween = (a: CpuTimes, b: CpuTimes): number => (b.busy - a.busy) / Math.max(1, b.total - a.total);

export const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/**
 * The most of the media played that can come from peers in a swarm of `viewers`: every segment is
 * fetched over HTTP at least once, so 1 − 1/N (0 for a lone viewer).
 */
export const peerShareCeiling = (viewers: number): number => (viewers >= 2 ? 1 - 1 / viewers : 0);

export const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '–');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** hls-watch names the stream once the encoder's first playlist is there: wait for the master. */
export async function waitForStream(base: string, stream: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const res = await fetch(`${base}/live/${stream}/master.m3u8`).catch(() => undefined);
    if (res?.ok) return;
    await sleep(500);
  }
  throw new Error(`the stream ${stream} never appeared at ${base}`);
}

/**
 * CPU ms used so far by the live processes under `rootPid` whose command name matches `name`
 * (Chromium's browser, renderer, GPU and utility processes under the bench): per-process utime +
 * stime from /proc, so a mode's pages can be charged what their browser spent.
 */
export function descendantCpuMs(rootPid: number, name: RegExp): number {
  const ticks = descendants(rootPid, name).reduce((sum, p) => sum + p.ticks, 0);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Processes below `rootPid` whose name matches, with the CPU ticks (user + system) each has used. */
export function descendants(rootPid: number, name: RegExp): Array<{ pid: number; ticks: number }> {
  const parents = new Map<number, { ppid: number; comm: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), { ppid: Number(fields[1]), comm, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process exited while the list was read.
    }
  }
  const under = (pid: number): boolean => {
    for (let p = parents.get(pid)?.ppid; p !== undefined && p > 0; p = parents.get(p)?.ppid) if (p === rootPid) return true;
    return false;
  };
  const found: Array<{ pid: number; ticks: number }> = [];
  for (const [pid, p] of parents) if (name.test(p.comm) && under(pid)) found.push({ pid, ticks: p.ticks });
  return found;
}

/** Linux's USER_HZ, which /proc/<pid>/stat counts in (100 on every mainstream build). */
export const CLOCK_TICKS_PER_SECOND = 100;
