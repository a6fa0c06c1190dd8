/**
 * Supporters one link away, on the demo as a newcomer runs it (`npm start`: real Node-RED, the demo
 * encoder, local S3, the whole pipeline): a token issued through payout's invite endpoint gives a
 * link, and a Chromium tab opened on it relays to a viewer tab and is credited in payout's
 * statement; the demo's own supporter link, printed at start, is credited and paid the same way.
 * Statements are read as the operator sees them: the demo flow's "statements" debug node, over
 * the editor's comms socket. Runs in the loopback-only namespace (npm run test:webrtc).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { launchChromium, requireLoopbackOnlyNetwork, viewerUrl, WEBRTC_LOOPBACK_ARGS } from '../support/chromium';
import { freePort } from '../support/free-port';
import { until as untilHolds, untilValue } from '../support/until';
import { figures, until, watchIntegrity } from '../support/viewer-pages';
import { spawnDemo, stopDemo, untilPlaylistLists } from '../support/demo-process';

/** The demo flow's payout node and its "settle now" inject (demo/flows.json). */
const PAYOUT_ID = 'd0000000000000b5';
const SETTLE_ID = 'd0000000000000f2';
const STATEMENTS_ID = 'd0000000000000d6';
/** ICE confined to 127.0.0.1, as viewerUrl does; the query goes before the link's fragment. */
const CANDIDATES = `?candidates=${encodeURIComponent(' 127\\.0\\.0\\.1 ')}`;

interface StatementLine {
  supporter: string;
  bytes: number;
  paid: number;
}
interface Statement {
  period: string;
  lines: StatementLine[];
}

describe('e2e: supporters one link away (the demo, Chromium)', function () {
  this.timeout(300_000);
  let demo: ChildProcess;
  let output = '';
  let base: string;
  let runDir: string;
  let browser: Browser;
  let comms: WebSocket;
  const statements: Statement[] = [];
  const tabs: BrowserContext[] = [];

  const open = async (url: string): Promise<Page> => {
    const context = await browser.newContext();
    tabs.push(context);
    await context.grantPermissions(['camera', 'microphone']);
    const page = await context.newPage();
    await page.goto(url);
    await watchIntegrity(page);
    return page;
  };
  const verifiedBytes = async (supporter: string): Promise<number> => {
    const { accounts } = (await (await fetch(`${base}/relaycast-payout/${PAYOUT_ID}/accounts`)).json()) as {
      accounts: Array<{ supporter: string; verifiedBytes: number }>;
    };
    return accounts.find((a) => a.supporter === supporter)?.verifiedBytes ?? 0;
  };
  /** Clicks "settle now" and resolves to the statement the debug node shows. */
  const settle = async (): Promise<Statement> => {
    const seen = statements.length;
    const res = await fetch(`${base}/inject/${SETTLE_ID}`, { method: 'POST' });
    assert.equal(res.status, 200);
    return untilValue(() => statements[seen], 'the statement in the debug sidebar', 30_000, 100);
  };

  before(async () => {
    requireLoopbackOnlyNetwork('test/e2e/supporter-link.spec.ts');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    runDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-link-'));
    demo = spawnDemo([], { PORT: String(port), RELAYCAST_DEMO_RUN_DIR: runDir }, (text) => (output += text));
    await untilValue(async () => (output.includes('Supporter link') ? true : undefined), 'the supporter link to be printed', 60_000, 250);
    // Tabs open on a live stream: one opened before the first segment waits out the page's backoff.
    await untilPlaylistLists(`${base}/live/demo/0.m3u8`, 1, 'the demo stream to be live', () => output.slice(-2000));
    // The editor's comms socket, as the debug sidebar reads it (no adminAuth on the loopback demo).
    comms = new WebSocket(`${base.replace(/^http/, 'ws')}/comms`);
    comms.on('open', () => comms.send(JSON.stringify({ subscribe: 'debug' })));
    comms.on('message', (data) => {
      const frames = JSON.parse(String(data)) as Array<{ topic: string; data: { id: string; msg: string } }>;
      for (const f of Array.isArray(frames) ? frames : [frames])
        if (f.topic === 'debug' && f.data.id === STATEMENTS_ID) statements.push(JSON.parse(f.data.msg) as Statement);
    });
    browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
  });

  after(async () => {
    comms?.close();
    for (const t of tabs.splice(0)) await t.close().catch(() => undefined);
    await browser?.close();
    await stopDemo(demo);
    rmSync(runDir, { recursive: true, force: true });
  });

  it('a tab opened on an issued link relays to a viewer and is credited in payout’s statement', async () => {
    const res = await fetch(`${base}/relaycast-payout/${PAYOUT_ID}/invite`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ supporter: 'carol', stream: 'demo', origin: base }),
    });
    assert.equal(res.status, 200);
    const { link, token } = (await res.json()) as { link: string; token: string };
    assert.equal(link, `${base}/live/demo/#supporter=${token}`);

    const carol = await open(link.replace('#', `${CANDIDATES}#`));
    const viewer = await open(viewerUrl(base, 'demo'));
    await untilHolds(
      async () => (await figures(carol)).joined && (await figures(viewer)).joined,
      'both tabs to join the swarm',
      60_000,
      250,
      () => output.slice(-2000),
    );
    await until(
      async () => (await carol.evaluate(() => document.getElementById('mode')?.textContent)) === 'P2P · supporter',
      'the tab to show the supporter role',
    );
    await until(async () => (await verifiedBytes('carol')) > 0, 'the viewer to confirm bytes from the supporter tab', 120_000);

    const statement = await settle();
    const line = statement.lines.find((l) => l.supporter === 'carol');
    assert.ok(line, `carol is in the statement: ${JSON.stringify(statement)}`);
    assert.ok(line.bytes > 0, 'credited for the bytes the viewer confirmed');
    const seen = await figures(viewer);
    assert.ok(seen.p2p > 0 && seen.bad === 0, 'the viewer got verified bytes from peers');
    assert.ok(!output.includes(token), 'the token issued in the editor is in no log');
    await tabs.shift()!.close();
  });

  it('the demo’s printed supporter link is credited and paid within a minute of opening it', async () => {
    const printed = /Supporter link {2}: (\S+)/.exec(output)?.[1] ?? '';
    assert.ok(printed.startsWith(`${base}/live/demo/#supporter=`), output);
    const opened = Date.now();
    const tab = await open(printed.replace('#', `${CANDIDATES}#`));
    await untilHolds(
      async () => (await figures(tab)).joined,
      'the demo supporter to join',
      60_000,
      250,
      () => output.slice(-2000),
    );
    await until(async () => (await verifiedBytes('demo-supporter')) > 0, 'bytes confirmed from the demo supporter', 120_000);
    const statement = await settle();
    const line = statement.lines.find((l) => l.supporter === 'demo-supporter');
    assert.ok(line && line.bytes > 0 && line.paid > 0, `demo-supporter is paid: ${JSON.stringify(statement)}`);
    console.log(`      demo supporter: first verified credit and statement ${((Date.now() - opened) / 1000).toFixed(1)} s after opening the link`);
  });
});
