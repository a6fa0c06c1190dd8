/**
 * Applies Node-RED's `httpNodeCors` setting the way core HTTP In does (it passes the setting to the
 * `cors` middleware): Access-Control-Allow-Origin on every response, and a 204 answer to
 * preflights. Written here because `cors` is not one of this package's dependencies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CorsSettings {
  origin?: boolean | string | RegExp | Array<string | RegExp>;
  methods?: string | string[];
  allowedHeaders?: string | string[];
  exposedHeaders?: string | string[];
  credentials?: boolean;
  maxAge?: number;
  optionsSuccessStatus?: number;
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);

function allowedOrigin(setting: CorsSettings['origin'], requestOrigin: string | undefined): string | undefined {
  if (setting === undefined || setting === '*') return '*';
  if (setting === false) return undefined;
  if (setting === true) return requestOrigin;
  if (typeof setting === 'string') return setting;
  const candidates = Array.isArray(setting) ? setting : [setting];
  const ok = requestOrigin !== undefined && candidates.some((c) => (typeof c === 'string' ? c === requestOrigin : c.test(requestOrigin)));
  return ok ? requestOrigin : undefined;
}

export function corsMiddleware(settings: CorsSettings): Middleware {
  return (req, res, next) => {
    const requestOrigin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const origin = allowedOrigin(settings.origin, requestOrigin);
    if (origin === undefined) {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (origin !== '*') res.setHeader('Vary', 'Origin');
    if (settings.credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', list(settings.methods) ?? 'GET,HEAD,PUT,PATCH,POST,DELETE');
      const headers = list(settings.allowedHeaders) ?? req.headers['access-control-request-headers'];
      if (headers) res.setHeader('Access-Control-Allow-Headers', headers);
      if (settings.maxAge !== undefined) res.setHeader('Access-Control-Max-Age', String(settings.maxAge));
      res.statusCode = settings.optionsSuccessStatus ?? 204;
      res.setHeader('Content-Length', '0');
      res.end();
      return;
    }
    const exposed = list(settings.exposedHeaders);
    if (exposed) res.setHeader('Access-Control-Expose-Headers', exposed);
    next();
  };
}
