/**
 * The bundled viewer page, served by relaycast-signaling: `<httpNodeRoot><viewerPath>/<stream>/`
 * (default /live/<stream>/, beside manifest's playlists) and its scripts under
 * `<httpNodeRoot>/relaycast/viewer/`. The page gets its config inline (stream, this node's
 * signaling path, the master playlist, the first rendition announced), so a viewer only opens the
 * URL. Routes go through manifest's dispatcher, so httpNodeMiddleware and httpNodeCors apply as to
 * the playlists, and no Express internals are touched to remove them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { RelaycastError } from '../../lib/errors';
import { isMediaId, type LatencyMode, type PushedPlaylist } from '../../lib/protocol';
import { registerRoutes, type ExpressLike, type HttpSettings } from '../../lib/http';
import { normalizePath } from './config';

export const ASSETS_PATH = '/relaycast/viewer';
const ASSET_NAME = /^[a-z0-9][a-z0-9.-]{0,63}$/;
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};
// Inline config is JSON data, not script; segment URLs live on R2 (any https origin); hls.js's
// transmuxer runs in a blob: worker and plays through MediaSource blob: URLs.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self' ws: wss: http: https:";

export interface ViewerPageOptions {
  nodeId: string;
  /** Path prefix relative to httpNodeRoot, e.g. '/live' (page at /live/<stream>/). */
  viewerPath: string;
  /** Full signaling path the browser connects to (with httpNodeRoot). */
  signalingPath: string;
  /** httpNodeRoot, for the asset links. */
  root: string;
  /** Master playlist URL, relative to the page or absolute; `{stream}` is replaced by the stream id. */
  master: string;
  /** The stream's latency mode: how far behind live the page's player sits. */
  latency: LatencyMode;
  /** The swarm the page joins before hls.js picks: the master's first variant (coordinator.startRendition). */
  startRendition(stream: string): string | undefined;
  /** The latest master and media playlists of that swarm, inlined so the player starts without a request. */
  playlists(stream: string, rendition: string): PushedPlaylist[];
  /** A request that failed (answered 500 by the dispatcher's error boundary). */
  failed(err: unknown): void;
}

interface Assets {
  template: string;
  files: Map<string, { body: Buffer; type: string }>;
}

let assets: Assets | undefined;

/** The built viewer (dist/viewer), read once per process. */
function loadAssets(): Assets {
  if (assets) return assets;
  const dir = path.resolve(__dirname, '..', '..', 'viewer');
  const files = new Map<string, { body: Buffer; type: string }>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new RelaycastError('E_SIGNAL_VIEWER', `the viewer bundle is missing (${dir}); run npm run build`);
  }
  for (const name of names) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type && ASSET_NAME.test(name) && name !== 'index.html') files.set(name, { body: readFileSync(path.join(dir, name)), type });
  }
  assets = { template: readFileSync(path.join(dir, 'index.html'), 'utf8'), files };
  return assets;
}

/** The viewer path: '' (or '/') serves no page; otherwise the node's one URL-path rule. */
export function normalizeViewerPath(value: string | undefined): string {
  if (value !== undefined && value.trim() === '') return '';
  const path = normalizePath(value, '/live', 'viewer path');
  return path === '/' ? '' : path;
}

/** Registers the page and asset routes; returns the function that removes them. */
export function serveViewerPage(app: ExpressLike, settings: HttpSettings, options: ViewerPageOptions): () => void {
  const bundle = loadAssets();
  const prefix = `${options.viewerPath}/`;
  const streamOf = (pathname: string): string | undefined => {
    if (!pathname.startsWith(prefix) || !pathname.endsWith('/')) return undefined;
    const stream = pathname.slice(prefix.length, -1);
    return isMediaId(stream) ? stream : undefined;
  };
  const assetOf = (pathname: string): string | undefined =>
    pathname.startsWith(`${ASSETS_PATH}/`) && bundle.files.has(pathname.slice(ASSETS_PATH.length + 1)) ? pathname.slice(ASSETS_PATH.length + 1) : undefined;

  function page(res: ServerResponse, req: IncomingMessage, stream: string): void {
    const startRendition = options.startRendition(stream);
    const config = {
      stream,
      signalingPath: options.signalingPath,
      master: options.master.replace(/\{stream\}/g, stream),
      latency: options.latency,
      ...(startRendition ? { startRendition, playlists: options.playlists(stream, startRendition) } : {}),
    };
    // `<` escaped so no value can close the script element that carries the config.
    const json = JSON.stringify(config).replace(/</g, '\\u003c');
    const body = Buffer.from(bundle.template.replace(/\{\{assets\}\}/g, `${options.root}${ASSETS_PATH}`).replace('{{config}}', json));
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': body.length,
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function asset(res: ServerResponse, req: IncomingMessage, name: string): void {
    const file = bundle.files.get(name)!;
    res.writeHead(200, {
      'Content-Type': file.type,
      'Content-Length': file.body.length,
      'Cache-Control': 'public, max-age=300',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  return registerRoutes(app, settings, {
    id: `${options.nodeId}:viewer`,
    templates: [`${prefix}{stream}/`, `${ASSETS_PATH}/{file}`],
    streams: [],
    matches: (pathname) => streamOf(pathname) !== undefined || assetOf(pathname) !== undefined,
    handle: (pathname, req, res) => {
      const stream = streamOf(pathname);
      if (stream !== undefined) {
        page(res, req, stream);
        return true;
      }
      const name = assetOf(pathname);
      if (name !== undefined) {
        asset(res, req, name);
        return true;
      }
      return false;
    },
    failed: options.failed,
  }).unregister;
}
