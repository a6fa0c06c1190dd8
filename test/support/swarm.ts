// A live Relaycast pipeline for viewer tests and the swarm benchmark: an encoder (the demo encoder,
// or a real ffmpeg) writes HLS into a folder; a real Node-RED runtime runs hls-watch → r2-upload →
// manifest → signaling against a real local S3 server; one HTTP server on 127.0.0.1 serves
// Node-RED's httpNode (playlists, the viewer page) and hands WebSocket upgrades to Node-RED's own
// server, where signaling listens. Counts every origin request by kind.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { firstVariantRendition } from '../../lib/protocol';
import { distNode, helper } from './node-red';

export interface OriginCounts {
  playlists: number;
  viewerAssets: number;
  other: number;
}

export interface SwarmPipeline {
  base: string;
  hlsDir: string;
  s3: LocalS3;
  counts: OriginCounts;
  /** Segment GETs that reached the S3 server's public read path (through the counting proxy). */
  segmentRequests: () => number;
  /** The counting proxy's own origin (http://host:port), for a proxy put in front of it (mediaOrigin). */
  segmentOrigin: string;
  receipts: Array<Record<string, unknown>>;
  audit: Array<Record<string, unknown>>;
  stats: Array<Record<string, unknown>>;
  caught: Array<Record<string, unknown>>;
  /** relaycast-payout's statements (when the pipeline has supporters). */
  statements: Array<Record<string, unknown>>;
  payoutAudit: Array<Record<string, unknown>>;
  /** Hands a msg to a node of the flow (e.g. 'pay', the payout node). */
  receive(nodeId: string, msg: Record<string, unknown>): void;
  /** Serves a fixed body at `path` from this same loopback server (a page author's own page). */
  serve(path: string, contentType: string, body: string | Buffer): void;
  /** Requests this server received for `path` (the URL without its query). */
  requestsFor(path: string): number;
  /** Redeploys the whole flow (every node closes and starts again). */
  redeploy(): Promise<void>;
  stop(): Promise<void>;
}

const manifestModule = distNode('manifest') as (red: unknown) => unknown;
let httpNode: http.RequestListener | undefined;
function manifestWithRed(red: unknown): unknown {
  httpNode = (red as { httpNode: http.RequestListener }).httpNode;
  return manifestModule(red);
}

export interface SwarmPipelineOptions {
  stream: string;
  statsInterval?: number;
  /** supporter id → token: signaling admits them, and a relaycast-payout node rewards them. */
  supporters?: Record<string, string>;
  /** Address the origin listens at (default 127.0.0.1; the network lab's public 198.18.0.1). */
  host?: string;
  /** Extra relaycast-signaling config (for example its ICE choice). */
  signaling?: Record<string, unknown>;
  /**
   * The origin the playlists name for segments, instead of the counting proxy's own http one: an
   * HTTPS proxy in front of it, as R2's public https URL is in production (a page served over
   * https cannot fetch http segments).
   */
  mediaOrigin?: string;
  /** Told every playlist msg manifest sends (each version it serves, in order). */
  onPlaylist?: (msg: { payload: string; playlist: { rendition: string | null } }) => void;
}

