/**
 * The ledger in PostgreSQL, shared by several Node-RED instances (several relaycast-payout nodes
 * on one database, schema and table prefix are one ledger). Same interface, rules and tables as the
 * SQLite store; what differs is how concurrent writers from other processes are kept apart.
 *
 * Locking, and why advisory locks rather than row locks:
 *   - A settlement must see exactly the receipts committed before it, and no receipt may be
 *     credited while a settlement is marking accounts settled (it would be marked settled without
 *     being on the statement) or land in the "viewers helped" rows of an epoch already closed.
 *     Row locks cannot give that: an ingest may create account and cap rows that do not exist yet,
 *     and there is nothing to lock before they do. So each ledger has one *gate*, a
 *     transaction-scoped advisory lock: every ingest holds it shared (ingests still run side by
 *     side), a settlement holds it exclusive (it waits for the ingests in flight to commit, and new
 *     ones wait for it). Two instances asked to settle one period at once queue on the gate; the
 *     second then finds the period's row and returns the stored statement (replayed), and the
 *     UNIQUE constraint on the period would refuse a second row even without the gate.
 *   - The per-network cap is read-then-write (decideBatch judges against committed cap totals),
 *     so two ingests must not judge the same cap key at once. Every cap key names its stream, so an
 *     ingest also takes an exclusive advisory lock per stream in its batch (in sorted order, so two
 *     batches never wait on each other in a cycle). Batches of different streams run in parallel.
 *   - Receipt ids are the primary key, written with ON CONFLICT DO NOTHING: a replay committed by
 *     another instance is seen as a duplicate once the stream lock is held; the same id arriving in
 *     another stream's batch at the same moment loses the insert, and the loser's transaction is
 *     rolled back and run again (it then judges the receipt a duplicate). Nothing is ever credited
 *     twice, and deadlocks or serialization failures are retried the same way.
 * Locks are transaction-scoped, so a killed instance's locks go with its connection.
 * Every write transaction commits with synchronous_commit on, whatever the server default, so a
 * receipt is acknowledged only once its commit is on disk.
 */
import type { Pool, PoolClient } from 'pg';
import { RelaycastError } from '../errors';
import { checkSchemaName, checkTablePrefix, qualifiedTable, type TableNames } from '../postgres/identifiers';
import { migrate } from '../postgres/migrate';
import { inTransaction, RetryTransaction } from '../postgres/transaction';
import type { PayoutReceipt, PublishedSegment } from './msg-input';
import type { SettleRequest, SupporterRecord } from './requests';
import { decodePgText, encodePgText } from './pg-text';
import { LEDGER_MIGRATIONS } from './postgres-schema';
import { decideBatch, type Decision, type RuleFacts, type RuleSettings } from './rules';
import { settle, type Account, type Statement } from './settlement';
import { supporterLines, type AccountView, type LedgerStore, type SettleResult, type SupporterSummary } from './store';

const TABLES = ['meta', 'receipts', 'caps', 'helped', 'accounts', 'supporters', 'periods', 'segments'] as const;
type Table = (typeof TABLES)[number];

const BEGIN_DURABLE = 'BEGIN; SET LOCAL synchronous_commit TO on';

