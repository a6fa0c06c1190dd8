/**
 * A new operator in the editor (headless Chromium, a real Node-RED process): finds the Relaycast
 * category in the palette, drags each node into the workspace, wires hls-watch → r2-upload →
 * manifest → signaling → payout (signaling's receipts output), fills in the edit dialogs (a new
 * bucket config node with its keys as credentials), deploys; the viewer page plays the stream
 * and the Relaycast sidebar's figures move. Screenshots are kept (.tmp/artifacts or
 * $RELAYCAST_ARTIFACTS) and what they show is asserted from the same page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { launchChromium, viewerUrl } from '../support/chromium';
import { startNodeRed, type NodeRedProcess } from '../support/node-red-process';
import { untilValue } from '../support/until';
import { openRelaycastSidebar, screenshot, sidebarSegments } from '../support/editor-page';

const repoRoot = path.resolve(__dirname, '..', '..');
const TYPES = ['relaycast-hls-watch', 'relaycast-r2-upload', 'relaycast-manifest', 'relaycast-signaling', 'relaycast-payout'] as const;

async function centre(page: Page, selector: string): Promise<{ x: number; y: number }> {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not on screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags a palette entry onto the workspace at (x, y) of the canvas, the way a person does. */
async function dragIn(page: Page, type: string, x: number, y: number): Promise<void> {
  const entry = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await entry.scrollIntoViewIfNeeded();
  const from = await centre(page, `.red-ui-palette-node[data-palette-type="${type}"]`);
  const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 20, from.y, { steps: 5 });
  await page.mouse.move(chart.x + x, chart.y + y, { steps: 15 });
  await page.mouse.up();
}

/** Drags a wire from output port `output` of one node to the input port of another. */
async function wire(page: Page, from: string, output: number, to: string): Promise<void> {
  const a = await centre(page, `.red-ui-flow-node-group[id="${from}"] .red-ui-flow-port-output >> nth=${output}`);
  const b = await centre(page, `.red-ui-flow-node-group[id="${to}"] .red-ui-flow-port-input`);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 15 });
  await page.mouse.up();
}

/** Opens a node's edit dialog with a double-click, fills it in, presses Done. */
async function edit(page: Page, id: string, fill: () => Promise<void>): Promise<void> {
  const c = await centre(page, `.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node`);
  await page.mouse.dblclick(c.x, c.y);
  await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
  await fill();
  await page.click('#node-dialog-ok');
  await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
}

