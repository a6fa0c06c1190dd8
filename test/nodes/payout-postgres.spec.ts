// relaycast-payout with its ledger in PostgreSQL through a relaycast-postgres config node, in real
// Node-RED runtimes against the real local server: in this process (done() only after commit, the
// one shared pool, bad configuration and an unreachable server as codes and status), and as two
// separate Node-RED processes on one ledger, whose totals must equal one SQLite ledger fed the same
// receipts and which must settle a period once when both are asked at the same moment.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { distNode, helper } from '../support/node-red';
import { nextMsg, payoutFlow, sendToPayout } from '../support/payout-flow';
import { dropSchema, requirePostgres, TEST_PG, testPool, uniqueSchema } from '../support/postgres';
import { freePort } from '../support/free-port';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Ledger } = require('../../dist/lib/payout/ledger.js') as typeof import('../../lib/payout/ledger');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SqliteLedgerStore } = require('../../dist/lib/payout/sqlite-store.js') as typeof import('../../lib/payout/sqlite-store');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseReceipt } = require('../../dist/lib/payout/msg-input.js') as typeof import('../../lib/payout/msg-input');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DEFAULT_RULES } = require('../../dist/lib/payout/rules.js') as typeof import('../../lib/payout/rules');

const postgresNode = distNode('postgres');
const payoutNode = distNode('payout');
const CHILD = path.resolve(__dirname, '../support/payout-instance-child.ts');
const SHA = 'e'.repeat(64);

let n = 0;
function receipt(extra: { supporter?: string; network?: string; sequence?: number; bytes?: number } = {}) {
  n += 1;
  const supporter = extra.supporter ?? 'alice';
  return {
    id: `live/720p/${n}/viewer${n}`,
    stream: 'live',
    rendition: '720p',
    sequence: extra.sequence ?? n,
    sha256: SHA,
    segmentSize: 4000,
    bytes: extra.bytes ?? 4000,
    uploader: { peer: `up-${supporter}`.padEnd(12, '0'), role: 'supporter', supporter, network: `home-${supporter}` },
    downloader: { peer: `viewer${String(n).padStart(6, '0')}`, role: 'viewer', network: extra.network ?? `viewer-net-${n}` },
    receivedAt: new Date(1_700_000_000_000 + n).toISOString(),
  };
}

