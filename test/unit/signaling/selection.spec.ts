import assert from 'node:assert/strict';
import { selectPeers } from '../../../lib/signaling/peer-selection';
import { InMemorySwarmRegistry, type PeerRecord } from '../../../lib/signaling/registry';
import { harness, seeded, type Client } from './harness';

function peer(id: string, extra: Partial<PeerRecord> = {}): PeerRecord {
  return { id, role: 'viewer', swarmKey: 's/r', rendition: 'r', renditionKey: 's/r', latest: -1, introductions: 0, joinedAt: 0, joinMark: 0, ...extra };
}

describe('signaling registry and peer selection', () => {
  it('keeps a dense member array through removals', () => {
    const reg = new InMemorySwarmRegistry({ maxSwarms: 1, maxPeersPerSwarm: 3 });
    assert.equal(reg.ensureSwarm({ key: 's/r', stream: 's' }), true);
    assert.equal(reg.ensureSwarm({ key: 'x/r', stream: 'x' }), false);
    const [p1, p2, p3, p4] = ['p1', 'p2', 'p3', 'p4'].map((id) => peer(id));
    assert.deepEqual([reg.addPeer(p1), reg.addPeer(p2), reg.addPeer(p3), reg.addPeer(p4)], [true, true, true, false]);
    assert.equal(reg.removePeer(p1), 2);
    assert.deepEqual(
      reg
        .members('s/r')
        .map((p) => p.id)
        .sort(),
      ['p2', 'p3'],
    );
    assert.equal(reg.getPeer('s/r', 'p3'), p3);
    reg.removePeer(p2);
    reg.removePeer(p3);
    assert.equal(reg.hasSwarm('s/r'), false);
    assert.equal(reg.totalPeers(), 0);
  });

  it('prefers supporters, then holders of recent segments, then the least introduced', () => {
    const reg = new InMemorySwarmRegistry({ maxSwarms: 1, maxPeersPerSwarm: 100 });
    reg.ensureSwarm({ key: 's/r', stream: 's' });
    reg.addPeer(peer('old', { latest: 3 }));
    reg.addPeer(peer('busy', { latest: 10, introductions: 9 }));
    reg.addPeer(peer('fresh', { latest: 10 }));
    reg.addPeer(peer('sup', { role: 'supporter' }));
    reg.addPeer(peer('none'));
    const chosen = selectPeers(reg, 's/r', 'me', new Set(['none']), { max: 4, sampleSize: 64, latestSequence: 10, random: seeded(1) });
    assert.deepEqual(
      chosen.map((p) => p.id),
      ['sup', 'fresh', 'busy', 'old'],
    );
  });

  it("prefers peers on the asker's rendition, but gives every fourth place to a peer on another one", () => {
    const reg = new InMemorySwarmRegistry({ maxSwarms: 1, maxPeersPerSwarm: 100 });
    reg.ensureSwarm({ key: 's', stream: 's' });
    const on = (id: string, rendition: string, latest = -1) => reg.addPeer(peer(id, { swarmKey: 's', rendition, renditionKey: `s/${rendition}`, latest }));
    for (let i = 0; i < 8; i++) on(`same${i}`, 'low');
    // High has recent segments (by its own numbers): that says nothing to a low viewer.
    for (let i = 0; i < 8; i++) on(`other${i}`, 'high', 10);
    const chosen = selectPeers(reg, 's', 'me', new Set(), { max: 8, sampleSize: 64, latestSequence: 10, rendition: 'low', random: seeded(2) });
    assert.deepEqual(
      chosen.map((p) => p.rendition),
      ['low', 'low', 'low', 'high', 'low', 'low', 'low', 'high'],
    );
    // With nobody on its rendition, the list is filled from the others.
    const alone = selectPeers(reg, 's', 'me', new Set(), { max: 4, sampleSize: 64, latestSequence: 10, rendition: 'mid', random: seeded(2) });
    assert.equal(alone.length, 4);
  });

  it('samples a bounded number of members in a large swarm', () => {
    const reg = new InMemorySwarmRegistry({ maxSwarms: 1, maxPeersPerSwarm: 10_000 });
    reg.ensureSwarm({ key: 's/r', stream: 's' });
    for (let i = 0; i < 10_000; i++) reg.addPeer(peer(`p${i}`));
    const sample = reg.sample('s/r', 50, seeded(3));
    assert.equal(new Set(sample.map((p) => p.id)).size, 50);
  });

  /**
   * A mesh model of honest clients: each offers to the peers it is given while it has fewer than
   * TARGET connections, accepts (an offer, or a bridging `replacement`) while it has fewer than CAP,
   * and asks for more peers only when it has none left (otherwise it waits for its periodic
   * re-announce, longer than one round). One peer leaves and one joins per round; connectivity is
   * checked after every round. Returns the rounds in which the mesh was split.
   */
  function churn(seed: number, bridging: boolean): { splitRounds: number[]; maxDegree: number } {
    const TARGET = 4;
    const CAP = 6;
    const PEERS = 40;
    const ROUNDS = 300;
    const h = harness({ limits: { peersPerList: 8, maxConnectionsPerIp: 0 }, random: seeded(seed) });
    h.announce(1);
    const rnd = seeded(seed + 1);
    const clients = new Map<string, Client>();
    const edges = new Map<string, Set<string>>();
    const link = (a: string, b: string, offering: boolean) => {
      const ea = edges.get(a);
      const eb = edges.get(b);
      if (!ea || !eb || a === b || ea.has(b)) return;
      if ((offering && ea.size >= TARGET) || ea.size >= CAP || eb.size >= CAP) return;
      ea.add(b);
      eb.add(a);
    };
    const absorb = (c: Client) => {
      for (const f of c.t.take()) {
        if (f.type === 'peers' || f.type === 'welcome') for (const p of f.peers as Array<{ peer: string }>) link(c.id, p.peer, true);
        if (f.type === 'peer-left') {
          edges.get(c.id)?.delete(f.peer as string);
          const replacement = f.replacement as { peer: string } | undefined;
          if (bridging && replacement) link(c.id, replacement.peer, false);
        }
      }
    };
    const add = () => {
      const { t, s } = h.connect();
      h.send({ s }, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
      const c = { t, s, id: t.frames[0].peer as string };
      clients.set(c.id, c);
      edges.set(c.id, new Set());
      absorb(c);
    };
    const connected = () => {
      const start = clients.keys().next().value as string;
      const seen = new Set([start]);
      const queue = [start];
      while (queue.length)
        for (const n of edges.get(queue.shift()!)!)
          if (!seen.has(n)) {
            seen.add(n);
            queue.push(n);
          }
      return seen.size === clients.size;
    };
    for (let i = 0; i < PEERS; i++) add();
    const splitRounds: number[] = [];
    let maxDegree = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const ids = [...clients.keys()];
      const leaving = ids[Math.floor(rnd() * ids.length)];
      h.send(clients.get(leaving)!, { type: 'leave' });
      clients.delete(leaving);
      for (const n of edges.get(leaving) ?? []) edges.get(n)?.delete(leaving);
      edges.delete(leaving);
      for (const c of clients.values()) absorb(c);
      add();
      for (const c of clients.values()) {
        if (edges.get(c.id)!.size === 0) {
          h.send(c, { type: 'peers', exclude: [] });
          absorb(c);
        }
      }
      assert.equal(clients.size, PEERS);
      for (const e of edges.values()) maxDegree = Math.max(maxDegree, e.size);
      if (!connected()) splitRounds.push(round);
    }
    return { splitRounds, maxDegree };
  }

  it('keeps a degree-capped mesh connected in every round of churn, and splits without bridging', () => {
    for (const seed of [7, 11, 13]) {
      const bridged = churn(seed, true);
      const control = churn(seed, false);
      assert.ok(bridged.maxDegree <= 6 && bridged.maxDegree >= 4, `degree ${bridged.maxDegree}`);
      assert.deepEqual(bridged.splitRounds, [], `seed ${seed}: split with bridging`);
      assert.ok(control.splitRounds.length > 0, `seed ${seed}: the control never split, so this spec could not tell bridging from none`);
    }
  });
});
