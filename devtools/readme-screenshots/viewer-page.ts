/**
 * Takes the README's viewer page screenshot (docs/images/viewer-page.png) from a real run, so it
 * shows what a viewer sees while sharing: it starts the demo as `npm start` does (on a free port,
 * with its own run folder), opens two viewer tabs in Chromium, waits until the first shows at
 * least MIN_SHARE of its video from the other tab, and saves that tab. WebRTC needs the
 * loopback-only network of the swarm specs, and the build the demo serves:
 *
 *   npm run build && bash scripts/loopback-only.sh npx tsx devtools/readme-screenshots/viewer-page.ts [out.png]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, requireLoopbackOnlyNetwork, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../../test/support/chromium';
import { freePort } from '../../test/support/free-port';
import { untilValue } from '../../test/support/until';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs', 'images', 'viewer-page.png'));
/** A share a reader recognises as sharing (the first segments always come over HTTP). */
const MIN_SHARE = 30;

async function main(): Promise<void> {
  requireLoopbackOnlyNetwork('devtools/readme-screenshots/viewer-page.ts');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-screenshot-'));
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), RELAYCAST_DEMO_RUN_DIR: runDir };
  for (const name of Object.keys(env)) if (name.startsWith('R2_')) delete env[name];
  const demo = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['demo/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  demo.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  demo.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
  try {
    await untilValue(async () => (output.includes('Node-RED editor') ? true : undefined), 'the demo to start', 60_000, 250);
    const pages: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(viewerUrl(base, 'demo'));
      pages.push(page);
    }
    const share = () => pages[0].evaluate(() => Number.parseFloat(document.getElementById('share')?.textContent ?? '0'));
    const shown = await untilValue(
      async () => ((await share()) >= MIN_SHARE ? share() : undefined),
      `the first tab to show ${MIN_SHARE}% from peers`,
      180_000,
      1000,
    );
    await pages[0].screenshot({ path: OUT });
    console.log(`${OUT}: the first of two tabs, ${shown}% of its video from the other`);
  } finally {
    await browser.close();
    const exited = new Promise((resolve) => demo.once('exit', resolve));
    demo.kill('SIGINT');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    if (demo.exitCode === null) demo.kill('SIGKILL');
    rmSync(runDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
