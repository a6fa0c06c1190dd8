// The manifest's playlist endpoints on Node-RED's own server, run both ways: through Express (the
// default) and through the opt-in fast path (`relaycastManifestFastPath: true`). The same cases run
// against each, so anything the fast path does differently from Express shows up as a failure.
// The server is the test helper's real one, with RED.httpNode mounted under httpNodeRoot the way
// red.js mounts it, so the Express path here is the one an installed Node-RED takes.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { helper, distNode } from '../support/node-red';
import { request, type RawResponse } from '../support/http-request';
import { segmentMsg } from '../support/manifest-msgs';

type AnyNode = { id: string; receive(msg: unknown): void; on(event: string, fn: (arg: any) => void): void };
type Handler = (req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void) => void;
interface HelperInternals {
  _app: { use(path: string, handler: Handler): void };
  _server: http.Server;
}

const manifestModule = distNode('manifest') as (red: unknown) => unknown;
let httpNode: Handler | undefined;
function manifestWithRed(red: unknown): unknown {
  httpNode = (red as { httpNode: Handler }).httpNode;
  return manifestModule(red);
}

const PLAYLIST = '/live/demo/main.m3u8';
/** Headers a player or browser acts on; both paths must send exactly these. */
const COMPARED = [
  'content-type',
  'cache-control',
  'etag',
  'vary',
  'content-encoding',
  'content-length',
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-credentials',
];
const picked = (res: RawResponse) => Object.fromEntries(COMPARED.filter((h) => res.headers[h] !== undefined).map((h) => [h, res.headers[h]]));

const modes: Array<[string, Record<string, unknown>]> = [
  ['through Express (default)', {}],
  ['through the fast path (relaycastManifestFastPath: true)', { relaycastManifestFastPath: true }],
];

