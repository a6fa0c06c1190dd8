/**
 * The supporter-facing summary on Node-RED's HTTP server: `<httpNodeRoot><path>/me` answers JSON
 * for the supporter whose token is in `Authorization: Bearer …` (their own figures, no payout
 * address, nobody else's data); `<path>/` is a small page that asks for the token and shows it.
 * The token travels in a header, never in the URL, so it does not land in proxy or access logs.
 * What `me` answers is decided in lib/payout/summary-door.ts: each source's requests are limited
 * before any token is checked (429 with Retry-After), and every token is checked alike.
 * Routes go through manifest's dispatcher (httpNodeCors and httpNodeMiddleware apply as to core
 * HTTP In, and removal touches no Express internals).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { RelaycastError } from '../../lib/errors';
import { registerRoutes, type ExpressLike, type HttpSettings } from '../../lib/http';
import { answerSummary, type SummaryDoorParts } from '../../lib/payout/summary-door';
import { sourceOf } from '../../lib/signaling/addresses';
import { clientAddress, type TrustedProxies } from '../../lib/signaling/client-address';
import { DEFAULT_LIMITS } from '../../lib/signaling/limits';

export interface SummaryRouteOptions extends SummaryDoorParts {
  nodeId: string;
  path: string;
  /** Proxies whose Forwarded / X-Forwarded-For name the client (the source the limiter charges). */
  trustedProxies: TrustedProxies;
  /** A request that failed (answered 500 by the dispatcher's error boundary). */
  failed(err: unknown): void;
}

/** The page and its script, built from viewer/summary into dist/viewer/summary; read once per process. */
let pageFiles: { html: string; script: string } | undefined;
function loadPage(): { html: string; script: string } {
  if (pageFiles) return pageFiles;
  const dir = path.resolve(__dirname, '..', '..', 'viewer', 'summary');
  try {
    pageFiles = { html: readFileSync(path.join(dir, 'summary.html'), 'utf8'), script: readFileSync(path.join(dir, 'summary.js'), 'utf8') };
  } catch {
    throw new RelaycastError('E_PAYOUT_SUMMARY', `the supporter summary page is missing (${dir}); run npm run build`);
  }
  return pageFiles;
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.end(body);
}

export function serveSummary(app: ExpressLike, settings: HttpSettings, server: unknown, options: SummaryRouteOptions): () => void {
  const files = loadPage();
  const page = `${options.path}/`;
  const script = `${options.path}/me.js`;
  const me = `${options.path}/me`;
  const handle = (pathname: string, req: IncomingMessage, res: ServerResponse): boolean => {
    if (pathname === page) {
      send(res, 200, 'text/html; charset=utf-8', files.html, {
        'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'",
      });
      return true;
    }
    if (pathname === script) {
      send(res, 200, 'text/javascript; charset=utf-8', files.script);
      return true;
    }
    if (pathname !== me) return false;
    // The source by signaling's rule (IPv4 /32, IPv6 /64), so one address cannot pose as many.
    const source = sourceOf(clientAddress(req.socket.remoteAddress ?? 'unknown', req.headers, options.trustedProxies), DEFAULT_LIMITS);
    answerSummary(options, source, req.headers.authorization).then(
      (answer) => {
        const { 'Content-Type': type, ...headers } = answer.headers;
        send(res, answer.status, type, answer.body, headers);
      },
      (err: unknown) => {
        send(res, 503, 'application/json', '{"error":"the summary is unavailable"}');
        options.failed(err);
      },
    );
    return true;
  };
  return registerRoutes(
    app,
    settings,
    {
      id: `payout:${options.nodeId}`,
      templates: [page, script, me],
      streams: [],
      matches: (pathname) => pathname === page || pathname === script || pathname === me,
      handle,
      failed: options.failed,
    },
    server,
  ).unregister;
}
