// The `relaycast-supporter` command (dist/lib/supporter/cli.js) as its own process, the way a
// friend runs it: token in a file, one JSON figures line a second on stdout. Used by the supporter
// e2e and the swarm benchmark.
//
// RELAYCAST_SUPPORTER_NODE may name another node binary for it (CI runs the supporter under
// Node 22 this way while Node-RED runs under the test's own Node).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CLI = path.resolve(__dirname, '../../dist/lib/supporter/cli.js');

export interface SupporterProcess {
  child: ChildProcess;
  /** Every JSON figures line the command printed, in order. */
  lines: Array<Record<string, any>>;
  stderr: string[];
  exited: Promise<number | null>;
}

export function startSupporter(base: string, stream: string, rendition: string, token: string, maxPeers = 16): SupporterProcess {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-supporter-'));
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const node = process.env.RELAYCAST_SUPPORTER_NODE || process.execPath;
  const child = spawn(
    node,
    [
      CLI,
      '--signaling',
      `${base.replace(/^http/, 'ws')}/relaycast/signal`,
      '--stream',
      stream,
      '--rendition',
      rendition,
      '--token-file',
      tokenFile,
      '--upload-kbps',
      '4000',
      '--memory-mb',
      '64',
      '--max-peers',
      String(maxPeers),
      '--stats-every',
      '1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const proc: SupporterProcess = { child, lines: [], stderr: [], exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      try {
        proc.lines.push(JSON.parse(line));
      } catch {
        /* not a figures line */
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => proc.stderr.push(chunk.toString()));
  if (process.env.RELAYCAST_DEBUG_SUPPORTER) {
    child.stderr!.pipe(process.stderr);
    child.stdout!.pipe(process.stderr);
  }
  return proc;
}

export const latest = (s: SupporterProcess): Record<string, any> | undefined => s.lines[s.lines.length - 1];

/** The process's CPU time so far (user + system, ms) and resident memory (bytes), from /proc. */
export function processUsage(pid: number): { cpuMs: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, rssBytes: rss ? Number(rss[1]) * 1024 : NaN };
}

/** Linux's USER_HZ, which /proc/<pid>/stat counts in (100 on every mainstream build). */
const CLOCK_TICKS_PER_SECOND = 100;