export async function startSwarmPipeline(options: SwarmPipelineOptions = { stream: 'e2e' }): Promise<SwarmPipeline> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-swarm-'));
  const hlsDir = path.join(dir, 'hls');
  mkdirSync(hlsDir);
  const s3 = await startLocalS3({ bucket: 'relaycast' });
  // Segments are read through this proxy so the test can count origin segment requests.
  let segmentGets = 0;
  const s3Url = new URL(s3.publicBaseUrl);
  const segmentProxy = http.createServer((req, res) => {
    if (req.method === 'GET') segmentGets++;
    const upstream = http.request({ host: s3Url.hostname, port: s3Url.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(upstream);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => segmentProxy.listen(0, host, resolve));
  const segmentOrigin = `http://${host}:${(segmentProxy.address() as AddressInfo).port}`;
  const publicBase = `${options.mediaOrigin ?? segmentOrigin}${s3Url.pathname.replace(/\/$/, '')}`;

  helper.settings({ userDir: path.join(dir, 'userdir') });
  await helper.startServer();
  const redServer = (helper as unknown as { _server: http.Server })._server;
  const counts: OriginCounts = { playlists: 0, viewerAssets: 0, other: 0 };
  const statics = new Map<string, { contentType: string; body: string | Buffer }>();
  const requestsByPath = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    const path = url.split('?')[0];
    requestsByPath.set(path, (requestsByPath.get(path) ?? 0) + 1);
    const fixed = statics.get(url);
    if (fixed) {
      res.writeHead(200, { 'Content-Type': fixed.contentType });
      res.end(fixed.body);
      return;
    }
    if (url.includes('.m3u8')) counts.playlists++;
    else if (url.startsWith('/relaycast/viewer/') || /\/live\/[^/]+\/(\?|$)/.test(url)) counts.viewerAssets++;
    else counts.other++;
    if (httpNode) httpNode(req, res);
    else {
      res.statusCode = 503;
      res.end();
    }
  });
  server.on('upgrade', (req, socket, head) => redServer.emit('upgrade', req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const base = `http://${host}:${(server.address() as AddressInfo).port}`;

  const flow = [
    { id: 'tab', type: 'tab', label: 'swarm' },
    {
      id: 'w1',
      type: 'relaycast-hls-watch',
      z: 'tab',
      path: hlsDir,
      stream: options.stream,
      renditions: 'all',
      usePolling: false,
      pollInterval: 100,
      maxSegmentMB: 64,
      wires: [['u1']],
    },
    {
      id: 'b1',
      type: 'relaycast-r2-bucket',
      z: 'tab',
      provider: 's3',
      endpoint: s3.endpoint,
      region: 'auto',
      bucket: s3.bucket,
      publicBaseUrl: publicBase,
      keyPrefix: 'swarm',
      forcePathStyle: true,
    },
    { id: 'u1', type: 'relaycast-r2-upload', z: 'tab', bucket: 'b1', concurrency: 4, maxAttempts: 8, attemptTimeout: 5, keepAll: true, wires: [['m1']] },
    {
      id: 'm1',
      type: 'relaycast-manifest',
      z: 'tab',
      windowSegments: 6,
      targetDuration: 0,
      dvr: false,
      gapMode: 'gap',
      blockingReload: true,
      wires: [['sig', ...(options.onPlaylist ? ['playlists'] : [])]],
    },
    ...(options.onPlaylist ? [{ id: 'playlists', type: 'helper', z: 'tab' }] : []),
    {
      id: 'sig',
      type: 'relaycast-signaling',
      z: 'tab',
      path: '/relaycast/signal',
      iceServers: '[]',
      maxConnectionsPerIp: 0,
      statsInterval: options.statsInterval ?? 5,
      viewerPath: '/live',
      ...options.signaling,
      wires: [['sigStats'], ['receipts', ...(options.supporters ? ['pay'] : [])], ['audit']],
    },
    // Every browser is on 127.0.0.1 here: the same-network rule would refuse them all (payout's help).
    ...(options.supporters
      ? [
          {
            id: 'pay',
            type: 'relaycast-payout',
            z: 'tab',
            ledger: path.join(dir, 'ledger.sqlite'),
            threshold: 0,
            sameNetwork: 'allow',
            untagged: 'credit',
            segments: 'signaling',
            batchMs: 2,
            summaryPath: '',
            signaling: 'sig',
            wires: [['statements'], ['payAudit']],
          },
          { id: 'statements', type: 'helper', z: 'tab' },
          { id: 'payAudit', type: 'helper', z: 'tab' },
        ]
      : []),
    { id: 'sigStats', type: 'helper', z: 'tab' },
    { id: 'receipts', type: 'helper', z: 'tab' },
    { id: 'audit', type: 'helper', z: 'tab' },
    { id: 'c1', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
  const credentials: Record<string, Record<string, string>> = { b1: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
  if (options.supporters)
    credentials.sig = {
      supporterTokens: Object.entries(options.supporters)
        .map(([id, token]) => `${id}:${token}`)
        .join('\n'),
    };
  const receipts: Array<Record<string, unknown>> = [];
  const audit: Array<Record<string, unknown>> = [];
  const stats: Array<Record<string, unknown>> = [];
  const caught: Array<Record<string, unknown>> = [];
  const statements: Array<Record<string, unknown>> = [];
  const payoutAudit: Array<Record<string, unknown>> = [];
  const modules = [distNode('hls-watch'), distNode('r2-bucket'), distNode('r2-upload'), manifestWithRed, distNode('signaling'), distNode('payout')];
  const listen = (): void => {
    const on = (id: string, listener: (msg: any) => void) =>
      (helper.getNode(id) as unknown as { on(e: string, l: (msg: any) => void): void }).on('input', listener);
    on('receipts', (msg) => receipts.push(msg.payload));
    on('audit', (msg) => audit.push(msg.payload));
    on('sigStats', (msg) => {
      if (msg.topic === 'stats') stats.push(msg.payload);
    });
    on('caught', (msg) => caught.push(msg.error));
    if (options.onPlaylist) on('playlists', options.onPlaylist);
    if (options.supporters) {
      on('statements', (msg) => statements.push(msg.payload));
      on('payAudit', (msg) => payoutAudit.push(msg.payload));
    }
  };
  await helper.load(modules as never, flow as never, credentials as never);
  listen();
  return {
    base,
    hlsDir,
    s3,
    counts,
    receipts,
    audit,
    stats,
    caught,
    statements,
    payoutAudit,
    receive: (nodeId, msg) => (helper.getNode(nodeId) as unknown as { receive(m: unknown): void }).receive(msg),
    segmentRequests: () => segmentGets,
    segmentOrigin,
    serve: (path, contentType, body) => {
      statics.set(path, { contentType, body });
    },
    requestsFor: (path) => requestsByPath.get(path) ?? 0,
    // A full deploy, as the editor's Deploy button does: every node closes and starts again.
    async redeploy() {
      await helper.setFlows(flow as never, 'full', credentials as never);
      listen();
    },
    async stop() {
      await helper.unload();
      await helper.stopServer();
      helper.settings({});
      httpNode = undefined;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => segmentProxy.close(() => resolve()));
      segmentProxy.closeAllConnections?.();
      await s3.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first rendition a stream's master playlist lists, by the rule the loader and signaling share. */
export async function firstRendition(base: string, stream: string): Promise<string> {
  const master = await (await fetch(`${base}/live/${stream}/master.m3u8`)).text();
  const rendition = firstVariantRendition(master);
  if (rendition === undefined) throw new Error(`no variant in the master playlist:\n${master}`);
  return rendition;
}
