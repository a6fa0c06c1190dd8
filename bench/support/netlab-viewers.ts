// The viewers bench/netlab.ts places in a home: a Chromium process on a page (Relaycast's viewer or
// the p2p-media-loader baseline's), or a process of synthetic viewers (the peer engine in Node with
// a simulated player, devtools/synthetic-viewer) run inside the home's namespace. Either way a
// bench reads them as the same MediaFigures, one per viewer, tagged with its kind.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { homeChromium, type Home, type Lab } from '../../devtools/netlab';
import { syntheticMode, type ViewerFigures } from '../../devtools/synthetic-viewer';
import { launchChromium } from '../../test/support/chromium';
import { MEDIA_WATCH, readMedia, type MediaFigures } from './media-watch';

export type ViewerKind = 'chromium' | 'synthetic';
export type Viewed = MediaFigures & { kind: ViewerKind };

/** The viewers of one home: read() gives one entry per viewer. */
export interface HomeViewers {
  read(): Promise<Viewed[]>;
  close(): Promise<void>;
}

/** `pageUrl` in its own Chromium process inside the home, no camera permission, its origin secure. */
export async function chromiumViewer(lab: Lab, home: Home, pageUrl: string): Promise<HomeViewers> {
  const launch = homeChromium(lab.dir, home, pageUrl);
  const browser = await launchChromium(launch.args, launch.executablePath);
  const page: Page = await (await browser.newContext()).newPage();
  await page.addInitScript(MEDIA_WATCH);
  await page.goto(pageUrl);
  return { read: async () => [{ ...(await readMedia(page)), kind: 'chromium' }], close: () => browser.close() };
}

/** A synthetic viewer's figures as a page's: its latency is the PROGRAM-DATE-TIME (wall) one. */
function asMedia(v: ViewerFigures): Viewed {
  return {
    kind: 'synthetic',
    played: v.playedBytes,
    playedFromPeers: v.playedPeerBytes,
    // A synthetic viewer counts a segment as played when it enters its simulated buffer.
    aheadFromPeers: 0,
    peerReceived: v.receivedPeerBytes,
    httpReceived: v.httpBytes,
    uploaded: v.uploadedBytes,
    stalls: v.stalls,
    firstFrameMs: v.ttffMs,
    wallLatencyMs: v.latencyMs,
    playing: v.ttffMs !== undefined,
    // The Node peer (@roamhq/wrtc) is not asked for its selected pairs: the home's bytes show the links.
    pairs: [],
    stallLog: v.stallLog,
    errors: v.errors,
    segments: {
      peer: v.p2pSegments,
      http: v.httpSegments,
      misses: v.deadlineMisses,
      atOnce: v.httpAtOnce,
      noHolder: v.deadlineWithoutHolder,
      unannounced: v.httpUnannounced,
    },
  };
}

const REPORT_EVERY_MS = 1000;

/**
 * `count` synthetic viewers in one process inside the home's host namespace. It prints a report
 * every second; read() parses the latest, so a mid-run read costs nothing and lags ≤ 1 s.
 */
export function syntheticViewers(home: Home, options: { base: string; stream: string; count: number; seconds: number }): HomeViewers {
  const [command, ...args] = syntheticMode.command({
    masterUrl: `${options.base}/live/${options.stream}/master.m3u8`,
    signalingUrl: `${options.base.replace(/^http/, 'ws')}/relaycast/signal`,
    viewers: options.count,
    seconds: options.seconds,
    uploadOffShare: home.uploadOff ? 1 : 0,
    reportEveryMs: REPORT_EVERY_MS,
  });
  const child = spawn('ip', ['netns', 'exec', home.host, command, ...args], { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let latest = '';
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    const full = lines.filter((line) => line.startsWith('{'));
    if (full.length) latest = full[full.length - 1];
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (code && !signal) console.error(`synthetic viewers in home ${home.index} exited with ${code}: ${stderr.trim()}`);
  });
  return {
    read: () => Promise.resolve(latest ? syntheticMode.read(latest).viewers.map(asMedia) : []),
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Several groups of viewers in one home, read and closed together. */
export function together(groups: HomeViewers[]): HomeViewers {
  return {
    read: async () => (await Promise.all(groups.map((g) => g.read()))).flat(),
    close: async () => void (await Promise.all(groups.map((g) => g.close().catch(() => undefined)))),
  };
}
