import { strict as assert } from 'node:assert';
import { formatUsd, formatUsdShort } from '../../../lib/costs/format';

describe('money formats (lib/costs/format)', () => {
  it('writes amounts in whole cents, "< $0.01" until the first one', () => {
    assert.equal(formatUsdShort(0), '$0');
    assert.equal(formatUsdShort(0.00616), '< $0.01');
    assert.equal(formatUsdShort(0.00999), '< $0.01');
    assert.equal(formatUsdShort(0.01), '$0.01');
    assert.equal(formatUsdShort(0.04), '$0.04');
    assert.equal(formatUsdShort(12.3), '$12.30');
  });

  it('writes rates and exact figures with two significant digits below a cent, in plain decimals', () => {
    assert.equal(formatUsd(0), '$0');
    assert.equal(formatUsd(0.0004), '$0.0004');
    assert.equal(formatUsd(0.00616), '$0.0062');
    assert.equal(formatUsd(4.3e-7), '$0.00000043');
    assert.equal(formatUsd(0.04), '$0.04');
    assert.equal(formatUsd(12.3), '$12.30');
  });
});
