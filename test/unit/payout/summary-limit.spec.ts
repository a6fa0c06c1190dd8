// The supporter summary answers token guesses: each source may make only so many (signaling's token
// bucket, per source, shared through Redis between instances), the limit refuses before any token is
// looked at, and every token that is looked at is checked the same way.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { answerSummary, SUMMARY_RATE, type SummaryDoorParts } from '../../../lib/payout/summary-door';
import type { SupporterSummary } from '../../../lib/payout';
import { newBucket, takeToken } from '../../../lib/signaling/rate-limiter';
import { RedisPair, redisSettings } from '../../../lib/signaling/redis-connection';
import { RedisSourceLimiter } from '../../../lib/signaling/redis-source-limiter';
import { LocalSourceLimiter } from '../../../lib/signaling/source-limiter';
import { deleteKeys } from '../../support/redis-keys';
import { until } from '../../support/until';

const GOOD = 'alice-token-0123456789';
const summaryOf = (supporter: string): SupporterSummary => ({
  supporter,
  name: supporter,
  currency: null,
  verifiedBytes: 1,
  unsettledBytes: 1,
  viewersHelped: 1,
  pending: 0,
  statements: [],
});

/** A door over a fake clock, recording every token it was asked to check. */
function door(limiter = new LocalSourceLimiter(SUMMARY_RATE, () => clock.now)) {
  const checked: string[] = [];
  const parts: SummaryDoorParts = {
    limiter,
    verify: async (token) => {
      checked.push(token);
      return token === GOOD ? 'alice' : null;
    },
    summary: async (supporter) => summaryOf(supporter),
  };
  return { parts, checked, ask: (source: string, token?: string) => answerSummary(parts, source, token === undefined ? undefined : `Bearer ${token}`) };
}
const clock = { now: 1_000_000 };

describe('payout summary: token guesses are limited per source', () => {
  beforeEach(() => {
    clock.now = 1_000_000;
  });

  it(`answers ${SUMMARY_RATE.burst} guesses from one source, then 429 with Retry-After, a good token too, before any token is checked`, async () => {
    const { ask, checked } = door();
    const statuses: number[] = [];
    for (let i = 0; i < SUMMARY_RATE.burst; i++) statuses.push((await ask('203.0.113.5/32', `guess-${i}-0123456789`)).status);
    assert.deepEqual(statuses, Array(SUMMARY_RATE.burst).fill(401));
    const refused = await ask('203.0.113.5/32', 'guess-x-0123456789');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['Retry-After'], String(Math.ceil(1 / SUMMARY_RATE.ratePerSecond)));
    const good = await ask('203.0.113.5/32', GOOD);
    assert.equal(good.status, 429, 'a good token is refused alike: the refusal says nothing about the token');
    assert.equal(checked.length, SUMMARY_RATE.burst, 'refused requests never reach the token check');
    assert.equal((await ask('203.0.113.6/32', GOOD)).status, 200, 'another source keeps its own allowance');
    clock.now += 1000 / SUMMARY_RATE.ratePerSecond;
    assert.equal((await ask('203.0.113.5/32', GOOD)).status, 200, 'one more token after the refill time');
  });

  it('checks a missing or malformed token like any other (no early answer)', async () => {
    const { parts, checked } = door();
    assert.equal((await answerSummary(parts, 's', undefined)).status, 401);
    assert.equal((await answerSummary(parts, 's', 'Basic Zm9vOmJhcg==')).status, 401);
    assert.equal((await answerSummary(parts, 's', `Bearer ${'x'.repeat(300)}`)).status, 401);
    assert.equal((await answerSummary(parts, 's', `Bearer ${GOOD}`)).status, 200);
    assert.deepEqual(checked, ['', '', '', GOOD]);
  });

  it('forgets sources whose bucket refilled, so the table stays bounded', async () => {
    const limiter = new LocalSourceLimiter(SUMMARY_RATE, () => clock.now, 3);
    for (const s of ['a', 'b', 'c']) assert.equal((await limiter.take(s)).ok, true);
    assert.equal((await limiter.take('d')).ok, false, 'full of fresh sources: refused, not grown');
    clock.now += (SUMMARY_RATE.burst * 1000) / SUMMARY_RATE.ratePerSecond;
    assert.equal((await limiter.take('d')).ok, true);
    assert.equal(limiter.size(), 1);
  });
});

describe('payout summary: the limit shared between instances through Redis (real Redis)', function () {
  this.timeout(20_000);
  let prefix: string;
  const pairs: RedisPair[] = [];
  const pair = async () => {
    const p = new RedisPair(redisSettings({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix }));
    pairs.push(p);
    await until(() => p.up, 'Redis connected');
    return p;
  };
  beforeEach(() => {
    prefix = `relaycast-unit-${randomBytes(6).toString('hex')}:`;
    clock.now = 1_000_000;
  });
  afterEach(async () => {
    for (const p of pairs.splice(0)) await p.close();
    await deleteKeys(prefix);
  });

  it('charges one source’s requests to one bucket whichever instance answers', async () => {
    const options = { namespace: '/relaycast/payout', config: SUMMARY_RATE, now: () => clock.now };
    const [a, b] = [new RedisSourceLimiter(await pair(), options), new RedisSourceLimiter(await pair(), options)];
    const verdicts: boolean[] = [];
    for (let i = 0; i < SUMMARY_RATE.burst + 4; i++) verdicts.push((await (i % 2 ? b : a).take('203.0.113.5/32')).ok);
    assert.deepEqual(verdicts, [...Array(SUMMARY_RATE.burst).fill(true), false, false, false, false]);
    assert.equal((await a.take('203.0.113.6/32')).ok, true, 'another source, another bucket');
  });

  it('takes the same decisions as the in-process rule (rate-limiter.ts) over one timeline, concurrent requests included', async () => {
    const config = { ratePerSecond: 2, burst: 5 };
    const limiter = new RedisSourceLimiter(await pair(), { namespace: 'n', config, now: () => clock.now });
    const other = new RedisSourceLimiter(await pair(), { namespace: 'n', config, now: () => clock.now });
    const local = newBucket(config, clock.now);
    const steps = [0, 0, 0, 0, 0, 0, 0, 300, 200, 0, 0, 1000, 0, 0, 5000, 0, 0, 0, 0, 0, 0];
    for (const step of steps) {
      clock.now += step;
      // Two instances asked at the same moment: the swap retries the loser on the winner's state.
      const [x, y] = await Promise.all([limiter.take('s'), other.take('s')]);
      const expected = [takeToken(local, config, clock.now), takeToken(local, config, clock.now)];
      assert.deepEqual([x.ok, y.ok].sort(), expected.sort(), `at +${clock.now - 1_000_000} ms`);
    }
  });

  it('limits on its own while Redis is unreachable', async () => {
    const p = await pair();
    const limiter = new RedisSourceLimiter(p, { namespace: 'n', config: { ratePerSecond: 1, burst: 2 }, now: () => clock.now });
    await p.close();
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push((await limiter.take('s')).ok);
    assert.deepEqual(verdicts, [true, true, false]);
  });
});
