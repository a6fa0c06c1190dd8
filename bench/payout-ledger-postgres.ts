// relaycast-payout's PostgreSQL ledger (lib/payout/postgres-store.ts, the code the node runs):
// receipt ingest through the node's group commit (each batch one transaction, multi-row inserts
// from unnest arrays, synchronous_commit on), first one instance, then two instances on one ledger
// at once (each its own pool, as two Node-RED processes would be), and a settle afterwards.
// Runs against the local server (127.0.0.1:5432, database test) in a schema of its own, dropped at the end.
//   npx tsx bench/payout-ledger-postgres.ts   (INGEST=100000 SUPPORTERS=1000 IN_FLIGHT=2000 PGUSER=postgres)
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { Ledger } from '../lib/payout/ledger';
import { PostgresLedgerStore } from '../lib/payout/postgres-store';
import { DEFAULT_RULES } from '../lib/payout/rules';
import { benchReceipt, submitRange } from './support/payout-receipts';

const INGEST = Number(process.env.INGEST ?? 100_000);
const SUPPORTERS = Number(process.env.SUPPORTERS ?? 1_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 2_000);
const MAX_BATCH = Number(process.env.MAX_BATCH ?? 2_000);
const connection = { host: '127.0.0.1', port: 5432, database: process.env.PGDATABASE ?? 'test', user: process.env.PGUSER ?? 'postgres', max: 4 };
const schema = `relaycast_bench_${process.pid}_${randomBytes(3).toString('hex')}`;

function instance(): Ledger {
  const store = new PostgresLedgerStore(new Pool(connection), { schema, prefix: 'relaycast_', ownsPool: true });
  return new Ledger(store, { rules: DEFAULT_RULES, threshold: 0, batchMs: 2, maxBatch: MAX_BATCH });
}

const rate = (count: number, t0: bigint) => {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return `${count.toLocaleString('en')} receipts in ${seconds.toFixed(2)} s = ${Math.round(count / seconds).toLocaleString('en')} receipts/s`;
};

async function main() {
  const admin = new Pool({ ...connection, max: 1 });
  try {
    const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
    console.log(`PostgreSQL ${version} on 127.0.0.1:5432, Node ${process.version}, batches up to ${MAX_BATCH}, ${IN_FLIGHT} in flight per instance`);

    const one = instance();
    await submitRange(one, 0, 2_000, IN_FLIGHT, (i) => benchReceipt(i, SUPPORTERS, 'warmup')); // warm-up, tables created
    let t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    await submitRange(one, 0, INGEST, IN_FLIGHT, (i) => benchReceipt(i, SUPPORTERS, 'one'));
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `ingest, one instance (durable, group commit 2 ms): ${rate(INGEST, t0)} (target ≥ 10,000); ` +
        `client CPU ${((cpu.user + cpu.system) / 1000 / (INGEST / 1000)).toFixed(1)} ms per 1,000 receipts`,
    );

    // Two instances at once. Same stream: their batches queue on the stream's cap lock (the worst
    // case); different streams: they commit side by side.
    const two = instance();
    const half = Math.floor(INGEST / 2);
    t0 = process.hrtime.bigint();
    await Promise.all([
      submitRange(one, 0, half, IN_FLIGHT, (i) => benchReceipt(2 * i, SUPPORTERS, 'shared')),
      submitRange(two, 0, half, IN_FLIGHT, (i) => benchReceipt(2 * i + 1, SUPPORTERS, 'shared')),
    ]);
    console.log(`ingest, two instances on one ledger, one stream: ${rate(2 * half, t0)}`);
    t0 = process.hrtime.bigint();
    await Promise.all([
      submitRange(one, 0, half, IN_FLIGHT, (i) => benchReceipt(i, SUPPORTERS, 'stream-a')),
      submitRange(two, 0, half, IN_FLIGHT, (i) => benchReceipt(i, SUPPORTERS, 'stream-b')),
    ]);
    console.log(`ingest, two instances on one ledger, a stream each: ${rate(2 * half, t0)}`);

    const total = 2_000 + INGEST + 4 * half;
    for (let i = 0; i < SUPPORTERS; i++) await two.putSupporter({ id: `supporter-${i}`, name: `Supporter ${i}`, address: `addr-${i}` });
    const s0 = process.hrtime.bigint();
    const { statement } = await two.settle({ period: 'bench', terms: { mode: 'pool', amount: 100_000_00, currency: 'EUR' } });
    console.log(
      `settle ${total.toLocaleString('en')} receipts × ${statement.lines.length} supporters: ${(Number(process.hrtime.bigint() - s0) / 1e6).toFixed(0)} ms; paid ${statement.totals.paid} of 10000000`,
    );
    await Promise.all([one.close(), two.close()]);
    const size = (
      await admin.query<{ b: string }>(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
        [schema],
      )
    ).rows[0]?.b;
    const bytes = Number(size);
    console.log(
      `ledger size: ${(bytes / 1024 / 1024).toFixed(1)} MiB for ${total.toLocaleString('en')} receipts = ${(bytes / 1024 / 1024 / (total / 1e6)).toFixed(1)} MiB per million (tables + indexes)`,
    );
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
