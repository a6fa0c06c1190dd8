// #14 defect 12: every example flow (flows/) and the demo flow, imported into the real Node-RED
// editor in headless Chromium, as an operator would through Import: no node is marked invalid,
// and no two nodes overlap on the canvas. Validity and the rendered sizes are the editor's own
// (RED.nodes, after RED.view has drawn the flow's tab).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { importFlowTab } from '../support/editor-page';
import { startNodeRed, type NodeRedProcess } from '../support/node-red-process';

const ROOT = path.resolve(__dirname, '../..');
const FLOW_FILES = [
  ...readdirSync(path.join(ROOT, 'flows'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join('flows', f)),
  path.join('demo', 'flows.json'),
];

interface DrawnNode {
  id: string;
  type: string;
  label: string;
  valid: boolean;
  errors: string[];
  x: number;
  y: number;
  w: number;
  h: number;
}

declare const RED: any;

/** Imports a flow the way the Import dialog does, shows its tab, and reads what the editor drew. */
async function importAndRead(page: Page, flow: object[]): Promise<{ nodes: DrawnNode[]; configs: DrawnNode[] }> {
  const tab = await importFlowTab(page, flow);
  return page
    .evaluate((z) => {
      // No named function in here: tsx would wrap it in a helper (__name) the page does not have.
      const raw: any[] = [];
      const configs: any[] = [];
      RED.nodes.eachNode((n: any) => {
        if (n.z === z) raw.push(n);
      });
      const used = new Set<string>();
      for (const n of raw) {
        for (const [key, prop] of Object.entries<any>(RED.nodes.getType(n.type)?.defaults ?? {})) {
          if (prop.type && n[key]) used.add(n[key]);
        }
      }
      RED.nodes.eachConfig((c: any) => {
        if (used.has(c.id)) configs.push(c);
      });
      return [raw, configs].map((list) =>
        list.map((n: any) => ({
          id: n.id,
          type: n.type,
          label: String(RED.utils.getNodeLabel(n, n.type)),
          valid: n.valid !== false,
          errors: Array.isArray(n.validationErrors) ? n.validationErrors.map(String) : [],
          x: n.x,
          y: n.y,
          w: n.w,
          h: n.h,
        })),
      );
    }, tab)
    .then(([nodes, configs]) => ({ nodes, configs }));
}

/** Pairs of nodes whose drawn boxes (centred on x, y) intersect. */
function overlaps(nodes: DrawnNode[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const a = nodes[i];
      const b = nodes[j];
      if (Math.abs(a.x - b.x) * 2 < a.w + b.w && Math.abs(a.y - b.y) * 2 < a.h + b.h) {
        found.push(`"${a.label}" (${a.x},${a.y} ${a.w}×${a.h}) and "${b.label}" (${b.x},${b.y} ${b.w}×${b.h})`);
      }
    }
  }
  return found;
}

describe('example and demo flows in the real editor (Chromium)', function () {
  this.timeout(120_000);
  let dir: string;
  let nodeRed: NodeRedProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-editor-'));
    nodeRed = await startNodeRed({ userDir: dir, flows: [] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${nodeRed.base}/`);
    // The editor is ready once it has loaded every node definition, Relaycast's among them.
    await page.waitForFunction(
      () =>
        typeof RED !== 'undefined' && RED.nodes?.getType?.('relaycast-hls-watch') && RED.nodes.getType('relaycast-supporter') && RED.workspaces?.count?.() > 0,
      undefined,
      { timeout: 60_000 },
    );
  });

  after(async () => {
    await browser?.close();
    await nodeRed?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bad number is marked invalid with the message the deploy would refuse it with (signaling, supporter, payout)', async () => {
    const { nodes } = await importAndRead(page, [
      { id: 'bad-sig', type: 'relaycast-signaling', x: 200, y: 80, path: '/bad', maxSwarms: '-3', burst: '2.5', wires: [[], [], []] },
      {
        id: 'bad-sup',
        type: 'relaycast-supporter',
        x: 200,
        y: 160,
        signalingUrl: 'ws://127.0.0.1/s',
        swarms: 'a/b',
        creditUrl: '',
        maxPeers: '2.5',
        wires: [[]],
      },
      { id: 'bad-pay', type: 'relaycast-payout', x: 200, y: 240, threshold: '-3', batchMs: '1001', wires: [[], []] },
      { id: 'good-sig', type: 'relaycast-signaling', x: 500, y: 80, path: '/good', maxSwarms: '7', burst: ' 25 ', wires: [[], [], []] },
    ]);
    const errors = Object.fromEntries(nodes.map((n) => [n.type + (n.valid ? ' (valid)' : ''), n.errors]));
    assert.deepEqual(errors, {
      'relaycast-signaling': ['Burst must be a whole number from 1 to 1000000, got "2.5"', 'Swarms must be a whole number from 1 to 100000, got "-3"'],
      'relaycast-supporter': ['Most peers must be a whole number from 1 to 64, got "2.5"'],
      'relaycast-payout': [
        'Threshold must be a whole number from 0 to 9007199254740991, got "-3"',
        'Group commit (ms) must be a whole number from 0 to 1000, got "1001"',
      ],
      'relaycast-signaling (valid)': [],
    });
    assert.deepEqual(pageErrors, [], 'the editor threw while importing');
  });

  it('a bad r2-bucket field is marked invalid with its reason (the validator of two parameters Node-RED reads a reason from)', async () => {
    const { configs } = await importAndRead(page, [
      {
        id: 'bad-bucket',
        type: 'relaycast-r2-bucket',
        provider: 's3',
        accountId: '',
        endpoint: 'not a url',
        region: 'auto',
        bucket: 'UPPER',
        publicBaseUrl: 'https://media.example.com',
        keyPrefix: 'live',
        forcePathStyle: true,
      },
      { id: 'bad-bucket-user', type: 'relaycast-r2-upload', x: 200, y: 80, bucket: 'bad-bucket', wires: [[]] },
    ]);
    assert.deepEqual(
      configs.map((c) => [c.type, c.valid, c.errors]),
      [['relaycast-r2-bucket', false, ['endpoint must be an http(s) URL', 'bucket name must be 3–63 lower-case letters, digits, dots or hyphens']]],
    );
  });

  for (const file of FLOW_FILES) {
    it(`${file}: no invalid node and no two nodes overlapping`, async () => {
      const flow = JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as object[];
      const { nodes, configs } = await importAndRead(page, flow);
      // Nodes drawn on the canvas (config nodes have no position).
      const flowNodes = flow.filter((n: any) => n.type !== 'tab' && n.x !== undefined).length;
      assert.equal(nodes.length, flowNodes, 'every node of the file is on the imported tab');
      const invalid = [...nodes, ...configs].filter((n) => !n.valid).map((n) => `${n.type} "${n.label}": ${n.errors.join(', ') || 'invalid'}`);
      assert.deepEqual(invalid, []);
      assert.deepEqual(overlaps(nodes), []);
      assert.deepEqual(pageErrors, [], 'the editor threw while importing');
    });
  }
});
