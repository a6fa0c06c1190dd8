/**
 * Versioned schema migrations for a set of tables in PostgreSQL. A `<prefix>migrations` table
 * records each applied version; each pending migration runs in its own transaction together with
 * the row that records it, so it is applied entirely or not at all, exactly once, in order.
 *
 * Several Node-RED instances may start at the same moment against one empty database: every
 * migration transaction first takes a transaction-scoped advisory lock named after the schema, so
 * the instances queue; whoever gets the lock second re-reads the version and finds nothing to do.
 * (The lock is per schema, not per prefix, because `CREATE SCHEMA IF NOT EXISTS` itself races
 * between two table sets created in one new schema.)
 */
import type { Pool } from 'pg';
import { RelaycastError } from '../errors';
import { qualifiedTable, quoteIdentifier, type TableNames } from './identifiers';
import { inTransaction } from './transaction';

export interface Migration {
  /** 1, 2, 3…: the order they run in. Never renumber or edit a released one; add the next. */
  version: number;
  name: string;
  /** The DDL, given the quoted table names of this schema and prefix. */
  sql(table: (name: string) => string): string;
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new RelaycastError('E_PG_SCHEMA', `migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}

/** Brings the tables up to the last migration; resolves with the version now in force. */
export async function migrate(pool: Pool, names: TableNames, migrations: readonly Migration[]): Promise<number> {
  checkOrder(migrations);
  const table = (name: string) => qualifiedTable(names, name);
  const history = table('migrations');
  const latest = migrations.length;
  for (;;) {
    const version = await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`relaycast-migrate:${names.schema}`]);
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [names.schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdentifier(names.schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${history} (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await client.query<{ v: number }>(`SELECT COALESCE(MAX(version), 0)::int AS v FROM ${history}`);
      const current = rows[0]?.v ?? 0;
      if (current > latest) {
        throw new RelaycastError(
          'E_PG_SCHEMA',
          `tables ${names.schema}.${names.prefix}* are at schema version ${current}; this node knows versions up to ${latest} (a newer Relaycast created them)`,
        );
      }
      const next = migrations[current];
      if (!next) return current;
      await client.query(next.sql(table));
      await client.query(`INSERT INTO ${history} (version, name) VALUES ($1, $2)`, [next.version, next.name]);
      return -1;
    });
    if (version >= 0) return version;
  }
}
