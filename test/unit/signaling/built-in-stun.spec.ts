// The STUN entry a viewer gets from the node's own responder, and the three ICE modes.
import assert from 'node:assert/strict';
import { builtInStunServers, stunHost } from '../../../lib/signaling/built-in-stun';
import { iceServerProvider, type IcePeer, type IceServerProvider } from '../../../lib/signaling/ice-servers';

const peer: IcePeer = { peer: 'p1', stream: 'live', rendition: '720p', role: 'viewer', host: 'media.example.org' };
const call = (provider: ReturnType<typeof iceServerProvider>, p: IcePeer = peer) =>
  typeof provider === 'function' ? (provider as IceServerProvider)(p) : provider;

describe('built-in STUN entry', () => {
  it('takes the host of a Host header or a configured host, port dropped, IPv6 in brackets', () => {
    const cases: Array<[string | undefined, string | undefined]> = [
      ['media.example.org:1880', 'media.example.org'],
      ['Media.Example.ORG.', 'media.example.org'],
      ['192.0.2.10:443', '192.0.2.10'],
      ['[2001:db8::1]:1880', '[2001:db8::1]'],
      ['[::1]', '[::1]'],
      ['2001:db8::1', '[2001:db8::1]'],
      ['localhost', 'localhost'],
      // Client input that is no plain host gets no entry.
      [undefined, undefined],
      ['', undefined],
      ['evil.example?x=1', undefined],
      ['a b', undefined],
      ['host:port', undefined],
      ['[::1', undefined],
      ['[not-v6]:80', undefined],
      ['[fe80::1%eth0]', undefined],
      ['-bad.example', undefined],
      ['999.1.1.1', undefined],
      ['x'.repeat(64) + '.example', undefined],
      ['user@host', undefined],
      ['turn:relay.example', undefined],
    ];
    for (const [input, expected] of cases) assert.equal(stunHost(input), expected, String(input));
  });

  it('points at the configured public host, else the host the viewer used, and gives nothing while the responder is down', () => {
    let up = true;
    const stun = { port: 3479, listening: () => up };
    assert.deepEqual(builtInStunServers(stun, 'media.example.org'), [{ urls: 'stun:media.example.org:3479' }]);
    assert.deepEqual(builtInStunServers({ ...stun, publicHost: '[2001:db8::5]' }, 'media.example.org'), [{ urls: 'stun:[2001:db8::5]:3479' }]);
    assert.deepEqual(builtInStunServers(stun, undefined), [], 'no usable Host header: no entry');
    up = false;
    assert.deepEqual(builtInStunServers(stun, 'media.example.org'), []);
  });
});

describe('ICE modes', () => {
  const configured = [{ urls: 'stun:stun.example.net:3478' }];
  const builtIn = { port: 3478, listening: () => true };
  const warn = () => undefined;

  it('relaycast: the built-in responder at the host each viewer used, never the configured list', () => {
    const provider = iceServerProvider({ mode: 'relaycast', builtIn, configured, warn });
    assert.deepEqual(call(provider), [{ urls: 'stun:media.example.org:3478' }]);
    assert.deepEqual(call(provider, { ...peer, host: '[::1]' }), [{ urls: 'stun:[::1]:3478' }]);
  });

  it('custom: the configured list; none: nothing, even with a settings hook', () => {
    assert.deepEqual(call(iceServerProvider({ mode: 'custom', builtIn, configured, warn })), configured);
    const hook = () => [{ urls: 'turn:hook.example' }];
    assert.deepEqual(call(iceServerProvider({ mode: 'none', builtIn, configured, hook, warn })), []);
    assert.deepEqual(
      call(iceServerProvider({ mode: 'relaycast', builtIn, configured, hook, warn })),
      [{ urls: 'turn:hook.example' }],
      "the operator's hook wins",
    );
  });
});
