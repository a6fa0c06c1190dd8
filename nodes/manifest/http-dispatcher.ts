/**
 * One request dispatcher per Node-RED HTTP app (RED.httpNode), installed once, with the manifest
 * nodes kept in a Map: a node registers its routes when it starts and unregisters on close, so no
 * Express internals are spliced (the core HTTP In node edits `_router.stack`, which Express 5
 * renamed). `httpNodeMiddleware` and `httpNodeCors` run in front of each matched route, like core
 * HTTP In applies them to its routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RelaycastError } from '../../lib/errors';
import { corsMiddleware, type CorsSettings } from './cors';

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export interface RouteOwner {
  id: string;
  /** Path templates this owner answers (used for the duplicate check). */
  templates: string[];
  /** Streams it is limited to (empty = any), so two nodes may share templates for different streams. */
  streams: string[];
  /** Returns true when it handled the request. */
  handle(pathname: string, req: IncomingMessage, res: ServerResponse): boolean;
  /** Whether it would handle this path (checked before the shared middleware runs). */
  matches(pathname: string): boolean;
}

interface ExpressLike {
  use(handler: Middleware): unknown;
}

interface HttpSettings {
  httpNodeCors?: CorsSettings;
  httpNodeMiddleware?: Middleware | Middleware[];
}

class Dispatcher {
  readonly owners = new Map<string, RouteOwner>();
  private readonly chain: Middleware[];

  constructor(settings: HttpSettings) {
    const middleware = settings.httpNodeMiddleware;
    this.chain = [
      ...(typeof middleware === 'function' ? [middleware] : Array.isArray(middleware) ? middleware.filter((m) => typeof m === 'function') : []),
      ...(settings.httpNodeCors ? [corsMiddleware(settings.httpNodeCors)] : []),
    ];
  }

  readonly middleware: Middleware = (req, res, next) => {
    if (this.owners.size === 0 || (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS')) {
      next();
      return;
    }
    const pathname = pathOf(req.url);
    let owner: RouteOwner | undefined;
    for (const candidate of this.owners.values()) {
      if (candidate.matches(pathname)) { owner = candidate; break; }
    }
    if (!owner) {
      next();
      return;
    }
    const target = owner;
    this.runChain(req, res, next, 0, () => {
      if (req.method === 'OPTIONS') {
        // Preflight without CORS configured: answer it rather than let it fall through to a 404.
        res.statusCode = 204;
        res.setHeader('Allow', 'GET, HEAD, OPTIONS');
        res.end();
        return;
      }
      if (!target.handle(pathname, req, res)) next();
    });
  };

  private runChain(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void, index: number, last: () => void): void {
    if (index >= this.chain.length) {
      last();
      return;
    }
    this.chain[index](req, res, (err?: unknown) => {
      if (err) next(err);
      else this.runChain(req, res, next, index + 1, last);
    });
  }
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}

const dispatchers = new WeakMap<object, Dispatcher>();

/**
 * Installs the dispatcher on `app` once (per Node-RED runtime, or per test-helper load, which hands
 * each load a fresh app) and returns it.
 */
function dispatcherFor(app: ExpressLike, settings: HttpSettings): Dispatcher {
  let dispatcher = dispatchers.get(app);
  if (!dispatcher) {
    dispatcher = new Dispatcher(settings);
    dispatchers.set(app, dispatcher);
    app.use(dispatcher.middleware);
  }
  return dispatcher;
}

function overlaps(a: string[], b: string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((s) => b.includes(s));
}

/** Registers an owner's routes; a path already served by another manifest node is an error. */
export function registerRoutes(app: ExpressLike, settings: HttpSettings, owner: RouteOwner): () => void {
  const dispatcher = dispatcherFor(app, settings);
  for (const other of dispatcher.owners.values()) {
    if (other.id === owner.id) continue;
    const shared = owner.templates.find((t) => other.templates.includes(t));
    if (shared && overlaps(owner.streams, other.streams)) {
      throw new RelaycastError('E_MANIFEST_DUPLICATE_PATH', `path ${shared} is already served by manifest node ${other.id}`);
    }
  }
  dispatcher.owners.set(owner.id, owner);
  return () => {
    if (dispatcher.owners.get(owner.id) === owner) dispatcher.owners.delete(owner.id);
  };
}
