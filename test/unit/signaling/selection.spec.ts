import assert from 'node:assert/strict';
import { selectPeers } from '../../../lib/signaling/peer-selection';
import { InMemorySwarmRegistry, type PeerRecord } from '../../../lib/signaling/registry';
import { harness, seeded, type Client } from './harness';

function peer(id: string, extra: Partial<PeerRecord> = {}): PeerRecord {
  return { id, role: 'viewer', swarmKey: 's/r', latest: -1, introductions: 0, joinedAt: 0, joinMark: 0, ...extra };
}

describe('signaling registry and peer selection', () => {
  it('keeps a dense member array through removals', () => {
    const reg = new InMemorySwarmRegistry({ maxSwarms: 1, maxPeersPerSwarm: 3 });
    assert.equal(reg.ensureSwarm({ key: 's/r', stream: 's', rendition: 'r' }), true);
    assert.equal(reg.ensureSwarm({ key: 'x/r', stream: 'x', rendition: 'r' }), false);
    const [p1, p2, p3, p4] = ['p1', 'p2', 'p3', 'p4'].map((id) => peer(id));
    assert.deepEqual([reg.addPeer(p1), reg.addPeer(p2), reg.addPeer(p3), reg.addPeer(p4)], [true, true, true, false]);
    assert.equal(reg.removePeer(p1), 2);
    assert.deepEqual(reg.members('s/r').map((p) => p.id).sort(), ['p2', 'p3']);
    assert.equal(reg.getPeer('s/r', 'p3'), p3);
    reg.removePeer(p2); reg.removePeer(p3);
    assert.equal(reg.hasSwarm('s/r'), false);
    assert.equal(reg.totalPeers(), 0);
  });

  it('prefers supporters, then holders of recent segments, then the least introduced', () => {
    const reg = new InMemorySwarmRegistry({ maxSwarms: 1, maxPeersPerSwarm: 100 });
    reg.ensureSwarm({ key: 's/r', stream: 's', rendition: 'r' });
    reg.addPeer(peer('old', { latest: 3 }));
    reg.addPeer(peer('busy', { latest: 10, introductions: 9 }));
    reg.addPeer(peer('fresh', { latest: 10 }));
    reg.addPeer(peer('sup', { role: 'supporter' }));
    reg.addPeer(peer('none'));
    const chosen = selectPeers(reg, 's/r', 'me', new Set(['none']), { max: 4, sampleSize: 64, latestSequence: 10, random: seeded(1) });
    assert.deepEqual(chosen.map((p) => p.id), ['sup', 'fresh', 'busy', 'old']);
  });

  it('samples a bounded number of members in a large swarm', () => {
    const reg = new InMemorySwarmRegistry({ maxSwarms: 1, maxPeersPerSwarm: 10_000 });
    reg.ensureSwarm({ key: 's/r', stream: 's', rendition: 'r' });
    for (let i = 0; i < 10_000; i++) reg.addPeer(peer(`p${i}`));
    const sample = reg.sample('s/r', 50, seeded(3));
    assert.equal(new Set(sample.map((p) => p.id)).size, 50);
  });

  it('keeps the swarm connected under churn when peers replace those that left', () => {
    // Every peer connects to the peers it was given; when told a neighbour left it asks for more.
    const h = harness({ limits: { peersPerList: 4, maxConnectionsPerIp: 0 } });
    h.announce(1);
    const rnd = seeded(7);
    const clients = new Map<string, Client>();
    const edges = new Map<string, Set<string>>();
    const link = (a: string, b: string) => { edges.get(a)?.add(b); edges.get(b)?.add(a); };
    const absorb = (c: Client) => {
      for (const f of c.t.take()) {
        if (f.type === 'peers' || f.type === 'welcome') for (const p of f.peers as Array<{ peer: string }>) if (clients.has(p.peer)) link(c.id, p.peer);
        if (f.type === 'peer-left') {
          edges.get(c.id)?.delete(f.peer as string);
          const replacement = f.replacement as { peer: string } | undefined;
          if (replacement && clients.has(replacement.peer)) link(c.id, replacement.peer);
        }
      }
    };
    const add = () => {
      const { t, s } = h.connect();
      h.send({ s }, { type: 'join', v: 2, stream: 'live', rendition: '720p', role: 'viewer' });
      const id = t.frames[0].peer as string;
      const c = { t, s, id };
      clients.set(id, c); edges.set(id, new Set());
      absorb(c);
    };
    for (let i = 0; i < 40; i++) add();
    for (let round = 0; round < 300; round++) {
      const ids = [...clients.keys()];
      const leaving = ids[Math.floor(rnd() * ids.length)];
      h.send(clients.get(leaving)!, { type: 'leave' });
      clients.delete(leaving);
      for (const n of edges.get(leaving) ?? []) edges.get(n)?.delete(leaving);
      edges.delete(leaving);
      add();
      for (const c of clients.values()) {
        absorb(c);
        if ((edges.get(c.id)?.size ?? 0) < 2) { h.send(c, { type: 'peers', exclude: [...edges.get(c.id)!] }); absorb(c); }
      }
    }
    // BFS from any peer reaches all of them.
    const start = clients.keys().next().value as string;
    const seen = new Set([start]);
    const queue = [start];
    while (queue.length) for (const n of edges.get(queue.shift()!)!) if (!seen.has(n)) { seen.add(n); queue.push(n); }
    assert.equal(clients.size, 40);
    assert.equal(seen.size, 40);
  });
});
