/**
 * The embedded ledger: one SQLite file in WAL mode with synchronous=FULL, so a committed
 * transaction has been fsynced before its promise resolves (a receipt acknowledged after commit
 * survives kill -9 and power loss alike). Kept compact: a receipt row is its id, the supporter it
 * credited, the bytes and the refusal code; the cap table holds one row per (media time slot,
 * downloader network), and per-supporter totals are kept incrementally, so settling costs one row
 * per supporter whatever the number of receipts.
 */
import { RelaycastError } from '../errors';
import type { PayoutReceipt, PublishedSegment } from './msg-input';
import type { SettleRequest, SupporterRecord } from './requests';
import { decideBatch, type Decision, type RuleFacts, type RuleSettings } from './rules';
import { settle, type Account, type Statement } from './settlement';
import { openSqlite, type SqlDatabase, type SqlStatement, type SqliteEngine } from './sqlite-driver';
import { supporterLines, type AccountView, type LedgerStore, type SettleResult, type SupporterSummary } from './store';

const SCHEMA_VERSION = '1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (
  id TEXT PRIMARY KEY, supporter TEXT, credited INTEGER NOT NULL, code TEXT, received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS caps (key TEXT PRIMARY KEY, bytes INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS helped (
  supporter TEXT NOT NULL, epoch INTEGER NOT NULL, network TEXT NOT NULL, PRIMARY KEY (supporter, epoch, network)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (
  supporter TEXT PRIMARY KEY, credited INTEGER NOT NULL DEFAULT 0, settled INTEGER NOT NULL DEFAULT 0,
  receipts INTEGER NOT NULL DEFAULT 0, carried INTEGER NOT NULL DEFAULT 0, carried_nano INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS supporters (id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS periods (epoch INTEGER PRIMARY KEY, period TEXT NOT NULL UNIQUE, statement TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS segments (
  stream TEXT NOT NULL, rendition TEXT NOT NULL, sequence INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
  PRIMARY KEY (stream, rendition, sequence)
) WITHOUT ROWID;
`;

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

export interface SqliteStoreOptions {
  engine?: SqliteEngine;
  /** synchronous=FULL (default) fsyncs every commit; NORMAL survives a process kill but not power loss. */
  synchronous?: 'FULL' | 'NORMAL';
}

export class SqliteLedgerStore implements LedgerStore {
  readonly kind: string;
  private readonly db: SqlDatabase;
  private readonly q: Record<string, SqlStatement>;
  private epoch: number;
  private closed = false;

  constructor(
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    this.db = openSqlite(file, options.engine);
    this.kind = `sqlite (${options.engine ?? 'auto'})`;
    try {
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec(`PRAGMA synchronous = ${options.synchronous ?? 'FULL'}`);
      this.db.exec('PRAGMA busy_timeout = 5000');
      // Receipt ids are random keys: with SQLite's 2 MiB default cache, inserts into a large ledger
      // miss the cache on nearly every B-tree page. 64 MiB keeps the hot index pages in memory.
      this.db.exec('PRAGMA cache_size = -65536');
      this.db.exec(SCHEMA);
      this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
      const schema = this.db.prepare("SELECT value FROM meta WHERE key = 'schema'").get()?.value;
      if (schema !== SCHEMA_VERSION)
        throw new RelaycastError('E_PAYOUT_STORE', `ledger ${file} has schema ${String(schema)}, this node reads ${SCHEMA_VERSION}`);
    } catch (err) {
      this.db.close();
      throw err instanceof RelaycastError
        ? err
        : new RelaycastError('E_PAYOUT_STORE', `cannot prepare the ledger ${file}: ${(err as Error).message}`, { cause: err });
    }
    const p = (sql: string) => this.db.prepare(sql);
    this.q = {
      hasReceipt: p('SELECT 1 AS x FROM receipts WHERE id = ?'),
      cap: p('SELECT bytes FROM caps WHERE key = ?'),
      segment: p('SELECT size, sha256 FROM segments WHERE stream = ? AND rendition = ? AND sequence = ?'),
      insertReceipt: p('INSERT INTO receipts (id, supporter, credited, code, received_at) VALUES (?, ?, ?, ?, ?)'),
      addCap: p('INSERT INTO caps (key, bytes) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET bytes = bytes + excluded.bytes'),
      addCredit: p(
        'INSERT INTO accounts (supporter, credited, receipts) VALUES (?, ?, 1) ON CONFLICT (supporter) DO UPDATE SET credited = credited + excluded.credited, receipts = receipts + 1',
      ),
      helped: p('INSERT OR IGNORE INTO helped (supporter, epoch, network) VALUES (?, ?, ?)'),
      publish: p('INSERT OR REPLACE INTO segments (stream, rendition, sequence, size, sha256) VALUES (?, ?, ?, ?, ?)'),
      putSupporter: p(
        'INSERT INTO supporters (id, name, address) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address',
      ),
      period: p('SELECT statement FROM periods WHERE period = ?'),
      periods: p('SELECT statement FROM periods ORDER BY epoch'),
      insertPeriod: p('INSERT INTO periods (epoch, period, statement) VALUES (?, ?, ?)'),
      epoch: p('SELECT COALESCE(MAX(epoch), 0) AS e FROM periods'),
      meta: p('SELECT value FROM meta WHERE key = ?'),
      setMeta: p('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      due: p(`SELECT a.supporter, COALESCE(s.name, a.supporter) AS name, COALESCE(s.address, '') AS address,
                     a.credited - a.settled AS bytes, a.carried, a.carried_nano,
                     (SELECT COUNT(*) FROM helped h WHERE h.supporter = a.supporter AND h.epoch = ?) AS viewers
              FROM accounts a LEFT JOIN supporters s ON s.id = a.supporter
              WHERE a.credited > a.settled OR a.carried > 0`),
      settleAccount: p('UPDATE accounts SET settled = credited, carried = ?, carried_nano = ? WHERE supporter = ?'),
      accounts: p(`SELECT a.supporter, COALESCE(s.name, a.supporter) AS name, COALESCE(s.address, '') AS address,
                          a.credited, a.credited - a.settled AS unsettled, a.receipts, a.carried,
                          (SELECT COUNT(DISTINCT network) FROM helped h WHERE h.supporter = a.supporter) AS viewers
                   FROM accounts a LEFT JOIN supporters s ON s.id = a.supporter ORDER BY a.supporter`),
      account: p(`SELECT a.supporter, COALESCE(s.name, a.supporter) AS name, a.credited, a.credited - a.settled AS unsettled, a.carried,
                         (SELECT COUNT(DISTINCT network) FROM helped h WHERE h.supporter = a.supporter) AS viewers
                  FROM accounts a LEFT JOIN supporters s ON s.id = a.supporter WHERE a.supporter = ?`),
      supporter: p('SELECT id, name FROM supporters WHERE id = ?'),
    };
    this.epoch = num(this.q.epoch.get()?.e);
  }

  /** Runs fn in one IMMEDIATE transaction (the write lock up front, so judging and writing are atomic). */
  private transaction<T>(fn: () => T): T {
    if (this.closed) throw new RelaycastError('E_PAYOUT_STORE', 'the ledger is closed');
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        /* the original error matters more */
      }
      throw err instanceof RelaycastError ? err : new RelaycastError('E_PAYOUT_STORE', `ledger write failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async ingest(receipts: PayoutReceipt[], rules: RuleSettings): Promise<Decision[]> {
    const q = this.q;
    const facts: RuleFacts = {
      hasReceipt: (id) => q.hasReceipt.get(id) !== undefined,
      creditedFor: (key) => num(q.cap.get(key)?.bytes ?? 0),
      published: (stream, rendition, sequence) => {
        const row = q.segment.get(stream, rendition, sequence);
        return row ? { stream, rendition, sequence, size: num(row.size), sha256: row.sha256 as string } : undefined;
      },
    };
    return this.transaction(() => {
      const decisions = decideBatch(receipts, facts, rules);
      for (const d of decisions) {
        const r = d.receipt;
        if (d.status === 'credited') {
          q.insertReceipt.run(r.id, d.supporter, d.credited, null, r.receivedAt);
          q.addCap.run(d.capKey, d.credited);
          q.addCredit.run(d.supporter, d.credited);
          q.helped.run(d.supporter, this.epoch + 1, d.network);
        } else if (d.code !== 'DUPLICATE') {
          q.insertReceipt.run(r.id, r.uploader.supporter ?? null, 0, d.code, r.receivedAt);
        }
      }
      return decisions;
    });
  }

  async publish(segments: PublishedSegment[]): Promise<void> {
    this.transaction(() => {
      for (const s of segments) this.q.publish.run(s.stream, s.rendition, s.sequence, s.size, s.sha256);
    });
  }

  async putSupporter(record: SupporterRecord): Promise<void> {
    this.transaction(() => this.q.putSupporter.run(record.id, record.name, record.address));
  }

  async settle(request: SettleRequest, defaultThreshold: number): Promise<SettleResult> {
    return this.transaction(() => {
      const existing = this.q.period.get(request.period);
      if (existing) return { statement: JSON.parse(existing.statement as string) as Statement, replayed: true };
      const currency = this.q.meta.get('currency')?.value as string | undefined;
      if (currency !== undefined && currency !== request.terms.currency) {
        throw new RelaycastError('E_PAYOUT_CURRENCY', `this ledger settles in ${currency}; carried balances cannot be paid in ${request.terms.currency}`);
      }
      const accounts: Account[] = this.q.due.all(this.epoch + 1).map((row) => ({
        supporter: row.supporter as string,
        name: row.name as string,
        address: row.address as string,
        bytes: num(row.bytes),
        viewers: num(row.viewers),
        carried: num(row.carried),
        carriedNano: num(row.carried_nano),
      }));
      const result = settle(request.period, request.terms, request.threshold ?? defaultThreshold, accounts);
      for (const a of result.accounts) this.q.settleAccount.run(a.carried, a.carriedNano, a.supporter);
      if (currency === undefined) this.q.setMeta.run('currency', request.terms.currency);
      this.q.insertPeriod.run(this.epoch + 1, request.period, JSON.stringify(result.statement));
      this.epoch += 1;
      return { statement: result.statement, replayed: false };
    });
  }

  async statement(period: string): Promise<Statement | undefined> {
    const row = this.q.period.get(period);
    return row ? (JSON.parse(row.statement as string) as Statement) : undefined;
  }

  async statements(): Promise<Statement[]> {
    return this.q.periods.all().map((row) => JSON.parse(row.statement as string) as Statement);
  }

  async accounts(): Promise<AccountView[]> {
    return this.q.accounts.all().map((row) => ({
      supporter: row.supporter as string,
      name: row.name as string,
      address: row.address as string,
      verifiedBytes: num(row.credited),
      unsettledBytes: num(row.unsettled),
      viewersHelped: num(row.viewers),
      receipts: num(row.receipts),
      pending: num(row.carried),
    }));
  }

  async summary(supporter: string): Promise<SupporterSummary | undefined> {
    const row = this.q.account.get(supporter);
    const known = row ?? this.q.supporter.get(supporter);
    if (!known) return undefined;
    const statements = supporterLines(await this.statements(), supporter);
    return {
      supporter,
      name: (row?.name ?? known.name ?? supporter) as string,
      currency: (this.q.meta.get('currency')?.value as string | undefined) ?? null,
      verifiedBytes: num(row?.credited ?? 0),
      unsettledBytes: num(row?.unsettled ?? 0),
      viewersHelped: num(row?.viewers ?? 0),
      pending: num(row?.carried ?? 0),
      statements,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A checkpoint folds the WAL back into the main file, so a closed ledger is one file to back up.
    try {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      /* still closing */
    }
    this.db.close();
  }
}
