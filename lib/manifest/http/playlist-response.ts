/**
 * Writes one playlist version to an HTTP response: ETag / If-None-Match → 304, gzip when the client
 * accepts it, Cache-Control from the playlist's state. Bodies (plain and gzipped) are computed once
 * per version and reused for every request, which is what keeps the playlist path fast.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { RenderedPlaylist } from '../manifest-core';

export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';

interface Bodies {
  plain: Buffer;
  gzip?: Buffer;
}

const bodies = new WeakMap<RenderedPlaylist, Bodies>();

function bodiesOf(playlist: RenderedPlaylist): Bodies {
  let b = bodies.get(playlist);
  if (!b) {
    b = { plain: Buffer.from(playlist.text, 'utf8') };
    bodies.set(playlist, b);
  }
  return b;
}

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** True when If-None-Match names this version (weak comparison, RFC 9110 §13.1.2). */
export function notModified(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Vary for this response: Accept-Encoding, after any Vary a CORS handler already set (Origin). */
function varyOf(res: ServerResponse): string {
  const existing = res.getHeader('Vary');
  return existing ? `${String(existing)}, Accept-Encoding` : 'Accept-Encoding';
}

/**
 * Returns 'ok' | 'not-modified' for the request counters. Headers go out in one writeHead call:
 * this is the hot path of a live audience re-polling every few seconds.
 */
export function sendPlaylist(req: IncomingMessage, res: ServerResponse, playlist: RenderedPlaylist, cacheControl: string): 'ok' | 'not-modified' {
  const vary = varyOf(res);
  if (req.headers['if-none-match'] === playlist.etag || notModified(req, playlist.etag)) {
    res.writeHead(304, { 'Cache-Control': cacheControl, ETag: playlist.etag, Vary: vary });
    res.end();
    return 'not-modified';
  }
  const b = bodiesOf(playlist);
  const gzip = acceptsGzip(req);
  if (gzip) b.gzip ??= gzipSync(b.plain);
  const body = gzip ? b.gzip! : b.plain;
  const headers: Record<string, string | number> = {
    'Content-Type': PLAYLIST_CONTENT_TYPE,
    'Content-Length': body.length,
    'Cache-Control': cacheControl,
    ETag: playlist.etag,
    Vary: vary,
  };
  if (gzip) headers['Content-Encoding'] = 'gzip';
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
  return 'ok';
}

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function sendText(res: ServerResponse, status: number, text: string, cacheControl = 'no-cache'): void {
  const body = Buffer.from(text);
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
