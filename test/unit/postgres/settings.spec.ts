// relaycast-postgres's fields → pg Pool settings: defaults, the URL form, TLS modes, and every
// refusal with E_PG_CONFIG (above all: a password is accepted only from the credentials).
import assert from 'node:assert/strict';
import { resolvePostgresSettings } from '../../../lib/postgres/settings';

describe('relaycast-postgres settings', () => {
  it('fills the documented defaults from host, database and user', () => {
    const s = resolvePostgresSettings({ database: 'test', user: 'postgres' });
    assert.deepEqual(
      { ...s.pool, ssl: s.pool.ssl },
      {
        host: '127.0.0.1',
        port: 5432,
        database: 'test',
        user: 'postgres',
        ssl: false,
        max: 5,
        connectionTimeoutMillis: 10_000,
        application_name: 'relaycast',
      },
    );
    assert.deepEqual(s.tables, { schema: 'public', prefix: 'relaycast_' });
    assert.equal(s.label, 'postgres@127.0.0.1:5432/test');
  });

  it('reads a URL (IPv6 too), takes the password from the credentials or the environment, and never logs it', () => {
    const s = resolvePostgresSettings({ url: 'postgresql://ledger@[::1]:6543/pay', schema: 'events', prefix: '' }, { password: 'hunter2-secret' });
    assert.deepEqual([s.pool.host, s.pool.port, s.pool.database, s.pool.user, s.pool.password], ['::1', 6543, 'pay', 'ledger', 'hunter2-secret']);
    assert.deepEqual(s.tables, { schema: 'events', prefix: '' });
    assert.equal(s.label, 'ledger@[::1]:6543/pay');
    assert.doesNotMatch(JSON.stringify(s.label), /hunter2/);
    process.env.RELAYCAST_TEST_PGPASSWORD = 'from-env';
    try {
      assert.equal(resolvePostgresSettings({ database: 'd', user: 'u' }, { password: '${RELAYCAST_TEST_PGPASSWORD}' }).pool.password, 'from-env');
    } finally {
      delete process.env.RELAYCAST_TEST_PGPASSWORD;
    }
  });

  it('maps the TLS modes onto node TLS options: require encrypts, verify-full also checks the certificate', () => {
    assert.deepEqual(resolvePostgresSettings({ database: 'd', user: 'u', tls: 'require' }).pool.ssl, { rejectUnauthorized: false });
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    assert.deepEqual(resolvePostgresSettings({ database: 'd', user: 'u', tls: 'verify-full', ca: pem }).pool.ssl, { rejectUnauthorized: true, ca: pem });
    assert.deepEqual(resolvePostgresSettings({ database: 'd', user: 'u', tls: 'verify-full' }).pool.ssl, { rejectUnauthorized: true });
  });

  it('refuses what it cannot use, with E_PG_CONFIG', () => {
    const refused: Array<[Record<string, unknown>, RegExp]> = [
      [{ url: 'postgres://u:secret@h/d' }, /must not carry a password/],
      [{ url: 'postgres://u@h/d?sslmode=require' }, /must not carry options/],
      [{ url: 'mysql://u@h/d' }, /postgres:\/\//],
      [{ url: 'postgres://u@h/' }, /host and a database/],
      [{ user: 'u' }, /database is required/],
      [{ database: 'd' }, /user is required/],
      [{ database: 'd', user: 'u', port: '70000' }, /Port/],
      [{ database: 'd', user: 'u', tls: 'prefer' }, /TLS/],
      [{ database: 'd', user: 'u', tls: 'verify-full', ca: 'not a pem' }, /PEM/],
      [{ database: 'd', user: 'u', schema: 'Bad-Name' }, /schema/],
      [{ database: 'd', user: 'u', schema: 'pg_catalog' }, /schema/],
      [{ database: 'd', user: 'u', prefix: 'x"; DROP' }, /prefix/],
      [{ database: 'd', user: 'u', poolSize: 0 }, /Pool size/],
    ];
    for (const [config, message] of refused) {
      assert.throws(
        () => resolvePostgresSettings(config),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'E_PG_CONFIG', `${JSON.stringify(config)}: ${err.message}`);
          assert.match(err.message, message);
          assert.doesNotMatch(err.message, /secret/);
          return true;
        },
      );
    }
  });
});
