// When a local peer's spare upload figure is written to Redis for the other instances
// (lib/signaling/spare-writes.ts): only changes fetcher choice can see, at most once per interval,
// and a change that came too soon is written when due rather than lost.
import assert from 'node:assert/strict';
import { meaningfulSpareChange, SpareWrites } from '../../../lib/signaling/spare-writes';

describe('spare upload writes', () => {
  it('counts as meaningful a first figure, a move to or from zero, and a change of an eighth or more', () => {
    assert.equal(meaningfulSpareChange(undefined, 500), true);
    assert.equal(meaningfulSpareChange(500, 0), true);
    assert.equal(meaningfulSpareChange(0, 1), true);
    assert.equal(meaningfulSpareChange(800_000, 720_000), false, 'a tenth less');
    assert.equal(meaningfulSpareChange(800_000, 700_000), true, 'an eighth less');
    assert.equal(meaningfulSpareChange(700_000, 800_000), true, 'an eighth of the larger more');
    assert.equal(meaningfulSpareChange(500, 500), false);
    assert.equal(meaningfulSpareChange(undefined, undefined), false);
  });

  it('writes at most once per interval, and a change that waited once it is due', () => {
    const writes = new SpareWrites(5000);
    assert.equal(writes.changed('p', 1_000_000, 0), true, 'the first figure at once');
    writes.wrote('p', 1_000_000, 0);
    assert.equal(writes.changed('p', 950_000, 2600), false, 'too small a change');
    assert.deepEqual(writes.due(10_000), [], 'and nothing waits for it');
    assert.equal(writes.changed('p', 100_000, 2600), false, 'too soon after the last write');
    assert.deepEqual(writes.due(4999), []);
    assert.deepEqual(writes.due(5000), ['p']);
    // When due, the figure as it is then is checked again: it came back near the written one.
    assert.equal(writes.changed('p', 990_000, 5000), false);
    assert.deepEqual(writes.due(6000), [], 'nothing waits any more');
    assert.equal(writes.changed('p', 0, 6000), true, 'a due change goes at once');
    writes.wrote('p', 0, 6000);
    assert.equal(writes.changed('p', 300_000, 7000), false);
    writes.forget('p');
    assert.deepEqual(writes.due(20_000), [], 'a peer that left has nothing waiting');
    assert.equal(writes.changed('p', 300_000, 7000), true, 'and a peer id seen again starts afresh');
  });
});
