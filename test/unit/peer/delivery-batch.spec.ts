// Receipts and served claims leave in batches: one `deliveries` frame per BATCH_MS however many
// entries came in it, split at the schema's list bound, and nothing held back when the peer leaves.
import assert from 'node:assert/strict';
import { BATCH_MS, DeliveryBatch } from '../../../lib/peer/delivery-batch';
import { BOUNDS, parseClientFrame, type DeliveriesMessage } from '../../../lib/protocol';
import { SimClock } from './sim-link';

function batched() {
  const clock = new SimClock();
  const frames: DeliveriesMessage[] = [];
  const batch = new DeliveryBatch(clock.platform(), (frame) => frames.push(frame));
  return { clock, frames, batch };
}

describe('delivery batch', () => {
  it('sends the receipts and claims of one moment in one frame, BATCH_MS after the first, and each frame parses as the server will', async () => {
    const { clock, frames, batch } = batched();
    batch.claim(7, 'BBBBBBBBBBBB', 50_000);
    await clock.advance(BATCH_MS / 2);
    batch.receipt(7, 'CCCCCCCCCCCC', 40_000);
    batch.claim(7, 'DDDDDDDDDDDD', 10_000);
    assert.deepEqual(frames, [], 'held for the rest of the batch time');
    await clock.advance(BATCH_MS / 2 + 1);
    assert.deepEqual(frames, [
      {
        type: 'deliveries',
        receipts: [{ sequence: 7, from: 'CCCCCCCCCCCC', bytes: 40_000 }],
        served: [
          { sequence: 7, to: 'BBBBBBBBBBBB', bytes: 50_000 },
          { sequence: 7, to: 'DDDDDDDDDDDD', bytes: 10_000 },
        ],
      },
    ]);
    assert.equal(parseClientFrame(JSON.stringify(frames[0])).ok, true);
    batch.receipt(8, 'CCCCCCCCCCCC', 1);
    await clock.advance(BATCH_MS + 1);
    assert.deepEqual(frames[1], { type: 'deliveries', receipts: [{ sequence: 8, from: 'CCCCCCCCCCCC', bytes: 1 }] }, 'an empty list is left out');
    await clock.advance(BATCH_MS * 4);
    assert.equal(frames.length, 2, 'nothing queued, nothing sent');
  });

  it('sends at once when a list reaches the bound, and every frame stays within it', async () => {
    const { clock, frames, batch } = batched();
    for (let i = 0; i < BOUNDS.maxListItems + 3; i++) batch.claim(i, 'BBBBBBBBBBBB', 100);
    assert.equal(frames.length, 1, 'the full list went without waiting');
    assert.equal(frames[0].served?.length, BOUNDS.maxListItems);
    await clock.advance(BATCH_MS + 1);
    assert.equal(frames.length, 2);
    assert.equal(frames[1].served?.length, 3);
    for (const frame of frames) assert.equal(parseClientFrame(JSON.stringify(frame)).ok, true);
  });

  it('flush() sends what is queued now (a leaving peer), and no timer fires after it', async () => {
    const { clock, frames, batch } = batched();
    batch.receipt(3, 'CCCCCCCCCCCC', 500);
    batch.flush();
    assert.equal(frames.length, 1);
    await clock.advance(BATCH_MS * 2);
    assert.equal(frames.length, 1);
  });

  it('is refused by the server past the list bound, so a client cannot pass more than one frame would', () => {
    const served = Array.from({ length: BOUNDS.maxListItems + 1 }, (_, i) => ({ sequence: i, to: 'BBBBBBBBBBBB', bytes: 1 }));
    const parsed = parseClientFrame(JSON.stringify({ type: 'deliveries', served }));
    assert.equal(parsed.ok, false);
    assert.equal(!parsed.ok && parsed.code, 'E_SIGNAL_BAD_FIELD');
  });
});
