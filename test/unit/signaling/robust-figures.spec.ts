// The audience figures no one viewer can bend: median and nearest-rank quantile, case by case.
import assert from 'node:assert/strict';
import { median, quantile } from '../../../lib/signaling/robust-figures';

describe('signaling: robust audience figures', () => {
  it('median: the middle value, or the mean of the two middle ones; null for none', () => {
    assert.equal(median([]), null);
    assert.equal(median([3]), 3);
    assert.equal(median([4, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('quantile: the smallest value with at least that share at or below it; one liar moves p90 at most to a neighbouring value', () => {
    assert.equal(quantile([], 0.9), null);
    assert.equal(quantile([5], 0.9), 5);
    assert.equal(quantile([6000, 8000], 0.9), 8000);
    const honest = [2.1, 2.3, 2.4, 2.5, 2.6, 2.6, 2.7, 2.9, 3.0, 3.2, 3.4];
    assert.equal(quantile(honest, 0.9), 3.2);
    assert.equal(quantile(honest, 0), 2.1);
    assert.equal(quantile(honest, 1), 3.4);
    assert.equal(quantile([...honest, 3600], 0.9), 3.4, 'a liar claiming an hour behind moves p90 one value up');
    assert.equal(quantile([...honest, 0], 0.9), 3.2, 'a liar claiming 0 moves it at most one value down (here, not at all)');
  });
});
