// Two (and more) real peer engines wired through a real in-process signaling coordinator, fake
// RTCPeerConnections, a counting HTTP origin and webcrypto: the swarm behaviour of the core.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PeerEngine, type EngineOptions } from '../../../lib/peer/engine';
import { FRAME } from '../../../lib/protocol/peer-wire';
import { swarmKeyOf } from '../../../lib/signaling/registry';
import { FakePlatform, FakeSignalingServer, FakeSocket, Origin, until } from './fakes';

const STREAM = 'live';
const RENDITION = 'main';

function segment(origin: Origin, sequence: number, size = 200_000) {
  const bytes = randomBytes(size);
  const url = `https://r2.example/live/main/${sequence}.ts`;
  origin.objects.set(url, new Uint8Array(bytes));
  return { stream: STREAM, rendition: RENDITION, sequence, url, size, sha256: createHash('sha256').update(bytes).digest('hex'), duration: 2, bytes };
}

describe('peer engine: a swarm in one process', function () {
  this.timeout(10_000);
  let server: FakeSignalingServer;
  let origin: Origin;
  const engines: PeerEngine[] = [];
  const loopbackOnly = (c: string) => / 127\.0\.0\.1 /.test(c);

  function engine(options: Partial<EngineOptions> = {}, platform = new FakePlatform(server, origin)) {
    const e = new PeerEngine(platform, { signalingUrl: 'ws://test/signal', stream: STREAM, rendition: RENDITION, candidateFilter: loopbackOnly, ...options });
    engines.push(e);
    e.start();
    return { e, platform };
  }

  beforeEach(() => {
    server = new FakeSignalingServer();
    origin = new Origin();
  });
  afterEach(() => {
    for (const e of engines.splice(0)) e.close();
  });

  async function twoPeers() {
    server.coordinator.announce(segment(origin, 0));
    const a = engine();
    const b = engine();
    await until(() => a.e.joined && b.e.joined && a.e.stats().peers === 1 && b.e.stats().peers === 1, 'a link between two peers');
    return { a, b };
  }

  it('fetches a new segment over HTTP once (the named fetcher) and spreads it peer to peer, byte for byte, with a receipt', async () => {
    const { a, b } = await twoPeers();
    const s1 = segment(origin, 1);
    server.coordinator.announce(s1);
    await until(() => a.e.store.has(1) && b.e.store.has(1), 'both peers to hold segment 1');
    assert.equal(origin.segmentRequests(s1.url), 1, 'one HTTP fetch for the swarm');
    const [loadedA, loadedB] = await Promise.all([a.e.loadSegment(s1.url, { budgetMs: 0 }), b.e.loadSegment(s1.url, { budgetMs: 0 })]);
    assert.deepEqual(Buffer.from(loadedA.bytes), s1.bytes);
    assert.deepEqual(Buffer.from(loadedB.bytes), s1.bytes);
    const stats = [a.e.stats(), b.e.stats()];
    assert.equal(stats[0].p2pBytes + stats[1].p2pBytes, s1.size, 'the other peer got every byte from its neighbour');
    assert.equal(stats[0].uploadedBytes + stats[1].uploadedBytes, s1.size);
    await until(() => server.receipts.length === 1, 'the receipt');
    const receipt = server.receipts[0] as { bytes: number; sequence: number; uploaderClaimed?: number };
    assert.equal(receipt.sequence, 1);
    assert.equal(receipt.bytes, s1.size);
    assert.equal(receipt.uploaderClaimed, s1.size, 'the uploader filed its served claim first');
    // The player gets its own copy: detaching (transferring) it leaves the stored bytes intact.
    structuredClone(loadedB.bytes, { transfer: [loadedB.bytes] });
    assert.equal(b.e.store.bytes(1)!.byteLength, s1.size);
  });

  it('negotiates at most two of its offers at a time, then links every peer of its welcome', async () => {
    server.coordinator.announce(segment(origin, 0));
    const others = [engine(), engine(), engine(), engine(), engine()];
    await until(() => others.every((o) => o.e.joined), 'five peers joined');
    await until(() => others.every((o) => o.e.stats().peers === 4), 'the five linked to each other');
    const platform = new FakePlatform(server, origin);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    platform.answerGate = () => held;
    const newcomer = engine({}, platform);
    await until(() => newcomer.e.joined && platform.connections.length === 2, 'two offers made');
    // The remaining three wait for these two: nothing else is started while both are in flight.
    await until(() => others.filter((o) => o.e.linking() > 0).length === 2, 'two answers sent');
    assert.equal(platform.connections.length, 2);
    assert.equal(newcomer.e.linking(), 2);
    release();
    await until(() => newcomer.e.stats().peers === 5, 'the newcomer linked to all five');
    assert.equal(platform.connections.length, 5);
  });

  it('with holdOffersMs, makes no offer until startLinking() (a player: its first fragment request)', async () => {
    server.coordinator.announce(segment(origin, 0));
    const others = [engine(), engine()];
    await until(() => others.every((o) => o.e.joined && o.e.stats().peers === 1), 'two linked peers');
    const platform = new FakePlatform(server, origin);
    const player = engine({ holdOffersMs: 60_000 }, platform);
    await until(() => player.e.joined, 'the player joined');
    // Its welcome named two peers; nothing is offered while held (polled across many event-loop turns).
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(platform.connections.length, 0);
    player.e.startLinking();
    await until(() => player.e.stats().peers === 2, 'the player linked to both');
  });

  it('does not retry a link whose ICE failed in a loop: it backs off per neighbour, then gives up', async () => {
    server.coordinator.announce(segment(origin, 0));
    const unreachable = new FakePlatform(server, origin);
    unreachable.failConnections = true;
    const a = engine({}, unreachable);
    await until(() => a.e.joined, 'a joined');
    const offerer = new FakePlatform(server, origin);
    const b = engine({}, offerer);
    await until(() => b.e.joined && offerer.connections.length === 1, 'b offered to a');
    await until(() => offerer.connections[0].connectionState === 'closed' && b.e.linking() === 0, 'the attempt failed');
    const aId = a.e.stats().peerId!;
    // The server introduces a again (a `peers` reply, a replacement): within the back-off, no new offer.
    const connect = (b.e as unknown as { connect(peer: string): void }).connect.bind(b.e);
    connect(aId);
    assert.equal(offerer.connections.length, 1, 'no second attempt at once');
    const attempts: number[] = [];
    for (let round = 0; round < 6; round++) {
      offerer.skewMs += 60_000;
      connect(aId);
      await until(() => b.e.linking() === 0, 'the attempt ended');
      attempts.push(offerer.connections.length);
    }
    assert.deepEqual(attempts, [2, 3, 3, 3, 3, 3], 'after three failures the neighbour is given up');
    assert.equal(b.e.stats().peers, 0);
  });

  it('confines ICE to the candidates the filter accepts', async () => {
    const { a } = await twoPeers();
    const added = a.platform.connections.flatMap((c) => c.candidatesAdded);
    assert.ok(added.length > 0);
    assert.ok(added.every(loopbackOnly), `only loopback candidates reach the agent: ${added.join(', ')}`);
  });

  it('drops a peer that sends corrupt bytes, reports it, and hands the player only verified bytes', async () => {
    server.coordinator.announce(segment(origin, 0));
    const liarPlatform = new FakePlatform(server, origin);
    // The liar flips one byte in the middle of every DATA frame it sends.
    liarPlatform.faults.outgoing = (data) => {
      if (data[0] === FRAME.DATA && data.byteLength > 100) data[data.byteLength >> 1] ^= 0xff;
      return data;
    };
    const liar = engine({}, liarPlatform);
    await until(() => liar.e.joined, 'the liar to join');
    const s1 = segment(origin, 1);
    server.coordinator.announce(s1); // the liar is the only member: the fetcher
    await until(() => liar.e.store.has(1), 'the liar to hold the true segment 1');
    const honest = engine();
    const dropped: string[] = [];
    honest.e.on('peer-dropped', (peer, reason) => dropped.push(`${peer}:${reason}`));
    await until(() => honest.e.stats().peers === 1 && honest.e.store.meta(1) !== undefined, 'a link to the liar');
    const loaded = await honest.e.loadSegment(s1.url, { budgetMs: 3000 });
    assert.deepEqual(Buffer.from(loaded.bytes), s1.bytes, 'the player gets the true bytes');
    assert.deepEqual(dropped, [`${liar.e.stats().peerId}:hash`], 'the liar, and only it, is dropped');
    assert.equal(honest.e.stats().peers, 0);
    await until(() => server.audit.some((a) => a.kind === 'report'), 'the report to reach the server');
    const report = server.audit.find((a) => a.kind === 'report')!;
    assert.deepEqual([report.code, report.accused, report.sequence], ['PEER_BAD_HASH', liar.e.stats().peerId, 1]);
    assert.equal(honest.e.stats().p2pBytes, 0, 'corrupt bytes are never counted as delivered');
    assert.equal(server.receipts.length, 0, 'and never receipted');
    const held = Buffer.from(honest.e.store.bytes(1)!);
    assert.equal(createHash('sha256').update(held).digest('hex'), s1.sha256, 'nothing unverified is stored');
  });

  it('falls back to an HTTP Range request for the rest when a peer stalls mid-transfer, at the deadline', async () => {
    server.coordinator.announce(segment(origin, 0));
    const stallerPlatform = new FakePlatform(server, origin);
    let dataFrames = 0;
    // After two chunks the staller's DATA frames vanish (a peer that stops sending).
    stallerPlatform.faults.outgoing = (data) => (data[0] === FRAME.DATA && ++dataFrames > 2 ? null : data);
    const staller = engine({}, stallerPlatform);
    await until(() => staller.e.joined, 'the staller to join');
    const s1 = segment(origin, 1);
    server.coordinator.announce(s1); // the staller is the only member: it is the fetcher
    await until(() => staller.e.store.has(1), 'the staller to hold segment 1');
    const viewer = engine();
    await until(() => viewer.e.stats().peers === 1, 'a link to the staller');
    // The viewer learnt of segment 1 from its welcome; the staller has it.
    await until(() => viewer.e.store.meta(1) !== undefined, 'segment 1 to be known');
    const loaded = await viewer.e.loadSegment(s1.url, { budgetMs: 300 });
    assert.deepEqual(Buffer.from(loaded.bytes), s1.bytes);
    assert.equal(loaded.source, 'mixed', 'part from the peer, the rest over HTTP');
    const range = origin.requests.filter((r) => r.url === s1.url).map((r) => r.range);
    assert.equal(range.length, 2, 'the staller fetched once, the viewer resumed once');
    const fromPeer = viewer.e.stats().p2pBytes;
    assert.ok(fromPeer > 0);
    assert.equal(range[1], `bytes=${fromPeer}-199999`, 'the resume starts where the peer stopped');
    assert.equal(viewer.e.stats().deadlineMisses, 1);
    assert.equal(viewer.e.stats().httpAtOnce, 0, 'peers had a budget');
  });

  it('serves playlists from the pushed copy, and uses HTTP once the copy is older than 1.5 target durations', async () => {
    const playlist = (n: number) => `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:${n}\n#EXTINF:1,\nhttps://r2.example/${n}.ts\n`;
    server.coordinator.announce(segment(origin, 0));
    server.coordinator.pushPlaylist({ stream: STREAM, rendition: null, text: '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nmain.m3u8\n', ended: false });
    server.coordinator.pushPlaylist({ stream: STREAM, rendition: RENDITION, text: playlist(0), ended: false });
    origin.objects.set('https://origin.example/live/main.m3u8', new TextEncoder().encode(playlist(0)));
    const { e } = engine();
    // (Before the welcome a playlist the page did not bring goes to HTTP: see the next spec.)
    await until(() => e.joined, 'the welcome');
    const master = await e.loadPlaylist({ url: 'https://origin.example/live/master.m3u8', rendition: null });
    assert.equal(master.source, 'swarm');
    const media = await e.loadPlaylist({ url: 'https://origin.example/live/main.m3u8', rendition: RENDITION });
    assert.deepEqual(media, { text: playlist(0), source: 'swarm' });
    // A blocking reload for the next version waits for the push that brings it.
    const blocked = e.loadPlaylist({ url: 'https://origin.example/live/main.m3u8', rendition: RENDITION, msn: 1 });
    setTimeout(() => server.coordinator.pushPlaylist({ stream: STREAM, rendition: RENDITION, text: playlist(1), ended: false }), 50);
    assert.deepEqual(await blocked, { text: playlist(1), source: 'swarm' });
    assert.equal(origin.requests.length, 0, 'no playlist request reached the origin');
    // No push for longer than 1.5 × 1 s: the copy is stale and HTTP takes over.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const stale = await e.loadPlaylist({ url: 'https://origin.example/live/main.m3u8', rendition: RENDITION });
    assert.equal(stale.source, 'http');
    assert.equal(origin.requests.length, 1);
  });

  it('never waits on the socket before the welcome: a playlist the page did not bring comes over HTTP at once', async () => {
    server.coordinator.announce(segment(origin, 0));
    server.coordinator.pushPlaylist({ stream: STREAM, rendition: RENDITION, text: '#EXTM3U\n#EXT-X-TARGETDURATION:2\n', ended: false });
    const origin0 = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n';
    origin.objects.set('https://origin.example/live/main.m3u8', new TextEncoder().encode(origin0));
    const { e } = engine();
    const loaded = e.loadPlaylist({ url: 'https://origin.example/live/main.m3u8', rendition: RENDITION });
    assert.equal(e.joined, false, 'asked before the welcome');
    assert.deepEqual(await loaded, { text: origin0, source: 'http' }, 'the origin answered; no wait for the welcome');
    await until(() => e.joined, 'the welcome');
    assert.equal(
      (await e.loadPlaylist({ url: 'https://origin.example/live/main.m3u8', rendition: RENDITION })).source,
      'swarm',
      'reloads come from the socket',
    );
    // A blocking reload asked before the welcome is no start-up step: it waits for the socket.
    const { e: other } = engine();
    const blocked = other.loadPlaylist({ url: 'https://origin.example/live/main.m3u8', rendition: RENDITION, msn: 0 });
    assert.equal(other.joined, false, 'asked before the welcome');
    assert.equal((await blocked).source, 'swarm', 'answered by the welcome, not the origin');
    assert.equal(origin.requests.length, 1, 'only the first load reached the origin');
  });

  it("answers a playlist URL only from a copy of that presentation: after an ENDLIST, the next session's copy never stands in for the ended playlist", async () => {
    const finished = '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1,\nhttps://r2.example/0.ts\n#EXT-X-ENDLIST\n';
    const next = '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1,\nhttps://r2.example/s2/0.ts\n';
    server.coordinator.announce(segment(origin, 0));
    server.coordinator.pushPlaylist({ stream: STREAM, rendition: RENDITION, text: finished, ended: true });
    origin.objects.set('https://origin.example/live/main.m3u8', new TextEncoder().encode(finished));
    const { e } = engine();
    await until(() => e.joined, 'the welcome');
    assert.deepEqual(await e.loadPlaylist({ url: 'https://origin.example/live/main.m3u8', rendition: RENDITION }), { text: finished, source: 'swarm' });
    // The encoder came back after the grace: manifest opened presentation 1, at its own URL.
    server.coordinator.pushPlaylist({ stream: STREAM, rendition: RENDITION, text: next, ended: false, presentation: 1 });
    // (The loader waits briefly for a push that brings the copy it lacks; the origin has no such URL.)
    assert.deepEqual(await e.loadPlaylist({ url: 'https://origin.example/live/main.m3u8?presentation=1', rendition: RENDITION }), {
      text: next,
      source: 'swarm',
    });
    const old = await e.loadPlaylist({ url: 'https://origin.example/live/main.m3u8', rendition: RENDITION });
    assert.deepEqual(old, { text: finished, source: 'http' }, 'the ended playlist comes from the origin, unchanged');
    const garbled = await e.loadPlaylist({ url: 'https://origin.example/live/main.m3u8?presentation=x', rendition: RENDITION }).catch((err: Error) => err);
    assert.ok(garbled instanceof Error || garbled.source === 'http', 'a presentation that is not a number is never answered from a copy');
  });

  it('with no open link, reports no spare upload, so signaling does not name it a fetcher whose bytes reach no one', async () => {
    server.coordinator.announce(segment(origin, 0));
    const lone = engine();
    await until(() => lone.e.joined, 'the join');
    const record = () => [...server.sockets].find((socket) => socket.session?.peer?.id === lone.e.stats().peerId)?.session?.peer;
    await until(() => record()?.spareUpload === 0, 'a stats report with spareUpload 0', 5000);
    assert.equal(lone.e.stats().peers, 0);
  });

  it('never uploads with upload:false: it is never named a fetcher and answers requests with ABSENT', async () => {
    server.coordinator.announce(segment(origin, 0));
    const metered = engine({ upload: false });
    const viewer = engine();
    await until(() => metered.e.stats().peers === 1 && viewer.e.stats().peers === 1, 'a link');
    for (let seq = 1; seq <= 3; seq++) {
      const s = segment(origin, seq);
      server.coordinator.announce(s);
      await until(() => viewer.e.store.has(seq), `the uploading viewer to fetch ${seq}`);
      const loaded = await metered.e.loadSegment(s.url, { budgetMs: 1000 });
      assert.deepEqual(Buffer.from(loaded.bytes), s.bytes);
    }
    assert.equal(metered.e.stats().uploadedBytes, 0);
    assert.equal(metered.e.stats().p2pBytes, 3 * 200_000, 'it still downloads from peers');
  });

  it('keeps playing through a signaling restart: open links keep serving, the engine rejoins', async () => {
    const { a, b } = await twoPeers();
    const before = [a.e.stats().peerId, b.e.stats().peerId];
    server.restart();
    server.coordinator.announce(segment(origin, 5));
    await until(
      () => a.e.joined && b.e.joined && a.e.stats().peerId !== before[0] && b.e.stats().peerId !== before[1],
      'both to rejoin after the restart',
      8000,
    );
    const s6 = segment(origin, 6);
    server.coordinator.announce(s6);
    await until(() => a.e.store.has(6) && b.e.store.has(6), 'segment 6 everywhere after the restart');
    assert.equal(origin.segmentRequests(s6.url), 1);
  });

  it('keeps its peer links through a level switch, and its next segment (of the new level) comes from a peer', async () => {
    // One swarm per stream: a viewer on 'low' and one on 'main' are linked although they play different levels.
    const lowSegment = (sequence: number) => {
      const s = { ...segment(origin, sequence), rendition: 'low', url: `https://r2.example/live/low/${sequence}.ts` };
      origin.objects.set(s.url, new Uint8Array(s.bytes));
      return s;
    };
    server.coordinator.announce(segment(origin, 0));
    server.coordinator.announce(lowSegment(0));
    const a = engine();
    const b = engine({ rendition: 'low' });
    await until(() => a.e.joined && b.e.joined && a.e.stats().peers === 1 && b.e.stats().peers === 1, 'a link between viewers of two levels');
    const low1 = lowSegment(1);
    server.coordinator.announce(low1);
    server.coordinator.announce(segment(origin, 1));
    await until(() => a.e.store.has(1) && b.e.store.has(1), 'each level fetched by its own viewer');
    const before = { a: a.e.stats().peerId, b: b.e.stats().peerId, relayed: server.coordinator.stats().relayed };

    a.e.setRendition('low');
    await until(() => a.e.joined && a.e.rendition === 'low', 'the server to answer the switch');
    assert.equal(a.e.store.has(1), false, "the old level's segments are gone");
    assert.equal(a.e.store.meta(1)?.url, low1.url, "the new level's announcements came with the answer");
    const session = [...server.sockets].find((socket) => socket.session?.peer?.id === before.a)?.session;
    assert.equal(session?.peer?.rendition, 'low', 'the server has the viewer on the level it plays');
    assert.equal(session?.peer?.swarmKey, swarmKeyOf(STREAM), 'in the same swarm');
    const loaded = await a.e.loadSegment(low1.url, { budgetMs: 5000 });
    assert.equal(loaded.source, 'peer', 'the first segment after the switch came from the linked viewer');
    assert.deepEqual(Buffer.from(loaded.bytes), low1.bytes);
    assert.equal(origin.segmentRequests(low1.url), 1, "only the low viewer's fetch reached the origin");
    assert.deepEqual([a.e.stats().peerId, b.e.stats().peerId], [before.a, before.b], 'no rejoin: the same peer ids');
    assert.deepEqual([a.e.stats().peers, b.e.stats().peers], [1, 1], 'the link stayed open');
    assert.equal(server.coordinator.stats().relayed, before.relayed, 'no new offer, answer or candidate: the same link');

    // The next live segment of the new level spreads over the kept link too.
    const low2 = lowSegment(2);
    server.coordinator.announce(low2);
    await until(() => a.e.store.has(2) && b.e.store.has(2), 'segment 2 of low at both');
    assert.equal(origin.segmentRequests(low2.url), 1);
    assert.equal(a.e.stats().p2pBytes + b.e.stats().p2pBytes >= 2 * low1.size, true);
  });

  describe('level switches during the join handshake', () => {
    /**
     * A platform whose sockets report each join and switch they send, so a test can switch while it
     * is in flight; `sent` keeps every frame type sent.
     */
    function joinWatchingPlatform(onJoin: (rendition: string, joins: number) => void, onSwitch: (rendition: string, switches: number) => void = () => {}) {
      const platform = new FakePlatform(server, origin);
      const sockets: FakeSocket[] = [];
      const sent: string[] = [];
      let joins = 0;
      let switches = 0;
      platform.createWebSocket = () => {
        const socket = new FakeSocket(server);
        sockets.push(socket);
        const send = socket.send.bind(socket);
        socket.send = (data: string) => {
          send(data);
          const frame = JSON.parse(data) as { type: string; rendition?: string };
          sent.push(frame.type);
          if (frame.type === 'join') onJoin(String(frame.rendition), ++joins);
          if (frame.type === 'rendition') onSwitch(String(frame.rendition), ++switches);
        };
        return socket;
      };
      return { platform, sockets, sent };
    }

    function announceLadder(sequence: number, ladder = ['low', 'mid', RENDITION]) {
      for (const rendition of ladder) {
        const s = { ...segment(origin, sequence), rendition, url: `https://r2.example/live/${rendition}/${sequence}.ts` };
        origin.objects.set(s.url, new Uint8Array(s.bytes));
        server.coordinator.announce(s);
      }
    }

    /**
     * The server's view: the engine's one connection is in the stream's swarm, playing `rendition`,
     * joined once and never left; and the next announcement it gets is of that level.
     */
    async function inSwarmOf(e: PeerEngine, sockets: FakeSocket[], rendition: string, sent?: string[], next = 1) {
      await until(() => e.joined && e.rendition === rendition, `the engine to be joined to ${rendition}`);
      const session = sockets.at(-1)!.session!;
      assert.equal(session.peer?.swarmKey, swarmKeyOf(STREAM), "the server has the peer in the stream's swarm");
      assert.equal(session.peer?.rendition, rendition, 'the server has the peer on the level it plays');
      assert.equal(server.coordinator.stats().peers, 1, 'one peer on the server, in one swarm');
      if (sent) {
        assert.equal(sent.filter((type) => type === 'join').length, 1, 'one join');
        assert.equal(sent.includes('leave'), false, 'never left the swarm');
      }
      announceLadder(next, [...new Set(['low', 'mid', RENDITION, rendition])]);
      await until(() => e.store.meta(next)?.url === `https://r2.example/live/${rendition}/${next}.ts`, 'the next announcement, of the level it plays');
      assert.deepEqual(
        server.audit.filter((a) => a.code === 'E_SIGNAL_ALREADY_JOINED'),
        [],
        'no join was refused',
      );
      assert.equal(sockets.length, 1, 'no reconnect was needed');
    }

    it('a switch before the welcome ends in the swarm of the new level', async () => {
      announceLadder(0);
      let e!: PeerEngine;
      const { platform, sockets, sent } = joinWatchingPlatform((rendition, joins) => {
        if (joins === 1) e.setRendition('low');
      });
      e = engine({}, platform).e;
      await inSwarmOf(e, sockets, 'low', sent);
      assert.equal(e.store.meta(0)?.url, 'https://r2.example/live/low/0.ts', "the announcements are the new level's");
    });

    it('two switches in a row before the welcome end in the swarm of the last one', async () => {
      announceLadder(0);
      let e!: PeerEngine;
      const { platform, sockets, sent } = joinWatchingPlatform((rendition, joins) => {
        if (joins === 1) {
          e.setRendition('low');
          e.setRendition('mid');
        }
      });
      e = engine({}, platform).e;
      await inSwarmOf(e, sockets, 'mid', sent);
    });

    it('a switch while the answer to the previous switch is in flight ends on the last one', async () => {
      // The sequence signaling recorded from real pages (v2): joined, switched, switched again before that answer.
      announceLadder(0);
      let e!: PeerEngine;
      const { platform, sockets, sent } = joinWatchingPlatform(
        () => {},
        (rendition, switches) => {
          if (switches === 1) e.setRendition('mid');
        },
      );
      e = engine({}, platform).e;
      await until(() => e.joined, 'the first join');
      e.setRendition('low');
      await inSwarmOf(e, sockets, 'mid', sent);
    });

    it('a switch and a switch back while the answer is in flight end on the level it plays', async () => {
      announceLadder(0);
      let e!: PeerEngine;
      const { platform, sockets, sent } = joinWatchingPlatform(
        () => {},
        (rendition, switches) => {
          if (switches === 1) e.setRendition(RENDITION);
        },
      );
      e = engine({}, platform).e;
      await until(() => e.joined, 'the first join');
      e.setRendition('low');
      await inSwarmOf(e, sockets, RENDITION, sent);
    });

    it('a switch back to the level being joined keeps that join', async () => {
      announceLadder(0);
      let e!: PeerEngine;
      const { platform, sockets, sent } = joinWatchingPlatform((rendition, joins) => {
        if (joins === 1) {
          e.setRendition('low');
          e.setRendition(RENDITION);
        }
      });
      e = engine({}, platform).e;
      await inSwarmOf(e, sockets, RENDITION, sent);
    });

    it('a join refused for a level the player has left is followed by the join of the level it plays', async () => {
      announceLadder(0);
      const only = { ...segment(origin, 0), rendition: 'only-low', url: 'https://r2.example/live/only-low/0.ts' };
      server.coordinator.announce(only);
      let e!: PeerEngine;
      // 'none' has no announcement: the server refuses it with E_SIGNAL_UNKNOWN_SWARM.
      const { platform, sockets } = joinWatchingPlatform((rendition, joins) => {
        if (joins === 1) e.setRendition('only-low');
      });
      e = engine({ rendition: 'none' }, platform).e;
      await inSwarmOf(e, sockets, 'only-low');
    });
  });
});
