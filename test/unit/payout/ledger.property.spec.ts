// The payout properties of settlement.property.spec.ts, checked again through a real ledger on each
// store (SQLite and PostgreSQL): what the pure functions promise must survive being stored, batched,
// re-read and settled by the store.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PayoutReceipt } from '../../../lib/payout/msg-input';
import { DEFAULT_RULES } from '../../../lib/payout/rules';
import { BACKENDS, tempLedgers } from './fixtures';

const spec = fc.record({
  sup: fc.constantFrom('alice', 'bob', 'carol'),
  seq: fc.integer({ min: 0, max: 4 }),
  net: fc.constantFrom('n1', 'n2', 'n3', undefined),
  peer: fc.constantFrom('p1', 'p2', 'p3', 'p4'),
  bytes: fc.integer({ min: 1, max: 1200 }),
});
type Spec = typeof spec extends fc.Arbitrary<infer T> ? T : never;

/** The receipts a spec list stands for, under a namespace so runs in one ledger stay apart. */
function receipts(specs: Spec[], ns: string): PayoutReceipt[] {
  return specs.map((s, i) => ({
    id: `${ns}-r${i}`,
    // Caps are per stream's slot and network, whoever delivered: each run has its own stream.
    stream: `live-${ns}`,
    rendition: '720p',
    sequence: s.seq,
    sha256: 'a'.repeat(64),
    segmentSize: 1000,
    bytes: s.bytes,
    uploader: { peer: `up-${s.sup}`, role: 'supporter', supporter: `${ns}-${s.sup}`, ...(s.net ? { network: 'home' } : {}) },
    downloader: { peer: s.peer, role: 'viewer', ...(s.net ? { network: s.net } : {}) },
    receivedAt: 0,
  }));
}

for (const backend of BACKENDS)
  describe(`payout properties through a real ${backend.name} ledger (fast-check)`, function () {
    this.timeout(120_000);
    const tempLedger = tempLedgers(backend);
    before(() => backend.ready());

    it('the bytes credited do not depend on receipt order or on how receipts are batched, and nobody is credited more than it delivered', async () => {
      const t = tempLedger();
      let run = 0;
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(spec, { maxLength: 40 }), fc.integer(), fc.integer({ min: 1, max: 12 }), async (specs, seed, batch) => {
            run += 1;
            const inOrder = receipts(specs, `o${run}`);
            const shuffled = fc.sample(fc.shuffledSubarray(receipts(specs, `s${run}`), { minLength: specs.length, maxLength: specs.length }), {
              seed,
              numRuns: 1,
            })[0]!;
            await t.store.ingest(inOrder, DEFAULT_RULES);
            for (let i = 0; i < shuffled.length; i += batch) await t.store.ingest(shuffled.slice(i, i + batch), DEFAULT_RULES);
            const accounts = await t.store.accounts();
            const credited = (ns: string) => accounts.filter((a) => a.supporter.startsWith(`${ns}-`));
            const total = (ns: string) => credited(ns).reduce((sum, a) => sum + a.verifiedBytes, 0);
            // A slot's credit per downloader network is shared by the supporters who delivered it (first
            // come, first served), so the total is what does not depend on order: min(Σ bytes, size)
            // per (segment, network), the connection standing in for the network when untagged (inflated
            // receipts, over the size, earn nothing).
            const claimed = new Map<string, number>();
            for (const s of specs.filter((x) => x.bytes <= 1000)) {
              const key = `${s.seq}/${s.net ?? `peer:${s.peer}`}`;
              claimed.set(key, (claimed.get(key) ?? 0) + s.bytes);
            }
            const expected = [...claimed.values()].reduce((sum, bytes) => sum + Math.min(bytes, 1000), 0);
            assert.equal(total(`o${run}`), expected);
            assert.equal(total(`s${run}`), expected);
            // Nobody is credited more than it delivered.
            for (const ns of [`o${run}`, `s${run}`])
              for (const a of credited(ns)) {
                const delivered = specs.filter((s) => `${ns}-${s.sup}` === a.supporter).reduce((sum, s) => sum + s.bytes, 0);
                assert.ok(a.verifiedBytes <= delivered, `${a.supporter}: ${a.verifiedBytes} credited for ${delivered} delivered`);
              }
          }),
          { numRuns: 25 },
        );
      } finally {
        await t.dispose();
      }
    });

    it('carry-forward never loses a unit across many periods, and settling a period twice pays nothing twice', async () => {
      const period = fc.record({
        amount: fc.integer({ min: 0, max: 100_000 }),
        threshold: fc.integer({ min: 0, max: 5_000 }),
        bytes: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 4 }),
        again: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(period, { minLength: 1, maxLength: 8 }), async (periods) => {
          const t = tempLedger();
          try {
            const names = ['a', 'b', 'c', 'd'];
            // 'd' has no payout address: its balance must be held, never dropped.
            for (const n of names.slice(0, 3)) await t.ledger.putSupporter({ id: n, name: n, address: `addr-${n}` });
            let poolIn = 0;
            let n = 0;
            for (const [k, p] of periods.entries()) {
              await Promise.all(
                names.flatMap((name, i) =>
                  p.bytes[i]! > 0
                    ? [
                        t.ledger.submit({
                          id: `p${k}-${name}`,
                          stream: 'live',
                          rendition: '720p',
                          sequence: k,
                          sha256: 'a'.repeat(64),
                          segmentSize: 1000,
                          bytes: p.bytes[i]!,
                          uploader: { peer: `up-${name}`, role: 'supporter', supporter: name, network: `home-${name}` },
                          downloader: { peer: `v${n++}`, role: 'viewer', network: `v-${k}-${i}` },
                          receivedAt: 0,
                        }),
                      ]
                    : [],
                ),
              );
              const request = { period: `p${k}`, terms: { mode: 'pool' as const, amount: p.amount, currency: 'EUR' }, threshold: p.threshold };
              const first = await t.ledger.settle(request);
              assert.equal(first.replayed, false);
              poolIn += p.amount;
              if (p.again) {
                const second = await t.ledger.settle({ ...request, terms: { ...request.terms, amount: p.amount + 1 } });
                assert.equal(second.replayed, true);
                assert.deepEqual(second.statement, first.statement);
              }
            }
            const statements = await t.store.statements();
            assert.equal(statements.length, periods.length, 'one statement per period');
            const paid = statements.reduce((s, x) => s + x.totals.paid, 0);
            const undistributed = statements.reduce((s, x) => s + x.totals.undistributed, 0);
            const carried = (await t.store.accounts()).reduce((s, a) => s + a.pending, 0);
            assert.equal(paid + carried + undistributed, poolIn);
            for (const s of statements) for (const l of s.lines) if (l.paid > 0) assert.ok(l.paid >= s.threshold, 'nothing below the threshold is paid');
          } finally {
            await t.dispose();
          }
        }),
        { numRuns: 12 },
      );
    });
  });
