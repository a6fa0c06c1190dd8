// The ledger end to end in one process, on each store (SQLite and PostgreSQL): settlement stored
// once, carry-forward across periods and restarts, the supporter's own summary, the CSV export.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { statementsCsv } from '../../../lib/payout/csv';
import { BACKENDS, receipt, SIZE, tempLedgers, type TempLedger } from './fixtures';

const pool = (amount: number, period = 'p1') => ({ period, terms: { mode: 'pool' as const, amount, currency: 'EUR' } });

for (const backend of BACKENDS)
  describe(`payout ledger (${backend.name}, group commit)`, () => {
    const tempLedger = tempLedgers(backend);
    before(() => backend.ready());
    let t: TempLedger;
    afterEach(() => t.dispose());

    async function credit(supporter: string, segments: number) {
      await Promise.all(
        Array.from({ length: segments }, (_, i) => t.ledger.submit(receipt({ sequence: i, uploader: { supporter, peer: `up-${supporter}`.padEnd(12, '0') } }))),
      );
    }

    it('splits a pool pro rata, exactly, and settling the same period again returns the same statement and pays nothing twice', async () => {
      t = tempLedger();
      await t.ledger.putSupporter({ id: 'alice', name: 'Alice', address: 'IBAN-A' });
      await t.ledger.putSupporter({ id: 'bob', name: 'Bob', address: 'IBAN-B' });
      await credit('alice', 2);
      await credit('bob', 1);
      const first = await t.ledger.settle(pool(100));
      assert.equal(first.replayed, false);
      assert.deepEqual(
        first.statement.lines.map((l) => [l.supporter, l.bytes, l.earned, l.paid]),
        [
          ['alice', 2 * SIZE, 67, 67],
          ['bob', SIZE, 33, 33],
        ],
      );
      assert.equal(first.statement.totals.paid, 100);
      await credit('alice', 1); // new bytes after the period was settled belong to the next one
      const again = await t.ledger.settle(pool(999));
      assert.equal(again.replayed, true);
      assert.deepEqual(again.statement, first.statement);
      t = await t.reopen();
      const afterRestart = await t.ledger.settle(pool(100));
      assert.equal(afterRestart.replayed, true);
      assert.deepEqual(afterRestart.statement, first.statement);
      const next = await t.ledger.settle(pool(10, 'p2'));
      assert.deepEqual(
        next.statement.lines.map((l) => [l.supporter, l.bytes, l.paid]),
        [['alice', SIZE, 10]],
      );
      const paid = (await t.store.statements()).reduce((a, s) => a + s.totals.paid, 0);
      assert.equal(paid, 110, 'two periods paid once each');
    });

    it('settling the same periods repeatedly in any order pays each once (property, real ledger)', async () => {
      t = tempLedger();
      await t.ledger.putSupporter({ id: 'alice', name: 'Alice', address: 'A' });
      await credit('alice', 3);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom('q1', 'q2', 'q3'), { minLength: 1, maxLength: 12 }), async (periods) => {
          for (const p of periods) await t.ledger.settle(pool(50, p));
          const statements = await t.store.statements();
          assert.equal(new Set(statements.map((s) => s.period)).size, statements.length, 'one statement per period');
          const bytes = statements.reduce((a, s) => a + s.totals.bytes, 0);
          assert.equal(bytes, 3 * SIZE, 'every verified byte settled exactly once');
        }),
        { numRuns: 20 },
      );
    });

    it('carries balances below the threshold forward, across a restart, until they are paid', async () => {
      t = tempLedger({}, 50);
      await t.ledger.putSupporter({ id: 'alice', name: 'Alice', address: 'A' });
      await t.ledger.putSupporter({ id: 'bob', name: 'Bob', address: 'B' });
      await credit('alice', 9);
      await credit('bob', 1);
      const p1 = (await t.ledger.settle(pool(100))).statement;
      assert.deepEqual(
        p1.lines.map((l) => [l.supporter, l.earned, l.paid, l.carriedOut, l.held]),
        [
          ['alice', 90, 90, 0, undefined],
          ['bob', 10, 0, 10, 'threshold'],
        ],
      );
      t = await t.reopen();
      assert.equal((await t.store.accounts()).find((a) => a.supporter === 'bob')?.pending, 10);
      await credit('bob', 4);
      const p2 = (await t.ledger.settle(pool(40, 'p2'))).statement;
      assert.deepEqual(
        p2.lines.map((l) => [l.supporter, l.carriedIn, l.earned, l.paid, l.carriedOut]),
        [['bob', 10, 40, 50, 0]],
      );
    });

    it('refuses a settlement in another currency than the carried balances', async () => {
      t = tempLedger();
      await credit('alice', 1);
      await t.ledger.settle(pool(10));
      await assert.rejects(t.ledger.settle({ period: 'p2', terms: { mode: 'pool', amount: 10, currency: 'USD' } }), { code: 'E_PAYOUT_CURRENCY' });
    });

    it('shows a supporter only their own figures, never a payout address', async () => {
      t = tempLedger();
      await t.ledger.putSupporter({ id: 'alice', name: 'Alice', address: 'IBAN-SECRET-A' });
      await t.ledger.putSupporter({ id: 'bob', name: 'Bob', address: 'IBAN-SECRET-B' });
      await credit('alice', 2);
      await credit('bob', 1);
      await t.ledger.settle(pool(30));
      const summary = await t.ledger.read((s) => s.summary('alice'));
      assert.deepEqual(summary, {
        supporter: 'alice',
        name: 'Alice',
        currency: 'EUR',
        verifiedBytes: 2 * SIZE,
        unsettledBytes: 0,
        viewersHelped: 2,
        pending: 0,
        statements: [{ period: 'p1', bytes: 2 * SIZE, viewers: 2, earned: 20, paid: 20, carriedOut: 0 }],
      });
      assert.doesNotMatch(JSON.stringify(summary), /IBAN|bob/);
      assert.equal(await t.ledger.read((s) => s.summary('nobody')), undefined);
    });

    it('exports statements as CSV with spreadsheet formulas neutralised', async () => {
      t = tempLedger();
      await t.ledger.putSupporter({ id: 'alice', name: '=HYPERLINK("x")', address: 'A, B' });
      await credit('alice', 1);
      await t.ledger.settle(pool(5));
      const csv = statementsCsv(await t.store.statements());
      assert.equal(
        csv,
        'period,currency,supporter,name,address,bytes,viewers,carried_in,earned,capped,paid,carried_out,held\r\n' +
          `p1,EUR,alice,"'=HYPERLINK(""x"")","A, B",${SIZE},1,0,5,0,5,0,\r\n`,
      );
    });
  });
