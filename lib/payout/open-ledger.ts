/**
 * Where a payout ledger lives and how it is opened: the SQLite file (the default) or the tables of a
 * PostgreSQL database shared by several instances (through a relaycast-postgres config node's pool).
 */
import type { Pool } from 'pg';
import type { TableNames } from '../postgres/identifiers';
import { Ledger, type LedgerOptions } from './ledger';
import { PostgresLedgerStore } from './postgres-store';
import { sqliteEngine } from './sqlite-driver';
import { SqliteLedgerStore } from './sqlite-store';

export type LedgerPlace =
  | { kind: 'sqlite'; file: string }
  /** `label` names the database for logs (user@host:port/database, never the password). */
  | { kind: 'postgres'; pool: Pool; tables: TableNames; label: string };

/** One name per ledger: two nodes of a runtime on the same name would write one ledger twice. */
export function ledgerName(place: LedgerPlace): string {
  return place.kind === 'sqlite' ? place.file : `postgres ${place.label} ${place.tables.schema}.${place.tables.prefix}*`;
}

/** The engine behind it, for the log line that says which ledger a node opened. */
export function ledgerEngine(place: LedgerPlace): string {
  return place.kind === 'sqlite' ? sqliteEngine() : 'pg';
}

/** Opens the store (E_PAYOUT_STORE when it cannot) with group commit in front of it. */
export function openLedger(place: LedgerPlace, options: LedgerOptions): Ledger {
  const store = place.kind === 'sqlite' ? new SqliteLedgerStore(place.file) : new PostgresLedgerStore(place.pool, place.tables);
  return new Ledger(store, options);
}
