// Viewers behind one NAT share a source, so every receipt after the first per segment is refused by
// design (E_RECEIPT_DUPLICATE). Those refusals are the household's normal traffic: they must not
// grow the audit output with the number of viewers and segments, nor be answered with error frames
// the client can do nothing about. What only a dishonest client sends is still audited and answered
// one by one.
import assert from 'node:assert/strict';
import { HONEST_RECEIPT_REFUSALS } from '../../../lib/signaling/protocol';
import { harness, type Client } from './harness';

const HOUSEHOLD = '198.51.100.7';
const VIEWERS = 8;
const SEGMENT_MS = 2000;
const RUN_MS = 120_000;

const errorFrames = (c: Client) => c.t.take().filter((f) => f.type === 'error');

function household() {
  const h = harness();
  h.announce(1, 'live', '720p', 5000);
  const up = h.join('live', '720p', '192.0.2.10');
  const viewers = Array.from({ length: VIEWERS }, () => h.join('live', '720p', HOUSEHOLD));
  for (const v of viewers) h.negotiate(v, up);
  return { h, up, viewers };
}

describe('signaling receipts: honest refusals are audited in aggregate and not answered', () => {
  it(`${VIEWERS} viewers on one address for 2 minutes: one audit record per code at once, then one a minute with the count; no error frames`, () => {
    const { h, up, viewers } = household();
    const errors: unknown[] = [];
    let refusals = 0;
    for (let at = 0, sequence = 2; at < RUN_MS; at += SEGMENT_MS, sequence++) {
      h.announce(sequence, 'live', '720p', 5000);
      for (const v of viewers) h.deliver(up, v, sequence, 5000);
      refusals += VIEWERS - 1;
      for (const c of [up, ...viewers]) {
        errors.push(...errorFrames(c));
        h.c.touch(c.s);
      }
      h.advance(SEGMENT_MS);
      h.c.sweep();
    }
    h.advance(60_000);
    h.c.sweep();
    assert.equal(h.receipts.length, RUN_MS / SEGMENT_MS, 'the household is credited once per segment');
    assert.deepEqual(errors, [], 'no error frame for a refusal the client cannot avoid');
    const records = h.audit.filter((a) => a.kind === 'receipt');
    assert.ok(records.length <= 1 + RUN_MS / 60_000 + 1, `${records.length} audit records for ${refusals} refusals`);
    assert.ok(
      records.every((r) => r.code === 'E_RECEIPT_DUPLICATE' && r.ip === HOUSEHOLD),
      'each names the code and the address',
    );
    const counted = records.reduce((sum, r) => sum + (r.repeated ?? 1), 0);
    assert.equal(counted, refusals, 'the counts add up to every refusal');
    assert.equal(h.audit.filter((a) => a.kind === 'violation').length, 0);
  });

  it('records the first honest refusal of a source and code at once, with the receipt, and a new code at once too', () => {
    const { h, up, viewers } = household();
    h.announce(2, 'live', '720p', 5000);
    h.deliver(up, viewers[0], 2, 5000);
    h.deliver(up, viewers[1], 2, 5000);
    const first = h.audit.filter((a) => a.kind === 'receipt');
    assert.deepEqual(
      first.map((a) => [a.code, a.ip, a.peer, a.receipt?.sequence, a.repeated]),
      [['E_RECEIPT_DUPLICATE', HOUSEHOLD, viewers[1].id, 2, undefined]],
    );
    // A receipt for a segment announced before the uploader joined: another honest code, its own record.
    const late = h.join('live', '720p', '192.0.2.99');
    h.negotiate(viewers[2], late);
    h.deliver(late, viewers[2], 2, 5000);
    assert.deepEqual(
      h.audit.filter((a) => a.kind === 'receipt').map((a) => a.code),
      ['E_RECEIPT_DUPLICATE', 'E_RECEIPT_BEFORE_JOIN'],
    );
    assert.deepEqual(viewers.flatMap(errorFrames), []);
  });

  it('still audits and answers each refusal only a dishonest client earns', () => {
    const { h, up, viewers } = household();
    h.announce(2, 'live', '720p', 5000);
    for (let i = 0; i < 3; i++) h.send(viewers[0], { type: 'receipt', sequence: 2, from: up.id, bytes: 999_999 });
    assert.deepEqual(
      errorFrames(viewers[0]).map((f) => f.code),
      ['E_RECEIPT_TOO_MANY_BYTES', 'E_RECEIPT_TOO_MANY_BYTES', 'E_RECEIPT_TOO_MANY_BYTES'],
    );
    assert.equal(h.audit.filter((a) => a.code === 'E_RECEIPT_TOO_MANY_BYTES').length, 3);
    assert.ok(!HONEST_RECEIPT_REFUSALS.has('E_RECEIPT_TOO_MANY_BYTES'));
  });
});
