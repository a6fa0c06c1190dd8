import assert from 'node:assert/strict';
import { compare, costOf, EARLIER_DESIGN, swarmPushBytesPerViewerMinute } from '../../../bench/support/cost-model';
import { BYTES_PER_GB, PRICES } from '../../../lib/costs/prices';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

describe('cost model', () => {
  const base = { viewers: 600, minutes: 40, bitrateMbps: 0.9, segmentSeconds: 2 };

  it('counts one R2 GET per segment a viewer fetches over HTTP and one PUT per segment published', () => {
    const c = costOf({ ...base, p2pShare: 0, playlistRequestsPerViewerMinute: 30 });
    assert.equal(c.viewerMinutes, 24_000);
    assert.equal(c.segmentRequests, 720_000); // 30 segments a minute, all over HTTP
    assert.equal(c.r2.classA, 1200); // 40 min × 30 segments
    assert.equal(c.playlistRequests, 720_000);
    close(c.playedBytes, 24_000 * 60 * 112_500, 'played bytes');
    close(c.r2.classBDollars, 0.72 * PRICES.r2.classBPerMillion, 'Class B dollars');
    close(c.r2.classADollars, 0.0012 * PRICES.r2.classAPerMillion, 'Class A dollars');
  });

  it('takes measured segment requests when given, else derives them from the P2P share', () => {
    close(costOf({ ...base, p2pShare: 0.856, playlistRequestsPerViewerMinute: 0, segmentRequestsPerViewerMinute: 4.31 }).segmentRequests, 103_440, 'measured');
    close(costOf({ ...base, p2pShare: 0.75, playlistRequestsPerViewerMinute: 0 }).segmentRequests, 24_000 * 7.5, 'derived');
  });

  it('prices the origin’s playlists and signaling pushes as EC2 egress', () => {
    const push = swarmPushBytesPerViewerMinute(2);
    assert.equal(push, 30 * 200);
    const c = costOf({
      ...base,
      p2pShare: 0.856,
      playlistRequestsPerViewerMinute: 0,
      segmentRequestsPerViewerMinute: 4.31,
      signalingBytesPerViewerMinute: push,
    });
    close(c.originDollars, ((24_000 * push) / BYTES_PER_GB) * PRICES.ec2.egressPerGB, 'origin dollars');
    close(c.dollars, c.r2.dollars + c.originDollars, 'total');
  });

  it('compares with every byte from an EC2 origin and with the earlier claim plus the polling it forgot', () => {
    const { relaycast, allFromOrigin, earlierDesign } = compare({
      ...base,
      p2pShare: 0.856,
      playlistRequestsPerViewerMinute: 0,
      segmentRequestsPerViewerMinute: 4.31,
    });
    close(allFromOrigin.dollars, ((relaycast.playedBytes + 720_000 * 1000) / BYTES_PER_GB) * 0.09, 'all from origin');
    assert.ok(allFromOrigin.dollars > 13 && allFromOrigin.dollars < 14, String(allFromOrigin.dollars));
    assert.equal(earlierDesign.claimedDollars, EARLIER_DESIGN.claimDollars); // the claim's own case
    assert.equal(earlierDesign.forgottenPlaylistRequests, 240_000); // one reload per 6 s target duration
    assert.ok(earlierDesign.correctedDollars > 4 * earlierDesign.claimedDollars, String(earlierDesign.correctedDollars));
  });

  it('refuses inputs that make no sense with a code', () => {
    assert.throws(() => costOf({ ...base, viewers: 0, p2pShare: 0, playlistRequestsPerViewerMinute: 0 }), { code: 'E_COST_INPUT' });
    assert.throws(() => costOf({ ...base, p2pShare: 1.5, playlistRequestsPerViewerMinute: 0 }), { code: 'E_COST_INPUT' });
    assert.throws(() => costOf({ ...base, p2pShare: 0, playlistRequestsPerViewerMinute: Number.NaN }), { code: 'E_COST_INPUT' });
  });
});
