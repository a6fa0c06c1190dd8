// `npm start` and `HOST=0.0.0.0 npm start`: which host every printed URL, the segment URLs in the
// playlists (the bucket's public base URL) and the viewer's signaling URL name. Pure logic, so no
// traffic leaves loopback here; the interfaces are given, not read from this machine.
import assert from 'node:assert/strict';
import type os from 'node:os';
import { demoAddresses, demoUrls, isLoopbackHost } from '../../demo/addresses';
import { demoSettingsFile } from '../../demo/settings';
import { resolveSignalingUrl } from '../../viewer/loader/options';

const iface = (address: string, internal: boolean, family: 'IPv4' | 'IPv6' = 'IPv4') =>
  ({ address, internal, family, netmask: '', mac: '', cidr: null }) as unknown as os.NetworkInterfaceInfo;
const LAPTOP = {
  lo: [iface('127.0.0.1', true), iface('::1', true, 'IPv6')],
  wlan0: [iface('fe80::1', false, 'IPv6'), iface('192.168.1.20', false)],
};
const PORTS = { nodeRed: 1880, s3: 40123 };

function settingsOf(text: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  new Function('module', 'require', 'process', text)(module, require, { env: { RELAYCAST_DEMO_ADMIN_PASSWORD: 'pw' } });
  return module.exports;
}

describe('demo addresses (npm start, HOST=0.0.0.0 npm start)', () => {
  it('by default binds and prints 127.0.0.1 everywhere', () => {
    const a = demoAddresses({ interfaces: LAPTOP });
    assert.deepEqual(a, { bindHost: '127.0.0.1', publicHost: '127.0.0.1', loopbackOnly: true });
    const urls = demoUrls(a, PORTS, 'relaycast');
    assert.deepEqual(urls, {
      editor: 'http://127.0.0.1:1880/',
      viewer: 'http://127.0.0.1:1880/live/demo/',
      master: 'http://127.0.0.1:1880/live/demo/master.m3u8',
      health: 'http://127.0.0.1:1880/live/demo/health.json',
      signaling: 'ws://127.0.0.1:1880/relaycast/signal',
      bucketPublicBase: 'http://127.0.0.1:40123/relaycast',
    });
  });

  it('HOST=0.0.0.0 listens on every interface and names the LAN address in every URL, segments and signaling included', () => {
    const a = demoAddresses({ host: '0.0.0.0', interfaces: LAPTOP });
    assert.deepEqual(a, { bindHost: '0.0.0.0', publicHost: '192.168.1.20', loopbackOnly: false });
    const urls = demoUrls(a, PORTS, 'relaycast');
    for (const url of Object.values(urls)) assert.match(url, /^(http|ws):\/\/192\.168\.1\.20:/, url);
    assert.equal(urls.bucketPublicBase, 'http://192.168.1.20:40123/relaycast', 'what the phone fetches segments from');
    // The viewer page, opened on the phone at the printed URL, finds signaling on the same host.
    assert.equal(resolveSignalingUrl('/relaycast/signal', urls.viewer), urls.signaling);
  });

  it('PUBLIC_HOST wins over the guess; a specific address is used as it is; IPv6 goes in brackets', () => {
    assert.equal(demoAddresses({ host: '0.0.0.0', publicHost: 'laptop.local', interfaces: LAPTOP }).publicHost, 'laptop.local');
    assert.deepEqual(demoAddresses({ host: '192.168.1.20', interfaces: LAPTOP }), {
      bindHost: '192.168.1.20',
      publicHost: '192.168.1.20',
      loopbackOnly: false,
    });
    const v6 = demoUrls(demoAddresses({ host: '::', publicHost: 'fd00::20', interfaces: LAPTOP }), PORTS, 'relaycast');
    assert.equal(v6.viewer, 'http://[fd00::20]:1880/live/demo/');
    assert.equal(v6.signaling, 'ws://[fd00::20]:1880/relaycast/signal');
  });

  it('a wildcard HOST on a machine without a LAN address stops with E_DEMO_HOST and says to set PUBLIC_HOST', () => {
    assert.throws(
      () => demoAddresses({ host: '0.0.0.0', interfaces: { lo: LAPTOP.lo } }),
      (err: { code?: string; message: string }) => err.code === 'E_DEMO_HOST' && /PUBLIC_HOST/.test(err.message),
    );
  });

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'laptop.local']) assert.ok(!isLoopbackHost(host), host);
  });

  it('Node-RED listens on the bind host; reachable from the LAN, the editor asks for a login, or is off without a password', () => {
    const local = settingsOf(demoSettingsFile({ repoRoot: '/r', port: 1880 }));
    assert.equal(local.uiHost, '127.0.0.1');
    assert.equal(local.adminAuth, undefined);
    assert.equal(local.httpAdminRoot, undefined);
    const lan = settingsOf(demoSettingsFile({ repoRoot: '/r', port: 1880, host: '0.0.0.0', loopbackOnly: false, adminPassword: true }));
    assert.equal(lan.uiHost, '0.0.0.0');
    const auth = lan.adminAuth as { authenticate(u: string, p: string): Promise<unknown> };
    assert.ok(auth, 'a login');
    assert.deepEqual(lan.adminAuth && Object.keys(lan.adminAuth).sort(), ['authenticate', 'type', 'users']);
    assert.equal(
      demoSettingsFile({ repoRoot: '/r', port: 1880, host: '0.0.0.0', loopbackOnly: false, adminPassword: true }).includes('"pw"'),
      false,
      'the password is read from the environment, never written',
    );
    const off = settingsOf(demoSettingsFile({ repoRoot: '/r', port: 1880, host: '0.0.0.0', loopbackOnly: false, adminPassword: false }));
    assert.equal(off.httpAdminRoot, false);
  });

  it('the login takes admin with the password from the environment only', async () => {
    const lan = settingsOf(demoSettingsFile({ repoRoot: '/r', port: 1880, host: '0.0.0.0', loopbackOnly: false, adminPassword: true }));
    const auth = lan.adminAuth as { authenticate(u: string, p: string): Promise<unknown> };
    assert.deepEqual(await auth.authenticate('admin', 'pw'), { username: 'admin', permissions: '*' });
    assert.equal(await auth.authenticate('admin', 'wrong'), null);
    assert.equal(await auth.authenticate('root', 'pw'), null);
  });
});
