// An IPv6 address that only carries an IPv4 address (6to4, Teredo, NAT64) is counted as that IPv4
// address wherever a client is keyed: its network tag (receipts, payout's network caps and
// self-dealing check) and its source (per-source budgets, one receipt per segment per source).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { addressPrefix, sourceOf } from '../../../lib/signaling/addresses';
import { DEFAULT_LIMITS } from '../../../lib/signaling/limits';
import { NetworkTagger } from '../../../lib/signaling/network-tags';
import { harness } from './harness';

const NETWORK = { v4: DEFAULT_LIMITS.networkPrefixV4, v6: DEFAULT_LIMITS.networkPrefixV6 };
const KEY = 'network-tag-key-for-tests';
const tagOf = (text: string) => createHmac('sha256', KEY).update(text).digest('hex').slice(0, 16);

/** 192.0.2.<host> as 6to4 (RFC 3056) in one of the 65,536 subnets its /48 offers. */
const sixToFour = (host: number, subnet: number) => `2002:c000:02${host.toString(16).padStart(2, '0')}:${subnet.toString(16)}::1`;

describe('signaling addresses: IPv6 transition addresses count as the IPv4 address they carry', () => {
  it('tags 6to4 by its IPv4 /24: one IPv4 /24 is one network, not 256 /48s', () => {
    const tags = new Set<string>();
    for (let host = 0; host < 256; host++) tags.add(addressPrefix(sixToFour(host, host), NETWORK));
    assert.deepEqual([...tags], ['192.0.2.0/24']);
    assert.equal(addressPrefix('192.0.2.77', NETWORK), '192.0.2.0/24');
  });

  it('tags Teredo by the client IPv4 in its last 32 bits, inverted (RFC 4380 §4 example: 192.0.2.45)', () => {
    assert.equal(addressPrefix('2001:0000:4136:e378:8000:63bf:3fff:fdd2', NETWORK), '192.0.2.0/24');
    // Same client address through another Teredo server and port: still that client.
    assert.equal(sourceOf('2001:0:cb00:7101:0:9c3f:3fff:fdd2', DEFAULT_LIMITS), '192.0.2.45/32');
  });

  it('tags NAT64 (64:ff9b::/96) and local-use NAT64 (64:ff9b:1::/48) by the IPv4 in the last 32 bits', () => {
    assert.equal(addressPrefix('64:ff9b::192.0.2.33', NETWORK), '192.0.2.0/24');
    assert.equal(addressPrefix('64:ff9b::c000:221', NETWORK), '192.0.2.0/24');
    assert.equal(addressPrefix('64:ff9b:1:abcd::c000:221', NETWORK), '192.0.2.0/24');
    assert.equal(sourceOf('64:ff9b::192.0.2.33', DEFAULT_LIMITS), '192.0.2.33/32');
  });

  it('keys the source of every 6to4 subnet of one IPv4 address as that address', () => {
    const sources = new Set([0, 1, 0xffff].map((subnet) => sourceOf(sixToFour(9, subnet), DEFAULT_LIMITS)));
    assert.deepEqual([...sources], ['192.0.2.9/32']);
  });

  it('keeps IPv4-mapped addresses as IPv4, and native IPv6 (2001:db8::, 2001:1::, 64:ff9b:2::) by its own prefix', () => {
    assert.equal(addressPrefix('::ffff:192.0.2.5', NETWORK), '192.0.2.0/24');
    assert.equal(sourceOf('::ffff:c000:205', DEFAULT_LIMITS), '192.0.2.5/32');
    assert.equal(addressPrefix('2001:db8:1:2::1', NETWORK), '2001:db8:1::/48');
    assert.equal(addressPrefix('2001:1::1', NETWORK), '2001:1::/48', 'outside Teredo’s 2001:0::/32');
    assert.equal(addressPrefix('64:ff9b:2::c000:221', NETWORK), '64:ff9b:2::/48', 'outside the NAT64 prefixes');
  });

  it('gives the network tagger the same tag for a 6to4 address and its IPv4 /24', () => {
    const tagger = new NetworkTagger(KEY, NETWORK);
    assert.equal(tagger.network(sixToFour(200, 7)), tagger.network('192.0.2.1'));
    assert.equal(tagger.network(sixToFour(200, 7)), tagOf('net:192.0.2.0/24'));
  });

  it('shows payout a 6to4 downloader on the uploader’s IPv4 /24 as the same network, and budgets it as that IPv4 source', () => {
    const h = harness({ networkTagKey: KEY });
    h.announce(1, 'live', '720p', 5000);
    const up = h.join('live', '720p', '192.0.2.10');
    const down = h.join('live', '720p', sixToFour(11, 1));
    const twin = h.join('live', '720p', sixToFour(11, 2));
    h.negotiate(down, up);
    h.negotiate(twin, up);
    h.announce(2, 'live', '720p', 5000);
    h.deliver(up, down, 2, 5000);
    h.deliver(up, twin, 2, 5000);
    assert.equal(h.receipts.length, 1, 'two 6to4 subnets of one IPv4 address: one source, one receipt per segment');
    const r = h.receipts[0];
    assert.equal(r.downloader.network, r.uploader.network, 'payout sees self-dealing within one IPv4 /24');
    assert.equal(r.downloader.source, tagOf('src:192.0.2.11/32'));
  });
});
