// The signaling facade (lib/signaling/index.ts) without Node-RED: SignalingServer on a plain HTTP
// server on loopback with real ws clients, and the helpers the node shell maps its settings onto
// (iceServerProvider, supporterVerifier), case by case.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { iceServerProvider, parseTrustedProxies, SignalingServer, supporterVerifier, type IcePeer, type SignalingServerOptions } from '../../../lib/signaling';
import { SignalClient } from '../../nodes/signaling-client';
import { until } from '../../support/until';

const SHA = 'c'.repeat(64);
const PEER: IcePeer = { peer: 'p1', stream: 'live', rendition: '720p', role: 'viewer' };

function segment(sequence: number) {
  return {
    topic: 'segment',
    segment: {
      stream: 'live',
      rendition: '720p',
      session: 's1',
      sequence,
      duration: 2,
      byteLength: 4000,
      sha256: SHA,
      url: `https://media.example/live/${sequence}.ts`,
    },
  };
}

describe('signaling facade: SignalingServer on a shared HTTP server', () => {
  let httpServer: http.Server;
  let base: string;
  let server: SignalingServer | undefined;
  const warnings: string[] = [];
  const clients: SignalClient[] = [];

  async function start(extra: Partial<SignalingServerOptions> = {}): Promise<SignalingServer> {
    server = new SignalingServer({
      path: '/signal',
      coordinator: { limits: { maxConnectionsPerIp: 0 } },
      trustedProxies: parseTrustedProxies(''),
      warn: (text) => warnings.push(text),
      ...extra,
    });
    httpServer.on('upgrade', server.upgrade);
    return server;
  }
  const client = (path = '/signal'): SignalClient => {
    const c = new SignalClient(`${base}${path}`);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    warnings.length = 0;
    httpServer = http.createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    base = `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    server?.close();
    server = undefined;
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });

  it("accepts a peer on its own path and leaves any other path's upgrade to its owner", async () => {
    (await start()).input(segment(1)); // a swarm opens with its first segment
    const others: string[] = [];
    httpServer.on('upgrade', (req, socket) => {
      if (req.url === '/other') {
        others.push(req.url);
        socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
      }
    });
    const welcome = await client().join();
    assert.equal(welcome.type, 'welcome');
    await assert.rejects(client('/other').opened, { status: 418 });
    assert.deepEqual(others, ['/other']);
  });

  it("asks the operator's verifyClient hook: a refusal is 401", async () => {
    await start({ verifyClient: () => false });
    await assert.rejects(client().opened, { status: 401 });
    assert.equal(server!.coordinator.peerCount(), 0);
  });

  it("takes the code of a callback-style verifyClient hook's refusal", async () => {
    await start({ verifyClient: (_info: unknown, cb: (ok: boolean, code?: number, message?: string) => void) => cb(false, 403, 'Forbidden') });
    await assert.rejects(client().opened, { status: 403 });
  });

  it('answers 500 and warns when the verifyClient hook throws (never a crash)', async () => {
    await start({
      verifyClient: () => {
        throw new Error('hook broke');
      },
    });
    await assert.rejects(client().opened, { status: 500 });
    assert.ok(
      warnings.some((w) => w.includes('hook broke')),
      JSON.stringify(warnings),
    );
  });

  it('announces a stored segment to the swarm, and refuses a msg that is neither with a coded error', async () => {
    (await start()).input(segment(1));
    const viewer = client();
    await viewer.join('live', '720p');
    await viewer.sync();
    server!.input(segment(2));
    const frames = await viewer.sync();
    assert.ok(
      frames.some((f) => f.type === 'segment' && f.sequence === 2 && f.sha256 === SHA),
      JSON.stringify(frames),
    );
    assert.throws(() => server!.input({ topic: 'segment' }), { code: 'E_SIGNAL_INPUT' });
  });

  it('counts the bytes it sends per stream, says when a peer left, and closes every peer with NODE_CLOSED', async () => {
    const sent: Array<string | undefined> = [];
    let left = 0;
    (
      await start({
        sent: (stream) => sent.push(stream),
        disconnected: () => {
          left += 1;
        },
      })
    ).input(segment(1));
    const viewer = client();
    await viewer.join('live', '720p');
    assert.ok(sent.includes('live'), JSON.stringify(sent));
    const closed = viewer.closed;
    server!.close();
    server = undefined;
    assert.equal((await closed).code, 4000);
    await until(() => left === 1, 'the disconnect reported');
  });
});

describe('signaling facade: iceServerProvider', () => {
  const stun = { urls: 'stun:stun.example.org:3478' };
  const turnServer = { urls: ['turn:turn.example.org:3478'] };

  it('hands out the configured list itself when there is neither a hook nor a TURN secret', () => {
    const configured = [stun];
    assert.equal(iceServerProvider({ configured, warn: assert.fail }), configured);
  });

  it('with a TURN secret, gives each peer its own expiring credential on TURN entries only', () => {
    const provider = iceServerProvider({
      configured: [stun, turnServer],
      turn: { turnSecret: 's3cret', ttlSeconds: 60 },
      warn: assert.fail,
      now: () => 1_000_000,
    });
    assert.equal(typeof provider, 'function');
    const [s, t] = (provider as (p: IcePeer) => Array<{ username?: string; credential?: string }>)(PEER);
    assert.equal(s.username, undefined);
    assert.equal(t.username, '1060:p1');
    assert.equal(typeof t.credential, 'string');
  });

  it("uses the hook's answer when valid; falls back to the list, warning, when it answers nonsense or throws", () => {
    const warnings: string[] = [];
    let answer: () => unknown = () => [{ urls: 'stun:own.example' }];
    const provider = iceServerProvider({ configured: [stun], hook: () => answer(), warn: (w) => warnings.push(w) }) as (p: IcePeer) => unknown;
    assert.deepEqual(provider(PEER), [{ urls: 'stun:own.example' }]);
    answer = () => 'nonsense';
    assert.deepEqual(provider(PEER), [stun]);
    answer = () => {
      throw new Error('down');
    };
    assert.deepEqual(provider(PEER), [stun]);
    assert.equal(warnings.length, 2);
    assert.match(warnings[1], /threw: down/);
  });
});

describe('signaling facade: supporterVerifier', () => {
  it("checks the node's token list when there is no hook", async () => {
    const verify = supporterVerifier(undefined, 'alice:alice-token-0123456789');
    assert.equal(await verify('alice-token-0123456789', { stream: '', rendition: '' }), 'alice');
    assert.equal(await verify('not-alices-token-000000', { stream: '', rendition: '' }), null);
  });

  it("uses the operator's hook instead when there is one", async () => {
    const verify = supporterVerifier((token: string) => (token === 'x' ? 'hooked' : null), 'alice:alice-token-0123456789');
    assert.equal(await verify('x', { stream: '', rendition: '' }), 'hooked');
    assert.equal(await verify('alice-token-0123456789', { stream: '', rendition: '' }), null);
  });

  it('refuses a malformed token list with E_SIGNAL_CONFIG', () => {
    assert.throws(() => supporterVerifier(undefined, 'no colon here'), { code: 'E_SIGNAL_CONFIG' });
  });
});