export interface PostgresStoreOptions extends TableNames {
  /** End the pool when the store closes (a bench's own pool). A config node's shared pool is not the store's. */
  ownsPool?: boolean;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const segmentKey = (stream: string, rendition: string, sequence: number) => `${stream}\u0000${rendition}\u0000${sequence}`;

/** Every cap key a batch can consult: decideBatch with nothing yet recorded sees the most keys. */
function capKeysOf(receipts: PayoutReceipt[], rules: RuleSettings): Set<string> {
  const keys = new Set<string>();
  const record: RuleFacts = {
    hasReceipt: () => false,
    creditedFor: (key) => {
      keys.add(key);
      return 0;
    },
    published: () => undefined,
  };
  // The published-segment rule only refuses more; skipping it here makes the key set a superset.
  decideBatch(receipts, record, { ...rules, segments: 'signaling' });
  return keys;
}

/** The ledger's own refusals (E_PAYOUT_…) pass as they are; anything from the database is E_PAYOUT_STORE. */
function storeError(err: unknown, what: string): RelaycastError {
  if (err instanceof RelaycastError && err.code.startsWith('E_PAYOUT')) return err;
  return new RelaycastError('E_PAYOUT_STORE', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export class PostgresLedgerStore implements LedgerStore {
  readonly kind = 'postgresql';
  private readonly t: Record<Table, string>;
  private readonly gate: string;
  private readonly streamLocks: string;
  private migrated: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresStoreOptions,
  ) {
    const names = { schema: checkSchemaName(options.schema), prefix: checkTablePrefix(options.prefix) };
    this.t = Object.fromEntries(TABLES.map((name) => [name, qualifiedTable(names, name)])) as Record<Table, string>;
    this.gate = `relaycast-payout:${names.schema}.${names.prefix}`;
    this.streamLocks = `relaycast-payout-stream:${names.schema}.${names.prefix}`;
    // Migrate at once (a deploy brings the tables up to date); a failure is retried by the next use.
    this.ready().catch(() => undefined);
  }

  /** Resolves once the tables are at the current schema version (migrating them if needed). */
  ready(): Promise<void> {
    if (!this.migrated) {
      const attempt = migrate(this.pool, this.options, LEDGER_MIGRATIONS).then(
        () => undefined,
        (err: unknown) => {
          throw storeError(err, `cannot prepare the ledger ${this.options.schema}.${this.options.prefix}*`);
        },
      );
      this.migrated = attempt;
      attempt.catch(() => {
        if (this.migrated === attempt) this.migrated = undefined;
      });
    }
    return this.migrated;
  }

  private async write<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new RelaycastError('E_PAYOUT_STORE', 'the ledger is closed');
    await this.ready();
    try {
      return await inTransaction(this.pool, body, { begin: BEGIN_DURABLE });
    } catch (err) {
      throw storeError(err, 'ledger write failed');
    }
  }

  private async query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    if (this.closed) throw new RelaycastError('E_PAYOUT_STORE', 'the ledger is closed');
    await this.ready();
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw storeError(err, 'ledger read failed');
    }
  }

  private async epoch(client: PoolClient): Promise<number> {
    const { rows } = await client.query<{ e: number }>(`SELECT COALESCE(MAX(epoch), 0)::int AS e FROM ${this.t.periods}`);
    return rows[0]?.e ?? 0;
  }

  async ingest(receipts: PayoutReceipt[], rules: RuleSettings): Promise<Decision[]> {
    if (receipts.length === 0) return [];
    const t = this.t;
    const ids = [...new Set(receipts.map((r) => encodePgText(r.id)))];
    const keys = [...capKeysOf(receipts, rules)].map(encodePgText);
    const streams = [...new Set(receipts.map((r) => r.stream))].sort();
    return this.write(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock_shared(hashtext($1), 0)', [this.gate]);
      // OFFSET 0 keeps the sort below the lock calls, so the locks are taken in stream order.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext(s)) FROM (SELECT s FROM unnest($2::text[]) AS s ORDER BY s OFFSET 0) AS sorted', [
        this.streamLocks,
        streams,
      ]);
      const epoch = await this.epoch(c);
      const seen = new Set((await c.query<{ id: string }>(`SELECT id FROM ${t.receipts} WHERE id = ANY($1::text[])`, [ids])).rows.map((r) => r.id));
      const caps = new Map(
        (await c.query<{ key: string; bytes: string }>(`SELECT key, bytes FROM ${t.caps} WHERE key = ANY($1::text[])`, [keys])).rows.map((r) => [
          r.key,
          Number(r.bytes),
        ]),
      );
      const probed = new Set(keys);
      const segments = new Map<string, PublishedSegment>();
      if (rules.segments === 'published') {
        const { rows } = await c.query<{ stream: string; rendition: string; sequence: string; size: string; sha256: string }>(
          `SELECT s.stream, s.rendition, s.sequence, s.size, s.sha256 FROM ${t.segments} s
           JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS u(stream, rendition, sequence) USING (stream, rendition, sequence)`,
          [receipts.map((r) => r.stream), receipts.map((r) => r.rendition), receipts.map((r) => r.sequence)],
        );
        for (const row of rows) {
          const sequence = Number(row.sequence);
          segments.set(segmentKey(row.stream, row.rendition, sequence), {
            stream: row.stream,
            rendition: row.rendition,
            sequence,
            size: Number(row.size),
            sha256: row.sha256,
          });
        }
      }
      const facts: RuleFacts = {
        hasReceipt: (id) => seen.has(encodePgText(id)),
        creditedFor: (key) => {
          const k = encodePgText(key);
          if (!probed.has(k)) throw new RelaycastError('E_PAYOUT_STORE', 'internal: a cap key was consulted that was not read first');
          return caps.get(k) ?? 0;
        },
        published: (stream, rendition, sequence) => segments.get(segmentKey(stream, rendition, sequence)),
      };
      const decisions = decideBatch(receipts, facts, rules);

      const rows = {
        id: [] as string[],
        supporter: [] as Array<string | null>,
        credited: [] as number[],
        code: [] as Array<string | null>,
        at: [] as number[],
      };
      const creditedIds = new Set<string>();
      const capAdd = new Map<string, number>();
      const accountAdd = new Map<string, { bytes: number; receipts: number }>();
      const helped = new Map<string, [string, string]>();
      for (const d of decisions) {
        const r = d.receipt;
        if (d.status === 'refused' && d.code === 'DUPLICATE') continue;
        const id = encodePgText(r.id);
        rows.id.push(id);
        rows.at.push(r.receivedAt);
        if (d.status === 'credited') {
          creditedIds.add(id);
          rows.supporter.push(d.supporter);
          rows.credited.push(d.credited);
          rows.code.push(null);
          const key = encodePgText(d.capKey);
          capAdd.set(key, (capAdd.get(key) ?? 0) + d.credited);
          const a = accountAdd.get(d.supporter) ?? { bytes: 0, receipts: 0 };
          a.bytes += d.credited;
          a.receipts += 1;
          accountAdd.set(d.supporter, a);
          const network = encodePgText(d.network);
          helped.set(`${d.supporter}\u0000${network}`, [d.supporter, network]);
        } else {
          rows.supporter.push(r.uploader.supporter ?? null);
          rows.credited.push(0);
          rows.code.push(d.code);
        }
      }
      if (rows.id.length > 0) {
        const inserted = await c.query<{ id: string }>(
          `INSERT INTO ${t.receipts} (id, supporter, credited, code, received_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[])
           ON CONFLICT (id) DO NOTHING RETURNING id`,
          [rows.id, rows.supporter, rows.credited, rows.code, rows.at],
        );
        if (inserted.rowCount !== rows.id.length) {
          const got = new Set(inserted.rows.map((r) => r.id));
          if ([...creditedIds].some((id) => !got.has(id))) throw new RetryTransaction('another instance recorded one of these receipt ids first');
        }
      }
      if (capAdd.size > 0) {
        const sorted = [...capAdd].sort(([a], [b]) => (a < b ? -1 : 1));
        await c.query(
          `INSERT INTO ${t.caps} AS c (key, bytes) SELECT * FROM unnest($1::text[], $2::bigint[])
                       ON CONFLICT (key) DO UPDATE SET bytes = c.bytes + excluded.bytes`,
          [sorted.map(([k]) => k), sorted.map(([, v]) => v)],
        );
      }
      if (accountAdd.size > 0) {
        // Sorted, so two instances updating the same supporters' rows take the row locks in one order.
        const sorted = [...accountAdd].sort(([a], [b]) => (a < b ? -1 : 1));
        await c.query(
          `INSERT INTO ${t.accounts} AS a (supporter, credited, receipts)
                       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) ORDER BY 1
                       ON CONFLICT (supporter) DO UPDATE SET credited = a.credited + excluded.credited, receipts = a.receipts + excluded.receipts`,
          [sorted.map(([s]) => s), sorted.map(([, v]) => v.bytes), sorted.map(([, v]) => v.receipts)],
        );
      }
      if (helped.size > 0) {
        const pairs = [...helped.values()];
        await c.query(
          `INSERT INTO ${t.helped} (supporter, epoch, network) SELECT s, $3::int, n FROM unnest($1::text[], $2::text[]) AS u(s, n)
                       ON CONFLICT DO NOTHING`,
          [pairs.map(([s]) => s), pairs.map(([, n]) => n), epoch + 1],
        );
      }
      return decisions;
    });
  }

  async publish(segments: PublishedSegment[]): Promise<void> {
    if (segments.length === 0) return;
    await this.write(async (c) => {
      await c.query(
        `INSERT INTO ${this.t.segments} AS s (stream, rendition, sequence, size, sha256)
                     SELECT DISTINCT ON (stream, rendition, sequence) * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[])
                       AS u(stream, rendition, sequence, size, sha256)
                     ON CONFLICT (stream, rendition, sequence) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256`,
        [
          segments.map((s) => s.stream),
          segments.map((s) => s.rendition),
          segments.map((s) => s.sequence),
          segments.map((s) => s.size),
          segments.map((s) => s.sha256),
        ],
      );
    });
  }

  async putSupporter(record: SupporterRecord): Promise<void> {
    await this.write(async (c) => {
      await c.query(
        `INSERT INTO ${this.t.supporters} (id, name, address) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address`,
        [record.id, encodePgText(record.name), encodePgText(record.address)],
      );
    });
  }

  async settle(request: SettleRequest, defaultThreshold: number): Promise<SettleResult> {
    const t = this.t;
    return this.write(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1), 0)', [this.gate]);
      const existing = await c.query<{ statement: string }>(`SELECT statement FROM ${t.periods} WHERE period = $1`, [request.period]);
      if (existing.rows[0]) return { statement: JSON.parse(existing.rows[0].statement) as Statement, replayed: true };
      const currency = (await c.query<{ value: string }>(`SELECT value FROM ${t.meta} WHERE key = 'currency'`)).rows[0]?.value;
      if (currency !== undefined && currency !== request.terms.currency) {
        throw new RelaycastError('E_PAYOUT_CURRENCY', `this ledger settles in ${currency}; carried balances cannot be paid in ${request.terms.currency}`);
      }
      const epoch = await this.epoch(c);
      const due = await c.query<Record<string, string>>(
        `SELECT a.supporter, COALESCE(s.name, a.supporter) AS name, COALESCE(s.address, '') AS address,
                a.credited - a.settled AS bytes, a.carried, a.carried_nano,
                (SELECT COUNT(*) FROM ${t.helped} h WHERE h.supporter = a.supporter AND h.epoch = $1) AS viewers
         FROM ${t.accounts} a LEFT JOIN ${t.supporters} s ON s.id = a.supporter
         WHERE a.credited > a.settled OR a.carried > 0`,
        [epoch + 1],
      );
      const accounts: Account[] = due.rows.map((row) => ({
        supporter: row.supporter as string,
        name: decodePgText(row.name as string),
        address: decodePgText(row.address as string),
        bytes: num(row.bytes),
        viewers: num(row.viewers),
        carried: num(row.carried),
        carriedNano: num(row.carried_nano),
      }));
      const result = settle(request.period, request.terms, request.threshold ?? defaultThreshold, accounts);
      if (result.accounts.length > 0) {
        await c.query(
          `UPDATE ${t.accounts} AS a SET settled = a.credited, carried = u.carried, carried_nano = u.nano
                       FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(supporter, carried, nano) WHERE a.supporter = u.supporter`,
          [result.accounts.map((a) => a.supporter), result.accounts.map((a) => a.carried), result.accounts.map((a) => a.carriedNano)],
        );
      }
      if (currency === undefined) await c.query(`INSERT INTO ${t.meta} (key, value) VALUES ('currency', $1)`, [request.terms.currency]);
      await c.query(`INSERT INTO ${t.periods} (epoch, period, statement) VALUES ($1, $2, $3)`, [epoch + 1, request.period, JSON.stringify(result.statement)]);
      return { statement: result.statement, replayed: false };
    });
  }

  async statement(period: string): Promise<Statement | undefined> {
    const [row] = await this.query<{ statement: string }>(`SELECT statement FROM ${this.t.periods} WHERE period = $1`, [period]);
    return row ? (JSON.parse(row.statement) as Statement) : undefined;
  }

  async statements(): Promise<Statement[]> {
    return (await this.query<{ statement: string }>(`SELECT statement FROM ${this.t.periods} ORDER BY epoch`)).map(
      (row) => JSON.parse(row.statement) as Statement,
    );
  }

  async accounts(): Promise<AccountView[]> {
    const t = this.t;
    const rows = await this.query<Record<string, string>>(
      `SELECT a.supporter, COALESCE(s.name, a.supporter) AS name, COALESCE(s.address, '') AS address,
              a.credited, a.credited - a.settled AS unsettled, a.receipts, a.carried,
              (SELECT COUNT(DISTINCT network) FROM ${t.helped} h WHERE h.supporter = a.supporter) AS viewers
       FROM ${t.accounts} a LEFT JOIN ${t.supporters} s ON s.id = a.supporter ORDER BY a.supporter COLLATE "C"`,
    );
    return rows.map((row) => ({
      supporter: row.supporter as string,
      name: decodePgText(row.name as string),
      address: decodePgText(row.address as string),
      verifiedBytes: num(row.credited),
      unsettledBytes: num(row.unsettled),
      viewersHelped: num(row.viewers),
      receipts: num(row.receipts),
      pending: num(row.carried),
    }));
  }

  async summary(supporter: string): Promise<SupporterSummary | undefined> {
    const t = this.t;
    const [row] = await this.query<Record<string, string>>(
      `SELECT COALESCE(s.name, a.supporter) AS name, a.credited, a.credited - a.settled AS unsettled, a.carried,
              (SELECT COUNT(DISTINCT network) FROM ${t.helped} h WHERE h.supporter = a.supporter) AS viewers
       FROM ${t.accounts} a LEFT JOIN ${t.supporters} s ON s.id = a.supporter WHERE a.supporter = $1`,
      [supporter],
    );
    const [known] = row ? [row] : await this.query<Record<string, string>>(`SELECT name FROM ${t.supporters} WHERE id = $1`, [supporter]);
    if (!known) return undefined;
    const statements = supporterLines(await this.statements(), supporter);
    const [currency] = await this.query<{ value: string }>(`SELECT value FROM ${t.meta} WHERE key = 'currency'`);
    return {
      supporter,
      name: decodePgText((known.name as string | undefined) ?? supporter),
      currency: currency?.value ?? null,
      verifiedBytes: num(row?.credited),
      unsettledBytes: num(row?.unsettled),
      viewersHelped: num(row?.viewers),
      pending: num(row?.carried),
      statements,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.migrated?.catch(() => undefined);
    if (this.options.ownsPool) await this.pool.end();
  }
}
