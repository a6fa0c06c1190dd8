/**
 * The supporter-facing summary on Node-RED's HTTP server: `<httpNodeRoot><path>/me` answers JSON
 * for the supporter whose token is in `Authorization: Bearer …` (their own figures, no payout
 * address, nobody else's data); `<path>/` is a small page that asks for the token and shows it.
 * The token travels in a header, never in the URL, so it does not land in proxy or access logs.
 * Routes go through manifest's dispatcher (httpNodeCors and httpNodeMiddleware apply as to core
 * HTTP In, and removal touches no Express internals).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { registerRoutes } from '../../lib/http';
import type { SupporterSummary } from '../../lib/payout/store';

export type TokenCheck = (token: string) => Promise<string | null>;

export interface SummaryRouteOptions {
  nodeId: string;
  path: string;
  verify: TokenCheck;
  summary(supporter: string): Promise<SupporterSummary | undefined>;
  /** A request that failed (answered 500 by the dispatcher's error boundary). */
  failed(err: unknown): void;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>Relaycast supporter</title>
<style>body{font:15px system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}td,th{padding:.2em .6em;text-align:right}th:first-child,td:first-child{text-align:left}</style>
<h1>Your support</h1><form id="f"><input id="t" type="password" placeholder="your supporter token" size="40" autocomplete="current-password"> <button>Show</button></form>
<div id="out"></div><script src="me.js"></script>`;

// Plain DOM, textContent only: nothing from the server is ever parsed as HTML.
const SCRIPT = `document.getElementById('f').addEventListener('submit', async function (e) {
  e.preventDefault();
  var out = document.getElementById('out'); out.textContent = '';
  var res = await fetch('me', { headers: { Authorization: 'Bearer ' + document.getElementById('t').value } });
  if (!res.ok) { out.textContent = res.status === 401 ? 'Unknown token.' : 'Error ' + res.status; return; }
  var s = await res.json();
  function p(text) { var el = document.createElement('p'); el.textContent = text; out.appendChild(el); }
  p(s.name + ': ' + s.verifiedBytes.toLocaleString() + ' verified bytes to ' + s.viewersHelped + ' viewers; pending ' + s.pending + ' ' + (s.currency || '') + ' (minor units), ' + s.unsettledBytes.toLocaleString() + ' bytes not yet settled.');
  var table = document.createElement('table');
  [['period', 'bytes', 'viewers', 'earned', 'paid', 'carried']].concat(s.statements.map(function (l) { return [l.period, l.bytes, l.viewers, l.earned, l.paid, l.carriedOut]; }))
    .forEach(function (row, i) { var tr = table.insertRow(); row.forEach(function (v) { var c = document.createElement(i ? 'td' : 'th'); c.textContent = String(v); tr.appendChild(c); }); });
  out.appendChild(table);
});`;

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.end(body);
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S{1,256})$/i.exec(header) : null;
  return m?.[1];
}

export function serveSummary(app: unknown, settings: Record<string, unknown>, server: unknown, options: SummaryRouteOptions): () => void {
  const page = `${options.path}/`;
  const script = `${options.path}/me.js`;
  const me = `${options.path}/me`;
  const handle = (pathname: string, req: IncomingMessage, res: ServerResponse): boolean => {
    if (pathname === page) {
      send(res, 200, 'text/html; charset=utf-8', PAGE, { 'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'" });
      return true;
    }
    if (pathname === script) { send(res, 200, 'text/javascript; charset=utf-8', SCRIPT); return true; }
    if (pathname !== me) return false;
    const token = bearer(req);
    if (!token) { send(res, 401, 'application/json', '{"error":"send your supporter token as Authorization: Bearer <token>"}', { 'WWW-Authenticate': 'Bearer' }); return true; }
    options.verify(token)
      .then(async (supporter) => {
        if (!supporter) { send(res, 401, 'application/json', '{"error":"unknown token"}', { 'WWW-Authenticate': 'Bearer' }); return; }
        const summary = await options.summary(supporter);
        send(res, 200, 'application/json; charset=utf-8', JSON.stringify(summary ?? {
          supporter, name: supporter, currency: null, verifiedBytes: 0, unsettledBytes: 0, viewersHelped: 0, pending: 0, statements: [],
        }));
      })
      .catch(() => send(res, 503, 'application/json', '{"error":"the ledger is unavailable"}'));
    return true;
  };
  return registerRoutes(app as never, settings as never, {
    id: `payout:${options.nodeId}`,
    templates: [page, script, me],
    streams: [],
    matches: (pathname) => pathname === page || pathname === script || pathname === me,
    handle,
    failed: options.failed,
  }, server).unregister;
}
