// Kill -9 at random moments: a child process ingests receipts through the real ledger and is
// SIGKILLed after a random number of acknowledgements (so mid-batch, mid-commit or mid-fsync),
// over and over, each run replaying part of what came before. Afterwards every acknowledged
// receipt is in the ledger exactly once and the totals equal a clean replay of the whole log.
// Runs on each store: the SQLite file, and PostgreSQL (where the killed process is the client).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { crashReceipt } from './crash-receipts';
import { BACKENDS, tempLedger, type LedgerBackend } from './fixtures';

const CHILD = path.join(__dirname, 'crash-child.ts');
const TOTAL = 3000;
const ROUNDS = 10;

/** Runs the child over [start, end); kills it after `killAfter` acks (if it gets that far). */
function run(backend: LedgerBackend, where: string, start: number, end: number, killAfter: number | undefined, acked: Set<number>): Promise<number | null> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD, backend.name, where, String(start), String(end)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = 0;
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = /^ack (\d+)$/.exec(line);
    if (!m) return;
    acked.add(Number(m[1]));
    seen += 1;
    if (killAfter !== undefined && seen === killAfter) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== null && code !== 0) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve(signal === 'SIGKILL' ? null : code);
    });
  });
}

type Totals = Record<string, { credited: number; receipts: number }>;

async function ledgerState(
  backend: LedgerBackend,
  where: string,
): Promise<{ ids: Set<string>; rows: number; accounts: Totals; fromRows: Totals; caps: number }> {
  const db = backend.inspect(where);
  const t = db.table;
  try {
    const ids = (await db.all(`SELECT id FROM ${t('receipts')}`)).map((r) => r.id as string);
    const accounts: Totals = {};
    for (const r of await db.all(`SELECT supporter, credited, receipts FROM ${t('accounts')}`))
      accounts[r.supporter as string] = { credited: Number(r.credited), receipts: Number(r.receipts) };
    const fromRows: Totals = {};
    for (const r of await db.all(`SELECT supporter, SUM(credited) AS c, COUNT(*) AS n FROM ${t('receipts')} WHERE code IS NULL GROUP BY supporter`)) {
      fromRows[r.supporter as string] = { credited: Number(r.c), receipts: Number(r.n) };
    }
    const caps = Number((await db.all(`SELECT COALESCE(SUM(bytes), 0) AS b FROM ${t('caps')}`))[0]?.b);
    return { ids: new Set(ids), rows: ids.length, accounts, fromRows, caps };
  } finally {
    await db.close();
  }
}

const sum = (t: Totals) => Object.values(t).reduce((a, v) => a + v.credited, 0);

for (const backend of BACKENDS)
  describe(`payout ledger on ${backend.name} under kill -9 (child process, SIGKILL at random moments)`, function () {
    this.timeout(180_000);
    let where: string;
    before(async () => {
      await backend.ready();
      where = backend.fresh();
    });
    after(() => backend.remove(where));

    it(`keeps every acknowledged receipt exactly once over ${ROUNDS} kills, and totals equal a replay of the log`, async () => {
      const acked = new Set<number>();
      const plan = fc.sample(fc.record({ replayFrom: fc.double({ min: 0, max: 1, noNaN: true }), killAfter: fc.integer({ min: 1, max: 600 }) }), {
        numRuns: ROUNDS,
        seed: 10,
      });
      let kills = 0;
      for (const step of plan) {
        const highest = acked.size === 0 ? 0 : Math.max(...acked) + 1;
        // Start somewhere at or before the highest acknowledged receipt, so runs replay earlier ones.
        const start = Math.floor(step.replayFrom * highest);
        const exit = await run(backend, where, start, TOTAL, step.killAfter, acked);
        if (exit === null) kills += 1;
        const state = await ledgerState(backend, where);
        for (const i of acked) assert.ok(state.ids.has(crashReceipt(i).id), `acknowledged receipt ${i} is in the ledger`);
        assert.deepEqual(state.accounts, state.fromRows, 'running totals agree with the receipt rows (no torn transaction)');
        assert.equal(state.caps, sum(state.accounts), 'cap table agrees with the credited bytes');
      }
      assert.ok(kills >= ROUNDS / 2, `most rounds ended in SIGKILL (${kills}/${ROUNDS})`);

      // A last run without a kill submits the whole log again: every receipt acknowledged once more,
      // none counted twice.
      assert.equal(await run(backend, where, 0, TOTAL, undefined, acked), 0);
      assert.equal(acked.size, TOTAL);
      const final = await ledgerState(backend, where);
      assert.equal(final.rows, TOTAL, 'each receipt is in the ledger exactly once');

      // The reference replay is always the embedded SQLite ledger, so PostgreSQL is also checked against it.
      const clean = tempLedger();
      try {
        for (let i = 0; i < TOTAL; i++) void clean.ledger.submit(crashReceipt(i));
        await clean.ledger.read(async () => undefined);
        const replay: Totals = {};
        for (const a of await clean.store.accounts()) replay[a.supporter] = { credited: a.verifiedBytes, receipts: a.receipts };
        assert.deepEqual(final.accounts, replay);
        assert.ok(sum(replay) > 0);
      } finally {
        await clean.dispose();
      }
    });
  });
