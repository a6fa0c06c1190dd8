// relaycast-signaling's ICE choices on a real Node-RED runtime: its own STUN responder by default
// (each viewer told stun:<the host it used>:<port>), the operator's list, or none; a STUN port that
// cannot be bound costs the viewers their STUN entry, never the signaling.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { segmentMsg } from '../support/manifest-msgs';
import { distNode, helper } from '../support/node-red';
import { freeUdpPort } from '../support/free-port';
import { bindingRequest, UdpClient, xorMappedAddress } from '../support/stun-client';
import { until } from '../support/until';
import { SignalClient, type Frame } from './signaling-client';

const signalingNode = distNode('signaling');
const segment = segmentMsg({ stream: 'live', rendition: '720p', sequence: 1 });

type SpyNode = { status: { getCalls(): Array<{ args: [unknown] }> }; warn: { getCalls(): Array<{ args: [unknown] }> }; receive(msg: unknown): void };

describe('relaycast-signaling ICE modes and its built-in STUN responder (real Node-RED, real UDP)', function () {
  const clients: SignalClient[] = [];
  const cleanup: Array<() => unknown> = [];
  const port = () => new URL(helper.url()).port;
  const client = (host?: string, path = '/signal') => {
    const c = new SignalClient(`ws://127.0.0.1:${port()}${path}`, host === undefined ? {} : { headers: { host } });
    clients.push(c);
    return c;
  };

  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await helper.unload();
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function start(...configs: Array<Record<string, unknown>>) {
    const nodes = configs.map((config, i) => ({
      id: `sig${i}`,
      z: 'f1',
      type: 'relaycast-signaling',
      path: i === 0 ? '/signal' : `/signal${i}`,
      statsInterval: 0,
      maxConnectionsPerIp: 0,
      viewerPath: '',
      // Two peers are introduced to each other here; by default a swarm links from three members.
      minSwarmForLinks: 2,
      ...config,
      wires: [],
    }));
    await helper.load(signalingNode as never, [{ id: 'f1', type: 'tab' }, ...nodes] as never);
    return nodes.map((n) => {
      const node = helper.getNode(n.id) as unknown as SpyNode;
      node.receive(segment);
      return node;
    });
  }

  it('by default runs its own STUN responder and tells each viewer stun:<the host it used>:<port>', async () => {
    const stunPort = await freeUdpPort();
    await start({ stunPort });
    const byIp = await client().join();
    assert.deepEqual(byIp.iceServers, [{ urls: `stun:127.0.0.1:${stunPort}` }]);
    const byName = await client(`localhost:${port()}`).join();
    assert.deepEqual(byName.iceServers, [{ urls: `stun:localhost:${stunPort}` }]);
    const byV6 = await client(`[::1]:${port()}`).join();
    assert.deepEqual(byV6.iceServers, [{ urls: `stun:[::1]:${stunPort}` }]);
    const forged = await client('evil.example/?x=1').join();
    assert.deepEqual(forged.iceServers, [], 'a Host header that is no plain host gets no entry');
    // And that server answers a real Binding request, on IPv4 and IPv6.
    for (const address of ['127.0.0.1', '::1']) {
      const udp = await UdpClient.open(address);
      cleanup.push(() => udp.close());
      await udp.send(bindingRequest().bytes, stunPort, address);
      await until(() => udp.received.length === 1, `the STUN answer on ${address}`);
      assert.equal(xorMappedAddress(udp.received[0])?.port, udp.local.port);
    }
  });

  it('points viewers at the configured public host', async () => {
    const stunPort = await freeUdpPort();
    await start({ stunPort, publicHost: 'stun.media.example.org' });
    assert.deepEqual((await client().join()).iceServers, [{ urls: `stun:stun.media.example.org:${stunPort}` }]);
  });

  it("'none' gives no ICE server and binds no UDP port; 'custom' gives the list; an old flow with a list keeps it", async () => {
    const stunPort = await freeUdpPort();
    await start({ iceMode: 'none', stunPort, iceServers: '[{"urls":"stun:stun.example.org:3478"}]' });
    assert.deepEqual((await client().join()).iceServers, []);
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(stunPort, '0.0.0.0', resolve));
    probe.close();
    await helper.unload();
    await start({ iceMode: 'custom', stunPort, iceServers: '[{"urls":"stun:stun.example.org:3478"}]' });
    assert.deepEqual((await client().join()).iceServers, [{ urls: 'stun:stun.example.org:3478' }]);
    await helper.unload();
    await start({ stunPort, iceServers: '[{"urls":"stun:stun.example.org:3478"}]' });
    assert.deepEqual((await client().join()).iceServers, [{ urls: 'stun:stun.example.org:3478' }], 'no iceMode and a list: custom');
  });

  it('shares one responder between signaling nodes on the same STUN port', async () => {
    const stunPort = await freeUdpPort();
    const [a, b] = await start({ stunPort }, { stunPort });
    assert.deepEqual((await client(undefined, '/signal').join()).iceServers, [{ urls: `stun:127.0.0.1:${stunPort}` }]);
    assert.deepEqual((await client(undefined, '/signal1').join()).iceServers, [{ urls: `stun:127.0.0.1:${stunPort}` }]);
    assert.deepEqual([...a.warn.getCalls(), ...b.warn.getCalls()], [], 'no port conflict');
  });

  it('with its STUN port taken: says so in the status and once in the log (E_SIGNAL_STUN_PORT), and signaling still serves', async () => {
    const stunPort = await freeUdpPort();
    const squatters = [dgram.createSocket('udp4'), dgram.createSocket({ type: 'udp6', ipv6Only: true })];
    await Promise.all(squatters.map((s, i) => new Promise<void>((resolve) => s.bind(stunPort, i === 0 ? '0.0.0.0' : '::', resolve))));
    cleanup.push(() => squatters.forEach((s) => s.close()));
    const [sig] = await start({ stunPort });
    await until(() => sig.warn.getCalls().length > 0, 'the warning');
    const warnings = sig.warn.getCalls().map((c) => String(c.args[0]));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /E_SIGNAL_STUN_PORT/);
    await until(() => (sig.status.getCalls().at(-1)?.args[0] as Frame | undefined)?.text === 'signaling.status.stunDown', 'the status');
    assert.equal((sig.status.getCalls().at(-1)?.args[0] as Frame).fill, 'yellow');
    const [a, b] = [client(), client()];
    const wa = await a.join();
    assert.deepEqual(wa.iceServers, [], 'no entry for a server that is not there');
    const wb = await b.join();
    assert.equal((wb.peers as unknown[]).length, 1, 'signaling works: b is introduced to a');
  });

  it('refuses a bad STUN port, ICE mode, public host or latency mode at deploy (E_SIGNAL_CONFIG)', async () => {
    for (const config of [
      { stunPort: 0 },
      { stunPort: 70000 },
      { iceMode: 'google' },
      { publicHost: 'host:3478' },
      { publicHost: 'not a host' },
      { latency: 'ultra' },
    ]) {
      const [sig] = await start(config);
      assert.deepEqual(sig.status.getCalls().at(-1)?.args[0], { fill: 'red', shape: 'ring', text: 'signaling.status.config' }, JSON.stringify(config));
      await helper.unload();
    }
  });
});
