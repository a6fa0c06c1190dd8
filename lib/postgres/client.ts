/**
 * The `pg` client is an optional dependency: only a relaycast-postgres config node needs it, so it
 * is loaded on first use and a payout node on SQLite never depends on it.
 */
import type { Pool } from 'pg';
import { RelaycastError } from '../errors';

export function pgPool(): typeof Pool {
  try {
    return (require('pg') as { Pool: typeof Pool }).Pool;
  } catch {
    throw new RelaycastError('E_PG_CLIENT', 'the PostgreSQL client is not installed: npm install pg@8 in the Node-RED user directory');
  }
}
