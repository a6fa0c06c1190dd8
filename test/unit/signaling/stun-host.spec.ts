// The host rule shared by the Host header check, the Public host at deploy and the editor
// (lib/signaling/stun-host.ts) writes its address checks out, since a browser has no node:net:
// they must answer as node:net does, for the addresses an operator types and for arbitrary text.
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { isIPv4Address, isIPv6Address } from '../../../lib/signaling/stun-host';

describe('stun-host address checks agree with node:net', () => {
  it('on written-out cases: compression, embedded IPv4, too many groups, leading zeros', () => {
    const cases = [
      '::',
      '::1',
      '1::',
      '2001:db8::1',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::',
      '::1:2:3:4:5:6:7',
      '1::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      '::ffff:192.0.2.1',
      '1:2:3:4:5:6:192.0.2.1',
      '1:2:3:4:5:6:7:192.0.2.1',
      '::192.0.2.1:1',
      '2001:db8::1::2',
      '12345::1',
      'g::1',
      ':::',
      '',
      '192.0.2.1',
      '01.2.3.4',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '0.0.0.0',
      '1.2.3.',
      '+1.2.3.4',
    ];
    for (const text of cases) {
      assert.equal(isIPv6Address(text), isIPv6(text), `IPv6 ${JSON.stringify(text)}`);
      assert.equal(isIPv4Address(text), isIPv4(text), `IPv4 ${JSON.stringify(text)}`);
    }
  });

  it('on generated text made of address characters', () => {
    const group = fc.oneof(fc.stringMatching(/^[0-9a-fA-F]{0,5}$/), fc.constantFrom('', '::', '1.2.3.4', '255.255.255.255', '01.1.1.1', '.'));
    const text = fc.oneof(
      fc.array(group, { maxLength: 10 }).map((parts) => parts.join(':')),
      fc.stringMatching(/^[0-9a-f:.]{0,40}$/),
      fc.array(fc.nat({ max: 300 }), { minLength: 3, maxLength: 5 }).map((parts) => parts.join('.')),
    );
    fc.assert(
      fc.property(text, (t) => {
        assert.equal(isIPv6Address(t), isIPv6(t), `IPv6 ${JSON.stringify(t)}`);
        assert.equal(isIPv4Address(t), isIPv4(t), `IPv4 ${JSON.stringify(t)}`);
      }),
      { numRuns: 5000 },
    );
  });
});