describe('relaycast-payout on PostgreSQL (real Node-RED, real server)', function () {
  this.timeout(60_000);
  let schema: string;
  before(() => requirePostgres());
  beforeEach(() => {
    schema = uniqueSchema('node');
  });
  afterEach(() => dropSchema(schema));

  describe('in one runtime', () => {
    before(() => helper.startServer());
    after(() => helper.stopServer());
    afterEach(() => helper.unload());

    const pgConfig = (extra: Record<string, unknown> = {}) => ({
      id: 'pg',
      type: 'relaycast-postgres',
      host: TEST_PG.host,
      port: TEST_PG.port,
      database: TEST_PG.database,
      user: TEST_PG.user,
      schema,
      prefix: 'ledger_',
      ...extra,
    });
    const flow = (pg: Record<string, unknown> | undefined, payout: Record<string, unknown> = {}) =>
      payoutFlow({ postgres: 'pg', summaryPath: '', threshold: 0, ...payout }, pg ? [pg] : []);
    const next = nextMsg;
    const send = sendToPayout;

    it('keeps the ledger in the configured schema and prefix, completes a receipt only once committed there, and shares one pool that closes with its last user', async () => {
      await helper.load([postgresNode, payoutNode] as never, flow(pgConfig()) as never);
      const config = helper.getNode('pg') as unknown as { userCount: number; hasPool: boolean };
      assert.deepEqual([config.userCount, config.hasPool], [1, true]);
      await send({ topic: 'supporter', payload: { id: 'alice', name: 'Alice', address: 'IBAN-A' } });
      const r = receipt();
      await send({ topic: 'receipt', payload: r });
      const pool = testPool({ max: 1 });
      try {
        const { rows } = await pool.query(`SELECT credited FROM "${schema}"."ledger_receipts" WHERE id = $1`, [r.id]);
        assert.deepEqual(rows, [{ credited: '4000' }], 'committed before done()');
      } finally {
        await pool.end();
      }
      const statement = next('out');
      helper.getNode('pay').receive({ topic: 'settle', payload: { period: '2026-12', pool: { amount: 900, currency: 'EUR' } } });
      const s = await statement;
      assert.equal(s.replayed, false);
      assert.deepEqual(
        (s.payload as { lines: Array<{ supporter: string; paid: number }> }).lines.map((l) => [l.supporter, l.paid]),
        [['alice', 900]],
      );
      await helper.unload();
      assert.deepEqual([config.userCount, config.hasPool], [0, false], 'the pool ended with its last user');
    });

    it('refuses with a code and a status: a missing config node, a bad schema name, an unreachable server', async () => {
      await helper.load([postgresNode, payoutNode] as never, flow(undefined, { postgres: 'no-such-node' }) as never);
      let caught = next('caught');
      helper.getNode('pay').receive({ topic: 'receipt', payload: receipt() });
      assert.equal((await caught).error?.code, 'E_PAYOUT_CONFIG');
      await helper.unload();

      await helper.load([postgresNode, payoutNode] as never, flow(pgConfig({ schema: 'Bad-Name' })) as never);
      caught = next('caught');
      helper.getNode('pay').receive({ topic: 'receipt', payload: receipt() });
      const bad = (await caught).error;
      assert.equal(bad?.code, 'E_PG_CONFIG');
      assert.match(bad?.message ?? '', /schema/);
      await helper.unload();

      await helper.load([postgresNode, payoutNode] as never, flow(pgConfig({ port: await freePort() })) as never);
      caught = next('caught');
      helper.getNode('pay').receive({ topic: 'receipt', payload: receipt() });
      assert.equal((await caught).error?.code, 'E_PAYOUT_STORE');
      const calls = (helper.getNode('pay') as unknown as { status: { args: Array<[{ fill?: string; text?: string }]> } }).status.args;
      assert.ok(
        calls.some(([st]) => st.fill === 'red' && st.text === 'payout.status.storeError'),
        JSON.stringify(calls),
      );
    });
  });

  describe('two Node-RED processes on one ledger', () => {
    interface Instance {
      child: ChildProcess;
      send(topic: string, payload: unknown): Promise<Record<string, unknown>>;
      stop(): Promise<void>;
    }

    const children: ChildProcess[] = [];
    // A failed test must not leave a runtime behind: whatever still runs is killed.
    afterEach(() => {
      for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });

    /** Starts a child runtime; send() resolves with the line that answers msg n (done/error, or the statement). */
    function start(): Promise<Instance> {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, schema], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, PGUSER: TEST_PG.user },
      });
      children.push(child);
      const waiting = new Map<number, { want: 'done' | 'statement'; resolve(line: Record<string, unknown>): void }>();
      let seq = 0;
      return new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`payout instance exited (${code}) before it was ready`)));
        createInterface({ input: child.stdout! }).on('line', (text) => {
          // Only the child's JSON lines are answers (under RELAYCAST_NODE_RED the runtime also prints its version).
          if (!text.startsWith('{')) return;
          const line = JSON.parse(text) as Record<string, unknown>;
          if (line.ready) {
            resolve({
              child,
              send(topic, payload) {
                const id = ++seq;
                return new Promise((done) => {
                  waiting.set(id, { want: topic === 'settle' ? 'statement' : 'done', resolve: done });
                  child.stdin!.write(`${JSON.stringify({ n: id, topic, payload })}\n`);
                });
              },
              stop: () =>
                new Promise((done) => {
                  child.once('exit', () => done());
                  child.stdin!.end();
                }),
            });
            return;
          }
          const w = waiting.get(line.n as number);
          if (!w) return;
          if (line.error !== undefined || (w.want === 'done' && line.done) || (w.want === 'statement' && line.topic === 'statement')) {
            waiting.delete(line.n as number);
            w.resolve(line);
          }
        });
      });
    }

    it('gives the same totals as one SQLite ledger fed the same receipts, and settles a period once when both are asked at once', async function () {
      this.timeout(120_000);
      const [a, b] = await Promise.all([start(), start()]);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-payout-reference-'));
      const reference = new Ledger(new SqliteLedgerStore(path.join(dir, 'ledger.sqlite')), { rules: DEFAULT_RULES, threshold: 0, batchMs: 1 });
      try {
        const supporters = ['alice', 'bob', 'carol'];
        const receipts = Array.from({ length: 300 }, (_, i) =>
          receipt({
            supporter: supporters[i % 3],
            sequence: i % 20,
            bytes: 1 + ((i * 53) % 4000),
            // Every fifth downloader shares a network with others its supporter serves, so the
            // per-network cap matters across instances. One supporter per shared network: which of
            // several supporters is credited a slot they share is first come, so it may differ
            // between two instances and one ledger fed in another order (the slot's total does not).
            network: i % 5 === 0 ? `shared-net-${supporters[i % 3]}` : undefined,
          }),
        );
        await Promise.all([a, b].map((inst) => inst.send('supporter', { id: 'alice', name: 'Alice', address: 'IBAN-A' })));
        await b.send('supporter', { id: 'bob', name: 'Bob', address: 'IBAN-B' });
        // a gets receipts 0–199, b gets 100–299 in reverse: the middle hundred reach both instances.
        const acks = await Promise.all([
          ...receipts.slice(0, 200).map((r) => a.send('receipt', r)),
          ...receipts
            .slice(100)
            .reverse()
            .map((r) => b.send('receipt', r)),
        ]);
        assert.deepEqual(
          acks.filter((l) => l.error !== undefined),
          [],
          'every receipt was acknowledged',
        );
        for (const r of receipts) void reference.submit(parseReceipt(r));
        await reference.putSupporter({ id: 'alice', name: 'Alice', address: 'IBAN-A' });
        await reference.putSupporter({ id: 'bob', name: 'Bob', address: 'IBAN-B' });

        const settle = { period: '2026-12', pool: { amount: 10_000, currency: 'EUR' } };
        const [sa, sb] = await Promise.all([a.send('settle', settle), b.send('settle', settle)]);
        assert.deepEqual([sa.replayed, sb.replayed].sort(), [false, true], 'one instance settled, the other returned the stored statement');
        assert.deepEqual(sa.payload, sb.payload);
        const expected = (await reference.settle({ period: '2026-12', terms: { mode: 'pool', amount: 10_000, currency: 'EUR' } })).statement;
        assert.deepEqual(sa.payload, expected, "the statement equals the single SQLite ledger's");
        assert.ok(expected.totals.bytes > 0 && expected.lines.length === 3);
        // And a later settle of the same period, on either instance, pays nothing again.
        const again = await a.send('settle', { ...settle, pool: { amount: 1, currency: 'EUR' } });
        assert.equal(again.replayed, true);
        assert.deepEqual(again.payload, expected);
      } finally {
        await reference.close();
        rmSync(dir, { recursive: true, force: true });
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  });
});
