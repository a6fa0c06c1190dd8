// An uploader's served claims: one per segment and downloader however many pieces it served, the
// running total (signaling keeps the latest), and nothing lost when the link closes.
import assert from 'node:assert/strict';
import { ServedClaims, SETTLE_MS } from '../../../lib/peer/served-claims';
import { SimClock } from './sim-link';

describe('served claims', () => {
  it('sends one claim with the total once a segment has had no piece served for a moment, and a new total after a late piece', async () => {
    const clock = new SimClock();
    const sent: string[] = [];
    const claims = new ServedClaims<string>(clock.platform(), (link, sequence, bytes) => sent.push(`${link}:${sequence}:${bytes}`));
    claims.add('A', 7, 50_000);
    await clock.advance(SETTLE_MS / 2);
    claims.add('A', 7, 50_000);
    claims.add('B', 7, 10_000);
    claims.add('A', 8, 0);
    await clock.advance(SETTLE_MS / 2 + 10);
    assert.deepEqual(sent, [], 'a piece served just now holds the claim back');
    await clock.advance(SETTLE_MS);
    assert.deepEqual(sent.sort(), ['A:7:100000', 'B:7:10000'], 'one claim per segment and downloader, nothing for 0 bytes');
    claims.add('A', 7, 25_000);
    await clock.advance(SETTLE_MS + 10);
    assert.deepEqual(sent.slice(2), ['A:7:125000'], 'the new total replaces the old claim');
  });

  it('claims at once what a closing link or a leaving peer was served, and forgets the oldest segments of a link beyond sixteen', async () => {
    const clock = new SimClock();
    const sent: string[] = [];
    const claims = new ServedClaims<string>(clock.platform(), (link, sequence, bytes) => sent.push(`${link}:${sequence}:${bytes}`));
    claims.add('A', 1, 100);
    claims.linkClosed('A');
    assert.deepEqual(sent, ['A:1:100']);
    for (let sequence = 0; sequence < 17; sequence++) claims.add('B', sequence, 1);
    assert.deepEqual(sent.slice(1), ['B:0:1'], 'the oldest is claimed as it is forgotten');
    claims.close();
    assert.equal(sent.length, 18, 'close() claims at once the sixteen that were waiting');
    await clock.advance(SETTLE_MS * 2);
    assert.equal(sent.length, 18, 'and nothing twice');
  });
});
