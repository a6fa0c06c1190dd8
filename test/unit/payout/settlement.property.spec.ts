// Settlement properties, checked with fast-check over random pools, balances and receipt orders.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { largestRemainder } from '../../../lib/payout/rounding';
import { settle, type Account } from '../../../lib/payout/settlement';
import { decideBatch, DEFAULT_RULES, type RuleFacts } from '../../../lib/payout/rules';
import type { PayoutReceipt } from '../../../lib/payout/msg-input';

const weights = fc.uniqueArray(fc.record({ key: fc.stringMatching(/^[a-z]{1,6}$/), weight: fc.bigInt({ min: 0n, max: 10n ** 15n }) }), {
  selector: (w) => w.key,
  minLength: 1,
  maxLength: 40,
});
const pool = fc.bigInt({ min: 0n, max: 10n ** 12n });

const account = (supporter: string, bytes: number, carried = 0, address = `addr-${supporter}`): Account => ({
  supporter,
  name: supporter,
  address,
  bytes,
  viewers: 1,
  carried,
  carriedNano: 0,
});

describe('payout settlement properties (fast-check)', () => {
  it('Σ shares = pool, for every pool and every set of balances with a positive total', () => {
    fc.assert(
      fc.property(pool, weights, (total, items) => {
        fc.pre(items.some((i) => i.weight > 0n));
        const shares = largestRemainder(total, items);
        assert.equal(
          [...shares.values()].reduce((a, b) => a + b, 0n),
          total,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('each share is within one minor unit of the exact proportion (floor or floor + 1)', () => {
    fc.assert(
      fc.property(pool, weights, (total, items) => {
        const sum = items.reduce((a, i) => a + i.weight, 0n);
        fc.pre(sum > 0n);
        const shares = largestRemainder(total, items);
        for (const i of items) {
          const floor = (total * i.weight) / sum;
          const share = shares.get(i.key) as bigint;
          assert.ok(share === floor || share === floor + 1n, `${i.key}: ${share} vs exact ${total}·${i.weight}/${sum}`);
          if (i.weight === 0n) assert.equal(share, 0n, 'no bytes, no share');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a statement does not depend on the order accounts are listed in', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), weights, fc.integer({ min: 0, max: 500 }), (amount, items, threshold) => {
        const accounts = items.map((i) => account(i.key, Number(i.weight % 10n ** 12n), Number(i.weight % 97n)));
        const a = settle('p', { mode: 'pool', amount, currency: 'EUR' }, threshold, accounts);
        const b = settle('p', { mode: 'pool', amount, currency: 'EUR' }, threshold, [...accounts].reverse());
        assert.deepEqual(a, b);
      }),
      { numRuns: 200 },
    );
  });

  it('credited bytes do not depend on receipt order (shuffled receipts, same credit per slot and network)', () => {
    const receipt = fc.record({
      sup: fc.constantFrom('alice', 'bob', 'carol'),
      seq: fc.integer({ min: 0, max: 4 }),
      net: fc.constantFrom('n1', 'n2', 'n3', undefined),
      peer: fc.constantFrom('p1', 'p2', 'p3', 'p4'),
      bytes: fc.integer({ min: 1, max: 1200 }),
    });
    fc.assert(
      fc.property(fc.array(receipt, { maxLength: 60 }), fc.integer(), (specs, seed) => {
        const receipts: PayoutReceipt[] = specs.map((s, i) => ({
          id: `r${i}`,
          stream: 'live',
          rendition: '720p',
          sequence: s.seq,
          sha256: 'a'.repeat(64),
          segmentSize: 1000,
          bytes: s.bytes,
          uploader: { peer: `up-${s.sup}`, role: 'supporter', supporter: s.sup, ...(s.net ? { network: 'home' } : {}) },
          downloader: { peer: s.peer, role: 'viewer', ...(s.net ? { network: s.net } : {}) },
          receivedAt: 0,
        }));
        const shuffled = fc.sample(fc.shuffledSubarray(receipts, { minLength: receipts.length, maxLength: receipts.length }), {
          seed,
          numRuns: 1,
        })[0] as PayoutReceipt[];
        const none: RuleFacts = { hasReceipt: () => false, creditedFor: () => 0, published: () => undefined };
        // Per cap key (media time slot and downloader network): which supporter is credited a shared
        // slot is first come, first served, what the slot and network are credited is not.
        const totals = (list: PayoutReceipt[]) => {
          const out: Record<string, number> = {};
          for (const d of decideBatch(list, none, DEFAULT_RULES)) if (d.status === 'credited') out[d.capKey] = (out[d.capKey] ?? 0) + d.credited;
          return out;
        };
        assert.deepEqual(totals(shuffled), totals(receipts));
      }),
      { numRuns: 300 },
    );
  });

  it('carry-forward never loses a unit across many periods (pool in = paid + carried + undistributed)', () => {
    const period = fc.record({
      amount: fc.integer({ min: 0, max: 100_000 }),
      threshold: fc.integer({ min: 0, max: 5_000 }),
      bytes: fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 4, maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(period, { minLength: 1, maxLength: 30 }), (periods) => {
        const names = ['a', 'b', 'c', 'd'];
        const carried = new Map(names.map((n) => [n, 0]));
        let poolIn = 0;
        let paid = 0;
        let undistributed = 0;
        periods.forEach((p, k) => {
          // 'd' has no payout address: its balance must be held, never dropped.
          const accounts = names.map((n, i) => account(n, p.bytes[i] as number, carried.get(n), n === 'd' ? '' : `addr-${n}`));
          const { statement, accounts: after } = settle(`p${k}`, { mode: 'pool', amount: p.amount, currency: 'EUR' }, p.threshold, accounts);
          poolIn += p.amount;
          paid += statement.totals.paid;
          undistributed += statement.totals.undistributed;
          assert.equal(statement.totals.carriedIn + statement.totals.earned, statement.totals.paid + statement.totals.carriedOut);
          for (const a of after) carried.set(a.supporter, a.carried);
          for (const l of statement.lines) if (l.paid > 0) assert.ok(l.paid >= p.threshold, 'nothing below the threshold is paid');
        });
        const left = [...carried.values()].reduce((a, b) => a + b, 0);
        assert.equal(paid + left + undistributed, poolIn);
      }),
      { numRuns: 300 },
    );
  });

  it('rate × GB with a cap: earned + capped + sub-unit carry account for every nano-unit over many periods', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3_000_000_000 }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 2000 }),
        (bytesPerPeriod, perGB, cap) => {
          let nano = 0;
          let earnedAll = 0n;
          let cappedAll = 0n;
          for (const [k, bytes] of bytesPerPeriod.entries()) {
            const { statement, accounts } = settle(`p${k}`, { mode: 'rate', perGB, cap, currency: 'EUR' }, 0, [{ ...account('a', bytes), carriedNano: nano }]);
            const line = statement.lines[0]!;
            assert.ok(line.earned <= cap);
            earnedAll += BigInt(line.earned);
            cappedAll += BigInt(line.capped);
            nano = accounts[0]!.carriedNano;
            assert.ok(nano >= 0 && nano < 1e9);
          }
          const exact = bytesPerPeriod.reduce((a, b) => a + BigInt(b) * BigInt(perGB), 0n);
          assert.equal((earnedAll + cappedAll) * 1_000_000_000n + BigInt(nano), exact);
        },
      ),
      { numRuns: 300 },
    );
  });
});
