/**
 * The p2p-media-loader baseline for the viewer benches (issue 20: "plain hls.js and
 * p2p-media-loader in the same run"). It runs p2p-media-loader 2.x as an operator would put it on
 * the internet: its own WebTorrent tracker (bittorrent-tracker's server, WebSocket only), the STUN
 * servers the bench names and no others (never p2p-media-loader's default Google/Twilio ones: in a
 * lab or on loopback no traffic may leave the machine), and live settings chosen for live (below).
 *
 * One HTTP server serves the viewer page: the project's hls.js, bundled with the page script
 * (p2pml-page.ts), plus p2p-media-loader's own browser bundles, untouched from the installed
 * package. The page reaches the origin through this same server (/origin/…, a plain pass-through),
 * as an operator serving the player beside the playlists would, so the origin needs no CORS.
 * The page publishes the figures Relaycast's viewer page publishes, under the same name.
 *
 *   const baseline = await startP2pmlBaseline({ host, port: 0, trackerPort: 0, stunUrls, masterUrl });
 *   await page.goto(baseline.pageUrl(i));  …  await baseline.close();
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ensureP2pmlInstalled, packageDir } from './p2pml-install';
import { passThrough } from './p2pml-origin';
import type { P2pmlPageConfig } from './p2pml-page';

export interface P2pmlBaselineOptions {
  /** Address the page server and the tracker listen on (the one viewers reach). */
  host: string;
  /** 0 picks a free port. */
  port: number;
  trackerPort: number;
  /** ICE servers the viewers get, e.g. ['stun:198.18.0.1:3478']; [] where peers share a network (loopback). */
  stunUrls: string[];
  /** The stream's master playlist at the origin. */
  masterUrl: string;
  /** How often viewers re-announce to the tracker; default 120 s, as public WebTorrent trackers use. */
  announceIntervalMs?: number;
}

export interface P2pmlBaseline {
  /** The page of viewer `viewerIndex`; `upload: false` plays as a viewer that never uploads (metered, phone). */
  pageUrl(viewerIndex: number, options?: { upload?: boolean }): string;
  trackerUrl: string;
  close(): Promise<void>;
}

/** Thrown when the baseline cannot be installed: a bench prints the reason and skips the mode. */
export class P2pmlUnavailableError extends Error {
  readonly code = 'P2PML_UNAVAILABLE';
}

/**
 * Live settings, from the largest deployment's live profile (PeerTube's default live latency mode:
 * highDemandTimeWindow 4 s; see shared reference p2p.md §1.8). Left at its defaults
 * p2p-media-loader raises hls.js's live sync distance after hls.js may already have picked its
 * start point, so viewers land ~6 s or ~18 s behind at random; setting the distance up front avoids
 * that. 4 segments (8 s at 2 s segments) rather than PeerTube's 5 because the bench's live window
 * holds 6 segments: at 5 the player would sit at the window's start.
 */
export const P2PML_LIVE_SETTINGS = { liveSyncDurationCount: 4, highDemandTimeWindow: 4 };

interface TrackerServer {
  on(event: 'error' | 'warning', listener: (err: Error) => void): void;
  once(event: 'listening', listener: () => void): void;
  listen(port: number, host: string): void;
  close(cb: () => void): void;
  ws: { address(): AddressInfo };
}
type TrackerServerClass = new (opts: Record<string, unknown>) => TrackerServer;

async function startTracker(host: string, port: number, intervalMs: number): Promise<{ url: string; close(): Promise<void> }> {
  // Only the server entry: the package's client side loads node-datachannel, whose binary is absent.
  const entry = pathToFileURL(path.join(packageDir('bittorrent-tracker'), 'server.js')).href;
  const Server = ((await import(entry)) as { default: TrackerServerClass }).default;
  const tracker = new Server({ http: false, udp: false, ws: true, stats: false, interval: intervalMs });
  // A malformed announce is a warning; neither may throw out of the bench.
  tracker.on('warning', () => {});
  tracker.on('error', (err) => console.error(`p2p-media-loader baseline tracker: ${err.message}`));
  await new Promise<void>((resolve) => {
    tracker.once('listening', resolve);
    tracker.listen(port, host);
  });
  return {
    url: `ws://${hostForUrl(host)}:${tracker.ws.address().port}`,
    // The WebSocket server calls back only once its last connection is gone, and a viewer whose
    // network vanished (a lab home removed) never closes its socket: closing is bounded.
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, TRACKER_CLOSE_MS);
        tracker.close(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

const TRACKER_CLOSE_MS = 3000;

const hostForUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

async function bundlePageScript(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(__dirname, 'p2pml-page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

function pageHtml(config: P2pmlPageConfig): string {
  const imports = { imports: { 'p2p-media-loader-core': '/p2pml/core.js', 'p2p-media-loader-hlsjs': '/p2pml/hlsjs.js' } };
  const json = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>p2p-media-loader baseline</title>
<script type="importmap">${json(imports)}</script>
<script id="p2pml-config" type="application/json">${json(config)}</script>
</head><body>
<video id="video" muted playsinline controls width="640"></video>
<p id="status"></p>
<script type="module" src="/p2pml/page.js"></script>
</body></html>`;
}

export async function startP2pmlBaseline(options: P2pmlBaselineOptions): Promise<P2pmlBaseline> {
  const installed = await ensureP2pmlInstalled();
  if (!installed.ok) throw new P2pmlUnavailableError(installed.reason);
  const master = new URL(options.masterUrl);
  if (master.protocol !== 'http:') throw new Error(`p2p-media-loader baseline: the origin pass-through speaks http only, not ${master.protocol}`);
  const tracker = await startTracker(options.host, options.trackerPort, options.announceIntervalMs ?? 120_000);
  const assets: Record<string, string> = {
    '/p2pml/page.js': await bundlePageScript(),
    '/p2pml/core.js': readFileSync(path.join(packageDir('p2p-media-loader-core'), 'dist/p2p-media-loader-core.es.min.js'), 'utf8'),
    '/p2pml/hlsjs.js': readFileSync(path.join(packageDir('p2p-media-loader-hlsjs'), 'dist/p2p-media-loader-hlsjs.es.min.js'), 'utf8'),
  };
  const config = (upload: boolean): P2pmlPageConfig => ({
    masterUrl: `/origin${master.pathname}${master.search}`,
    engineModule: '/p2pml/hlsjs.js',
    core: {
      announceTrackers: [tracker.url],
      rtcConfig: { iceServers: options.stunUrls.map((urls) => ({ urls })) },
      highDemandTimeWindow: P2PML_LIVE_SETTINGS.highDemandTimeWindow,
      isP2PUploadDisabled: !upload,
    },
    hls: { liveSyncDurationCount: P2PML_LIVE_SETTINGS.liveSyncDurationCount },
  });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page');
    if (url.pathname.startsWith('/origin/')) return passThrough(master, req, res, url.pathname.slice('/origin'.length) + url.search);
    const asset = assets[url.pathname];
    if (asset !== undefined) {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(asset);
    } else if (url.pathname === '/p2pml/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(pageHtml(config(url.searchParams.get('upload') !== '0')));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  }).catch(async (err: unknown) => {
    await tracker.close(); // a page port already taken leaves no tracker behind
    throw err;
  });
  const pageBase = `http://${hostForUrl(options.host)}:${(server.address() as AddressInfo).port}`;
  return {
    trackerUrl: tracker.url,
    pageUrl: (viewerIndex, pageOptions) => `${pageBase}/p2pml/?viewer=${viewerIndex}${pageOptions?.upload === false ? '&upload=0' : ''}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await tracker.close();
    },
  };
}
