// relaycast-payout's ledger (lib/payout, the code the node runs): receipt ingest with durability on
// (WAL, synchronous=FULL, group commit), settling 1,000,000 receipts × 1,000 supporters, and the
// ledger file size per million receipts. Bounded in count; files in a temp dir, removed at the end.
//   npx tsx bench/payout-ledger.ts            (INGEST=100000 RECEIPTS=1000000 SUPPORTERS=1000)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger } from '../lib/payout/ledger';
import { DEFAULT_RULES } from '../lib/payout/rules';
import { sqliteEngine } from '../lib/payout/sqlite-driver';
import { SqliteLedgerStore } from '../lib/payout/sqlite-store';
import { benchReceipt, submitRange } from './support/payout-receipts';

const INGEST = Number(process.env.INGEST ?? 100_000);
const RECEIPTS = Number(process.env.RECEIPTS ?? 1_000_000);
const SUPPORTERS = Number(process.env.SUPPORTERS ?? 1_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 2_000);
const receipt = (i: number) => benchReceipt(i, SUPPORTERS);
const ingest = (ledger: Ledger, from: number, to: number) => submitRange(ledger, from, to, IN_FLIGHT, receipt);

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-payout-bench-'));
  try {
    console.log(`engine ${sqliteEngine()} on Node ${process.version}`);

    const durable = new Ledger(new SqliteLedgerStore(path.join(dir, 'durable.sqlite')), { rules: DEFAULT_RULES, threshold: 0, batchMs: 2 });
    await ingest(durable, 0, 2_000); // warm-up
    const t0 = process.hrtime.bigint();
    await ingest(durable, 2_000, 2_000 + INGEST);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await durable.close();
    console.log(
      `ingest, durable (WAL, synchronous=FULL, group commit 2 ms): ${INGEST} receipts in ${seconds.toFixed(2)} s = ${Math.round(INGEST / seconds).toLocaleString('en')} receipts/s (target ≥ 20,000)`,
    );

    // The settlement ledger is filled faster (synchronous=NORMAL, big batches): its fill time is
    // not a figure, only its settle time and size are.
    const file = path.join(dir, 'million.sqlite');
    const big = new Ledger(new SqliteLedgerStore(file, { synchronous: 'NORMAL' }), { rules: DEFAULT_RULES, threshold: 0, batchMs: 5, maxBatch: 20_000 });
    for (let i = 0; i < SUPPORTERS; i++) await big.putSupporter({ id: `supporter-${i}`, name: `Supporter ${i}`, address: `addr-${i}` });
    const f0 = process.hrtime.bigint();
    await ingest(big, 0, RECEIPTS);
    console.log(`filled ${RECEIPTS.toLocaleString('en')} receipts in ${(Number(process.hrtime.bigint() - f0) / 1e9).toFixed(1)} s (not durable; setup only)`);
    const s0 = process.hrtime.bigint();
    const { statement } = await big.settle({ period: 'bench', terms: { mode: 'pool', amount: 100_000_00, currency: 'EUR' } });
    const settleMs = Number(process.hrtime.bigint() - s0) / 1e6;
    console.log(
      `settle ${RECEIPTS.toLocaleString('en')} receipts × ${statement.lines.length} supporters: ${settleMs.toFixed(0)} ms (target ≤ 2,000 ms); paid ${statement.totals.paid} of 10000000`,
    );
    await big.close(); // checkpoints the WAL into the main file
    const bytes = statSync(file).size;
    console.log(
      `ledger size: ${(bytes / 1024 / 1024).toFixed(1)} MiB for ${RECEIPTS.toLocaleString('en')} receipts = ${(bytes / 1024 / 1024 / (RECEIPTS / 1e6)).toFixed(1)} MiB per million (${Math.round(bytes / RECEIPTS)} B/receipt)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
