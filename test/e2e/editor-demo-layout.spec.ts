// #22 (editor): a newcomer who opens the demo flow in a 1440×900 editor sees all of it, and the
// signaling dialog shows first the fields a newcomer needs. The demo flow is imported into the real
// Node-RED editor in headless Chromium at 1440×900, as `npm start` shows it; the boxes are the ones
// the editor drew (RED.nodes after RED.view has drawn the tab), the workspace is what the page shows
// of the canvas (#red-ui-workspace-chart) at the editor's default zoom and scroll.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { importFlowTab, screenshot } from '../support/editor-page';
import { startNodeRed, type NodeRedProcess } from '../support/node-red-process';

const ROOT = path.resolve(__dirname, '../..');
const VIEWPORT = { width: 1440, height: 900 };

declare const RED: any;

interface Box {
  label: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Imports the flow (it has its own tab) as the Import dialog does, shows that tab and returns the drawn nodes' boxes. */
async function importAndMeasure(page: Page, flow: object[]): Promise<{ tab: string; boxes: Box[] }> {
  const tab = await importFlowTab(page, flow);
  const boxes = await page.evaluate((z) => {
    const out: any[] = [];
    RED.nodes.eachNode((n: any) => {
      if (n.z === z)
        out.push({ label: String(RED.utils.getNodeLabel(n, n.type)), left: n.x - n.w / 2, top: n.y - n.h / 2, right: n.x + n.w / 2, bottom: n.y + n.h / 2 });
    });
    return out;
  }, tab);
  return { tab, boxes };
}

describe('the demo flow in a 1440×900 editor (Chromium)', function () {
  this.timeout(120_000);
  let dir: string;
  let nodeRed: NodeRedProcess;
  let browser: Browser;
  let page: Page;
  let tab: string;
  let boxes: Box[];
  const pageErrors: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-editor-layout-'));
    nodeRed = await startNodeRed({ userDir: dir, flows: [] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: VIEWPORT });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${nodeRed.base}/`);
    await page.waitForFunction(() => typeof RED !== 'undefined' && RED.nodes?.getType?.('relaycast-signaling') && RED.workspaces?.count?.() > 0, undefined, {
      timeout: 60_000,
    });
    const flow = JSON.parse(readFileSync(path.join(ROOT, 'demo', 'flows.json'), 'utf8')) as object[];
    ({ tab, boxes } = await importAndMeasure(page, flow));
  });

  after(async () => {
    await browser?.close();
    await nodeRed?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every node lies inside the visible workspace, with nothing to scroll or zoom', async () => {
    const view = await page.evaluate(() => {
      const chart = document.getElementById('red-ui-workspace-chart')!;
      return { width: chart.clientWidth, height: chart.clientHeight, scrollLeft: chart.scrollLeft, scrollTop: chart.scrollTop, scale: RED.view.scale() };
    });
    // The editor opens a tab at zoom 1, scrolled to its origin: canvas coordinates are page pixels.
    assert.deepEqual([view.scale, view.scrollLeft, view.scrollTop], [1, 0, 0]);
    assert.ok(view.width > 600 && view.height > 500, `the workspace is ${view.width}×${view.height}`);
    assert.ok(boxes.length >= 10, `${boxes.length} nodes drawn`);
    const outside = boxes
      .filter((b) => b.left < 0 || b.top < 0 || b.right > view.width || b.bottom > view.height)
      .map((b) => `"${b.label}" spans ${Math.round(b.left)}–${Math.round(b.right)} × ${Math.round(b.top)}–${Math.round(b.bottom)}`);
    assert.deepEqual(outside, [], `outside the ${view.width}×${view.height} workspace`);
    // And on screen: each node's drawn group is inside the workspace element's rectangle.
    const offScreen = await page.evaluate((z) => {
      const area = document.getElementById('red-ui-workspace-chart')!.getBoundingClientRect();
      const out: string[] = [];
      RED.nodes.eachNode((n: any) => {
        if (n.z !== z) return;
        const r = document.getElementById(n.id)!.getBoundingClientRect();
        if (r.left < area.left || r.top < area.top || r.right > area.right || r.bottom > area.bottom) out.push(`${n.type} ${n.id}`);
      });
      return out;
    }, tab);
    assert.deepEqual(offScreen, []);
    await screenshot(page, 'demo-flow-1440x900.png', 20_000);
    assert.deepEqual(pageErrors, [], 'the editor threw');
  });

  it('the signaling dialog shows path, ICE and Link from first; the abuse limits are folded until asked for', async () => {
    const id = await page.evaluate((z) => {
      let found = '';
      RED.nodes.eachNode((n: any) => {
        if (n.z === z && n.type === 'relaycast-signaling') found = n.id;
      });
      RED.editor.edit(RED.nodes.node(found));
      return found;
    }, tab);
    assert.ok(id);
    await page.waitForSelector('#node-input-path', { state: 'visible' });
    const visible = (field: string) => page.isVisible(`#node-input-${field}`);
    for (const field of ['path', 'iceMode', 'minSwarmForLinks', 'viewerPath']) assert.equal(await visible(field), true, `${field} shown`);
    for (const field of ['maxMessageBytes', 'ratePerSecond', 'maxConnectionsPerIp', 'upgradesPerSecond', 'trustedProxies', 'redis']) {
      assert.equal(await visible(field), false, `${field} folded away`);
    }
    // Everything a newcomer needs fits in the dialog without scrolling.
    const fits = await page.evaluate(() => {
      const field = document.getElementById('node-input-minSwarmForLinks')!.getBoundingClientRect();
      const tray = document.querySelector('.red-ui-tray-body-wrapper')!.getBoundingClientRect();
      return field.bottom <= tray.bottom;
    });
    assert.equal(fits, true, 'Link from is visible without scrolling the dialog');
    await page.click('#relaycast-signaling-advanced > summary');
    assert.equal(await visible('maxMessageBytes'), true, 'the section unfolds');
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('#node-input-path', { state: 'detached' });
    assert.deepEqual(pageErrors, [], 'the editor threw');
  });
});
