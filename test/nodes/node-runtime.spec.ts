// The one start rule (nodes/shared/node-runtime.ts, refuseToStart) in a real Node-RED runtime: five
// node types, each deployed with a config it cannot start with, behave the same way — a red ring and
// one node.error at deploy, then done(err) with the node's code for every msg that arrives (a Catch
// node sees each one), and nothing else.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distNode, helper } from '../support/node-red';
import { until } from '../support/until';

// The helper spies on Node's prototype: one spy for every node, each call with its node as `this`.
type Spy = { getCalls(): Array<{ args: unknown[]; thisValue: { id: string } }> };
const prototypeSpies = (helper as unknown as { _NodePrototype: { status: Spy; error: Spy } })._NodePrototype;
const callsOf = (spy: Spy, id: string): unknown[][] =>
  spy
    .getCalls()
    .filter((c) => c.thisValue.id === id)
    .map((c) => c.args);
const receive = (id: string, msg: unknown): void => (helper.getNode(id) as unknown as { receive(m: unknown): void }).receive(msg);
type Caught = { error: { code?: string; message: string; source: { id: string } } };

const NODES = ['hls-watch', 'manifest', 'r2-upload', 'signaling', 'payout'].map(distNode);

/** Each node that cannot start: its config, the code its msgs are refused with, and its red status text (when it has its own). */
const CASES: Array<{ id: string; node: Record<string, unknown>; code: string; status?: string }> = [
  { id: 'watch', node: { type: 'relaycast-hls-watch', path: '/nowhere', stream: 'demo', pollInterval: -5 }, code: 'E_CONFIG', status: 'E_CONFIG' },
  { id: 'manifest', node: { type: 'relaycast-manifest', windowSegments: 2 }, code: 'E_MANIFEST_CONFIG', status: 'manifest.status.config' },
  { id: 'upload', node: { type: 'relaycast-r2-upload', bucket: 'no-such-bucket' }, code: 'E_UPLOAD_CONFIG' },
  {
    id: 'signal',
    node: { type: 'relaycast-signaling', path: '/start-rule', maxSwarms: -3, viewerPath: '' },
    code: 'E_SIGNAL_CONFIG',
    status: 'signaling.status.config',
  },
  { id: 'pay', node: { type: 'relaycast-payout', threshold: -3 }, code: 'E_PAYOUT_CONFIG', status: 'payout.status.config' },
];

describe('the one start rule (refuseToStart) across node types', function () {
  let dir: string;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-start-rule-'));
  });
  afterEach(async () => {
    await helper.unload();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each a red ring and one node.error at deploy, then done(err) with its code for every msg', async () => {
    const flow = [
      { id: 'f1', type: 'tab' },
      ...CASES.map(({ id, node }) => ({ id, z: 'f1', ...node, ...(id === 'pay' ? { ledger: path.join(dir, 'ledger.sqlite') } : {}), wires: [[], [], []] })),
      { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f1', type: 'helper' },
    ];
    await helper.load(NODES as never, flow as never);
    const caught: Caught[] = [];
    helper.getNode('caught').on('input', (msg: unknown) => caught.push(msg as Caught));

    for (const { id, status } of CASES) {
      const last = callsOf(prototypeSpies.status, id).at(-1)?.[0] as { fill?: string; shape?: string; text?: string } | undefined;
      assert.deepEqual([last?.fill, last?.shape], ['red', 'ring'], `${id}: ${JSON.stringify(last)}`);
      if (status) assert.equal(last?.text, status, id);
      assert.equal(callsOf(prototypeSpies.error, id).length, 1, `${id}: said once, at deploy`);
    }

    // Two msgs each: every one is refused, none is dropped or half-handled.
    for (let round = 0; round < 2; round += 1) {
      for (const { id } of CASES) receive(id, { topic: 'start', payload: round });
    }
    await until(
      () => caught.length === 2 * CASES.length,
      `${2 * CASES.length} caught errors`,
      20_000,
      10,
      () => JSON.stringify(caught.map((c) => [c.error.source.id, c.error.code])),
    );
    for (const { id, code } of CASES) {
      assert.deepEqual(
        caught.filter((c) => c.error.source.id === id).map((c) => c.error.code),
        [code, code],
        id,
      );
      const statuses = callsOf(prototypeSpies.status, id).map((args) => (args[0] as { fill?: string }).fill);
      assert.ok(!statuses.includes('green'), `${id} never went green: ${JSON.stringify(statuses)}`);
    }
  });
});
