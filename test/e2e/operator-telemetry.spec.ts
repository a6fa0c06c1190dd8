/**
 * The operator's figures in a real Node-RED (the CLI, with adminAuth): the full-pipeline example
 * flow runs on the demo encoder and a local S3 server, a viewer joins the swarm and reports its
 * stats, and
 * - the Prometheus endpoint on the admin API refuses a scrape without a token with its permission,
 *   and with one shows every figure, each moving as the flow runs;
 * - the editor's comms socket carries the same figures on relaycast/telemetry to a signed-in
 *   editor connection, and nothing to one that is not;
 * - in the editor (headless Chromium), the Relaycast sidebar shows them moving, with its charts,
 *   and a click on a figure reveals and selects the node that produced it (screenshot kept in
 *   .tmp/artifacts/, or $RELAYCAST_ARTIFACTS).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { METRIC_NAMES } from '../../lib/telemetry/prometheus';
import type { TelemetrySnapshot } from '../../lib/telemetry/snapshot';
import { SignalClient } from '../nodes/signaling-client';
import { launchChromium } from '../support/chromium';
import { startNodeRed, type NodeRedProcess } from '../support/node-red-process';
import { untilValue } from '../support/until';
import { openRelaycastSidebar, screenshot, sidebarSegments } from '../support/editor-page';

const repoRoot = path.resolve(__dirname, '..', '..');
// Three renditions as ffmpeg's var_stream_map names them, 0, 1 and 2, with RESOLUTION 640x360, 480x270
// and 320x180 in the encoder's master: the sidebar names them by height.
const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'hls', 'ts-multi');
const SCRAPE_TOKEN = 'prometheus-scrape-token';
const EDITOR_TOKEN = 'editor-read-token';
const OTHER_TOKEN = 'flows-only-token';
/** Not a bcrypt hash of anything: password sign-in always fails for these users. */
const NO_PASSWORD = `$2b$08$${'x'.repeat(53)}`;

/** The value of the first series of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The full-pipeline example, pointed at the test's encoder folder and local S3 server. */
function pipelineFlow(hlsDir: string, s3: LocalS3): { flows: Array<Record<string, unknown>>; ids: Record<string, string> } {
  const flows = JSON.parse(readFileSync(path.join(repoRoot, 'flows', '07 - Full pipeline.json'), 'utf8')) as Array<Record<string, unknown>>;
  const idOf = (type: string) => String(flows.find((n) => n.type === type)!.id);
  for (const node of flows) {
    if (node.type === 'relaycast-hls-watch') Object.assign(node, { path: hlsDir, pollInterval: 100 });
    if (node.type === 'relaycast-r2-bucket')
      Object.assign(node, { provider: 's3', endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, publicBaseUrl: s3.publicBaseUrl });
  }
  return {
    flows,
    ids: {
      watch: idOf('relaycast-hls-watch'),
      upload: idOf('relaycast-r2-upload'),
      manifest: idOf('relaycast-manifest'),
      signaling: idOf('relaycast-signaling'),
      payout: idOf('relaycast-payout'),
      bucket: idOf('relaycast-r2-bucket'),
    },
  };
}

/** A comms socket as the editor opens it; collects every relaycast/telemetry snapshot. */
class CommsClient {
  readonly ws: WebSocket;
  readonly snapshots: TelemetrySnapshot[] = [];
  readonly frames: unknown[] = [];
  closed = false;
  constructor(base: string, token?: string) {
    this.ws = new WebSocket(`${base.replace(/^http/, 'ws')}/comms`);
    // As the editor does: subscribe only once the token is accepted (a subscribe sent while the
    // auth check is pending counts as an unauthenticated request).
    const subscribe = (): void => this.ws.send(JSON.stringify({ subscribe: 'relaycast/telemetry' }));
    this.ws.on('open', () => {
      if (token) this.ws.send(JSON.stringify({ auth: token }));
      else subscribe();
    });
    this.ws.on('message', (data) => {
      const parsed = JSON.parse(String(data)) as unknown;
      for (const frame of Array.isArray(parsed) ? parsed : [parsed]) {
        this.frames.push(frame);
        if ((frame as { auth?: string }).auth === 'ok') subscribe();
        const f = frame as { topic?: string; data?: TelemetrySnapshot };
        if (f.topic === 'relaycast/telemetry' && f.data) this.snapshots.push(f.data);
      }
    });
    this.ws.on('close', () => {
      this.closed = true;
    });
    this.ws.on('error', () => {
      /* seen as closed */
    });
  }
  close(): void {
    this.ws.close();
  }
}

