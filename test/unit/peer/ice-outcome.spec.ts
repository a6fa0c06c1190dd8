// A viewer's ICE outcome for its stats reports: srflx gathered, links opened and failed, selected pair types.
import assert from 'node:assert/strict';
import { candidateType, IceOutcomeCounter, observeOpened, selectedPairType } from '../../../lib/peer/ice-outcome';
import { BOUNDS, parseClientFrame } from '../../../lib/protocol';
import { until } from '../../support/until';

const report = (...stats: Array<Record<string, unknown>>) => new Map(stats.map((s) => [s.id as string, s]));

describe('peer ICE outcome', () => {
  it('reads the candidate type of an SDP candidate line', () => {
    assert.equal(candidateType('candidate:1 1 udp 1686052607 203.0.113.5 40000 typ srflx raddr 10.0.0.2 rport 40000 generation 0'), 'srflx');
    assert.equal(candidateType('candidate:2 1 udp 2122260223 1f2c…local 50000 typ host'), 'host');
    assert.equal(candidateType('candidate:3 1 udp 1 x 1 typ srflxish'), undefined);
  });

  it('names the selected pair by its less direct end: the standard transport pointer, else a nominated pair', () => {
    const local = { id: 'L', type: 'local-candidate', candidateType: 'host' };
    const remote = { id: 'R', type: 'remote-candidate', candidateType: 'srflx' };
    const pair = { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', state: 'succeeded', nominated: true };
    assert.equal(selectedPairType(report({ id: 'T', type: 'transport', selectedCandidatePairId: 'P' }, pair, local, remote)), 'srflx');
    assert.equal(selectedPairType(report(pair, local, { ...remote, candidateType: 'relay' })), 'relay', 'no transport stats: the nominated pair');
    assert.equal(selectedPairType(report(local, remote)), undefined);
  });

  it('counts what the links report, bounded, and starts again at each join; refuses a malformed report', async () => {
    const outcome = new IceOutcomeCounter();
    outcome.candidate('candidate:1 1 udp 1 192.0.2.1 1 typ host');
    assert.equal(outcome.report().srflx, false);
    outcome.candidate('candidate:1 1 udp 1 198.51.100.1 1 typ srflx raddr 0.0.0.0 rport 0');
    outcome.failed();
    observeOpened(
      {
        getStats: async () =>
          report(
            { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', state: 'succeeded', selected: true },
            { id: 'L', candidateType: 'prflx' },
            { id: 'R', candidateType: 'host' },
          ),
      },
      outcome,
    );
    observeOpened({}, outcome);
    observeOpened({ getStats: () => Promise.reject(new Error('closed')) }, outcome);
    await until(() => outcome.report().connected === 3, 'three opened links counted');
    const ice = outcome.report();
    assert.deepEqual(ice, { srflx: true, connected: 3, failed: 1, pairs: { host: 0, srflx: 0, prflx: 1, relay: 0 } });
    const frame = { type: 'stats', httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0, peers: 0, ice };
    assert.ok(parseClientFrame(JSON.stringify(frame)).ok);
    for (const bad of [
      { ...ice, failed: -1 },
      { ...ice, extra: 1 },
      { ...ice, pairs: { ...ice.pairs, turn: 1 } },
      { ...ice, srflx: 'yes' },
    ]) {
      const parsed = parseClientFrame(JSON.stringify({ ...frame, ice: bad }));
      assert.equal(parsed.ok ? 'accepted' : parsed.code, 'E_SIGNAL_BAD_FIELD', JSON.stringify(bad));
    }
    // Bounded: a count stops at what the stats schema accepts, so a long-lived viewer's report stays valid.
    const many = new IceOutcomeCounter();
    for (let i = 0; i <= BOUNDS.maxLinksReported; i++) many.failed();
    assert.equal(many.report().failed, BOUNDS.maxLinksReported);
    assert.ok(parseClientFrame(JSON.stringify({ ...frame, ice: many.report() })).ok);
    outcome.reset();
    assert.deepEqual(outcome.report(), { srflx: false, connected: 0, failed: 0, pairs: { host: 0, srflx: 0, prflx: 0, relay: 0 } });
  });
});
