import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readBindingRequest, MAX_REQUEST_BYTES } from '../../../lib/stun/message';
import { StunResponder } from '../../../lib/stun/responder';
import { bindingRequest, stun, xorMappedAddress } from '../../support/stun-client';

const TX = 12;

/** A request as raw bytes, for the cases the client library will not build. */
function raw(type: number, attributes: Uint8Array = new Uint8Array(0), length = attributes.length, cookie = 0x2112a442): Buffer {
  const bytes = Buffer.alloc(20 + attributes.length);
  bytes.writeUInt16BE(type, 0);
  bytes.writeUInt16BE(length, 2);
  bytes.writeUInt32BE(cookie, 4);
  bytes.fill(7, 8, 8 + TX);
  Buffer.from(attributes).copy(bytes, 20);
  return bytes;
}
const attribute = (type: number, value: number[]) => {
  const padded = Math.ceil(value.length / 4) * 4;
  const bytes = Buffer.alloc(4 + padded);
  bytes.writeUInt16BE(type, 0);
  bytes.writeUInt16BE(value.length, 2);
  Buffer.from(value).copy(bytes, 4);
  return bytes;
};

describe('STUN Binding responder (RFC 8489, checked against an independent STUN implementation)', () => {
  it('answers an IPv4 request with the XOR-MAPPED-ADDRESS of its source, a valid FINGERPRINT and nothing else', () => {
    const responder = new StunResponder();
    const { bytes, transaction } = bindingRequest();
    const answer = stun.decode(Buffer.from(responder.answer(bytes, '203.0.113.7', 54321)!));
    assert.equal(answer.type, stun.constants.STUN_BINDING_RESPONSE);
    assert.deepEqual(answer.transactionId, transaction);
    assert.deepEqual(answer.getXorAddress(), { family: 'IPv4', address: '203.0.113.7', port: 54321 });
    assert.ok(stun.validateFingerprint(answer));
    assert.equal(answer.getSoftware(), undefined, 'no SOFTWARE: the answer reveals nothing about the server');
    assert.equal(responder.counters.answered, 1);
    assert.deepEqual(xorMappedAddress(Buffer.from(responder.answer(bytes, '203.0.113.7', 54321)!)), answer.getXorAddress(), 'both readings agree');
  });

  it('answers an IPv6 request (the address XORed with the cookie and transaction id)', () => {
    const responder = new StunResponder();
    const { bytes } = bindingRequest({ fingerprint: false });
    assert.deepEqual(xorMappedAddress(Buffer.from(responder.answer(bytes, '2001:db8::1:2', 1)!)), { family: 'IPv6', address: '2001:db8::1:2', port: 1 });
  });

  it('accepts a request whose transaction id makes the XOR of every byte differ', () => {
    const responder = new StunResponder();
    const message = stun.createMessage(stun.constants.STUN_BINDING_REQUEST, Buffer.from('0123456789ab'));
    const answer = stun.decode(Buffer.from(responder.answer(stun.encode(message), '::ffff:198.51.100.9', 3478)!));
    assert.deepEqual(answer.getXorAddress(), { family: 'IPv4', address: '198.51.100.9', port: 3478 }, 'an IPv4-mapped source is IPv4');
  });

  it('refuses silently, and counts, what is malformed, oversized or not a Binding request', () => {
    const responder = new StunResponder();
    const good = bindingRequest().bytes;
    const badFingerprint = Buffer.from(good);
    badFingerprint[badFingerprint.length - 1] ^= 1;
    const cases: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['short header', good.subarray(0, 19)],
      ['oversized', Buffer.concat([raw(0x0001, Buffer.alloc(MAX_REQUEST_BYTES - 20 + 4), MAX_REQUEST_BYTES - 20 + 4)])],
      ['top bits set', raw(0xc001)],
      ['no magic cookie (RFC 3489)', raw(0x0001, undefined, 0, 0)],
      ['length not a multiple of 4', raw(0x0001, attribute(0x8022, [1, 2, 3, 4]), 6)],
      ['length beyond the datagram', raw(0x0001, undefined, 8)],
      ['a success response', raw(0x0101)],
      ['an indication', raw(0x0011)],
      ['another method', raw(0x0003)],
      ['attribute longer than the message', raw(0x0001, Buffer.concat([Buffer.from([0x80, 0x22, 0, 40]), Buffer.alloc(4)]))],
      ['wrong FINGERPRINT', badFingerprint],
      ['FINGERPRINT not last', raw(0x0001, Buffer.concat([attribute(0x8028, [0, 0, 0, 0]), attribute(0x8022, [1])]))],
    ];
    for (const [what, bytes] of cases) assert.equal(responder.answer(bytes, '192.0.2.1', 1000), undefined, what);
    assert.equal(responder.counters.refused, cases.length);
    assert.equal(responder.counters.answered, 0);
    assert.equal(responder.counters.refusedBy['not-request'], 3);
    assert.equal(responder.counters.refusedBy.fingerprint, 1);
    assert.equal(responder.counters.refusedBy.size, 3);
  });

  it('answers the largest allowed request and refuses one byte-word more', () => {
    const responder = new StunResponder();
    const body = MAX_REQUEST_BYTES - 20;
    const padding = Buffer.concat([Buffer.from([0x80, 0x22, (body - 4) >> 8, (body - 4) & 0xff]), Buffer.alloc(body - 4)]);
    assert.ok(responder.answer(raw(0x0001, padding), '192.0.2.1', 1));
    const over = Buffer.concat([padding, Buffer.from([0x80, 0x22, 0, 0])]);
    assert.equal(responder.answer(raw(0x0001, over), '192.0.2.1', 1), undefined);
  });

  it('ignores unknown comprehension-optional attributes and answers 420 naming unknown comprehension-required ones', () => {
    const responder = new StunResponder();
    const optional = raw(0x0001, attribute(0x8022, [0x61, 0x62])); // SOFTWARE from the client
    assert.ok(stun.decode(Buffer.from(responder.answer(optional, '192.0.2.1', 1)!)).getXorAddress());
    const required = raw(0x0001, Buffer.concat([attribute(0x0006, [0x75]), attribute(0x7f01, []), attribute(0x0003, [0, 0, 0, 0])]));
    const error = stun.decode(Buffer.from(responder.answer(required, '192.0.2.1', 1)!));
    assert.equal(error.type, stun.constants.STUN_BINDING_ERROR_RESPONSE);
    assert.equal(error.getError()?.code, 420);
    assert.deepEqual(error.getUnknownAttributes(), [0x7f01, 0x0003], 'USERNAME is known; CHANGE-REQUEST (RFC 5780) and 0x7f01 are not');
    assert.equal(error.getXorAddress(), undefined);
    assert.ok(stun.validateFingerprint(error));
    assert.equal(responder.counters.unknownAttributes, 1);
  });

  it('never throws and never answers more than 2.7× the request, whatever the bytes (property)', () => {
    const responder = new StunResponder({ perSource: { ratePerSecond: 1e9, burst: 1e9 }, global: { ratePerSecond: 1e9, burst: 1e9 }, maxSources: 10 });
    const valid = bindingRequest().bytes;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 700 }),
          // Valid headers with random bodies reach the attribute walk, where the bounds matter.
          fc.uint8Array({ maxLength: 120 }).map((body) => raw(0x0001, body, body.length)),
          fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
            const mutated = Buffer.from(valid);
            mutated[at] = value;
            return mutated;
          }),
        ),
        fc.constantFrom('192.0.2.1', '2001:db8::7', 'not an address'),
        (bytes, address) => {
          const answer = responder.answer(bytes, address, 9);
          if (answer) assert.ok(answer.length <= Math.max(52, bytes.length * 2.7), `${answer.length} bytes for ${bytes.length}`);
          return true;
        },
      ),
      { numRuns: 3000 },
    );
    assert.ok(responder.counters.refused > 0 && responder.counters.answered > 0);
  });

  it('reads the request the independent client builds with attributes a browser adds', () => {
    const message = stun.createMessage(stun.constants.STUN_BINDING_REQUEST);
    message.addAttribute(stun.constants.STUN_ATTR_PRIORITY, 1234);
    message.addFingerprint();
    assert.equal(readBindingRequest(stun.encode(message)).kind, 'binding');
  });
});