describe('operator telemetry in a real Node-RED (Prometheus endpoint and editor comms)', function () {
  this.timeout(120_000);
  let s3: LocalS3;
  let nodeRed: NodeRedProcess;
  let encoder: DemoEncoder;
  let workDir: string;
  let ids: Record<string, string>;
  let viewer: SignalClient | undefined;

  const scrape = async (token?: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${nodeRed.base}/relaycast/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-ops-'));
    s3 = await startLocalS3({ bucket: 'relaycast' });
    const hlsDir = path.join(workDir, 'hls');
    const pipeline = pipelineFlow(hlsDir, s3);
    ids = pipeline.ids;
    nodeRed = await startNodeRed({
      flows: pipeline.flows,
      credentials: { [ids.bucket]: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } },
      settings: {
        // Static API tokens (adminAuth.tokens), each naming a user; no one signs in with a password here.
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'prometheus', password: NO_PASSWORD, permissions: 'relaycast.read' },
            { username: 'operator', password: NO_PASSWORD, permissions: 'read' },
            { username: 'flows-reader', password: NO_PASSWORD, permissions: 'flows.read' },
          ],
          tokens: [
            { token: SCRAPE_TOKEN, user: 'prometheus', scope: ['relaycast.read'] },
            { token: EDITOR_TOKEN, user: 'operator', scope: ['read'] },
            { token: OTHER_TOKEN, user: 'flows-reader', scope: ['flows.read'] },
          ],
        },
      },
    });
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: hlsDir, speed: 4, loop: true });
    await encoder.start();
  });

  after(async () => {
    viewer?.ws.close();
    await encoder?.stop();
    await nodeRed?.stop();
    await s3?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses a scrape without a token, or with one lacking relaycast.read', async () => {
    assert.equal((await scrape()).status, 401);
    assert.equal((await scrape(OTHER_TOKEN)).status, 401);
    assert.equal((await fetch(`${nodeRed.base}/relaycast/telemetry`)).status, 401);
  });

  it('exports every figure, and they move as the flow runs, each labelled with its node', async () => {
    const first = await untilValue(
      async () => {
        const { status, text } = await scrape(SCRAPE_TOKEN);
        assert.equal(status, 200);
        return (sample(text, 'relaycast_playlist_versions_total', { node_id: ids.manifest }) ?? 0) > 0 ? text : undefined;
      },
      'segments stored and listed',
      30_000,
      100,
    );
    const segments = sample(first, 'relaycast_segments_total', { node_id: ids.watch, stream: 'live', rendition: '0' })!;
    const puts = sample(first, 'relaycast_upload_puts_total', { node_id: ids.upload, stream: 'live' })!;
    assert.ok(segments > 0 && puts >= segments - 1, `${segments} segments, ${puts} PUTs`);
    assert.ok(sample(first, 'relaycast_rendition_last_segment_age_seconds', { node_id: ids.watch })! >= 0);

    // A viewer joins and reports its stats; two playlist requests reach the origin.
    // Manifest listing segments does not mean signaling has had rendition 0's first announcement
    // yet: until then a join is answered E_SIGNAL_UNKNOWN_SWARM ("retry later"), and is retried.
    viewer = await untilValue(
      async () => {
        const client = new SignalClient(`${nodeRed.base.replace(/^http/, 'ws')}/relaycast/signal`);
        try {
          await client.join('live', '0');
          return client;
        } catch (err) {
          client.close();
          if (String(err).includes('E_SIGNAL_UNKNOWN_SWARM')) return undefined;
          throw err;
        }
      },
      "signaling to know rendition 0's first segment",
      30_000,
      100,
    );
    viewer.send({ type: 'stats', httpBytes: 100_000, p2pBytes: 300_000, uploadedBytes: 50_000, stalls: 1, peers: 0 });
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${nodeRed.base}/live/live/0.m3u8`)).status, 200);

    let last = '';
    const later = await untilValue(
      async () => {
        const { text } = await scrape(SCRAPE_TOKEN);
        last = text;
        const moved =
          sample(text, 'relaycast_segments_total', { node_id: ids.watch })! > segments &&
          sample(text, 'relaycast_upload_puts_total', { node_id: ids.upload })! > puts &&
          sample(text, 'relaycast_audience_p2p_bytes_total', { node_id: ids.signaling, rendition: '0' }) === 300_000 &&
          (sample(text, 'relaycast_origin_playlist_requests_total', { node_id: ids.manifest }) ?? 0) >= 2 &&
          // The viewer's welcome and every later announcement and playlist push leave the origin too.
          (sample(text, 'relaycast_origin_signaling_bytes_total', { node_id: ids.signaling, stream: 'live' }) ?? 0) > 0;
        return moved ? text : undefined;
      },
      'the figures to move',
      30_000,
      100,
      () =>
        last
          .split('\n')
          .filter((l) => /^relaycast_(segments_total|audience_p2p_bytes|origin_playlist_requests_total|payout_supporters|swarm_peers)/.test(l))
          .join('\n') + `\n${nodeRed.output().slice(-3000)}`,
    );
    // No receipt was credited (that needs two real WebRTC peers: test/e2e/viewer-swarm.spec.ts), so
    // the ledger owes nothing yet; the series is there, traced to the payout node.
    assert.equal(sample(later, 'relaycast_payout_pending_minor_units', { node_id: ids.payout }), 0);
    assert.equal(sample(later, 'relaycast_swarm_peers', { node_id: ids.signaling, stream: 'live', rendition: '0' }), 1);
    assert.equal(sample(later, 'relaycast_audience_p2p_ratio', { stream: 'live' }), 0.75);
    assert.equal(sample(later, 'relaycast_audience_stalls_total', { node_id: ids.signaling }), 1);
    assert.ok(sample(later, 'relaycast_r2_class_a_operations_total', { stream: 'live' })! > 0);
    assert.ok(sample(later, 'relaycast_cost_usd_total', { stream: 'live', scenario: 'all_from_origin' })! > 0);
    for (const name of METRIC_NAMES) assert.match(later, new RegExp(`^# TYPE ${name} `, 'm'), name);
  });

  it('publishes the figures on relaycast/telemetry to a signed-in editor, and nothing to an anonymous socket', async () => {
    const anonymous = new CommsClient(nodeRed.base);
    const editor = new CommsClient(nodeRed.base, EDITOR_TOKEN);
    try {
      const snapshots = await untilValue(
        () => {
          const withStream = editor.snapshots.filter((s) => s.streams.some((st) => st.stream === 'live' && st.renditions.length > 0));
          return withStream.length >= 2 ? withStream : undefined;
        },
        'two telemetry snapshots with the stream',
        30_000,
        100,
        () => JSON.stringify(editor.frames.slice(-3)).slice(0, 2000),
      );
      const stream = snapshots.at(-1)!.streams.find((s) => s.stream === 'live')!;
      assert.equal(stream.renditions[0].node.id, ids.watch);
      assert.equal(stream.uploads[0].node.id, ids.upload);
      assert.equal(stream.swarms[0].node.id, ids.signaling);
      assert.ok(stream.playlists.some((p) => p.node.id === ids.manifest && p.rendition === '0' && p.mediaSequence !== null));
      assert.equal(snapshots.at(-1)!.payouts[0].node.id, ids.payout);
      const count = (s: TelemetrySnapshot) => s.streams.find((st) => st.stream === 'live')!.renditions[0].segments;
      await untilValue(() => (count(editor.snapshots.at(-1)!) > count(snapshots[0]) ? true : undefined), 'segment count to move on the feed', 30_000, 100);
      // The anonymous socket is told auth failed and closed, having seen no figures.
      await untilValue(
        () => (anonymous.closed || anonymous.frames.some((f) => (f as { auth?: string }).auth === 'fail') ? true : undefined),
        'the anonymous socket to be refused',
        30_000,
        100,
      );
      assert.equal(anonymous.snapshots.length, 0);
    } finally {
      anonymous.close();
      editor.close();
    }
  });

  it("shows the figures moving in the editor's Relaycast sidebar; a click on one selects its node (screenshot)", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // Signed in with the operator's API token, as an SSO login hands one to the editor.
      await page.goto(`${nodeRed.base}/?access_token=${EDITOR_TOKEN}`);
      // The tab is there once the plugin loaded (Node-RED 4 puts it in the sidebar's tab menu, 5 in
      // its bottom bar); its action opens it on both, as the View menu entry does.
      await page.waitForSelector('.relaycast-sidebar', { state: 'attached', timeout: 30_000 });
      // Once the flow is drawn: while it loads, the editor itself opens the Info tab.
      await page.waitForSelector(`.red-ui-flow-node-group[id="${ids.upload}"]`, { timeout: 30_000 });
      await openRelaycastSidebar(page);
      const segmentsShown = () => sidebarSegments(page, 'live', '360p');
      const first = await untilValue(async () => (await segmentsShown()) || undefined, 'the live stream in the sidebar', 30_000, 100);
      await untilValue(async () => ((await segmentsShown())! > first ? true : undefined), "the sidebar's segment count to move", 30_000, 100);
      const shown = await page.evaluate(() => ({
        headline: document.querySelector('.relaycast-stream[data-stream="live"] .relaycast-headline')?.textContent ?? '',
        labels: Array.from(document.querySelectorAll('.relaycast-stream[data-stream="live"] tr[data-label]')).map((r) => (r as HTMLElement).dataset.label),
        charts: document.querySelectorAll('.relaycast-stream[data-stream="live"] .relaycast-chart canvas').length,
        payout: document.querySelector('.relaycast-payouts tr')?.getAttribute('data-node'),
      }));
      assert.match(shown.headline, /^1 viewers · P2P 75\.0 % · 1 stalls$/);
      for (const label of [
        'upload queue',
        'upload retries / failures',
        'live · 360p · last segment',
        'live · 360p · playlist',
        'live · 360p · swarm',
        'live · 360p · P2P share / stalls',
        'live · 270p · last segment',
        'live · 180p · last segment',
        'origin req / viewer-min',
        'R2 operations',
        'cost: R2 writes + storage',
        'cost per viewer-hour',
        'cost so far',
      ]) {
        assert.ok(shown.labels.includes(label), `${label} shown (${shown.labels.join(', ')})`);
      }
      // Renditions by name, in the encoder's order, none by its bare index ("0 · last segment" read as a count).
      const renditionRows = shown.labels.filter((label) => /^live · [^·]+ · last segment$/.test(label ?? ''));
      assert.deepEqual(renditionRows, ['live · 360p · last segment', 'live · 270p · last segment', 'live · 180p · last segment']);
      assert.ok(!shown.labels.some((label) => /(^|[ /])[0-9]+ · /.test(label ?? '')), `no row labelled by an index: ${shown.labels.join(', ')}`);
      assert.equal(shown.charts, 2, 'two charts drawn');
      assert.equal(shown.payout, ids.payout);

      await page.click('.relaycast-stream[data-stream="live"] tr[data-label="upload queue"]');
      const selected = await untilValue(
        () =>
          page.evaluate(() => {
            const ids = ((window as any).RED.view.selection().nodes ?? []).map((n: { id: string }) => n.id);
            return ids.length > 0 ? ids : undefined;
          }),
        'the upload node to be selected',
        30_000,
        100,
      );
      assert.deepEqual(selected, [ids.upload]);

      await screenshot(page, 'relaycast-sidebar.png', 30_000);
    } finally {
      await browser.close();
    }
  });
});
