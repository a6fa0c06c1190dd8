/**
 * One request dispatcher per Node-RED HTTP app (RED.httpNode), installed once, with the route
 * owners (manifest's playlists, signaling's viewer page, payout's supporter summary) kept in a Map:
 * a node registers its routes when it starts and unregisters on close, so no Express internals are
 * spliced (the core HTTP In node edits `_router.stack`, which Express 5 renamed).
 * `httpNodeMiddleware` and `httpNodeCors` run in front of each matched route, like core HTTP In
 * applies them to its routes. Every step of a request runs inside an error boundary
 * (./error-boundary.ts): a throw (from a setting's callback or from the route) is a 500 and a
 * report, never a crash.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RelaycastError } from '../errors';
import { corsMiddleware, type CorsSettings } from './cors';
import { answerFailure, guarded } from './error-boundary';

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
  /** Told of a request that failed (answered 500), so the node can report it. */
  failed(err: unknown): void;
}

export interface ExpressLike {
  use(handler: Middleware): unknown;
}

export interface HttpSettings {
  httpNodeRoot?: string | false;
  httpNodeCors?: CorsSettings;
  httpNodeMiddleware?: Middleware | Middleware[];
  httpNodeAuth?: unknown;
  /** Set to true to answer playlist requests ahead of Express (see installFastPath). */
  relaycastManifestFastPath?: boolean;
  requireHttps?: boolean;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

interface ServerLike {
  listeners(event: 'request'): Function[];
  removeAllListeners(event: 'request'): unknown;
  on(event: 'request', listener: RequestListener): unknown;
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
      if (candidate.matches(pathname)) {
        owner = candidate;
        break;
      }
    }
    if (!owner) {
      next();
      return;
    }
    const target = owner;
    const fail = (err: unknown) => answerFailure((failure) => target.failed(failure), res, err);
    guarded(fail, () =>
      this.runChain(req, res, fail, 0, () => {
        if (req.method === 'OPTIONS') {
          // Preflight without CORS configured: answer it rather than let it fall through to a 404.
          res.statusCode = 204;
          res.setHeader('Allow', 'GET, HEAD, OPTIONS');
          res.end();
          return;
        }
        if (!target.handle(pathname, req, res)) next();
      }),
    );
  }

  /**
   * Runs the shared middleware, then `last`. A middleware's next(err) is answered here like a throw,
   * so a failing setting gives the same 500 on the Express path and on the fast path.
   */
  private runChain(req: IncomingMessage, res: ServerResponse, fail: (err: unknown) => void, index: number, last: () => void): void {
    if (index >= this.chain.length) {
      last();
      return;
    }
    this.chain[index](req, res, (err?: unknown) => {
      // A middleware may call back later (an async origin check): guard that continuation too.
      if (err) fail(err);
      else guarded(fail, () => this.runChain(req, res, fail, index + 1, last));
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
  dispatcher: Dispatcher;
  root: string;
  listener: RequestListener;
  /** The server's own request listeners (Express), replaced by `listener` while installed. */
  downstream: Function[];
}

const fastPaths = new WeakMap<object, FastPath>();

/** Why the fast path cannot be taken with these settings, or undefined when it can. */
function fastPathRefusal(settings: HttpSettings): string | undefined {
  if (settings.httpNodeAuth) return 'httpNodeAuth';
  if (settings.httpNodeMiddleware) return 'httpNodeMiddleware';
  if (settings.requireHttps === true) return 'requireHttps';
  return undefined;
}

/**
 * Opt-in (`relaycastManifestFastPath: true`): serves the manifest routes straight from Node-RED's
 * HTTP server, ahead of the Express stack. Why: with Node-RED's default settings every request on
 * httpNodeRoot first crosses the editor's app, whose static-file middleware stats the disk for each
 * unknown path, then two Express apps; that caps a playlist endpoint at a small fraction of what
 * Node's http server can do. The server's request listeners (the Express app) are swapped for one
 * that passes every request no manifest node owns to them untouched, and put back when the last
 * manifest node closes.
 *
 * Not taken when something Express applies must run first: httpNodeAuth (red.js applies it at the
 * app level), httpNodeMiddleware (written against Express's req/res) or requireHttps (the editor
 * app's redirect). httpNodeCors is applied by the dispatcher on both paths.
 */
function installFastPath(server: ServerLike, settings: HttpSettings, dispatcher: Dispatcher): void {
  const root = typeof settings.httpNodeRoot === 'string' ? settings.httpNodeRoot.replace(/\/+$/, '') : '';
  const existing = fastPaths.get(server);
  if (existing) {
    existing.dispatcher = dispatcher;
    existing.root = root;
    return;
  }
  const downstream = server.listeners('request');
  const fast: FastPath = {
    dispatcher,
    root,
    downstream,
    listener: (req, res) => {
      const passOn = () => {
        for (const listener of downstream) listener.call(server, req, res);
      };
      const url = req.url ?? '/';
      if (fast.root && !url.startsWith(fast.root + '/')) {
        passOn();
        return;
      }
      fast.dispatcher.dispatch(pathOf(url.slice(fast.root.length)), req, res, passOn);
    },
  };
  fastPaths.set(server, fast);
  replaceListeners(server, downstream, [fast.listener]);
}

function uninstallFastPath(server: ServerLike, dispatcher: Dispatcher): void {
  const fast = fastPaths.get(server);
  if (!fast || fast.dispatcher !== dispatcher) return;
  fastPaths.delete(server);
  replaceListeners(server, [fast.listener], fast.downstream);
}

/** Swaps `from` for `to` in the server's request listeners, keeping every other listener in its place. */
function replaceListeners(server: ServerLike, from: Function[], to: Function[]): void {
  const current = server.listeners('request');
  const at = current.findIndex((l) => from.includes(l));
  const kept = current.filter((l) => !from.includes(l));
  const next = at < 0 ? [...kept, ...to] : [...kept.slice(0, at), ...to, ...kept.slice(at)];
  server.removeAllListeners('request');
  for (const listener of next) server.on('request', listener as RequestListener);
}

function overlaps(a: string[], b: string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((s) => b.includes(s));
}

export interface Registration {
  unregister(): void;
  /** The setting that kept an opted-in fast path off, if any. */
  fastPathRefused?: string;
}

/**
 * Registers an owner's routes; a path template another owner already serves (for an overlapping
 * stream) is an error, E_MANIFEST_DUPLICATE_PATH: the code manifest documents, where two nodes can
 * collide in practice.
 */
export function registerRoutes(app: ExpressLike, settings: HttpSettings, owner: RouteOwner, server?: unknown): Registration {
  const dispatcher = dispatcherFor(app, settings);
  for (const other of dispatcher.owners.values()) {
    if (other.id === owner.id) continue;
    const shared = owner.templates.find((t) => other.templates.includes(t));
    if (shared && overlaps(owner.streams, other.streams)) {
      throw new RelaycastError('E_MANIFEST_DUPLICATE_PATH', `path ${shared} is already served by manifest node ${other.id}`);
    }
  }
  dispatcher.owners.set(owner.id, owner);
  const target = server as ServerLike | undefined;
  const wanted =
    settings.relaycastManifestFastPath === true && settings.httpNodeRoot !== false && target !== undefined && typeof target.listeners === 'function';
  const fastPathRefused = wanted ? fastPathRefusal(settings) : undefined;
  if (wanted && !fastPathRefused) installFastPath(target, settings, dispatcher);
  return {
    fastPathRefused,
    unregister: () => {
      if (dispatcher.owners.get(owner.id) === owner) dispatcher.owners.delete(owner.id);
      if (dispatcher.owners.size === 0 && target && typeof target.listeners === 'function') uninstallFastPath(target, dispatcher);
    },
  };
}
