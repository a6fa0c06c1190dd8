// `${NAME}` in a config node's field or credential (lib/config/env.ts): the one rule that
// r2-bucket, postgres and redis apply.
import assert from 'node:assert/strict';
import { envReference, expandEnv } from '../../../lib/config/env';

describe('environment references in config fields', () => {
  it('expands ${ENV} references and leaves other values as they are', () => {
    assert.equal(expandEnv('${RELAYCAST_X}', { RELAYCAST_X: 'v' }), 'v');
    assert.equal(expandEnv('plain', {}), 'plain');
    assert.equal(expandEnv('${RELAYCAST_UNSET}', {}), undefined);
    assert.equal(expandEnv(undefined, { RELAYCAST_X: 'v' }), undefined);
  });

  it('takes only a whole value of ${NAME} as a reference', () => {
    assert.equal(envReference(' ${REDIS_URL} '), 'REDIS_URL');
    assert.equal(envReference('redis://${HOST}:6379'), undefined);
    assert.equal(envReference('${}'), undefined);
    assert.equal(envReference(42), undefined);
  });
});
