// The one request dispatcher per HTTP app (lib/http/dispatcher.ts), on a real HTTP server:
// routing, the error boundary, httpNodeCors, the duplicate-path check and the opt-in fast path.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { registerRoutes, type HttpSettings, type RouteOwner } from '../../../lib/http';
import { RelaycastError } from '../../../lib/errors';
import { request } from '../../support/http-request';
import { appServer, type AppServer } from '../../support/app-server';

function owner(id: string, over: Partial<RouteOwner> = {}): RouteOwner & { failures: unknown[] } {
  const failures: unknown[] = [];
  return {
    id,
    templates: ['/live/{stream}/master.m3u8'],
    streams: [],
    matches: (pathname) => pathname.startsWith('/live/'),
    handle: (pathname: string, _req: IncomingMessage, res: ServerResponse) => {
      if (pathname === '/live/other') return false;
      res.end(`${id} ${pathname}\n`);
      return true;
    },
    failed: (err) => {
      failures.push(err);
    },
    failures,
    ...over,
  };
}

describe('manifest HTTP dispatcher', () => {
  let s: AppServer;
  beforeEach(async () => {
    s = await appServer();
  });
  afterEach(async () => {
    await s.close();
  });

  it('runs the route that matches a GET or HEAD; anything else goes on to the app', async () => {
    registerRoutes(s.app, {}, owner('a'));
    const hit = await request(s.base, '/live/demo/master.m3u8?x=1');
    assert.equal(hit.status, 200);
    assert.equal(hit.body.toString(), 'a /live/demo/master.m3u8\n');
    assert.equal((await request(s.base, '/elsewhere')).body.toString(), 'fell through\n');
    assert.equal((await request(s.base, '/live/demo/master.m3u8', { method: 'POST' })).body.toString(), 'fell through\n');
    // Matched, but the route declines it: the app answers.
    assert.equal((await request(s.base, '/live/other')).body.toString(), 'fell through\n');
  });

  it('answers a CORS preflight with 204 when no CORS is configured, rather than a 404', async () => {
    registerRoutes(s.app, {}, owner('a'));
    const res = await request(s.base, '/live/demo/master.m3u8', { method: 'OPTIONS' });
    assert.equal(res.status, 204);
    assert.equal(res.headers.allow, 'GET, HEAD, OPTIONS');
  });

  it('turns a throwing route or a failing middleware into a 500 and a report, and keeps serving', async () => {
    let calls = 0;
    const failing = owner('a', {
      handle: (_p, _req, res) => {
        calls += 1;
        if (calls === 1) throw new Error('route broke');
        res.end('fine\n');
        return true;
      },
    });
    registerRoutes(s.app, { httpNodeMiddleware: (req, _res, next) => next(req.url?.includes('bad') ? new Error('middleware refused') : undefined) }, failing);
    const broken = await request(s.base, '/live/demo/master.m3u8');
    assert.equal(broken.status, 500);
    assert.equal(broken.body.toString(), 'internal error\n');
    const refused = await request(s.base, '/live/bad/master.m3u8');
    assert.equal(refused.status, 500);
    assert.deepEqual(
      failing.failures.map((e) => (e as Error).message),
      ['route broke', 'middleware refused'],
    );
    assert.equal((await request(s.base, '/live/demo/master.m3u8')).body.toString(), 'fine\n');
  });

  it('applies httpNodeCors in every form core accepts (here an origin callback)', async () => {
    const settings: HttpSettings = { httpNodeCors: { origin: (origin, cb) => cb(null, origin === 'https://player.test') } };
    registerRoutes(s.app, settings, owner('a'));
    const allowed = await request(s.base, '/live/demo/master.m3u8', { headers: { Origin: 'https://player.test' } });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://player.test');
    const other = await request(s.base, '/live/demo/master.m3u8', { headers: { Origin: 'https://evil.test' } });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  it('refuses a second owner of the same path for the same streams, allows it for other streams or once freed', () => {
    const first = registerRoutes(s.app, {}, owner('a', { streams: ['one'] }));
    assert.throws(
      () => registerRoutes(s.app, {}, owner('b')),
      (e: unknown) => e instanceof RelaycastError && e.code === 'E_MANIFEST_DUPLICATE_PATH',
    );
    registerRoutes(s.app, {}, owner('c', { streams: ['two'] }));
    first.unregister();
    registerRoutes(s.app, {}, owner('d', { streams: ['one'] }));
  });

  it('fast path (opted in): answers ahead of the app, passes the rest on, and puts the listeners back on close', async () => {
    const before = s.server.listeners('request');
    const registration = registerRoutes(s.app, { relaycastManifestFastPath: true }, owner('a'), s.server);
    assert.equal(registration.fastPathRefused, undefined);
    assert.notDeepEqual(s.server.listeners('request'), before);
    assert.equal((await request(s.base, '/live/demo/master.m3u8')).status, 200);
    assert.equal(s.viaApp, 0, 'the route was answered before the app');
    assert.equal((await request(s.base, '/elsewhere')).body.toString(), 'fell through\n');
    assert.equal(s.viaApp, 1);
    registration.unregister();
    assert.deepEqual(s.server.listeners('request'), before);
  });

  it('keeps off the fast path when a setting Express must apply is set, and says which', () => {
    const before = s.server.listeners('request');
    for (const [name, settings] of [
      ['httpNodeAuth', { httpNodeAuth: { user: 'u', pass: 'p' } }],
      ['requireHttps', { requireHttps: true }],
    ] as const) {
      const registration = registerRoutes(s.app, { relaycastManifestFastPath: true, ...settings }, owner(`n-${name}`, { streams: [name] }), s.server);
      assert.equal(registration.fastPathRefused, name);
      assert.deepEqual(s.server.listeners('request'), before);
    }
  });
});