describe('STUN answer budget', () => {
  const limits = { perSource: { ratePerSecond: 10, burst: 5 }, global: { ratePerSecond: 100, burst: 8 }, maxSources: 3 };

  it("stops a flooding source's answers while another source is still answered, and refills with time", () => {
    let now = 0;
    const responder = new StunResponder(limits, () => now);
    const request = bindingRequest().bytes;
    const flood = Array.from({ length: 20 }, () => responder.answer(request, '192.0.2.1', 1)).filter(Boolean).length;
    assert.equal(flood, 5, 'the per-source burst');
    assert.equal(responder.counters.rateLimited, 15);
    assert.ok(responder.answer(request, '192.0.2.2', 1), 'another source');
    now += 200; // two tokens at 10/s
    assert.equal(Array.from({ length: 5 }, () => responder.answer(request, '192.0.2.1', 1)).filter(Boolean).length, 2);
  });

  it('counts an IPv6 /64 as one source and caps the total over all sources', () => {
    const responder = new StunResponder(limits, () => 0);
    const request = bindingRequest().bytes;
    const v6 = Array.from({ length: 8 }, (_, i) => responder.answer(request, `2001:db8:0:1::${i + 1}`, 1)).filter(Boolean).length;
    assert.equal(v6, 5, 'one /64, whatever address in it');
    const others = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].flatMap((ip) => Array.from({ length: 5 }, () => responder.answer(request, ip, 1))).filter(Boolean);
    assert.equal(others.length, 3, 'the global burst of 8 is spent');
  });

  it('remembers a bounded number of sources, forgetting the least recently active', () => {
    const responder = new StunResponder({ ...limits, global: { ratePerSecond: 1e6, burst: 1e6 } }, () => 0);
    const request = bindingRequest().bytes;
    const answered = (ip: string) => responder.answer(request, ip, 1) !== undefined;
    // A, B and C spend their bursts (the clock stands still: no refill), then A is heard from again.
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) while (answered(ip));
    assert.equal(answered('192.0.2.1'), false);
    // D fills the table past its three: B, the least recently active, is forgotten, not A.
    assert.ok(answered('192.0.2.4'));
    assert.equal(responder.trackedSources(), 3);
    assert.equal(answered('192.0.2.1'), false, 'A is remembered: still out of tokens');
    assert.ok(answered('192.0.2.2'), 'B was forgotten: a fresh bucket');
    for (let i = 0; i < 100; i++) responder.answer(request, `198.51.100.${i}`, 1);
    assert.equal(responder.trackedSources(), 3);
  });
});
