// The Redis registry under two coordinators in one process, against the real local Redis (a fresh
// key prefix per test): what crosses instances, the atomic swarm limit, the shared receipt dedupe,
// and a vanished instance's peers leaving the replica. The multi-process version with Node-RED is
// test/nodes/signaling-redis.spec.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SignalingCoordinator, type AuditEvent, type Session } from '../../../lib/signaling/coordinator';
import { reconnectDelay, RedisPair, redisSettings } from '../../../lib/signaling/redis-connection';
import { RedisSwarmRegistry } from '../../../lib/signaling/redis-registry';
import type { ReceiptPayload, SegmentAnnouncement } from '../../../lib/signaling/protocol';
import { deleteKeys } from '../../support/redis-keys';
import { until } from '../../support/until';
import { FakeTransport } from './harness';

interface Instance {
  c: SignalingCoordinator;
  registry: RedisSwarmRegistry;
  pair: RedisPair;
  receipts: ReceiptPayload[];
  audit: AuditEvent[];
}
interface Peer {
  t: FakeTransport;
  s: Session;
  id: string;
  on: Instance;
}

const LIMITS = { maxSwarms: 4, maxPeersPerSwarm: 3, minSwarmForLinks: 2, statsIntervalMs: 200 };

describe('Redis swarm registry (two coordinators, real Redis)', function () {
  this.timeout(30_000);
  let prefix: string;
  const open: Instance[] = [];
  beforeEach(() => {
    prefix = `relaycast-unit-${randomBytes(6).toString('hex')}:`;
  });
  afterEach(async () => {
    for (const instance of open.splice(0)) {
      await instance.registry.close();
      await instance.pair.close();
    }
    await deleteKeys(prefix);
  });

  /** `spareWriteMs`: how often the registry may write one peer's spare upload (else as often as stats come). */
  async function instance(ttlMs = 1000, spareWriteMs = LIMITS.statsIntervalMs): Promise<Instance> {
    const pair = new RedisPair(redisSettings({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix }));
    const limits = { ...LIMITS, statsIntervalMs: spareWriteMs };
    const registry = new RedisSwarmRegistry(pair, { namespace: '/signal', limits, livenessTtlMs: ttlMs });
    const receipts: ReceiptPayload[] = [];
    const audit: AuditEvent[] = [];
    const c = new SignalingCoordinator({ registry, limits: LIMITS, onReceipt: (r) => receipts.push(r), onAudit: (a) => audit.push(a) });
    const made = { c, registry, pair, receipts, audit };
    open.push(made);
    await until(() => registry.connected, 'the registry synced');
    return made;
  }

  let ips = 0;
  async function join(on: Instance, ip = `10.1.0.${++ips}`): Promise<Peer> {
    const t = new FakeTransport();
    const s = on.c.connect(t, ip);
    on.c.message(s, JSON.stringify({ type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' }), false);
    await until(() => t.frames.length > 0, 'an answer to the join');
    const welcome = t.take()[0];
    if (welcome.type !== 'welcome') throw Object.assign(new Error(JSON.stringify(welcome)), { frame: welcome });
    return { t, s, id: welcome.peer as string, on };
  }
  const send = (p: Peer, msg: unknown): void => p.on.c.message(p.s, JSON.stringify(msg), false);
  const frame = async (p: Peer, match: (f: Record<string, unknown>) => boolean, what: string) => {
    await until(() => p.t.frames.some(match), what);
    return p.t.frames.find(match)!;
  };
  /** A receipt refusal of `p` in its instance's audit (refusals an honest client cannot avoid are not answered). */
  const refusal = async (p: Peer, code: string, what: string) => {
    await until(() => p.on.audit.some((a) => a.kind === 'receipt' && a.peer === p.id && a.code === code), what);
    assert.deepEqual(
      p.t.frames.filter((f) => f.type === 'error'),
      [],
      'not answered',
    );
  };
  const segment = (sequence: number): SegmentAnnouncement => ({
    stream: 'live',
    rendition: '720p',
    sequence,
    url: `https://cdn.example/${sequence}.ts`,
    size: 1000,
    sha256: sequence.toString(16).padStart(64, '0'),
    duration: 2,
  });

  it('relays offers, answers and ICE to a peer of the other instance, and shares announcements', async () => {
    const [a, b] = [await instance(), await instance()];
    a.c.announce(segment(1));
    await until(() => b.c.renditionsOf('live').length === 1, 'the announcement on B');
    const pa = await join(a);
    const pb = await join(b);
    await until(() => a.c.peerCount() === 2 && b.c.peerCount() === 2, 'both replicas holding both peers');
    send(pa, { type: 'peers', exclude: [] });
    assert.deepEqual((await frame(pa, (f) => f.type === 'peers', 'a peers list')).peers, [{ peer: pb.id, role: 'viewer', latest: -1 }]);
    send(pa, { type: 'offer', to: pb.id, offerId: 'o1', sdp: 'v=0' });
    assert.equal((await frame(pb, (f) => f.type === 'offer', 'the offer')).from, pa.id);
    send(pb, { type: 'answer', to: pa.id, offerId: 'o1', sdp: 'v=0 a' });
    assert.equal((await frame(pa, (f) => f.type === 'answer', 'the answer')).from, pb.id);
    send(pa, { type: 'ice', to: pb.id, offerId: 'o1', candidate: { candidate: 'c', sdpMid: '0' } });
    await frame(pb, (f) => f.type === 'ice', 'the candidate');
    // An answer for an offer never relayed is refused where it is sent (the pending offer lives there).
    send(pb, { type: 'answer', to: pa.id, offerId: 'never', sdp: 'v=0' });
    assert.equal((await frame(pb, (f) => f.type === 'error', 'the refusal')).code, 'E_SIGNAL_NO_OFFER');
    b.c.announce(segment(2));
    const fromA = await frame(pa, (f) => f.type === 'segment' && f.sequence === 2, 'segment 2 on A');
    const fromB = await frame(pb, (f) => f.type === 'segment' && f.sequence === 2, 'segment 2 on B');
    assert.deepEqual(fromA.fetchers, fromB.fetchers);
  });

  it("holds the swarm limit over both instances, credits a receipt once per source, and drops a vanished instance's peers", async () => {
    const [a, b] = [await instance(), await instance()];
    a.c.announce(segment(1));
    await until(() => b.c.renditionsOf('live').length === 1, 'the announcement on B');
    const pa = await join(a, '10.2.0.1');
    const pb = await join(b, '10.2.0.2');
    // pb2 shares pb's address but is on A: only the shared dedupe knows pb's receipt.
    const pb2 = await join(a, '10.2.0.2');
    await assert.rejects(join(b), (err: { frame?: { code?: string } }) => err.frame?.code === 'E_SIGNAL_SWARM_FULL');
    // pa uploads segment 2 to pb and to pb2: one address, two peers: credited once.
    for (const [p, offerId] of [
      [pb, 'x'],
      [pb2, 'y'],
    ] as const) {
      send(pa, { type: 'offer', to: p.id, offerId, sdp: 'v=0' });
      await frame(p, (f) => f.type === 'offer' && f.offerId === offerId, 'the offer');
      send(p, { type: 'answer', to: pa.id, offerId, sdp: 'v=0' });
      await frame(pa, (f) => f.type === 'answer' && f.offerId === offerId, 'the answer');
    }
    a.c.announce(segment(2));
    await frame(pb, (f) => f.type === 'segment' && f.sequence === 2, 'segment 2 on B');
    send(pa, { type: 'served', sequence: 2, to: pb.id, bytes: 800 });
    send(pb, { type: 'receipt', sequence: 2, from: pa.id, bytes: 900 });
    // The uploader's running total grows past the receipt (its last piece after a quiet spell).
    send(pa, { type: 'served', sequence: 2, to: pb.id, bytes: 1000 });
    await frame(pb, (f) => f.type === 'receipt-ack', 'the ack');
    assert.equal(b.receipts.length, 1);
    assert.equal(b.receipts[0].bytes, 900, "the smaller claim, with the uploader's total relayed from its instance");
    assert.equal(b.receipts[0].uploader.peer, pa.id);
    send(pa, { type: 'served', sequence: 2, to: pb2.id, bytes: 800 });
    send(pb2, { type: 'receipt', sequence: 2, from: pa.id, bytes: 800 });
    await refusal(pb2, 'E_RECEIPT_DUPLICATE', 'the duplicate refused');
    // A vanishes without a word (its connections cut, no goodbye): its key expires, B drops pa.
    a.registry.close = async () => undefined; // the afterEach must not say goodbye for it either
    await a.pair.close();
    await until(() => b.registry.getPeer(pa.s.peer!.swarmKey, pa.id) === undefined, 'pa gone from B', 5_000);
    send(pb, { type: 'receipt', sequence: 2, from: pa.id, bytes: 100 });
    await refusal(pb, 'E_RECEIPT_UNKNOWN_UPLOADER', 'the refusal');
  });

  it("carries a level switch to every instance: the replicas, Redis's record, and who is named a fetcher", async () => {
    const [a, b] = [await instance(), await instance()];
    a.c.announce(segment(1));
    a.c.announce({ ...segment(1), rendition: '360p', url: 'https://cdn.example/360p/1.ts' });
    await until(() => b.c.renditionsOf('live').length === 2, 'both renditions on B');
    const pa = await join(a);
    const pb = await join(b);
    await until(() => b.registry.getPeer('live', pa.id) !== undefined, 'pa on B');
    send(pa, { type: 'rendition', rendition: '360p' });
    assert.equal((await frame(pa, (f) => f.type === 'rendition', 'the switch answer')).rendition, '360p');
    await until(() => b.registry.getPeer('live', pa.id)?.rendition === '360p', "B's replica to follow the switch");
    // Announced on B: the 360p segment names pa (the only peer playing 360p) and reaches it on A.
    b.c.announce({ ...segment(2), rendition: '360p', url: 'https://cdn.example/360p/2.ts' });
    const announced = await frame(pa, (f) => f.type === 'segment' && f.sequence === 2, 'segment 2 of 360p on A');
    assert.deepEqual(announced.fetchers, [pa.id]);
    b.c.announce(segment(2));
    assert.deepEqual((await frame(pb, (f) => f.type === 'segment' && f.sequence === 2, 'segment 2 of 720p on B')).fetchers, [pb.id]);
    assert.equal(pa.t.frames.filter((f) => f.type === 'segment' && f.rendition === '720p').length, 0, 'pa plays 360p: no 720p announcement');
    // An instance that starts now reads the record as Redis holds it.
    const c = await instance();
    await until(() => c.registry.getPeer('live', pa.id) !== undefined, 'pa on C');
    assert.equal(c.registry.getPeer('live', pa.id)?.rendition, '360p');
  });

  it("passes each peer's spare upload to the other instances, whose fetcher choice goes by it", async () => {
    // A's registry writes a peer's figure at most once a minute: pc's second report must wait.
    const a = await instance(1000, 60_000);
    const b = await instance();
    a.c.announce(segment(1)); // 1000 bytes over 2 s: the stream needs 500 B/s from a first holder
    await until(() => b.c.renditionsOf('live').length === 1, 'the announcement on B');
    const pa = await join(a);
    const pb = await join(b);
    const pc = await join(a);
    await until(() => b.c.peerCount() === 3, "B's replica holding all three");
    const stats = (p: Peer, spareUpload: number) => send(p, { type: 'stats', httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0, peers: 2, spareUpload });
    stats(pa, 100); // on A, too little to pass the stream on
    stats(pb, 400); // on B, too little as well, but more than pa
    stats(pc, 2_000_000); // on A, ample
    await until(() => b.registry.getPeer('live', pc.id)?.spareUpload === 2_000_000, "pc's figure on B");
    await until(() => b.registry.getPeer('live', pa.id)?.spareUpload === 100, "pa's figure on B");
    // Without the figures B would take pa and pc for unmeasured and name pa (unmeasured go first, in turn).
    b.c.announce(segment(2));
    assert.deepEqual((await frame(pb, (f) => f.type === 'segment' && f.sequence === 2, 'segment 2 on B')).fetchers, [pc.id]);
    // pc's uplink fills up: reported after half an interval (the coordinator allows it) but written
    // only a minute after the last write. A's next announcement travels the same channel after it.
    await until(() => Date.now() - (pc.s.lastStatsAt ?? 0) >= 100, 'half an interval since pc reported');
    stats(pc, 0);
    a.c.announce(segment(3));
    await frame(pb, (f) => f.type === 'segment' && f.sequence === 3, 'segment 3 on B');
    assert.equal(b.registry.getPeer('live', pc.id)?.spareUpload, 2_000_000, "pc's change waits its turn");
    // An instance that starts now reads the figures from Redis, and refuses one out of bounds there.
    const key = `${prefix}/signal:peers:live`;
    const record = JSON.parse((await a.pair.publisher.hget(key, pb.id))!) as Record<string, unknown>;
    assert.equal(record.sp, 400);
    await a.pair.publisher.hset(key, pb.id, JSON.stringify({ ...record, sp: 1e12 }));
    const c = await instance();
    await until(() => c.c.peerCount() === 3, "C's replica holding all three");
    assert.equal(c.registry.getPeer('live', pa.id)?.spareUpload, 100);
    assert.equal(c.registry.getPeer('live', pb.id)?.spareUpload, undefined, 'a figure past maxSpareUploadBytesPerSecond counts as unmeasured');
  });

  it('checks the relaycast-redis settings and backs off with jitter', () => {
    assert.throws(() => redisSettings({ url: 'http://x' }), /redis:\/\/ or rediss:\/\//);
    assert.throws(
      () => redisSettings({ url: 'redis://u:secret@h:6379' }),
      (err: Error & { code?: string }) => err.code === 'E_REDIS_CONFIG' && !err.message.includes('secret'),
    );
    assert.throws(() => redisSettings({ url: 'redis://h/abc' }), /database/);
    assert.deepEqual(redisSettings({ url: '', keyPrefix: '' }, { password: 'p' }), {
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'relaycast:',
      tls: false,
      tlsVerify: true,
      password: 'p',
    });
    assert.ok(reconnectDelay(0, () => 0) >= 50 && reconnectDelay(0, () => 0.999) <= 100);
    assert.ok(reconnectDelay(30, () => 0.999) <= 5000 && reconnectDelay(30, () => 0) >= 2500);
  });
});
