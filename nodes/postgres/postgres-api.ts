/**
 * What a relaycast-postgres config node offers the nodes that use it. relaycast-payout imports
 * only this type; the two node files stay separately loadable.
 */
import type { Node } from 'node-red';
import type { Pool } from 'pg';
import type { TableNames } from '../../lib/postgres/identifiers';

export interface PostgresConnection {
  /** The one pool every user of this config node shares. */
  pool: Pool;
  /** Schema and table prefix the users' tables live under. */
  tables: TableNames;
  /** user@host:port/database, for logs (never the password). */
  label: string;
}

export interface PostgresConfigNode extends Node {
  /** Adds a user and returns the shared pool (created on the first register); throws E_PG_CONFIG. */
  register(user: Node): PostgresConnection;
  /** Removes a user; when the last one leaves, the pool is ended. */
  deregister(user: Node): Promise<void>;
  /** Number of registered users (for tests). */
  readonly userCount: number;
  /** True while the shared pool exists (for tests). */
  readonly hasPool: boolean;
}
