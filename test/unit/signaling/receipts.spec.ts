// A credited receipt must mean "this connection received these bytes from that peer over a
// DataChannel they negotiated through this server". Each spec here names one way to be credited for
// bytes that were never delivered, and shows it earns nothing.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { CLOSE_CODES } from '../../../lib/signaling/protocol';
import { harness } from './harness';

const KEY = 'network-tag-key-for-tests';
const tagOf = (text: string) => createHmac('sha256', KEY).update(text).digest('hex').slice(0, 16);

/** An uploader and a downloader that negotiated, then a segment announced after both joined. */
function deliveryReady(options: Parameters<typeof harness>[0] = {}) {
  const h = harness({ networkTagKey: KEY, ...options });
  h.announce(1, 'live', '720p', 5000);
  const up = h.join('live', '720p', '192.0.2.10');
  const down = h.join('live', '720p', '198.51.100.20');
  h.negotiate(down, up);
  h.announce(2, 'live', '720p', 5000);
  up.t.take();
  down.t.take();
  return { h, up, down };
}

const codes = (frames: Array<Record<string, unknown>>) => frames.filter((f) => f.type === 'error').map((f) => f.code);
/** Audited receipt refusals of one peer (refusals an honest client cannot avoid are audited, not answered). */
const refused = (h: ReturnType<typeof harness>, peer: { id: string }) => h.audit.filter((a) => a.kind === 'receipt' && a.peer === peer.id).map((a) => a.code);

