/**
 * Schema and table-prefix names come from the editor and end up inside SQL text (identifiers
 * cannot be bound as parameters), so they are held to plain lower-case identifiers and quoted.
 */
import { RelaycastError } from '../errors';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** PostgreSQL truncates identifiers at 63 bytes; the longest table suffix is 'migrations' (10). */
const MAX_SCHEMA = 63;
const MAX_PREFIX = 40;

export function checkSchemaName(schema: string): string {
  if (!IDENTIFIER.test(schema) || schema.length > MAX_SCHEMA || schema.startsWith('pg_')) {
    throw new RelaycastError('E_PG_CONFIG', `schema must be a lower-case identifier ([a-z_][a-z0-9_]*, at most ${MAX_SCHEMA} characters, not pg_…)`);
  }
  return schema;
}

export function checkTablePrefix(prefix: string): string {
  if (prefix !== '' && (!IDENTIFIER.test(prefix) || prefix.length > MAX_PREFIX)) {
    throw new RelaycastError('E_PG_CONFIG', `table prefix must be empty or a lower-case identifier ([a-z_][a-z0-9_]*, at most ${MAX_PREFIX} characters)`);
  }
  return prefix;
}

/** Double-quoted identifier; the checks above already exclude quotes, this keeps it safe anyway. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Where one set of tables lives: `"schema"."prefix" + name`. */
export interface TableNames {
  schema: string;
  prefix: string;
}

export function qualifiedTable(names: TableNames, table: string): string {
  return `${quoteIdentifier(names.schema)}.${quoteIdentifier(names.prefix + table)}`;
}
