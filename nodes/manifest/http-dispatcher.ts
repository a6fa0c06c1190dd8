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
  httpNodeRoot?: string | false;
  httpNodeCors?: CorsSettings;
  httpNodeMiddleware?: Middleware | Middleware[];
  httpNodeAuth?: unknown;
  /** Set to false to always go through Express (see installFastPath). */
  relaycastManifestFastPath?: boolean;
}

interface ServerLike {
  listeners(event: 'request'): Function[];
  removeListener(event: 'request', listener: Function): unknown;
  on(event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void): unknown;
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
    this.dispatch(pathOf(req.url), req, res, next);
  };

  /** Finds the owner of `pathname` (relative to httpNodeRoot) and runs its route; else next(). */
  dispatch(pathname: string, req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    if (this.owners.size === 0 || (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS')) {
      next();
      return;
    }
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
  }

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

interface FastPath {
  dispatcher?: Dispatcher;
  root: string;
}

const fastPaths = new WeakMap<object, FastPath>();

/**
 * Serves the manifest routes straight from Node-RED's HTTP server, ahead of the Express stack.
 * Why: with Node-RED's default settings every request on httpNodeRoot first crosses the editor's
 * app, whose static-file middleware stats the disk for each unknown path, then two Express apps;
 * that caps a playlist endpoint at a small fraction of what Node's http server can do, and a live
 * audience re-polls its playlists every few seconds. The server's existing 'request' listeners
 * (the Express app) are wrapped: a request that no manifest node owns goes to them untouched.
 *
 * Only taken when nothing Express-specific must run first: no httpNodeAuth (red.js applies it at
 * the app level) and no httpNodeMiddleware (written against Express's req/res); httpNodeCors is
 * applied by this module either way. `relaycastManifestFastPath: false` in settings turns it off.
 */
function installFastPath(server: ServerLike | undefined, settings: HttpSettings, dispatcher: Dispatcher): void {
  if (!server || typeof server.listeners !== 'function') return;
  if (settings.relaycastManifestFastPath === false || settings.httpNodeAuth || settings.httpNodeMiddleware || settings.httpNodeRoot === false) return;
  const root = typeof settings.httpNodeRoot === 'string' ? settings.httpNodeRoot.replace(/\/+$/, '') : '';
  let fast = fastPaths.get(server);
  if (fast) {
    fast.dispatcher = dispatcher;
    fast.root = root;
    return;
  }
  fast = { dispatcher, root };
  fastPaths.set(server, fast);
  const state = fast;
  const downstream = server.listeners('request');
  for (const listener of downstream) server.removeListener('request', listener);
  server.on('request', (req, res) => {
    const passOn = () => { for (const listener of downstream) listener.call(server, req, res); };
    const url = req.url ?? '/';
    if (!state.dispatcher || state.dispatcher.owners.size === 0 || (state.root && !url.startsWith(state.root + '/'))) {
      passOn();
      return;
    }
    state.dispatcher.dispatch(pathOf(url.slice(state.root.length)), req, res, (err?: unknown) => {
      if (err) {
        res.statusCode = 500;
        res.end();
        return;
      }
      passOn();
    });
  });
}

function overlaps(a: string[], b: string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((s) => b.includes(s));
}

/** Registers an owner's routes; a path already served by another manifest node is an error. */
export function registerRoutes(app: ExpressLike, settings: HttpSettings, owner: RouteOwner, server?: unknown): () => void {
  const dispatcher = dispatcherFor(app, settings);
  installFastPath(server as ServerLike | undefined, settings, dispatcher);
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
