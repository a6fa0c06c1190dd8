// The one parser every Relaycast node uses for the numbers in its editor fields.
import assert from 'node:assert/strict';
import { configNumber } from '../../../lib/config/config-number';
import { RelaycastError } from '../../../lib/errors';

describe('config numbers (lib/config/config-number.ts)', () => {
  const rule = { field: 'Parallel', code: 'E_UPLOAD_CONFIG', fallback: 4, min: 1, max: 64, integer: true };

  it('reads numbers and numeric text, and takes the default only for an empty field', () => {
    assert.equal(configNumber(8, rule), 8);
    assert.equal(configNumber(' 12 ', rule), 12);
    assert.equal(configNumber('', rule), 4);
    assert.equal(configNumber(undefined, rule), 4);
    assert.equal(configNumber(null, rule), 4);
    assert.equal(configNumber('2.5', { ...rule, integer: false }), 2.5);
  });

  it("refuses, with the node's code and the field named, what the editor could have let through: negative, fractional, out of range, not a number", () => {
    for (const bad of [-3, '-3', 0, 1.5, 65, 'four', '4x', Number.NaN, Number.POSITIVE_INFINITY, true, {}]) {
      assert.throws(
        () => configNumber(bad, rule),
        (err: unknown) => err instanceof RelaycastError && err.code === 'E_UPLOAD_CONFIG' && err.message.includes('Parallel'),
        String(bad),
      );
    }
  });
});