for (const [mode, modeSettings] of modes) {
  const fast = modeSettings.relaycastManifestFastPath === true;

  describe(`relaycast-manifest HTTP ${mode}`, function () {
    let userDir: string;
    let viaExpress: number;
    let errors: string[];

    beforeEach(() => {
      userDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-manifest-http-'));
      viaExpress = 0;
      errors = [];
    });

    afterEach(async () => {
      await helper.unload();
      await helper.stopServer();
      httpNode = undefined;
      helper.settings({});
      rmSync(userDir, { recursive: true, force: true });
    });

    /** Starts the helper's server with httpNode mounted at '/', loads a manifest node with 2 segments. */
    async function start(settings: Record<string, unknown> = {}): Promise<{ base: string; listenersBefore: Function[] }> {
      helper.settings({ userDir, ...modeSettings, ...settings });
      await helper.startServer();
      const internals = helper as unknown as HelperInternals;
      internals._app.use('/', (req, res, next) => {
        viaExpress += 1;
        if (httpNode) httpNode(req, res, next);
        else next();
      });
      const listenersBefore = internals._server.listeners('request');
      await helper.load([manifestWithRed as never], [
        { id: 't1', type: 'tab', label: 'manifest' },
        { id: 'm1', type: 'relaycast-manifest', z: 't1', name: '', windowSegments: 6, targetDuration: 0, wires: [[]] },
      ] as never);
      const node = helper.getNode('m1') as unknown as AnyNode & { error(...args: unknown[]): void };
      const original = node.error.bind(node);
      node.error = (err: unknown, ...rest: unknown[]) => {
        errors.push(err instanceof Error ? err.message : String(err));
        original(err, ...rest);
      };
      for (let i = 0; i < 2; i++) node.receive(segmentMsg({ sequence: i }));
      const base = helper.url();
      // Wait until both segments are listed (the playlist is served only once there is one).
      const start = Date.now();
      while (!(await request(base, PLAYLIST)).body.toString().includes('seg_00001.ts')) {
        if (Date.now() - start > 5000) throw new Error('segments never listed');
        await new Promise((r) => setTimeout(r, 5));
      }
      viaExpress = 0;
      return { base, listenersBefore };
    }

    it('answers on the path it claims to: Express counts the request only when the fast path is off', async () => {
      const { base } = await start();
      assert.equal((await request(base, PLAYLIST)).status, 200);
      assert.equal(viaExpress, fast ? 0 : 1);
      const other = await request(base, '/not-a-manifest-path');
      assert.equal(other.status, 404);
      assert.equal(viaExpress, fast ? 1 : 2, 'every other request goes to Express untouched');
    });

    it('sends the same player-facing headers as the other path (plain, gzip, 304, CORS preflight)', async () => {
      const { base } = await start({ httpNodeCors: { origin: true, methods: 'GET,HEAD', credentials: true } });
      const plain = await request(base, PLAYLIST, { headers: { Origin: 'https://viewer.test' } });
      const etag = String(plain.headers.etag);
      assert.deepEqual(picked(plain), {
        'content-type': 'application/vnd.apple.mpegurl',
        'cache-control': 'public, max-age=1',
        etag,
        vary: 'Origin, Accept-Encoding',
        'content-length': String(plain.body.length),
        'access-control-allow-origin': 'https://viewer.test',
        'access-control-allow-credentials': 'true',
      });
      const gz = await request(base, PLAYLIST, { headers: { Origin: 'https://viewer.test', 'Accept-Encoding': 'gzip' } });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gz.headers.vary, 'Origin, Accept-Encoding');
      const cached = await request(base, PLAYLIST, { headers: { 'If-None-Match': etag } });
      assert.equal(cached.status, 304);
      assert.equal(cached.headers.etag, etag);
      const preflight = await request(base, PLAYLIST, {
        method: 'OPTIONS',
        headers: { Origin: 'https://viewer.test', 'Access-Control-Request-Method': 'GET' },
      });
      assert.equal(preflight.status, 204);
      assert.deepEqual(picked(preflight), {
        'access-control-allow-origin': 'https://viewer.test',
        'access-control-allow-methods': 'GET,HEAD',
        'access-control-allow-credentials': 'true',
        vary: 'Origin, Access-Control-Request-Headers',
        'content-length': '0',
      });
    });

    it('supports httpNodeCors.origin as a function (the cors package callback form), as core HTTP In does', async () => {
      const asked: Array<string | undefined> = [];
      const { base } = await start({
        httpNodeCors: {
          origin: (origin: string | undefined, cb: (err: Error | null, allow?: boolean) => void) => {
            asked.push(origin);
            cb(null, origin === 'https://ok.test');
          },
        },
      });
      asked.length = 0;
      const allowed = await request(base, PLAYLIST, { headers: { Origin: 'https://ok.test' } });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://ok.test');
      const refused = await request(base, PLAYLIST, { headers: { Origin: 'https://other.test' } });
      assert.equal(refused.status, 200, 'a refused origin still gets the playlist, without the CORS header (like cors)');
      assert.equal(refused.headers['access-control-allow-origin'], undefined);
      assert.deepEqual(asked, ['https://ok.test', 'https://other.test']);
    });

    it('supports httpNodeCors as a function of the request (cors options callback form)', async () => {
      const { base } = await start({
        httpNodeCors: (req: http.IncomingMessage, cb: (err: Error | null, options?: object) => void) =>
          cb(null, { origin: req.headers['x-tenant'] === 'a' ? 'https://a.test' : false }),
      });
      assert.equal(
        (await request(base, PLAYLIST, { headers: { Origin: 'https://a.test', 'X-Tenant': 'a' } })).headers['access-control-allow-origin'],
        'https://a.test',
      );
      const other = await request(base, PLAYLIST, { headers: { Origin: 'https://a.test', 'X-Tenant': 'b' } });
      assert.equal(other.status, 200);
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    });

    it('answers 500 when the CORS origin function throws or fails, reports it, and keeps serving (never a crash)', async () => {
      const { base } = await start({
        httpNodeCors: {
          origin: (origin: string | undefined, cb: (err: Error | null, allow?: boolean) => void) => {
            if (origin === 'https://throws.test') throw new Error('origin check threw');
            if (origin === 'https://fails.test') {
              cb(new Error('origin check failed'));
              return;
            }
            cb(null, true);
          },
        },
      });
      const thrown = await request(base, PLAYLIST, { headers: { Origin: 'https://throws.test' } });
      assert.equal(thrown.status, 500);
      // The helper's RED._ returns the catalog key, so count the reports by key.
      const reports = () => errors.filter((e) => e === 'manifest.errors.request-failed').length;
      assert.equal(reports(), 1, 'reported through the node');
      const failed = await request(base, PLAYLIST, { headers: { Origin: 'https://fails.test' } });
      assert.equal(failed.status, 500);
      assert.equal(reports(), 2);
      const after = await request(base, PLAYLIST, { headers: { Origin: 'https://fine.test' } });
      assert.equal(after.status, 200, 'the server still answers after the failures');
      assert.equal(after.headers['access-control-allow-origin'], 'https://fine.test');
    });

    it(
      fast
        ? "replaces the server's request listener only while a manifest node runs, and restores the same listeners on close"
        : "leaves the server's request listeners alone",
      async () => {
        const { listenersBefore } = await start();
        const server = (helper as unknown as HelperInternals)._server;
        if (fast) assert.notDeepEqual(server.listeners('request'), listenersBefore);
        else assert.deepEqual(server.listeners('request'), listenersBefore);
        await helper.clearFlows();
        assert.deepEqual(server.listeners('request'), listenersBefore);
        const closed = await request(helper.url(), PLAYLIST);
        assert.equal(closed.status, 404);
        assert.match(closed.body.toString(), /Cannot GET/, 'after close the path falls through to Express');
      },
    );

    if (fast) {
      for (const [name, extra] of [
        ['requireHttps', { requireHttps: true }],
        ['httpNodeAuth', { httpNodeAuth: { user: 'u', pass: 'x' } }],
        ['httpNodeMiddleware', { httpNodeMiddleware: (_q: unknown, _s: unknown, next: () => void) => next() }],
      ] as Array<[string, Record<string, unknown>]>) {
        it(`stays on Express when ${name} is set, since Express must apply it`, async () => {
          const { base, listenersBefore } = await start(extra);
          assert.deepEqual((helper as unknown as HelperInternals)._server.listeners('request'), listenersBefore);
          await request(base, PLAYLIST);
          assert.equal(viaExpress, 1);
        });
      }
    }
  });
}
