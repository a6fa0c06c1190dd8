// Bounded address exposure (issue 24): a peer's address reaches only its neighbours, at most K at a
// time; a network that leaves and rejoins gets the same neighbourhood back and meets no more than
// `exposureNetworks` networks an hour; joins are budgeted per network; the operator can turn P2P off
// per stream; a viewer that opted out is introduced to no one.
import assert from 'node:assert/strict';
import { harness, type Client } from './harness';

/** The product's bounds (the harness lifts them for specs of other rules). */
const BOUNDED = { maxNeighbours: 8, neighboursPerNetwork: 2, exposureNetworks: 10, exposureWindowMs: 3_600_000, maxConnectionsPerIp: 0 };
const viewerJoin = { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' } as const;

type H = ReturnType<typeof harness>;

/** `count` honest viewers, each on its own /24 (198.18.n.1). */
function swarm(h: H, count: number): Client[] {
  const out: Client[] = [];
  for (let i = 0; i < count; i++) out.push(h.join('live', '720p', `198.18.${i}.1`));
  return out;
}

/** Peer ids named to a client in welcome, peers and replacement frames. */
function named(frames: Array<Record<string, unknown>>): string[] {
  const ids: string[] = [];
  for (const f of frames) {
    if (f.type === 'welcome' || f.type === 'peers') for (const p of f.peers as Array<{ peer: string }>) ids.push(p.peer);
    if (f.type === 'peer-left' && f.replacement) ids.push((f.replacement as { peer: string }).peer);
  }
  return ids;
}

/** Joins from `ip`, asks for more peers `asks` times, and returns every peer id it was given. */
function harvest(h: H, ip: string, asks: number): { client: { t: Client['t']; s: Client['s'] }; ids: string[] } {
  const client = h.connect(ip);
  h.send(client, viewerJoin);
  const ids = named(client.t.frames);
  for (let i = 0; i < asks; i++) {
    client.t.take();
    h.send(client, { type: 'peers', exclude: [] });
    ids.push(...named(client.t.frames));
  }
  return { client, ids };
}

describe('signaling: bounded address exposure', () => {
  it('introduces a viewer to at most K neighbours, and relays offers only between neighbours', () => {
    const h = harness({ limits: BOUNDED });
    h.announce(1);
    const honest = swarm(h, 30);
    const { client: asker, ids: listed } = harvest(h, '203.0.113.5', 0);
    assert.ok(listed.length > 0 && listed.length <= 8, `a welcome of ${listed.length} peers, at most K = 8`);
    asker.t.take();
    h.send(asker, { type: 'peers', exclude: listed });
    assert.deepEqual(named(asker.t.take()), [], 'a full neighbourhood gets no more peers while it keeps them all');
    const stranger = honest.find((c) => !listed.includes(c.id))!;
    for (const c of honest) c.t.take();
    h.send(asker, { type: 'offer', to: stranger.id, offerId: 'o-stranger', sdp: 'v=0 offer' });
    assert.deepEqual(
      asker.t.take().map((f) => f.code),
      ['E_SIGNAL_UNKNOWN_PEER'],
      'an offer to a peer of the swarm that is not a neighbour is refused',
    );
    assert.equal(stranger.t.frames.filter((f) => f.type === 'offer').length, 0, 'and never reaches it (nor, so, do its answer and candidates)');
    const neighbour = honest.find((c) => c.id === listed[0])!;
    h.send(asker, { type: 'offer', to: neighbour.id, offerId: 'o-neighbour', sdp: 'v=0 offer' });
    assert.equal(neighbour.t.frames.filter((f) => f.type === 'offer').length, 1, 'an offer to a neighbour is relayed');
  });

  it('gives many connections from one network two places in a viewer’s neighbours', () => {
    const h = harness({ limits: { ...BOUNDED, exposureNetworks: 1000 } });
    h.announce(1);
    const [victim] = swarm(h, 1);
    swarm(h, 2); // the swarm has more than the victim to offer
    let introducedToVictim = 0;
    for (let i = 0; i < 6; i++) {
      const { ids } = harvest(h, `203.0.113.${10 + i}`, 0);
      if (ids.includes(victim.id)) introducedToVictim++;
    }
    assert.equal(introducedToVictim, 2, 'six connections of 203.0.113.0/24 each got a list; two of them hold the victim');
  });

  it('gives a network that leaves and rejoins its neighbourhood back, not a fresh sample', () => {
    const h = harness({ limits: BOUNDED });
    h.announce(1);
    swarm(h, 40);
    const first = harvest(h, '203.0.113.7', 0);
    assert.ok(first.ids.length > 0);
    h.send(first.client, { type: 'leave' });
    const again = harvest(h, '203.0.113.99', 0);
    assert.deepEqual(new Set(again.ids), new Set(first.ids), 'another address of the same /24 rejoins among the same peers');
  });

  it('names at most 10 peers in half an hour to a harvester rejoining from the addresses of its /24 or its /48', () => {
    // A harvester: rejoins and asks again and again, from the addresses of its network.
    for (const family of [(i: number) => `203.0.113.${i}`, (i: number) => `2001:db8:77:${i.toString(16)}::1`]) {
      const h = harness({ limits: BOUNDED });
      h.announce(1);
      swarm(h, 40);
      const learned = new Set<string>();
      for (let i = 1; i <= 60; i++) {
        const { client, ids } = harvest(h, family(i), 3);
        for (const id of ids) learned.add(id);
        h.send(client, { type: 'leave' });
        h.advance(30_000); // 60 rejoins in the half hour
      }
      assert.ok(learned.size <= 10, `${learned.size} peers named to one network in half an hour (${family(0)})`);
      assert.ok(learned.size >= 3, `the harvester still got a neighbourhood (${learned.size})`);
    }
  });

  it('lets a network meet new networks again once the hour has passed', () => {
    const h = harness({ limits: BOUNDED });
    h.announce(1);
    swarm(h, 40);
    const before = new Set<string>();
    for (let i = 1; i <= 5; i++) {
      const { client, ids } = harvest(h, `203.0.113.${i}`, 3);
      ids.forEach((id) => before.add(id));
      h.send(client, { type: 'leave' });
    }
    h.advance(3_600_001);
    const after = harvest(h, '203.0.113.50', 3);
    assert.ok(
      after.ids.some((id) => !before.has(id)),
      'a fresh sample after the window',
    );
  });

  it('budgets joins per network, over all its addresses', () => {
    const h = harness({ limits: { ...BOUNDED, joinsPerNetworkPerMinute: 60, joinBurstPerNetwork: 5 } });
    h.announce(1);
    const outcomes: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const c = h.connect(`203.0.113.${i}`);
      h.send(c, viewerJoin);
      const f = c.t.take()[0];
      outcomes.push(f.type === 'welcome' ? 'welcome' : String(f.code));
      if (f.type === 'welcome') h.send(c, { type: 'leave' });
    }
    assert.deepEqual(outcomes, ['welcome', 'welcome', 'welcome', 'welcome', 'welcome', 'E_SIGNAL_RATE_LIMITED', 'E_SIGNAL_RATE_LIMITED']);
    const elsewhere = h.connect('198.51.100.1');
    h.send(elsewhere, viewerJoin);
    assert.equal(elsewhere.t.take()[0].type, 'welcome', 'another network joins');
    h.advance(1000);
    const later = h.connect('203.0.113.200');
    h.send(later, viewerJoin);
    assert.equal(later.t.take()[0].type, 'welcome', 'the budget refills (one a second)');
    assert.equal(h.audit.filter((a) => a.kind === 'violation').length, 0, 'a refused join is not a violation');
  });

  it('introduces no one in a stream whose P2P the operator turned off, and relays no offer there', () => {
    const h = harness({ limits: { ...BOUNDED, p2pOffStreams: ['private'] } });
    h.announce(1, 'private');
    h.announce(1, 'live');
    const off = [0, 1, 2].map((i) => h.join('private', '720p', `198.18.${i}.1`));
    h.send(off[2], { type: 'peers', exclude: [] });
    assert.deepEqual(named(off[2].t.take()), []);
    h.send(off[2], { type: 'offer', to: off[0].id, offerId: 'o1', sdp: 'v=0 offer' });
    assert.equal(off[0].t.frames.filter((f) => f.type === 'offer').length, 0);
    h.send(off[1], { type: 'leave' });
    assert.deepEqual(named([...off[0].t.take(), ...off[2].t.take()]), [], 'no replacement either');
    const on = [0, 1, 2].map((i) => h.join('live', '720p', `198.18.${10 + i}.1`));
    h.send(on[2], { type: 'peers', exclude: [] });
    assert.ok(named(on[2].t.take()).length > 0, 'other streams still link');
  });

  it('never gives the address of a viewer that opted out (join p2p:false) to anyone', () => {
    const h = harness({ limits: BOUNDED });
    h.announce(1);
    const early = swarm(h, 3);
    const optedOut = h.connect('198.51.100.7');
    h.send(optedOut, { ...viewerJoin, p2p: false });
    const welcome = optedOut.t.take()[0];
    assert.equal(welcome.type, 'welcome');
    assert.deepEqual(welcome.peers, [], 'it gets no peers');
    const id = welcome.peer as string;
    h.send(optedOut, { type: 'peers', exclude: [] });
    assert.deepEqual(named(optedOut.t.take()), []);
    const late = [3, 4, 5, 6].map((i) => h.join('live', '720p', `198.18.${i}.1`));
    const everyone = [...early, ...late];
    for (const c of everyone) h.send(c, { type: 'peers', exclude: [] });
    h.send(early[0], { type: 'leave' });
    const seen = everyone.flatMap((c) => named(c.t.take()));
    assert.ok(seen.length > 0);
    assert.ok(!seen.includes(id), 'no welcome, peers list or replacement names it');
    h.send(late[0], { type: 'offer', to: id, offerId: 'o1', sdp: 'v=0 offer' });
    assert.equal(optedOut.t.frames.filter((f) => f.type === 'offer').length, 0, 'an offer addressed to it by a guessed id is refused');
    h.send(optedOut, { type: 'offer', to: late[0].id, offerId: 'o2', sdp: 'v=0 offer' });
    assert.equal(late[0].t.frames.filter((f) => f.type === 'offer').length, 0, 'and it can offer to no one');
  });
});
