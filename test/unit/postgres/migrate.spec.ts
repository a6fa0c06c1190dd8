// Versioned migrations against the real local PostgreSQL: each applied once, in order, inside its
// own transaction, also when several instances start at the same moment on an empty schema.
import assert from 'node:assert/strict';
import type { Pool } from 'pg';
import { migrate, type Migration } from '../../../lib/postgres/migrate';
import { LEDGER_MIGRATIONS } from '../../../lib/payout/postgres-schema';
import { dropSchema, requirePostgres, testPool, uniqueSchema } from '../../support/postgres';

/** Each migration appends its version to a log table, so order and count are visible afterwards. */
function logged(count: number, slowVersion?: number): Migration[] {
  return Array.from({ length: count }, (_, i) => ({
    version: i + 1,
    name: `step ${i + 1}`,
    sql: (t: (name: string) => string) => `${i === 0 ? `CREATE TABLE ${t('log')} (n serial PRIMARY KEY, version int NOT NULL);` : ''}
      ${slowVersion === i + 1 ? 'SELECT pg_sleep(0.3);' : ''}
      INSERT INTO ${t('log')} (version) VALUES (${i + 1});`,
  }));
}

describe('PostgreSQL schema migrations (real server)', () => {
  let schema: string;
  const pools: Pool[] = [];
  const pool = () => {
    const p = testPool();
    pools.push(p);
    return p;
  };
  before(() => requirePostgres());
  beforeEach(() => {
    schema = uniqueSchema('migrate');
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end()));
    await dropSchema(schema);
  });

  const history = async (p: Pool, prefix: string) =>
    (await p.query(`SELECT version, name FROM "${schema}"."${prefix}migrations" ORDER BY version`)).rows as Array<{ version: number; name: string }>;
  const log = async (p: Pool, prefix: string) =>
    (await p.query(`SELECT version FROM "${schema}"."${prefix}log" ORDER BY n`)).rows.map((r: { version: number }) => r.version);

  it('creates the schema and applies every migration once, in order; a second run applies nothing', async () => {
    const p = pool();
    assert.equal(await migrate(p, { schema, prefix: 'a_' }, logged(3)), 3);
    assert.deepEqual(await log(p, 'a_'), [1, 2, 3]);
    assert.deepEqual(await history(p, 'a_'), [
      { version: 1, name: 'step 1' },
      { version: 2, name: 'step 2' },
      { version: 3, name: 'step 3' },
    ]);
    assert.equal(await migrate(p, { schema, prefix: 'a_' }, logged(3)), 3);
    assert.deepEqual(await log(p, 'a_'), [1, 2, 3], 'nothing ran twice');
    // A later release adds migration 4: only it runs.
    assert.equal(await migrate(p, { schema, prefix: 'a_' }, logged(4)), 4);
    assert.deepEqual(await log(p, 'a_'), [1, 2, 3, 4]);
  });

  it('applies each migration exactly once when four instances start at the same moment', async () => {
    const results = await Promise.all([pool(), pool(), pool(), pool()].map((p) => migrate(p, { schema, prefix: 'race_' }, logged(3, 2))));
    assert.deepEqual(results, [3, 3, 3, 3]);
    assert.deepEqual(await log(pools[0]!, 'race_'), [1, 2, 3]);
    // The ledger's own migrations, raced the same way in a fresh table set of the same new schema.
    const other = uniqueSchema('migrate');
    try {
      const versions = await Promise.all([pool(), pool(), pool()].map((p) => migrate(p, { schema: other, prefix: 'relaycast_' }, LEDGER_MIGRATIONS)));
      assert.deepEqual(versions, [1, 1, 1]);
      const rows = (await pools[0]!.query(`SELECT version FROM "${other}"."relaycast_migrations"`)).rows;
      assert.deepEqual(rows, [{ version: 1 }]);
    } finally {
      await dropSchema(other);
    }
  });

  it('rolls a failing migration back whole, keeps the ones before it, and runs it once fixed', async () => {
    const p = pool();
    const broken = logged(3);
    broken[2] = { ...broken[2]!, sql: (t) => `INSERT INTO ${t('log')} (version) VALUES (3); SELECT no_such_function();` };
    await assert.rejects(migrate(p, { schema, prefix: 'f_' }, broken), /no_such_function/);
    assert.deepEqual(await log(p, 'f_'), [1, 2], 'the half of migration 3 that ran was rolled back');
    assert.deepEqual(
      (await history(p, 'f_')).map((h) => h.version),
      [1, 2],
    );
    assert.equal(await migrate(p, { schema, prefix: 'f_' }, logged(3)), 3);
    assert.deepEqual(await log(p, 'f_'), [1, 2, 3]);
  });

  it('refuses tables migrated by a newer release, and a migration list with a gap', async () => {
    const p = pool();
    await migrate(p, { schema, prefix: 'n_' }, logged(3));
    await assert.rejects(migrate(p, { schema, prefix: 'n_' }, logged(2)), { code: 'E_PG_SCHEMA', message: /schema version 3.*up to 2/ });
    const gap = logged(3);
    gap.splice(1, 1);
    await assert.rejects(migrate(p, { schema, prefix: 'g_' }, gap), { code: 'E_PG_SCHEMA' });
  });
});
