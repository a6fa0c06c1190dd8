// What a linked peer holds counts only for the rendition its HAVE named: one swarm spans a
// stream's renditions, and segment 7 of one rendition is another segment than 7 of another.
import assert from 'node:assert/strict';
import type { PeerLink } from '../../../lib/peer/peer-link';
import { RemoteHoldings } from '../../../lib/peer/remote-holdings';

describe('remote holdings (per rendition)', () => {
  const link = {} as PeerLink;

  it('knows nothing of a link before its HAVE, then holds only for the rendition it named', () => {
    const holdings = new RemoteHoldings();
    holdings.add(link);
    assert.equal(holdings.renditionOf(link), undefined);
    assert.equal(holdings.holds(link, 'low', 7), false);
    holdings.set(link, 'low', [6, 7]);
    assert.equal(holdings.holds(link, 'low', 7), true);
    assert.equal(holdings.holds(link, 'high', 7), false, 'segment 7 of high is another segment');
    assert.equal(holdings.renditionOf(link), 'low');
  });

  it('follows a level switch: the next HAVE replaces the rendition and the list', () => {
    const holdings = new RemoteHoldings();
    holdings.add(link);
    holdings.set(link, 'low', [7]);
    holdings.set(link, 'high', []);
    assert.equal(holdings.holds(link, 'low', 7), false);
    assert.equal(holdings.renditionOf(link), 'high');
  });

  it('ignores a HAVE of a link it does not track (closed meanwhile)', () => {
    const holdings = new RemoteHoldings();
    holdings.set(link, 'low', [7]);
    assert.equal(holdings.holds(link, 'low', 7), false);
    assert.deepEqual([...holdings.links()], []);
  });
});
