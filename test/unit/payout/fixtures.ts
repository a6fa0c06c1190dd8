// Receipt and ledger builders for the payout specs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PayoutReceipt, ReceiptEnd } from '../../../lib/payout/msg-input';
import { Ledger } from '../../../lib/payout/ledger';
import { DEFAULT_RULES, type Decision, type RuleSettings } from '../../../lib/payout/rules';
import { PostgresLedgerStore } from '../../../lib/payout/postgres-store';
import { openSqlite } from '../../../lib/payout/sqlite-driver';
import { SqliteLedgerStore } from '../../../lib/payout/sqlite-store';
import type { LedgerStore } from '../../../lib/payout/store';
import { dropSchema, requirePostgres, testPool, uniqueSchema } from '../../support/postgres';

export const SIZE = 1000;
export const SHA = 'a'.repeat(64);

let counter = 0;

/** A supporter → viewer delivery of a whole segment, each end on its own network unless told. */
export function receipt(
  overrides: Partial<Omit<PayoutReceipt, 'uploader' | 'downloader'>> & { uploader?: Partial<ReceiptEnd>; downloader?: Partial<ReceiptEnd> } = {},
): PayoutReceipt {
  counter += 1;
  const { uploader, downloader, ...rest } = overrides;
  return {
    id: `live/720p/${rest.sequence ?? 1}/peer${counter}`,
    stream: 'live',
    rendition: '720p',
    sequence: 1,
    sha256: SHA,
    segmentSize: SIZE,
    bytes: SIZE,
    receivedAt: 1_700_000_000_000,
    ...rest,
    uploader: { peer: 'upAlice00000', role: 'supporter', supporter: 'alice', network: 'net-alice', ...uploader },
    downloader: { peer: `dn${String(counter).padStart(10, '0')}`, role: 'viewer', network: `net-viewer-${counter}`, ...downloader },
  };
}

/** Where ledgers live in a spec run: the SQLite file store, or the PostgreSQL store. */
export interface LedgerBackend {
  readonly name: 'SQLite' | 'PostgreSQL';
  /** Run once before a spec uses it (PostgreSQL: fails at once, with the start command, when the server is down). */
  ready(): Promise<void>;
  /** A new, empty ledger location: a temp directory, or a schema nobody else uses. */
  fresh(): string;
  open(where: string): LedgerStore;
  remove(where: string): Promise<void>;
  /** Raw SQL on a ledger's tables, for specs that check the rows themselves. */
  inspect(where: string): LedgerInspector;
}

export interface LedgerInspector {
  table(name: string): string;
  all(sql: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export const PG_PREFIX = 'relaycast_';

export const sqliteBackend: LedgerBackend = {
  name: 'SQLite',
  ready: async () => undefined,
  fresh: () => mkdtempSync(path.join(os.tmpdir(), 'relaycast-payout-')),
  open: (dir) => new SqliteLedgerStore(path.join(dir, 'ledger.sqlite')),
  remove: async (dir) => rmSync(dir, { recursive: true, force: true }),
  inspect(dir) {
    const db = openSqlite(path.join(dir, 'ledger.sqlite'));
    return { table: (name) => name, all: async (sql) => db.prepare(sql).all(), close: async () => db.close() };
  },
};

export const postgresBackend: LedgerBackend = {
  name: 'PostgreSQL',
  ready: requirePostgres,
  fresh: () => uniqueSchema('payout'),
  open: (schema) => new PostgresLedgerStore(testPool(), { schema, prefix: PG_PREFIX, ownsPool: true }),
  remove: dropSchema,
  inspect(schema) {
    const pool = testPool({ max: 1 });
    return {
      table: (name) => `"${schema}"."${PG_PREFIX}${name}"`,
      all: async (sql) => (await pool.query(sql)).rows as Array<Record<string, unknown>>,
      close: () => pool.end(),
    };
  },
};

/** Every store the ledger specs run against. */
export const BACKENDS: readonly LedgerBackend[] = [sqliteBackend, postgresBackend];

export interface TempLedger {
  where: string;
  ledger: Ledger;
  store: LedgerStore;
  reopen(): Promise<TempLedger>;
  dispose(): Promise<void>;
}

export type TempLedgerFactory = (rules?: Partial<RuleSettings>, threshold?: number, where?: string) => TempLedger;

/** Fresh ledgers on one backend, each removed by its dispose(). */
export function tempLedgers(backend: LedgerBackend): TempLedgerFactory {
  const make: TempLedgerFactory = (rules = {}, threshold = 0, where = backend.fresh()) => {
    const store = backend.open(where);
    const ledger = new Ledger(store, { rules: { ...DEFAULT_RULES, ...rules }, threshold, batchMs: 1 });
    return {
      where,
      ledger,
      store,
      async reopen() {
        await ledger.close();
        return make(rules, threshold, where);
      },
      async dispose() {
        await ledger.close();
        await backend.remove(where);
      },
    };
  };
  return make;
}

/** The embedded default, for specs that are about the ledger, not the store. */
export const tempLedger = tempLedgers(sqliteBackend);

/** Each supporter's verified bytes in `store`, by supporter id. */
export async function verifiedBySupporter(store: LedgerStore): Promise<Record<string, number>> {
  return Object.fromEntries((await store.accounts()).map((a) => [a.supporter, a.verifiedBytes]));
}

/** The ledger refused the receipt, with `code`. */
export function refusedWith(d: Decision, code: string): void {
  assert.equal(d.status, 'refused', JSON.stringify(d));
  assert.equal((d as { code: string }).code, code);
}
