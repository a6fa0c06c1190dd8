/**
 * Where the viewer page's CPU goes (issue 21): one variant at a time, N viewers of it in one
 * headless Chromium against the swarm bench's loopback pipeline, and for each variant over the
 * steady state: Chromium's CPU per viewer by process type (CDP SystemInfo.getProcessInfo: browser,
 * GPU/compositor, renderers, utility), by thread name (/proc: the renderer's main thread, its
 * Compositor, Media, WebRTC threads, the GPU process's VizCompositorThread…) and each page's own
 * main-thread figures (CDP Performance.getMetrics: task, script, layout and style time and counts).
 * The swarm bench (viewer-swarm.ts) says how much the page costs; this says which thread spends it.
 * Variants run one after the other, so a machine whose load drifts meanwhile shifts them all:
 * compare threads, and run a variant twice (first and last) to see the drift.
 *
 * Variants: the swarm bench's modes (`hlsjs`, `bare`, `http`, `p2p`), and `p2p+css:<name>` / `http+css:<name>`,
 * the bundled page with one of the CSS overrides below injected, so that a suspect can be measured
 * before it is changed.
 *
 *   npx tsx bench/viewer-page-cpu.ts [--viewers 2] [--seconds 30] [--variants hlsjs,http,p2p,http+css:no-chart]
 */
import type { CDPSession, Page } from 'playwright-core';
import { launchChromium, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../test/support/chromium';
import { startSwarmPipeline } from '../test/support/swarm';
import { startLiveEncoder } from './support/live-encoder';
import { CLOCK_TICKS_PER_SECOND, descendantCpuMs, descendants, sleep, waitForStream } from './support/swarm-figures';
import { serveBarePages } from './support/bare-pages';
import { confinedToLoopback } from './support/loopback-only';
import { readdirSync, readFileSync } from 'node:fs';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const VIEWERS = Number(args.get('viewers') ?? 2);
const SECONDS = Number(args.get('seconds') ?? 30);
const WARMUP_S = 12;
const VARIANTS = (args.get('variants') ?? 'hlsjs,bare,http,p2p').split(',');
const STREAM = 'bench';

/** Suspects, each switched off (or, for `transition`, the share bar's old transition put back) alone. */
const CSS: Record<string, string> = {
  'no-transition': '#share-bar { transition: none !important; }',
  'no-radius': '.player video { border-radius: 0 !important; }',
  'no-chart': '#chart { display: none !important; }',
  'no-stats': '#stats { display: none !important; }',
  'no-tabular': '.figures dd { font-variant-numeric: normal !important; }',
  contain: '#stats, header { contain: content; }',
  transition: '#share-bar { transition: transform 0.5s; }',
};

const METRICS = ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'LayoutCount', 'RecalcStyleCount', 'ThreadTime', 'ProcessTime'];

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  return Object.fromEntries(metrics.filter((m) => METRICS.includes(m.name)).map((m) => [m.name, m.value]));
}

async function processCpu(cdp: CDPSession): Promise<Record<string, number>> {
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; id: number; cpuTime: number }> };
  const byType: Record<string, number> = {};
  for (const p of processInfo) byType[p.type] = (byType[p.type] ?? 0) + p.cpuTime;
  return byType;
}

/**
 * CPU ms so far of every thread of this bench's Chromium processes, summed by thread name
 * (CrRendererMain, Compositor, VizCompositorThread, Media, WebRTC_*…): where a variant's CPU goes.
 */
function threadCpuMs(): Map<string, number> {
  const byName = new Map<string, number>();
  for (const { pid } of descendants(process.pid, /^chrom/)) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const tid of tasks) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        byName.set(name, (byName.get(name) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND);
      } catch {
        // gone meanwhile
      }
    }
  }
  return byName;
}

async function main(): Promise<void> {
  if (!confinedToLoopback(__filename)) return;
  const pipeline = await startSwarmPipeline({ stream: STREAM });
  const encoder = startLiveEncoder(pipeline.hlsDir, '360p');
  await waitForStream(pipeline.base, STREAM);
  await sleep(8000);
  const bare = await serveBarePages(pipeline, STREAM, ' 127\\.0\\.0\\.1 ');
  const browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
  const browserCdp = await browser.newBrowserCDPSession();
  console.log(
    `viewer page CPU probe: ${encoder.kind}; ${VIEWERS} viewers per variant, ${SECONDS} s measured after ${WARMUP_S} s; Chromium ${browser.version()}`,
  );
  const rows: string[] = [];
  try {
    for (const variant of VARIANTS) {
      const [mode, css] = variant.split('+css:');
      const url =
        mode === 'hlsjs'
          ? bare.hlsjs
          : mode === 'bare'
            ? bare.bare
            : mode === 'http'
              ? `${viewerUrl(pipeline.base, STREAM)}&relaycast=0`
              : viewerUrl(pipeline.base, STREAM);
      const pages: Array<{ page: Page; cdp: CDPSession }> = [];
      const contexts = [];
      for (let i = 0; i < VIEWERS; i++) {
        const context = await browser.newContext();
        contexts.push(context);
        const page = await context.newPage();
        await page.goto(url);
        if (css) await page.addStyleTag({ content: CSS[css] });
        const cdp = await context.newCDPSession(page);
        await cdp.send('Performance.enable');
        pages.push({ page, cdp });
        await sleep(500);
      }
      await sleep(WARMUP_S * 1000);
      const m0 = await Promise.all(pages.map((p) => metrics(p.cdp)));
      const p0 = await processCpu(browserCdp);
      const c0 = { at: Date.now(), ms: descendantCpuMs(process.pid, /^chrom/) };
      const t0 = threadCpuMs();
      await sleep(SECONDS * 1000);
      const m1 = await Promise.all(pages.map((p) => metrics(p.cdp)));
      const p1 = await processCpu(browserCdp);
      const t1 = threadCpuMs();
      const seconds = (Date.now() - c0.at) / 1000;
      const total = (descendantCpuMs(process.pid, /^chrom/) - c0.ms) / 1000 / seconds / VIEWERS;
      const perType = Object.keys(p1)
        .map((t) => `${t} ${(((p1[t] - (p0[t] ?? 0)) / seconds / VIEWERS) * 100).toFixed(1)}`)
        .join(', ');
      // Per page, ms per second (or counts per second), averaged over the pages.
      const page = METRICS.map((k) => {
        const per = m1.reduce((a, m, i) => a + (m[k] - m0[i][k]), 0) / VIEWERS / seconds;
        return `${k} ${k.endsWith('Count') ? per.toFixed(2) : (per * 1000).toFixed(1)}`;
      }).join(', ');
      // Threads that ran meanwhile (a thread that ended in the window is missed), ms/s per viewer.
      const threads = [...t1]
        .map(([name, ms]) => [name, (ms - (t0.get(name) ?? 0)) / seconds / VIEWERS] as const)
        .filter(([, ms]) => ms >= 0.5)
        .sort((a, b) => b[1] - a[1])
        .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
        .join(', ');
      const row = `${variant}: Chromium ${(total * 100).toFixed(1)} % of a core per viewer [${perType}] | per page, ms/s: ${page}\n  threads, ms/s per viewer: ${threads}`;
      console.log(row);
      rows.push(row);
      for (const context of contexts) await context.close();
      await sleep(2000);
    }
  } finally {
    await browser.close();
    await encoder.stop();
    await pipeline.stop();
  }
  console.log('\n' + rows.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
