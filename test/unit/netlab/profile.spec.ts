// The network lab's pure parts: profile files, the homes a profile deals, a router's ruleset and
// the bench's ceilings. (The namespaces themselves are exercised by test/e2e/nat-stun.spec.ts.)
import assert from 'node:assert/strict';
import { homesFor, loadProfile } from '../../../devtools/netlab';
import { routerRuleset } from '../../../devtools/netlab/nat';
import { ceiling, reachableCeiling } from '../../../bench/support/netlab-ceiling';

describe('netlab profiles', () => {
  it('residential deals 1–20 Mb/s uplinks, 25–100 Mb/s downlinks, one symmetric and one UDP-blocked home of six, upload off for two', () => {
    const homes = homesFor(loadProfile('residential'), 6);
    assert.deepEqual(
      homes.map((h) => h.uplinkMbit),
      [1, 2, 3, 5, 10, 20],
    );
    assert.deepEqual([homes[0].downlinkMbit, homes[5].downlinkMbit], [25, 100]);
    assert.equal(homes.filter((h) => h.nat === 'symmetric').length, 1);
    assert.equal(homes.filter((h) => h.udpBlocked).length, 1);
    assert.ok(!homes.some((h) => h.udpBlocked && h.nat === 'symmetric'), 'the UDP-blocked home is another home');
    assert.equal(homes.filter((h) => h.uploadOff).length, 2);
    assert.deepEqual(homesFor(loadProfile('residential'), 6), homes, 'the same homes every run');
  });

  it('churn is residential plus its churn; lab has no NAT and no caps', () => {
    const churn = loadProfile('churn');
    assert.deepEqual(churn.churn, { share: 0.1, everySeconds: 60 });
    assert.deepEqual(churn.uplinksMbit, loadProfile('residential').uplinksMbit);
    const lab = homesFor(loadProfile('lab'), 3);
    assert.ok(lab.every((h) => h.nat === 'none' && h.uplinkMbit === undefined && h.downlinkMbit === undefined && !h.udpBlocked));
  });

  it('refuses a name that is not a profile file name', () => {
    assert.throws(
      () => loadProfile('../package'),
      (err: { code?: string }) => err.code === 'E_NETLAB_PROFILE',
    );
    assert.throws(
      () => loadProfile('no-such-profile'),
      (err: { code?: string }) => err.code === 'E_NETLAB_PROFILE',
    );
  });
});

describe('netlab router rules', () => {
  const home = { index: 1, udpBlocked: false, uploadOff: false } as const;
  it('drops unsolicited inbound and masquerades: port-preserving by default, fully random when symmetric', () => {
    const eim = routerRuleset({ ...home, nat: 'endpoint-independent' });
    assert.match(eim, /policy drop;\s+ct state established,related accept/);
    assert.match(eim, /oifname "wan" masquerade\n/);
    assert.match(routerRuleset({ ...home, nat: 'symmetric' }), /masquerade fully-random/);
    assert.match(routerRuleset({ ...home, nat: 'endpoint-independent', udpBlocked: true }), /meta l4proto udp drop/);
    assert.equal(routerRuleset({ ...home, nat: 'none' }), '');
  });
});

describe('netlab ceilings', () => {
  const h = (uplinkMbit: number | undefined, extra: object = {}) => ({
    index: 1,
    nat: 'endpoint-independent' as const,
    udpBlocked: false,
    uploadOff: false,
    uplinkMbit,
    ...extra,
  });
  it('is 1 − 1/N with uplinks to spare, and the uplinks’ sum when they are short', () => {
    assert.equal(ceiling([h(undefined), h(undefined), h(undefined), h(undefined)], 1e6), 0.75);
    assert.equal(ceiling([h(1), h(1, { uploadOff: true }), h(undefined, { uploadOff: true }), h(1, { uploadOff: true })], 1e6), 0.25);
  });
  it('counts only homes that can link for the reachable ceiling', () => {
    const homes = [h(20), h(20), h(20, { nat: 'symmetric' }), h(20, { udpBlocked: true })];
    assert.equal(reachableCeiling(homes, 1e6), 0.25);
    assert.equal(ceiling(homes, 1e6), 0.75);
  });
  it('shares one uplink among the viewers of a home', () => {
    // 2 homes × 2 viewers: 1 − 1/4 by the count, but 2 Mb/s of uplinks over 4 × 1 Mb/s.
    assert.equal(ceiling([h(1), h(1)], 1e6, 2), 0.5);
    assert.equal(ceiling([h(undefined), h(undefined)], 1e6, 2), 0.75);
    assert.equal(reachableCeiling([h(undefined), h(undefined, { nat: 'symmetric' })], 1e6, 2), 0.25);
  });
});
