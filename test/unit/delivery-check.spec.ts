// The delivery checker shared by the crash spec and the outside try (test/support/delivery-check.ts),
// and the outside try's stall figure (bench/support/polling-player.ts): each problem is counted,
// and only once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { longestWait } from '../../bench/support/polling-player';
import { checkDelivery, MsnUris } from '../support/delivery-check';

const hash = (text: string): string => createHash('sha256').update(text).digest('hex');
const store =
  (objects: Record<string, string>) =>
  async (url: string): Promise<Buffer | undefined> =>
    objects[url] === undefined ? undefined : Buffer.from(objects[url]);

describe('delivery check: written segments against what was listed and stored', () => {
  const written = ['a', 'b', 'c'].map((bytes) => ({ name: bytes, sha256: hash(bytes) }));

  it('all stored, each listed once, in order: nothing to report', async () => {
    const figures = await checkDelivery(written, ['u/a', 'u/b', 'u/c'], store({ 'u/a': 'a', 'u/b': 'b', 'u/c': 'c' }));
    assert.deepEqual(figures, { written: 3, stored: 3, listed: 3, lost: 0, listedTwice: 0, notStored: 0, inOrder: true, problems: [] });
  });

  it('counts a lost segment, one listed twice, a URL that is not stored and one with other bytes', async () => {
    const figures = await checkDelivery(written, ['u/a', 'u/a2', 'u/gone', 'u/x', 'u/c'], store({ 'u/a': 'a', 'u/a2': 'a', 'u/x': 'x', 'u/c': 'c' }));
    assert.equal(figures.stored, 2);
    assert.equal(figures.lost, 1);
    assert.equal(figures.listedTwice, 1);
    assert.equal(figures.notStored, 2);
    assert.ok(
      figures.problems.some((p) => p.includes('lost: b')),
      figures.problems.join('\n'),
    );
  });

  it('matches repeated bytes (a looping encoder) in order, and sees the order broken', async () => {
    const looped = ['a', 'b', 'a', 'b'].map((bytes, i) => ({ name: `${bytes}${i}`, sha256: hash(bytes) }));
    const objects = { 'u/0': 'a', 'u/1': 'b', 'u/2': 'a', 'u/3': 'b' };
    const inOrder = await checkDelivery(looped, ['u/0', 'u/1', 'u/2', 'u/3'], store(objects));
    assert.deepEqual([inOrder.stored, inOrder.lost, inOrder.listedTwice, inOrder.inOrder], [4, 0, 0, true]);
    const swapped = await checkDelivery(written, ['u/b', 'u/a', 'u/c'], store({ 'u/a': 'a', 'u/b': 'b', 'u/c': 'c' }));
    assert.equal(swapped.inOrder, false);
  });

  it('MsnUris: a second URI for a seen MSN is a conflict; the same one again is not', () => {
    const seen = new MsnUris();
    seen.observe([
      { msn: 0, uri: 'a' },
      { msn: 1, uri: 'b' },
    ]);
    seen.observe([
      { msn: 1, uri: 'b' },
      { msn: 2, uri: 'c' },
    ]);
    assert.deepEqual(seen.conflicts, []);
    seen.observe([{ msn: 2, uri: 'd' }]);
    assert.deepEqual(seen.conflicts, ['MSN 2: c then d']);
    assert.equal(seen.size, 3);
  });
});

describe('outside try: longest wait for a new segment', () => {
  it('is the longest interval less the part of it spent in an excluded window', () => {
    assert.equal(longestWait([0, 2000, 4000], [], Infinity), 2000);
    // Down from 2500 to 7500: the 2000 → 9000 wait counts 7000 − 5000 = 2000.
    assert.equal(longestWait([0, 2000, 9000], [{ from: 2500, to: 7500 }], Infinity), 2000);
    // A wait that starts after the encoder stopped for good does not count.
    assert.equal(longestWait([0, 2000, 6000, 20_000], [], 5000), 4000);
    assert.equal(longestWait([0], [], Infinity), 0);
  });
});
