// The real local PostgreSQL the specs use (127.0.0.1:5432, trust auth, database `test`), and a
// throw-away schema per use, dropped afterwards. `npm test` starts the server first when it is not
// running (scripts/test-setup.mjs); a spec run on its own fails at once with the command to start it.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Pool, type PoolConfig } from 'pg';

export const PG_START_COMMAND = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/** Connection settings of the test database; PGUSER picks the role (postgres, or root). */
export const TEST_PG: PoolConfig = {
  host: '127.0.0.1',
  port: 5432,
  database: process.env.RELAYCAST_TEST_PGDATABASE ?? 'test',
  user: process.env.PGUSER ?? 'postgres',
  max: 4,
  connectionTimeoutMillis: 5000,
};

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let checked: Promise<void> | undefined;

/** Fails with the start command when nothing listens on 127.0.0.1:5432. */
export function requirePostgres(): Promise<void> {
  checked ??= listening(TEST_PG.host as string, TEST_PG.port as number).then((up) => {
    if (!up) throw new Error(`PostgreSQL is not running on 127.0.0.1:5432. Start it with:\n\n  ${PG_START_COMMAND}\n`);
  });
  return checked;
}

export function testPool(extra: PoolConfig = {}): Pool {
  const pool = new Pool({ ...TEST_PG, ...extra });
  pool.on('error', () => undefined); // an idle connection dropping must not end the test run
  return pool;
}

/** A schema name nobody else uses (this process, this moment, random). */
export function uniqueSchema(label = 'test'): string {
  return `relaycast_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const pool = testPool({ max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await pool.end();
  }
}
