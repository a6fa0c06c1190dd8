/**
 * The PostgreSQL ledger's tables, as versioned migrations (lib/postgres/migrate.ts applies them).
 * The same tables as the SQLite ledger (sqlite-store.ts), so both stores keep the same facts:
 * receipts by id (the primary key is what makes ingest idempotent across instances), the cap rows,
 * the "viewers helped" rows per settlement epoch, incremental per-supporter totals, and one row per
 * settled period (unique, so a period can never be recorded twice).
 * Strings from msgs are stored through pg-text.ts's encoding, so `text` columns never see a NUL.
 */
import type { Migration } from '../postgres/migrate';

export const LEDGER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger tables',
    sql: (t) => `
      CREATE TABLE ${t('meta')} (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE ${t('receipts')} (
        id text PRIMARY KEY, supporter text, credited bigint NOT NULL, code text, received_at bigint NOT NULL);
      CREATE TABLE ${t('caps')} (key text PRIMARY KEY, bytes bigint NOT NULL);
      CREATE TABLE ${t('helped')} (
        supporter text NOT NULL, epoch integer NOT NULL, network text NOT NULL, PRIMARY KEY (supporter, epoch, network));
      CREATE TABLE ${t('accounts')} (
        supporter text PRIMARY KEY, credited bigint NOT NULL DEFAULT 0, settled bigint NOT NULL DEFAULT 0,
        receipts bigint NOT NULL DEFAULT 0, carried bigint NOT NULL DEFAULT 0, carried_nano bigint NOT NULL DEFAULT 0);
      CREATE TABLE ${t('supporters')} (id text PRIMARY KEY, name text NOT NULL, address text NOT NULL);
      CREATE TABLE ${t('periods')} (
        epoch integer PRIMARY KEY, period text NOT NULL UNIQUE, statement text NOT NULL,
        settled_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE ${t('segments')} (
        stream text NOT NULL, rendition text NOT NULL, sequence bigint NOT NULL, size bigint NOT NULL, sha256 text NOT NULL,
        PRIMARY KEY (stream, rendition, sequence));
    `,
  },
];
