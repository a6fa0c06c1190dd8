// relaycast-signaling with a relaycast-redis config node in one Node-RED runtime: a bad Redis
// configuration is a deploy error with a code (and the password appears nowhere), a Redis that
// cannot be reached leaves the node serving its own peers with a yellow status and no unhandled
// rejection. The instances-sharing-swarms behaviour is test/nodes/signaling-redis.spec.ts.
import assert from 'node:assert/strict';
import net from 'node:net';
import { distNode, helper } from '../support/node-red';
import { until } from '../support/until';
import { SignalClient } from './signaling-client';

const nodes = [distNode('redis'), distNode('signaling')];
const PASSWORD = 'never-shown-7f3a';

function flow(redis: Record<string, unknown>) {
  return [
    { id: 'f1', type: 'tab' },
    { id: 'redis', type: 'relaycast-redis', keyPrefix: 'relaycast-config-spec:', livenessTtl: 2, ...redis },
    {
      id: 'sig',
      z: 'f1',
      type: 'relaycast-signaling',
      path: '/signal',
      statsInterval: 0,
      viewerPath: '',
      redis: 'redis',
      minSwarmForLinks: 2,
      wires: [[], [], []],
    },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
}

function statuses(): Array<{ fill?: string; shape?: string; text?: string }> {
  const sig = helper.getNode('sig') as unknown as { status: { args: Array<[{ fill?: string; text?: string }]> } };
  return sig.status.args.map((a) => a[0]);
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('relaycast-signaling with relaycast-redis: configuration and an unreachable Redis', function () {
  this.timeout(30_000);
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  before(async () => {
    process.on('unhandledRejection', onRejection);
    await helper.startServer();
  });
  after(async () => {
    process.off('unhandledRejection', onRejection);
    await helper.stopServer();
  });
  afterEach(() => helper.unload());

  it('refuses a Redis URL that is not redis:// (deploy error, red status, coded input errors, password nowhere)', async () => {
    await helper.load(nodes as never, flow({ url: 'http://127.0.0.1:6379' }), { redis: { password: PASSWORD } });
    const sig = helper.getNode('sig');
    await until(() => statuses().some((s) => s.fill === 'red'), 'a red status');
    const caught = new Promise<{ error: { code: string; message: string } }>((resolve) => helper.getNode('caught').once('input', resolve));
    sig.receive({ topic: 'segment' } as never);
    const { error } = await caught;
    assert.equal(error.code, 'E_REDIS_CONFIG');
    assert.match(error.message, /redis:\/\/ or rediss:\/\//);
    const logged = JSON.stringify((sig as unknown as { error: { args: unknown[] } }).error.args);
    assert.ok(!logged.includes(PASSWORD) && !error.message.includes(PASSWORD));
  });

  it('refuses a liveness TTL out of range', async () => {
    await helper.load(nodes as never, flow({ url: 'redis://127.0.0.1:6379', livenessTtl: 0 }));
    const caught = new Promise<{ error: { code: string; message: string } }>((resolve) => helper.getNode('caught').once('input', resolve));
    helper.getNode('sig').receive({ topic: 'segment' } as never);
    const { error } = await caught;
    assert.equal(error.code, 'E_REDIS_CONFIG');
    assert.match(error.message, /Liveness TTL/);
  });

  it('serves its own peers while Redis cannot be reached, and says so', async () => {
    const port = await closedPort();
    await helper.load(nodes as never, flow({ url: `redis://127.0.0.1:${port}` }));
    const sig = helper.getNode('sig');
    await until(() => statuses().some((s) => s.fill === 'yellow'), 'a yellow status');
    sig.receive({
      segment: {
        stream: 'live',
        rendition: '720p',
        session: 's',
        encoderSequence: 1,
        sequence: 1,
        duration: 2,
        byteLength: 1000,
        sha256: 'a'.repeat(64),
        uri: 's1.ts',
        path: '/tmp/s1.ts',
        contentType: 'video/mp2t',
        discontinuity: false,
        url: 'https://media.example/1.ts',
      },
    } as never);
    const url = `${helper.url().replace(/^http/, 'ws')}/signal`;
    const [one, two] = [new SignalClient(url), new SignalClient(url)];
    try {
      await one.join();
      const welcome = await two.join();
      assert.deepEqual(
        (welcome.peers as Array<{ peer: string }>).map((p) => p.peer),
        [one.id],
      );
      one.send({ type: 'offer', to: two.id, offerId: 'o', sdp: 'v=0' });
      assert.equal((await two.next()).from, one.id);
      // Still saying so with peers joined (the test runtime shows the message key, not its text).
      const seen = statuses().length;
      await until(() => statuses().length > seen, 'a status refresh');
      assert.deepEqual(statuses().at(-1), { fill: 'yellow', shape: 'ring', text: 'signaling.status.redisDown' });
    } finally {
      one.close();
      two.close();
    }
    assert.deepEqual(rejections, []);
  });
});
