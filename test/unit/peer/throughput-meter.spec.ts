// The upload meter alone: a simulated channel drains its buffer at a fixed rate, the sender keeps it
// topped up or leaves it idle, and the meter must find the link's rate from what left the buffer.
import assert from 'node:assert/strict';
import { ThroughputMeter } from '../../../lib/peer/throughput-meter';

/** A channel that drains `rate` bytes/s; `offer` is how many bytes the sender keeps queued. */
function simulate(meter: ThroughputMeter, rate: number, ms: number, offer: (at: number) => number, from = 0) {
  let buffered = 0;
  let delivered = 0;
  let at = from;
  for (; at < from + ms; at += 20) {
    const drained = Math.min(buffered, (rate * 20) / 1000);
    buffered -= drained;
    delivered += drained;
    buffered = Math.max(buffered, offer(at));
    meter.sample(at, delivered, buffered);
  }
  return at;
}

describe('throughput meter', () => {
  it('finds the rate of a link that is kept busy (125 kB/s, a 1 Mb/s home uplink)', () => {
    const meter = new ThroughputMeter();
    simulate(meter, 125_000, 10_000, () => 64 * 1024);
    const capacity = meter.capacity()!;
    assert.ok(Math.abs(capacity - 125_000) < 125_000 * 0.05, `capacity ${capacity}`);
    assert.ok(Math.abs(meter.throughput(10_000) - 125_000) < 125_000 * 0.1, `throughput ${meter.throughput(10_000)}`);
    assert.ok(meter.saturated(10_000), 'kept busy means saturated');
    assert.ok(meter.spare(10_000)! < 125_000 * 0.1);
  });

  it('keeps what it learnt of capacity through idle time, while throughput decays and spare capacity returns', () => {
    const meter = new ThroughputMeter();
    const end = simulate(meter, 2_500_000, 5_000, () => 256 * 1024);
    simulate(meter, 2_500_000, 10_000, () => 0, end);
    const capacity = meter.capacity()!;
    assert.ok(Math.abs(capacity - 2_500_000) < 2_500_000 * 0.05, `capacity ${capacity}`);
    assert.ok(meter.throughput(end + 10_000) < 2_500_000 * 0.05, 'idle: little throughput');
    assert.ok(meter.spare(end + 10_000)! > 2_500_000 * 0.9);
    assert.equal(meter.saturated(end + 10_000), false);
  });

  it('knows no capacity before the link has had work, and does not mistake light use for a slow link', () => {
    const meter = new ThroughputMeter();
    assert.equal(meter.capacity(), undefined);
    assert.equal(meter.spare(0), undefined);
    // One 32 KiB chunk a second on a 1 MB/s link: the buffer empties long before the next sample.
    simulate(meter, 1_000_000, 10_000, (at) => (at % 1000 === 0 ? 32 * 1024 : 0));
    assert.ok(meter.capacity() === undefined || meter.capacity()! > 200_000, `capacity ${meter.capacity()}`);
    assert.ok(meter.throughput(10_000) < 60_000);
  });
});
