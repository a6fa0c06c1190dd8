// The PostgreSQL store's own contract, against the real local server: several instances (each its
// own pool, as separate Node-RED processes would be) on one ledger, at the same moment. Receipts
// count once whichever instance gets them, caps hold across instances, a period is settled once,
// and a settlement racing ingest neither loses nor double-settles a byte.
import assert from 'node:assert/strict';
import type { PayoutReceipt } from '../../../lib/payout/msg-input';
import { Ledger } from '../../../lib/payout/ledger';
import { PostgresLedgerStore } from '../../../lib/payout/postgres-store';
import { DEFAULT_RULES } from '../../../lib/payout/rules';
import type { LedgerStore } from '../../../lib/payout/store';
import { dropSchema, requirePostgres, testPool, uniqueSchema } from '../../support/postgres';
import { PG_PREFIX, receipt, SIZE, tempLedger } from './fixtures';

const pool = (period: string, amount = 1000) => ({ period, terms: { mode: 'pool' as const, amount, currency: 'EUR' } });

describe('PostgreSQL ledger store: several instances on one ledger (real server)', function () {
  this.timeout(60_000);
  let schema: string;
  let stores: PostgresLedgerStore[] = [];
  const instance = (prefix = PG_PREFIX) => {
    const store = new PostgresLedgerStore(testPool(), { schema, prefix, ownsPool: true });
    stores.push(store);
    return store;
  };
  const ledgerOn = (store: LedgerStore) => new Ledger(store, { rules: DEFAULT_RULES, threshold: 0, batchMs: 1 });
  const byId = async (store: LedgerStore) => Object.fromEntries((await store.accounts()).map((a) => [a.supporter, a.verifiedBytes]));

  before(() => requirePostgres());
  beforeEach(() => {
    schema = uniqueSchema('store');
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
    await dropSchema(schema);
  });

  it('records its schema version in a migrations table', async () => {
    const store = instance();
    await store.ready();
    const p = testPool({ max: 1 });
    try {
      const { rows } = await p.query(`SELECT version, name FROM "${schema}"."${PG_PREFIX}migrations"`);
      assert.deepEqual(rows, [{ version: 1, name: 'ledger tables' }]);
    } finally {
      await p.end();
    }
  });

  it('credits a receipt once when two instances ingest overlapping batches at the same moment, and totals match one SQLite ledger', async () => {
    const [a, b] = [instance(), instance()];
    const supporters = ['alice', 'bob', 'carol'];
    const all = Array.from({ length: 600 }, (_, i) =>
      receipt({
        sequence: i % 25,
        bytes: 1 + ((i * 37) % SIZE),
        uploader: { supporter: supporters[i % 3], peer: `up-${supporters[i % 3]}`.padEnd(12, '0'), network: `home-${i % 3}` },
        downloader: { network: `viewer-net-${i % 9}` },
      }),
    );
    // Each instance gets two thirds: the middle third reaches both, in different orders and batches.
    const toA = all.slice(0, 400);
    const toB = [...all.slice(200)].reverse();
    const batches = (list: PayoutReceipt[], size: number) =>
      Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));
    await Promise.all([
      (async () => {
        for (const batch of batches(toA, 37)) await a.ingest(batch, DEFAULT_RULES);
      })(),
      (async () => {
        for (const batch of batches(toB, 53)) await b.ingest(batch, DEFAULT_RULES);
      })(),
    ]);
    const reference = tempLedger();
    try {
      await reference.store.ingest(all, DEFAULT_RULES);
      // Bytes and viewers helped do not depend on arrival order; which receipts the cap cut does,
      // so the count of credited receipts is not compared.
      const order = (list: Awaited<ReturnType<LedgerStore['accounts']>>) =>
        list.map(({ receipts, ...rest }) => {
          assert.ok(receipts > 0);
          return rest;
        });
      const expected = order(await reference.store.accounts());
      assert.deepEqual(order(await a.accounts()), expected);
      assert.deepEqual(order(await b.accounts()), expected, 'both instances read the one ledger');
      assert.ok(expected.every((x) => x.verifiedBytes > 10 * SIZE));
      const ids = (await a.accounts()).reduce((n, x) => n + x.receipts, 0);
      assert.ok(ids <= all.length);
    } finally {
      await reference.dispose();
    }
  });

  it('holds the per-network cap across instances: viewers on one network, split over two instances, earn one segment each time', async () => {
    const [a, b] = [instance(), instance()];
    for (let round = 0; round < 8; round++) {
      const sybil = Array.from({ length: 16 }, () => receipt({ sequence: round, downloader: { network: 'one-machine' } }));
      const decisions = (await Promise.all(sybil.map((r, i) => (i % 2 ? a : b).ingest([r], DEFAULT_RULES)))).flat();
      const credited = decisions.reduce((n, d) => n + (d.status === 'credited' ? d.credited : 0), 0);
      assert.equal(credited, SIZE, `segment ${round}: one segment's worth, whichever instance judged the receipts`);
    }
    assert.deepEqual(await byId(a), { alice: 8 * SIZE });
  });

  it('credits one receipt id once even when it arrives in two batches of different streams at the same moment', async () => {
    const [a, b] = [instance(), instance()];
    for (let round = 0; round < 15; round++) {
      const r = receipt({ id: `forged-${round}` });
      const [x, y] = await Promise.all([
        a.ingest([r], DEFAULT_RULES),
        b.ingest([{ ...r, stream: 'other', downloader: { ...r.downloader, peer: `x${round}`.padEnd(12, '0') } }], DEFAULT_RULES),
      ]);
      assert.deepEqual([x[0]!.status, y[0]!.status].sort(), ['credited', 'refused'], `round ${round}`);
    }
    assert.deepEqual(await byId(a), { alice: 15 * SIZE });
  });

  it('settles a period once when two instances are asked at the same moment, over many periods', async () => {
    const [a, b] = [instance(), instance()];
    await a.putSupporter({ id: 'alice', name: 'Alice', address: 'IBAN-A' });
    for (let p = 0; p < 12; p++) {
      await (p % 2 ? a : b).ingest([receipt({ sequence: p }), receipt({ sequence: p, uploader: { supporter: 'bob', peer: 'upBob0000000' } })], DEFAULT_RULES);
      const [x, y] = await Promise.all([a.settle(pool(`p${p}`), 0), b.settle(pool(`p${p}`), 0)]);
      assert.deepEqual([x.replayed, y.replayed].sort(), [false, true], `period p${p} settled exactly once`);
      assert.deepEqual(x.statement, y.statement);
      assert.equal(x.statement.totals.bytes, 2 * SIZE);
    }
    const statements = await b.statements();
    assert.deepEqual(
      statements.map((s) => s.period),
      Array.from({ length: 12 }, (_, p) => `p${p}`),
    );
    assert.equal(
      statements.reduce((n, s) => n + s.totals.paid, 0),
      12 * 1000 - 12 * 500,
      'bob has no address: his half is carried, alice is paid',
    );
    assert.equal((await a.accounts()).find((x) => x.supporter === 'bob')?.pending, 12 * 500);
  });

  it('never loses or double-settles a byte while one instance ingests and the other settles', async () => {
    const [a, b] = [instance(), instance()];
    const ingesting = ledgerOn(a);
    let stop = false;
    let sent = 0;
    const feeder = (async () => {
      while (!stop) {
        await Promise.all(Array.from({ length: 40 }, () => ingesting.submit(receipt({ sequence: sent++ % 50, bytes: 1 + (sent % SIZE) }))));
      }
    })();
    const settled: number[] = [];
    for (let p = 0; p < 8; p++) {
      settled.push((await b.settle(pool(`race-${p}`), 0)).statement.totals.bytes);
      // Let at least one more batch commit before the next period.
      const before = (await b.accounts())[0]?.verifiedBytes ?? 0;
      for (let i = 0; i < 200 && ((await b.accounts())[0]?.verifiedBytes ?? 0) === before; i++) await new Promise((r) => setTimeout(r, 5));
    }
    stop = true;
    await feeder;
    await ingesting.close();
    settled.push((await b.settle(pool('final'), 0)).statement.totals.bytes);
    const credited = (await b.accounts()).reduce((n, x) => n + x.verifiedBytes, 0);
    assert.ok(sent > 200, `receipts were flowing (${sent})`);
    assert.equal(
      settled.reduce((n, x) => n + x, 0),
      credited,
      'every credited byte is on exactly one statement',
    );
    assert.equal(
      (await b.accounts()).reduce((n, x) => n + x.unsettledBytes, 0),
      0,
    );
    const statements = await b.statements();
    assert.ok(statements.filter((s) => s.totals.bytes > 0).length >= 3, 'the settlements really interleaved with ingest');
  });

  it('stores NUL, lone surrogates and backslashes in ids, tags and names, reads them back exactly, and keeps distinct ids distinct', async () => {
    const store = instance();
    const odd = ['nul\u0000id', 'nul\\u0000id', 'lone\uD800', 'lone\uFFFD', 'back\\slash'];
    const decisions = await store.ingest(
      odd.map((id, i) => receipt({ id, sequence: 100 + i, downloader: { network: `tag\u0000${i}` } })),
      DEFAULT_RULES,
    );
    assert.deepEqual(
      decisions.map((d) => d.status),
      odd.map(() => 'credited'),
    );
    const replay = await store.ingest(
      odd.map((id) => receipt({ id })),
      DEFAULT_RULES,
    );
    assert.deepEqual(
      replay.map((d) => (d.status === 'refused' ? d.code : d.status)),
      odd.map(() => 'DUPLICATE'),
    );
    await store.putSupporter({ id: 'alice', name: 'A\u0000l\\ice \uDC00', address: 'addr\u0000' });
    const [account] = await store.accounts();
    assert.deepEqual(
      [account?.name, account?.address, account?.verifiedBytes, account?.viewersHelped],
      ['A\u0000l\\ice \uDC00', 'addr\u0000', odd.length * SIZE, odd.length],
    );
  });

  it('keeps two ledgers apart in one schema by table prefix', async () => {
    const [x, y] = [instance('one_'), instance('two_')];
    await x.ingest([receipt()], DEFAULT_RULES);
    assert.deepEqual(await byId(x), { alice: SIZE });
    assert.deepEqual(await byId(y), {});
    await y.settle(pool('p1'), 0);
    assert.equal(await x.statement('p1'), undefined);
  });

  it('answers E_PAYOUT_STORE when the server cannot be reached, and nothing is thrown past the promise', async () => {
    const unreachable = new PostgresLedgerStore(testPool({ port: 1, connectionTimeoutMillis: 2000 }), { schema, prefix: PG_PREFIX, ownsPool: true });
    stores.push(unreachable);
    await assert.rejects(unreachable.ingest([receipt()], DEFAULT_RULES), { code: 'E_PAYOUT_STORE', message: /ECONNREFUSED|connect/ });
    await assert.rejects(unreachable.accounts(), { code: 'E_PAYOUT_STORE' });
  });
});
