// relaycast-redis's fields → the Redis connection settings (lib/signaling/redis-connection.ts),
// without a Redis: `${NAME}` in the URL, user name or password is read from the environment, as
// postgres and r2-bucket do (lib/config/env.ts). The rest of the settings' checks run with the
// registry against a real Redis (redis-registry.spec.ts).
import assert from 'node:assert/strict';
import { redisSettings } from '../../../lib/signaling/redis-connection';

describe('relaycast-redis settings', () => {
  const env = { RELAYCAST_REDIS_URL: 'rediss://cache.internal:6380/2', RELAYCAST_REDIS_USER: 'relay', RELAYCAST_REDIS_PASSWORD: 'hunter2-secret' };

  it('resolves ${VAR} in the URL, user name and password from the environment', () => {
    const settings = redisSettings(
      { url: '${RELAYCAST_REDIS_URL}', keyPrefix: 'live:' },
      { username: '${RELAYCAST_REDIS_USER}', password: '${RELAYCAST_REDIS_PASSWORD}' },
      env,
    );
    assert.deepEqual(settings, {
      url: 'rediss://cache.internal:6380/2',
      keyPrefix: 'live:',
      tls: false,
      tlsVerify: true,
      username: 'relay',
      password: 'hunter2-secret',
    });
  });

  it('reads process.env when no environment is given', () => {
    const saved = process.env.RELAYCAST_REDIS_PASSWORD;
    process.env.RELAYCAST_REDIS_PASSWORD = 'from-process-env';
    try {
      assert.equal(redisSettings({ url: 'redis://127.0.0.1:6379' }, { password: '${RELAYCAST_REDIS_PASSWORD}' }).password, 'from-process-env');
    } finally {
      if (saved === undefined) delete process.env.RELAYCAST_REDIS_PASSWORD;
      else process.env.RELAYCAST_REDIS_PASSWORD = saved;
    }
  });

  it('keeps typed values as they are', () => {
    assert.deepEqual(redisSettings({ url: 'redis://h:6379/1' }, { username: 'u', password: 'p' }, env), {
      url: 'redis://h:6379/1',
      keyPrefix: 'relaycast:',
      tls: false,
      tlsVerify: true,
      username: 'u',
      password: 'p',
    });
  });

  it('refuses a URL that names an unset variable (no silent default), and leaves unset credentials out', () => {
    assert.throws(
      () => redisSettings({ url: '${RELAYCAST_REDIS_NOWHERE}' }, {}, env),
      (err: Error & { code?: string }) => err.code === 'E_REDIS_CONFIG' && err.message.includes('RELAYCAST_REDIS_NOWHERE'),
    );
    const settings = redisSettings({ url: '' }, { username: '${RELAYCAST_REDIS_NOWHERE}', password: '${RELAYCAST_REDIS_NOWHERE}' }, env);
    assert.equal(settings.url, 'redis://127.0.0.1:6379');
    assert.equal('username' in settings, false);
    assert.equal('password' in settings, false);
  });

  it('applies the URL checks to the expanded value, never echoing a secret', () => {
    assert.throws(() => redisSettings({ url: '${U}' }, {}, { U: 'http://x' }), /redis:\/\/ or rediss:\/\//);
    assert.throws(
      () => redisSettings({ url: '${U}' }, {}, { U: 'redis://u:secret@h:6379' }),
      (err: Error & { code?: string }) => err.code === 'E_REDIS_CONFIG' && !err.message.includes('secret'),
    );
  });
});
