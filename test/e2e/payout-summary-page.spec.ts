// The supporter summary page of relaycast-payout in headless Chromium: the page (viewer/summary,
// built into dist/viewer/summary) runs its bundled script under its own CSP, sends the token typed in
// as a Bearer header, and shows the supporter's figures, or says the token is unknown.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { startHttpNodeServer, type HttpNodeServer } from '../support/http-node';
import { distNode, helper } from '../support/node-red';
import { payoutFlow, sendToPayout } from '../support/payout-flow';

const TOKEN = 'alice-token-0123456789';

describe('relaycast-payout supporter summary page (headless Chromium)', function () {
  let web: HttpNodeServer;
  let browser: Browser;
  let dir: string;
  before(async () => {
    await helper.startServer();
    web = await startHttpNodeServer();
    browser = await launchChromium();
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-summary-page-'));
  });
  after(async () => {
    await helper.unload();
    await browser?.close();
    await web.stop();
    await helper.stopServer();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a supporter their own figures for their token, and says so for an unknown one', async () => {
    await helper.load(web.capture(distNode('payout')) as never, payoutFlow({ ledger: path.join(dir, 'ledger.sqlite') }), {
      pay: { supporterTokens: `alice:${TOKEN}` },
    });
    await sendToPayout({ topic: 'supporter', payload: { id: 'alice', name: 'Alice', address: 'IBAN-SECRET-A' } });
    await sendToPayout({
      topic: 'receipt',
      payload: {
        id: 'live/720p/1/viewer1',
        stream: 'live',
        rendition: '720p',
        sequence: 1,
        sha256: 'd'.repeat(64),
        segmentSize: 4000,
        bytes: 4000,
        uploader: { peer: 'aliceSupport', role: 'supporter', supporter: 'alice' },
        downloader: { peer: 'viewer000001', role: 'viewer' },
        receivedAt: new Date(1_700_000_000_000).toISOString(),
      },
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    // The unknown token's 401 is logged by Chromium too; a CSP refusal or script error is a problem.
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of 401/.test(msg.text())) problems.push(msg.text());
    });
    await page.goto(`${web.base}/relaycast/payout/`);

    await page.fill('#t', 'not-a-real-token-at-all');
    await page.click('button');
    await page.waitForFunction(() => document.getElementById('out')?.textContent === 'Unknown token.');

    await page.fill('#t', TOKEN);
    await page.click('button');
    await page.waitForSelector('#out table');
    const text = await page.textContent('#out');
    assert.match(String(text), /Alice: 4,000 verified bytes to 1 viewers/);
    assert.match(String(text), /periodbytesviewersearnedpaidcarried/, 'the statements table with its header row');
    assert.doesNotMatch(String(text), /IBAN/);
    assert.deepEqual(problems, [], 'no script error, no CSP refusal');
    await page.close();
  });
});
