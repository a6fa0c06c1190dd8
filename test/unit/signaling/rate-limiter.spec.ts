import assert from 'node:assert/strict';
import { newBucket, takeToken } from '../../../lib/signaling/rate-limiter';

describe('signaling token bucket', () => {
  it('allows the burst at once, then exactly the rate', () => {
    const config = { ratePerSecond: 10, burst: 5 };
    const bucket = newBucket(config, 0);
    const first = Array.from({ length: 7 }, () => takeToken(bucket, config, 0));
    assert.deepEqual(first, [true, true, true, true, true, false, false]);
    // 100 ms at 10/s earns exactly one token.
    assert.equal(takeToken(bucket, config, 100), true);
    assert.equal(takeToken(bucket, config, 100), false);
    // A long pause refills to the burst, never beyond.
    const later = Array.from({ length: 6 }, () => takeToken(bucket, config, 60_000));
    assert.deepEqual(later, [true, true, true, true, true, false]);
  });

  it('does not refill when the clock goes backwards', () => {
    const config = { ratePerSecond: 1, burst: 1 };
    const bucket = newBucket(config, 1000);
    assert.equal(takeToken(bucket, config, 1000), true);
    assert.equal(takeToken(bucket, config, 0), false);
    assert.equal(takeToken(bucket, config, 1999), false);
    assert.equal(takeToken(bucket, config, 2000), true);
  });
});
