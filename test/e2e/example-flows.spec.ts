/**
 * Every example flow in flows/ loads and runs in a real Node-RED (the CLI, this package through
 * nodesDir): deployed through the admin API, with only what its comments tell the operator to fill
 * in (the encoder folder, the bucket, secrets in credentials), on the demo encoder and a local S3
 * server. Each one deploys with every node known, every Relaycast node shows a status that is not
 * red, nothing is logged as an error, and the nodes fed by the encoder go green (segments flowing).
 * (Whether each example is valid and laid out well in the editor is the editor test's part.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { freePort } from '../support/free-port';
import { startNodeRed, type NodeRedProcess } from '../support/node-red-process';
import { until } from '../support/until';

const repoRoot = path.resolve(__dirname, '..', '..');
const FLOWS = path.join(repoRoot, 'flows');
const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'hls', 'ts-single');

type FlowNode = Record<string, unknown> & { id: string; type: string };
interface Status {
  fill?: string;
  shape?: string;
  text?: string;
}

/**
 * What Import ▸ Examples does with a flow that has no tab of its own (core's examples are flat
 * arrays): its nodes land on the open tab. Config nodes (no position) stay global.
 */
function onATab(flow: FlowNode[]): FlowNode[] {
  if (flow.some((n) => n.type === 'tab')) return flow;
  const tab = { id: 'example-tab', type: 'tab', label: 'Imported example' };
  return [tab, ...flow.map((n) => (n.z === undefined && n.x !== undefined ? { ...n, z: tab.id } : n))];
}

/** What the operator fills in before deploying an example, as its comments say. */
function filledIn(flow: FlowNode[], context: { hlsDir: string; s3: LocalS3; base: string; ingestPort: number }): FlowNode[] {
  return onATab(flow).map((node) => {
    switch (node.type) {
      case 'relaycast-hls-watch':
        return { ...node, path: context.hlsDir, pollInterval: 100 };
      // Nothing publishes here: it listens (on loopback, a free port) and writes nothing.
      case 'relaycast-ingest':
        return { ...node, path: context.hlsDir, bind: '127.0.0.1', port: context.ingestPort, credentials: { streamKey: 'example-stream-key-0123' } };
      case 'relaycast-r2-bucket':
        return {
          ...node,
          provider: 's3',
          endpoint: context.s3.endpoint,
          region: context.s3.region,
          bucket: context.s3.bucket,
          publicBaseUrl: context.s3.publicBaseUrl,
          credentials: { accessKeyId: context.s3.accessKeyId, secretAccessKey: context.s3.secretAccessKey },
        };
      case 'relaycast-supporter':
        return {
          ...node,
          signalingUrl: String(node.signalingUrl)
            .replace('http://127.0.0.1:1880', context.base)
            .replace('ws://127.0.0.1:1880', context.base.replace(/^http/, 'ws')),
          credentials: { token: 'example-token' },
        };
      default:
        return node;
    }
  });
}

describe('every example flow loads and runs in Node-RED', function () {
  this.timeout(180_000);
  let s3: LocalS3;
  let nodeRed: NodeRedProcess;
  let encoder: DemoEncoder;
  let workDir: string;
  let hlsDir: string;
  let comms: WebSocket;
  const statuses = new Map<string, Status>();

  before(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-examples-'));
    hlsDir = path.join(workDir, 'hls');
    s3 = await startLocalS3({ bucket: 'relaycast' });
    nodeRed = await startNodeRed({ flows: [] });
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: hlsDir, speed: 4, loop: true });
    await encoder.start();
    // Node statuses as the editor sees them: comms topic status/<node id>.
    comms = new WebSocket(`${nodeRed.base.replace(/^http/, 'ws')}/comms`);
    comms.on('open', () => comms.send(JSON.stringify({ subscribe: 'status/#' })));
    comms.on('message', (data) => {
      const parsed = JSON.parse(String(data)) as unknown;
      for (const frame of (Array.isArray(parsed) ? parsed : [parsed]) as Array<{ topic?: string; data?: Status }>) {
        if (frame.topic?.startsWith('status/')) statuses.set(frame.topic.slice('status/'.length), frame.data ?? {});
      }
    });
    await new Promise((resolve, reject) => {
      comms.once('open', resolve);
      comms.once('error', reject);
    });
  });

  after(async () => {
    comms?.close();
    await encoder?.stop();
    await nodeRed?.stop();
    await s3?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const files = readdirSync(FLOWS)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('finds the examples', () => {
    assert.ok(files.length >= 7, files.join(', '));
  });

  for (const file of files) {
    it(`${file}: deploys with every node known and runs without a red status or an error`, async () => {
      const example = JSON.parse(readFileSync(path.join(FLOWS, file), 'utf8')) as FlowNode[];
      const flow = filledIn(example, { hlsDir, s3, base: nodeRed.base, ingestPort: await freePort() });
      statuses.clear();
      const logFrom = nodeRed.output().length;
      const deployed = await fetch(`${nodeRed.base}/flows`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify(flow),
      });
      assert.equal(deployed.status, 204, await deployed.text());
      const log = () => nodeRed.output().slice(logFrom);
      await until(() => /Started flows/.test(log()), 'the flows to start', 30_000, 100, log);
      assert.doesNotMatch(log(), /Waiting for missing types|unknown type/i);

      // Every node of the example is in the running flow, as written.
      const running = (await (await fetch(`${nodeRed.base}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })).json()) as FlowNode[];
      assert.deepEqual(running.map((n) => n.id).sort(), flow.map((n) => n.id).sort());

      // Config nodes (bucket, pipeline) show no status.
      const relaycast = example.filter((n) => n.type.startsWith('relaycast-') && n.type !== 'relaycast-r2-bucket' && n.type !== 'relaycast-pipeline');
      const fed = relaycast.filter((n) => n.type === 'relaycast-hls-watch' || n.type === 'relaycast-r2-upload' || n.type === 'relaycast-manifest');
      const seen = () => JSON.stringify(Object.fromEntries(statuses)) + `\n${log()}`;
      await until(
        () => relaycast.every((n) => statuses.get(n.id)?.fill) && fed.every((n) => statuses.get(n.id)?.fill === 'green'),
        'a status from every Relaycast node, green where the encoder feeds it',
        30_000,
        100,
        seen,
      );
      for (const node of relaycast) assert.notEqual(statuses.get(node.id)?.fill, 'red', `${node.type} ${node.id}: ${JSON.stringify(statuses.get(node.id))}`);
      assert.doesNotMatch(log(), /\[error\]/, log());
    });
  }
});