describe('editor: an operator wires the pipeline by hand, deploys, watches it play and the figures move', function () {
  this.timeout(180_000);
  let s3: LocalS3;
  let nodeRed: NodeRedProcess;
  let encoder: DemoEncoder;
  let browser: Browser;
  let work: string;

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'relaycast-editor-'));
    s3 = await startLocalS3({ bucket: 'relaycast' });
    nodeRed = await startNodeRed({ flows: [] });
    encoder = new DemoEncoder({ fixture: path.join(repoRoot, 'test', 'fixtures', 'hls', 'ts-single'), outDir: path.join(work, 'hls'), speed: 1, loop: true });
    await encoder.start();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await encoder?.stop();
    await nodeRed?.stop();
    await s3?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('drags, wires, fills in and deploys the five nodes; the viewer plays; the sidebar moves', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${nodeRed.base}/`);

    // The Relaycast category, with every node of the pipeline in it.
    await page.waitForSelector('#red-ui-palette-relaycast', { state: 'attached', timeout: 30_000 });
    const inCategory = await page.$$eval('#red-ui-palette-relaycast .red-ui-palette-node', (els) => els.map((e) => e.getAttribute('data-palette-type')));
    for (const type of TYPES) assert.ok(inCategory.includes(type), `${type} in the Relaycast category (${inCategory.join(', ')})`);
    await page.waitForSelector('.red-ui-workspace-chart-event-layer, #red-ui-workspace-chart', { timeout: 30_000 });

    for (const [i, type] of TYPES.entries()) await dragIn(page, type, 120 + i * 180, 140 + (i % 2) * 90);
    const ids = await page.evaluate(() => {
      const out: Record<string, string> = {};
      (window as any).RED.nodes.eachNode((n: { id: string; type: string }) => {
        out[n.type] = n.id;
      });
      return out;
    });
    for (const type of TYPES) assert.ok(ids[type], `${type} dropped into the workspace`);

    await wire(page, ids['relaycast-hls-watch'], 0, ids['relaycast-r2-upload']);
    await wire(page, ids['relaycast-r2-upload'], 0, ids['relaycast-manifest']);
    await wire(page, ids['relaycast-manifest'], 0, ids['relaycast-signaling']);
    await wire(page, ids['relaycast-signaling'], 1, ids['relaycast-payout']); // receipts
    const links = await page.evaluate(() => {
      const out: string[] = [];
      (window as any).RED.nodes.eachLink((l: { source: { type: string }; sourcePort: number; target: { type: string } }) =>
        out.push(`${l.source.type}:${l.sourcePort}>${l.target.type}`),
      );
      return out.sort();
    });
    assert.deepEqual(links, [
      'relaycast-hls-watch:0>relaycast-r2-upload',
      'relaycast-manifest:0>relaycast-signaling',
      'relaycast-r2-upload:0>relaycast-manifest',
      'relaycast-signaling:1>relaycast-payout',
    ]);

    await edit(page, ids['relaycast-hls-watch'], async () => {
      await page.fill('#node-input-path', path.join(work, 'hls'));
      await page.fill('#node-input-stream', 'live');
    });
    await edit(page, ids['relaycast-r2-upload'], async () => {
      // A new bucket config node, its keys in the credential fields.
      await page.click('#node-input-btn-bucket-add');
      await page.waitForSelector('#node-config-input-provider', { state: 'visible' });
      await page.selectOption('#node-config-input-provider', 's3');
      await page.fill('#node-config-input-endpoint', s3.endpoint);
      await page.fill('#node-config-input-region', s3.region);
      await page.fill('#node-config-input-bucket', s3.bucket);
      await page.fill('#node-config-input-publicBaseUrl', s3.publicBaseUrl);
      await page.fill('#node-config-input-accessKeyId', s3.accessKeyId);
      await page.fill('#node-config-input-secretAccessKey', s3.secretAccessKey);
      await page.click('#node-config-dialog-ok');
      await page.waitForSelector('#node-config-dialog-ok', { state: 'detached' });
    });
    await edit(page, ids['relaycast-manifest'], async () => {
      await page.fill('#node-input-stream', 'live');
    });
    const invalid = await page.evaluate(() => {
      const out: string[] = [];
      (window as any).RED.nodes.eachNode((n: { type: string; valid: boolean }) => {
        if (!n.valid) out.push(n.type);
      });
      return out;
    });
    assert.deepEqual(invalid, [], 'every node valid before deploy');

    await page.click('#red-ui-header-button-deploy');
    const deployed = await untilValue(
      async () => {
        const flows = (await (await fetch(`${nodeRed.base}/flows`)).json()) as Array<Record<string, unknown>>;
        return flows.some((n) => n.type === 'relaycast-payout') ? flows : undefined;
      },
      'the flow on the runtime',
      30_000,
      200,
    );
    // The keys went to the runtime as credentials, never into the flow.
    assert.ok(!JSON.stringify(deployed).includes(s3.secretAccessKey), 'no secret in the flow');
    await untilValue(
      async () => {
        const text = await page
          .locator(`.red-ui-flow-node-group[id="${ids['relaycast-r2-upload']}"] .red-ui-flow-node-status-label`)
          .textContent()
          .catch(() => '');
        return text && /\d/.test(text) ? true : undefined;
      },
      'r2-upload to show stored segments',
      30_000,
      200,
    );
    await screenshot(page, 'editor-wired.png', 20_000);

    // The viewer page plays the stream.
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await viewer.goto(viewerUrl(nodeRed.base, 'live'));
    const played = async () => viewer.evaluate(() => (document.getElementById('video') as HTMLVideoElement | null)?.currentTime ?? 0);
    const first = await untilValue(async () => ((await played()) > 0.5 ? played() : undefined), 'the viewer to play', 60_000, 200);
    await untilValue(async () => ((await played()) > first + 1 ? true : undefined), 'playback to go on', 30_000, 200);
    assert.match(
      (await viewer.locator('.note:has(#price-egress)').textContent()) ?? '',
      /\$0\.09\/GB .*\$0\.36 per million/,
      'the savings note shows the prices',
    );
    await screenshot(viewer, 'viewer-playing.png', 20_000);

    // The sidebar: the viewer counted, the segment count moving.
    await openRelaycastSidebar(page);
    const segments = () => sidebarSegments(page, 'live', 'main');
    const shown = await untilValue(async () => (await segments()) || undefined, 'segments in the sidebar', 30_000, 200);
    await untilValue(async () => ((await segments())! > shown ? true : undefined), 'the sidebar to move', 30_000, 200);
    const headline = await untilValue(
      async () => {
        const text = await page.locator('.relaycast-stream[data-stream="live"] .relaycast-headline').textContent();
        return text && /^1 viewers/.test(text) ? text : undefined;
      },
      'the viewer in the sidebar',
      30_000,
      200,
    );
    assert.match(headline, /^1 viewers · P2P/);
    await screenshot(page, 'editor-sidebar.png', 20_000);
    await viewer.close();
  });
});