describe('signaling receipts: only real deliveries are credited', () => {
  it('credits the smaller of both claims (once the receipt has waited for a larger one), with network tags for both ends and an id that names no address', () => {
    const { h, up, down } = deliveryReady({ limits: { receiptHoldMs: 2000 } });
    h.deliver(up, down, 2, 5000, 4200);
    assert.deepEqual(down.t.take(), [], 'the claim may still grow: an uploader claims its running total after a quiet spell');
    h.advance(2000);
    h.c.sweep();
    assert.deepEqual(down.t.take(), [{ type: 'receipt-ack', sequence: 2, from: up.id }]);
    assert.equal(h.receipts.length, 1);
    const r = h.receipts[0];
    assert.deepEqual([r.bytes, r.downloaderClaimed, r.uploaderClaimed, r.segmentSize], [4200, 5000, 4200, 5000]);
    assert.equal(r.uploader.network, tagOf('net:192.0.2.0/24'));
    assert.equal(r.downloader.network, tagOf('net:198.51.100.0/24'));
    assert.equal(r.downloader.source, tagOf('src:198.51.100.20/32'));
    assert.equal(r.id, `live/720p/2/${r.sha256.slice(0, 12)}/${r.downloader.source}`);
    assert.ok(!JSON.stringify(r).includes('198.51'), 'no address in the receipt');
  });

  it('refuses a receipt between peers that never had a relayed offer and answer', () => {
    const h = harness();
    h.announce(1);
    const up = h.join();
    const down = h.join();
    const offerOnly = h.join();
    h.send(offerOnly, { type: 'offer', to: up.id, offerId: 'x', sdp: 'v=0' });
    h.announce(2);
    for (const d of [down, offerOnly]) {
      d.t.take();
      h.deliver(up, d, 2, 500);
    }
    assert.deepEqual([...codes(down.t.take()), ...codes(offerOnly.t.take())], ['E_RECEIPT_NOT_NEGOTIATED', 'E_RECEIPT_NOT_NEGOTIATED']);
    assert.equal(h.receipts.length, 0);
  });

  it('refuses segments announced before either peer joined, so a leave/join earns no fresh budget', () => {
    const { h, up, down } = deliveryReady();
    const late = h.join('live', '720p', '203.0.113.5');
    h.negotiate(late, up);
    h.deliver(up, late, 2, 100);
    assert.deepEqual(refused(h, late), ['E_RECEIPT_BEFORE_JOIN']);
    assert.deepEqual(codes(late.t.take()), [], 'unanswered: the downloader cannot see when its uploader joined');
    h.deliver(up, down, 2, 100);
    assert.equal(h.receipts.length, 1);
    // leave → join on the same socket: a new peer id, and the same segment again.
    h.send(down, { type: 'leave' });
    h.send(down, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    const again = { ...down, id: down.t.take().find((f) => f.type === 'welcome')!.peer as string };
    h.negotiate(again, up);
    h.deliver(up, again, 2, 100);
    assert.deepEqual(refused(h, again), ['E_RECEIPT_BEFORE_JOIN']);
    assert.deepEqual(codes(again.t.take()), []);
    assert.equal(h.receipts.length, 1);
  });

  it('credits one receipt per segment per downloader source, across its connections and reconnects', () => {
    const { h, up, down } = deliveryReady();
    // A second connection from the downloader's address that joined before segment 3 too.
    const twin = h.join('live', '720p', '198.51.100.20');
    h.negotiate(twin, up);
    h.announce(3, 'live', '720p', 5000);
    h.deliver(up, down, 3, 1000);
    h.c.disconnect(down.s);
    h.deliver(up, twin, 3, 1000);
    assert.deepEqual(refused(h, twin), ['E_RECEIPT_DUPLICATE']);
    assert.deepEqual(codes(twin.t.take()), []);
    assert.equal(h.receipts.length, 1);
  });

  it("requires the uploader's served claim: a receipt waits for it, bounded in time", () => {
    const { h, up, down } = deliveryReady({ limits: { receiptHoldMs: 2000 } });
    h.announce(3, 'live', '720p', 5000);
    h.send(down, { type: 'receipt', sequence: 2, from: up.id, bytes: 3000 });
    h.send(down, { type: 'receipt', sequence: 3, from: up.id, bytes: 3000 });
    assert.deepEqual(
      down.t.take().filter((f) => f.type !== 'segment'),
      [],
      'held, neither acked nor refused yet',
    );
    h.advance(1000);
    h.send(up, { type: 'served', sequence: 2, to: down.id, bytes: 2500 });
    assert.deepEqual(down.t.take(), [], 'a claim short of the receipt waits for the rest, within the same bound');
    h.advance(1500);
    h.c.sweep();
    assert.deepEqual(down.t.take(), [{ type: 'receipt-ack', sequence: 2, from: up.id }], 'at the end of the wait, the smaller figure is credited');
    assert.deepEqual(refused(h, down), ['E_RECEIPT_UNCONFIRMED']);
    assert.deepEqual(codes(down.t.take()), [], 'unanswered: the client cannot make its uploader confirm');
    h.send(up, { type: 'served', sequence: 3, to: down.id, bytes: 3000 });
    assert.deepEqual(
      h.receipts.map((r) => [r.sequence, r.bytes]),
      [[2, 2500]],
    );
    assert.deepEqual(
      h.audit.filter((a) => a.kind === 'receipt').map((a) => a.code),
      ['E_RECEIPT_UNCONFIRMED'],
    );
  });

  it('caps the bytes credited to one downloader source per period', () => {
    const { h, up, down } = deliveryReady({ limits: { receiptBytesPerPeriod: 6000, receiptPeriodMs: 60_000 } });
    h.announce(3, 'live', '720p', 5000);
    h.announce(4, 'live', '720p', 5000);
    h.deliver(up, down, 2, 5000);
    h.deliver(up, down, 3, 5000);
    h.deliver(up, down, 4, 5000);
    assert.deepEqual(
      h.receipts.map((r) => r.bytes),
      [5000, 1000],
    );
    assert.deepEqual(refused(h, down), ['E_RECEIPT_OVER_BUDGET']);
    assert.deepEqual(codes(down.t.take()), []);
    h.advance(60_000);
    h.announce(5, 'live', '720p', 5000);
    h.deliver(up, down, 5, 5000);
    assert.deepEqual(
      h.receipts.map((r) => r.bytes),
      [5000, 1000, 5000],
      'a new period, a new budget',
    );
  });

  it('tags networks by a configurable prefix: same /24 by default, apart at /32', () => {
    const coarse = harness({ networkTagKey: KEY });
    const fine = harness({ networkTagKey: KEY, limits: { networkPrefixV4: 32 } });
    for (const h of [coarse, fine]) {
      h.announce(1);
      const up = h.join('live', '720p', '192.0.2.10');
      const down = h.join('live', '720p', '192.0.2.11');
      h.negotiate(down, up);
      h.announce(2);
      h.deliver(up, down, 2, 100);
    }
    const [a, b] = [coarse.receipts[0], fine.receipts[0]];
    assert.equal(a.uploader.network, a.downloader.network, 'one /24: payout can see self-dealing');
    assert.notEqual(b.uploader.network, b.downloader.network);
    assert.equal(b.downloader.network, tagOf('net:192.0.2.11/32'));
  });

  it('keeps counting rejected receipts across reconnects from one address', () => {
    const { h, up, down } = deliveryReady({ limits: { receiptRejectsAllowed: 5 } });
    for (let i = 0; i < 5; i++) h.send(down, { type: 'receipt', sequence: 100 + i, from: up.id, bytes: 1 });
    assert.equal(h.audit.filter((a) => a.kind === 'violation').length, 0);
    h.c.disconnect(down.s);
    const again = h.join('live', '720p', '198.51.100.20');
    h.send(again, { type: 'receipt', sequence: 200, from: up.id, bytes: 1 });
    assert.deepEqual(
      h.audit.filter((a) => a.kind === 'violation').map((a) => [a.code, a.peer]),
      [['E_RECEIPT_UNKNOWN_SEGMENT', again.id]],
    );
  });

  it('counts repeated rejected receipts as violations after a threshold, then closes the prober', () => {
    const { h, up, down } = deliveryReady({ limits: { receiptRejectsAllowed: 5 } });
    for (let i = 0; i < 5 + 11; i++) h.send(down, { type: 'receipt', sequence: 100 + i, from: up.id, bytes: 1 });
    const violations = h.audit.filter((a) => a.kind === 'violation');
    assert.equal(violations.length, 11);
    assert.ok(violations.every((a) => a.code === 'E_RECEIPT_UNKNOWN_SEGMENT'));
    assert.equal(down.t.closed?.code, CLOSE_CODES.POLICY_VIOLATION);
  });

  it('never counts the rejections honest viewers behind one NAT get as violations', () => {
    const { h, up, down } = deliveryReady({ limits: { receiptRejectsAllowed: 2 } });
    // A second viewer on the downloader's address: each segment it receipts after its housemate is a
    // duplicate for that address. Honest, so refused and audited, but never a violation.
    const housemate = h.join('live', '720p', '198.51.100.20');
    h.negotiate(housemate, up);
    for (let sequence = 3; sequence < 23; sequence++) {
      h.announce(sequence, 'live', '720p', 5000);
      h.deliver(up, down, sequence, 5000, 5000);
      h.deliver(up, housemate, sequence, 5000, 5000);
    }
    assert.equal(h.receipts.length, 20, 'one credit per segment for the address');
    assert.deepEqual(refused(h, housemate), ['E_RECEIPT_DUPLICATE'], 'audited: the first at once, the rest counted');
    assert.deepEqual(codes(housemate.t.take()), [], 'and never answered');
    assert.deepEqual(
      h.audit.filter((a) => a.kind === 'violation'),
      [],
    );
    assert.equal(housemate.t.closed, undefined, 'the housemate stays connected');
  });

  it('credits receipts and served claims batched in deliveries frames as it credits them one frame each, at one budget token a frame', () => {
    const { h, up, down } = deliveryReady({ limits: { ratePerSecond: 1, burst: 2 } });
    const downloaders = [down];
    for (let i = 0; i < 3; i++) {
      h.advance(3000); // the uploader's budget refills between answers
      const d = h.join('live', '720p', `198.51.100.${30 + i}`);
      h.negotiate(d, up);
      downloaders.push(d);
    }
    h.advance(3000);
    h.announce(3, 'live', '720p', 5000);
    // One frame with four claims from the uploader, one frame with a receipt from each downloader.
    h.send(up, { type: 'deliveries', served: downloaders.map((d) => ({ sequence: 3, to: d.id, bytes: 5000 })) });
    for (const d of downloaders) {
      h.advance(1000);
      h.send(d, { type: 'deliveries', receipts: [{ sequence: 3, from: up.id, bytes: 5000 }] });
    }
    assert.equal(h.receipts.length, 4, 'every downloader credited');
    assert.deepEqual(codes(up.t.take()), [], 'four claims in one frame stay within a budget of two messages');
    for (const d of downloaders) assert.deepEqual(codes(d.t.take()), [], d.id);
    // An entry is checked as its own frame is: a claim to oneself is refused, the rest still credited.
    h.announce(4, 'live', '720p', 5000);
    h.advance(1000);
    h.send(up, {
      type: 'deliveries',
      served: [
        { sequence: 4, to: up.id, bytes: 5000 },
        { sequence: 4, to: down.id, bytes: 5000 },
      ],
    });
    h.advance(1000);
    h.send(down, { type: 'deliveries', receipts: [{ sequence: 4, from: up.id, bytes: 5000 }] });
    assert.deepEqual(codes(up.t.take()), ['E_SIGNAL_BAD_FIELD']);
    assert.equal(h.receipts.length, 5);
  });
});
