/**
 * The Redis swarm registry: membership shared by several Node-RED instances (docs/signaling-protocol.md
 * section 11). Reads are answered from a local replica of every swarm (an InMemorySwarmRegistry), so
 * the relay hot path never waits on the network. Writes go to Redis atomically (redis-scripts.ts),
 * which also publishes them to the other instances on one events channel; frames for one instance's
 * peers go to its own channel.
 *
 * Liveness: each instance refreshes `alive:<instance>` every ttl/4 with an expiry of 3/4 ttl, and
 * checks the keys of the instances it holds peers of at the same pace. A crashed instance's key
 * expires within 3/4 ttl of its last refresh and its peers leave every replica by one check later,
 * so within the ttl; from then on they cannot be addressed or receipted anywhere.
 *
 * Faults: while Redis is unreachable the replica keeps only this instance's peers (the others can be
 * neither reached nor vouched for), joins are checked against the replica, receipts are refused as
 * unconfirmed (the shared dedupe cannot be asked). When the pair is up again, resync() rewrites this
 * instance's peers, re-announces them and reloads everyone else's.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ClusterHooks, ClusterMessage, ReceiptClaim, RelayedFrame, Reservation, SharedSwarmRegistry } from './cluster';
import type { Role } from './protocol';
import type { RedisPair } from './redis-connection';
import { registryScripts, type RegistryScripts } from './redis-scripts';
import { InMemorySwarmRegistry, renditionKeyOf, type InMemoryRegistryLimits, type PeerRecord, type SwarmInfo } from './registry';
import { DEFAULT_LIMITS, type SignalingLimits } from './limits';
import { SpareWrites } from './spare-writes';
import { isSpareUpload } from '../protocol';

export const DEFAULT_LIVENESS_TTL_MS = 15_000;
/** Peers per announcement frame when an instance re-announces its peers after a resync. */
const RESYNC_BATCH = 500;

export interface RedisRegistryOptions {
  /** Separates the swarms of different signaling paths sharing one Redis and key prefix. */
  namespace: string;
  /** statsIntervalMs paces the spare upload writes (spare-writes.ts); the default is the coordinator's. */
  limits: InMemoryRegistryLimits & Partial<Pick<SignalingLimits, 'statsIntervalMs'>>;
  livenessTtlMs?: number;
  instanceId?: string;
  /** Redis became reachable and resynced (true), or unreachable (false). */
  onState?: (up: boolean) => void;
  onError?: (err: Error) => void;
}

/** A peer record as it travels and is stored in Redis: only what other instances need. */
interface WireRecord {
  id: string;
  role: Role;
  /** The swarm: the stream (protocol v3: one swarm per stream). */
  s: string;
  /** The rendition the peer plays now. */
  r: string;
  i: string;
  j: number;
  l: number;
  su?: string;
  up?: false;
  /** Opted out of P2P: never introduced. */
  p2p?: false;
  /** Network tag (exposure ledger). */
  n?: string;
  /** Spare upload, bytes/s, as last written (stats `spareUpload`); absent until measured. */
  sp?: number;
}

type EventFrame =
  | { op: 'add'; i: string; p: WireRecord[] }
  | { op: 'remove'; i: string; s: string; ids: string[] }
  | { op: 'gone'; i: string }
  /** A peer of instance `i` switched rendition (its swarm and links stay). */
  | { op: 'rendition'; i: string; id: string; r: string }
  /** A peer of instance `i` has a new spare upload figure (fetcher choice on every instance reads it). */
  | { op: 'spare'; i: string; id: string; sp: number }
  | { op: 'msg'; i: string; m: ClusterMessage };

export class RedisSwarmRegistry implements SharedSwarmRegistry {
  readonly shared = true as const;
  readonly instanceId: string;
  private readonly replica = new InMemorySwarmRegistry({ maxSwarms: Number.MAX_SAFE_INTEGER, maxPeersPerSwarm: Number.MAX_SAFE_INTEGER });
  private readonly local = new Map<string, PeerRecord>();
  /** Peers of other instances in the replica: id → record (the object the replica holds) and owner. */
  private readonly remote = new Map<string, { record: PeerRecord; instance: string }>();
  private readonly byInstance = new Map<string, Set<string>>();
  private readonly scripts: RegistryScripts;
  /** What of the local peers' spare upload figures reached Redis, and which changes wait for their turn. */
  private readonly spareWrites: SpareWrites;
  private readonly ttlMs: number;
  private readonly keys: { swarms: string; events: string; own: string; alive: (instance: string) => string; peers: (swarm: string) => string; ns: string };
  private hooks?: ClusterHooks;
  private readonly timer: NodeJS.Timeout;
  /** True from a completed resync until the pair goes down. */
  private synced = false;
  private resyncing = false;
  /** Set while the other instances' peers are being read from Redis: ids removed by events meanwhile. */
  private removedWhileReading?: Set<string>;
  /** One more full read of the other instances' peers is due (see doResync). */
  private reloadPending = false;
  /** A local join or leave happened while not synced: the running resync may have missed it. */
  private changedUnsynced = false;
  private closed = false;
  private readonly onUp = () => this.resync();
  private readonly onDown = () => this.lost();
  private readonly onEvent = (text: string) => this.event(text);
  private readonly onDirect = (text: string) => this.direct(text);

  constructor(
    private readonly pair: RedisPair,
    private readonly options: RedisRegistryOptions,
  ) {
    this.instanceId = options.instanceId ?? randomBytes(8).toString('hex');
    this.ttlMs = options.livenessTtlMs ?? DEFAULT_LIVENESS_TTL_MS;
    const ns = `${pair.keyPrefix}${options.namespace}:`;
    this.keys = {
      ns,
      swarms: `${ns}swarms`,
      events: `${ns}events`,
      own: `${ns}inst:${this.instanceId}`,
      alive: (instance) => `${ns}alive:${instance}`,
      peers: (swarm) => `${ns}peers:${swarm}`,
    };
    this.scripts = registryScripts(pair.publisher);
    this.spareWrites = new SpareWrites(options.limits.statsIntervalMs ?? DEFAULT_LIMITS.statsIntervalMs);
    pair.subscribe(this.keys.events, this.onEvent);
    pair.subscribe(this.keys.own, this.onDirect);
    pair.on('up', this.onUp);
    pair.on('down', this.onDown);
    this.timer = setInterval(() => this.heartbeat(), Math.max(50, Math.floor(this.ttlMs / 4)));
    this.timer.unref();
    if (pair.up) this.resync();
  }

  /** Redis is reachable and this instance's membership is written there. */
  get connected(): boolean {
    return this.synced;
  }

  attach(hooks: ClusterHooks): void {
    this.hooks = hooks;
  }

  // ---- SwarmRegistry: reads from the replica ----

  ensureSwarm(info: SwarmInfo): boolean {
    if (this.replica.hasSwarm(info.key)) return true;
    if (this.replica.swarmCount() >= this.options.limits.maxSwarms) return false;
    return this.replica.ensureSwarm(info);
  }

  hasSwarm(key: string): boolean {
    return this.replica.hasSwarm(key);
  }
  getPeer(swarmKey: string, peerId: string): PeerRecord | undefined {
    return this.replica.getPeer(swarmKey, peerId);
  }
  peerCount(swarmKey: string): number {
    return this.replica.peerCount(swarmKey);
  }
  supporters(swarmKey: string): readonly PeerRecord[] {
    return this.replica.supporters(swarmKey);
  }
  sample(swarmKey: string, count: number, random: () => number): PeerRecord[] {
    return this.replica.sample(swarmKey, count, random);
  }
  members(swarmKey: string): readonly PeerRecord[] {
    return this.replica.members(swarmKey);
  }
  swarmCount(): number {
    return this.replica.swarmCount();
  }
  totalPeers(): number {
    return this.replica.totalPeers();
  }

  /** Peers of this instance only (the node status; the bench's per-instance counts). */
  localPeers(): number {
    return this.local.size;
  }

  remoteOwner(peerId: string): string | undefined {
    return this.remote.get(peerId)?.instance;
  }

  // ---- writes ----

  async reserve(info: SwarmInfo, peer: PeerRecord): Promise<Reservation> {
    const { maxSwarms, maxPeersPerSwarm } = this.options.limits;
    if (this.synced) {
      try {
        const event: EventFrame = { op: 'add', i: this.instanceId, p: [this.wire(peer)] };
        const outcome = await this.scripts.reserve(
          this.keys.swarms,
          this.keys.peers(info.key),
          info.key,
          peer.id,
          JSON.stringify(event.p[0]),
          maxSwarms,
          maxPeersPerSwarm,
          this.keys.events,
          JSON.stringify(event),
        );
        if (outcome === 'ok' || outcome === 'swarm-full' || outcome === 'too-many-swarms') return outcome;
      } catch {
        // Redis went away mid-join: decide locally; resync() writes the peer once Redis is back.
      }
    }
    if (!this.replica.hasSwarm(info.key) && this.replica.swarmCount() >= maxSwarms) return 'too-many-swarms';
    if (this.replica.peerCount(info.key) >= maxPeersPerSwarm) return 'swarm-full';
    return 'ok';
  }

  release(peer: PeerRecord): void {
    this.leaveInRedis(peer.swarmKey, [peer.id], '');
  }

  addPeer(peer: PeerRecord): boolean {
    if (!this.replica.hasSwarm(peer.swarmKey)) return false;
    this.replica.addPeer(peer);
    this.local.set(peer.id, peer);
    if (!this.synced) this.changedUnsynced = true;
    return true;
  }

  renditionChanged(peer: PeerRecord): void {
    if (!this.local.has(peer.id)) return;
    if (!this.synced) {
      this.changedUnsynced = true; // resync() writes the record as it is then
      return;
    }
    const event: EventFrame = { op: 'rendition', i: this.instanceId, id: peer.id, r: peer.rendition };
    this.scripts.update(this.keys.peers(peer.swarmKey), peer.id, JSON.stringify(this.wire(peer)), this.keys.events, JSON.stringify(event)).catch(() => {
      /* the pair reports the outage; resync() writes the record again */
    });
  }

  spareChanged(peer: PeerRecord): void {
    // Unsynced: resync() writes the record, figure included, as it is then.
    if (!this.local.has(peer.id) || !this.synced) return;
    if (this.spareWrites.changed(peer.id, peer.spareUpload, Date.now())) this.writeSpare(peer);
  }

  removePeer(peer: PeerRecord): number {
    const remaining = this.replica.removePeer(peer);
    this.spareWrites.forget(peer.id);
    if (this.local.delete(peer.id)) {
      if (!this.synced) this.changedUnsynced = true;
      const event: EventFrame = { op: 'remove', i: this.instanceId, s: peer.swarmKey, ids: [peer.id] };
      this.leaveInRedis(peer.swarmKey, [peer.id], JSON.stringify(event));
    }
    return remaining;
  }

  sendTo(instance: string, message: ClusterMessage): boolean {
    if (!this.synced) return false;
    this.pair.publisher.publish(`${this.keys.ns}inst:${instance}`, encodeDirect(message)).catch(() => {
      /* the pair reports the outage */
    });
    return true;
  }

  broadcast(message: ClusterMessage): void {
    if (!this.synced) return;
    const event: EventFrame = { op: 'msg', i: this.instanceId, m: message };
    this.pair.publisher.publish(this.keys.events, JSON.stringify(event)).catch(() => {
      /* the pair reports the outage */
    });
  }

  async claimReceipt(claim: ReceiptClaim, bytesPerPeriod: number, periodMs: number): Promise<number | 'duplicate' | 'unavailable'> {
    if (!this.synced) return 'unavailable';
    // The source (an address prefix) is hashed: Redis need not hold viewers' addresses.
    const source = createHash('sha256').update(`${this.keys.ns}${claim.source}`).digest('base64url').slice(0, 22);
    const period = Math.floor(claim.now / periodMs);
    try {
      const granted = await this.scripts.claimReceipt(
        `${this.keys.ns}rcpt:${claim.swarmKey}:${claim.sequence}:${claim.sha256.slice(0, 16)}:${source}`,
        `${this.keys.ns}budget:${period}:${source}`,
        periodMs,
        bytesPerPeriod,
        claim.bytes,
        2 * periodMs,
      );
      return granted < 0 ? 'duplicate' : granted;
    } catch {
      return 'unavailable';
    }
  }

  /** Leaves Redis (this instance's peers and liveness key go at once) and stops. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.pair.off('up', this.onUp);
    this.pair.off('down', this.onDown);
    this.pair.unsubscribe(this.keys.events, this.onEvent);
    this.pair.unsubscribe(this.keys.own, this.onDirect);
    if (this.synced) {
      const bySwarm = new Map<string, string[]>();
      for (const peer of this.local.values()) (bySwarm.get(peer.swarmKey) ?? bySwarm.set(peer.swarmKey, []).get(peer.swarmKey)!).push(peer.id);
      const gone: EventFrame = { op: 'gone', i: this.instanceId };
      await Promise.all([
        ...[...bySwarm].map(([swarm, ids]) => this.scripts.leave(this.keys.swarms, this.keys.peers(swarm), swarm, this.keys.events, '', ...ids)),
        this.pair.publisher.del(this.keys.alive(this.instanceId)),
        this.pair.publisher.publish(this.keys.events, JSON.stringify(gone)),
      ]).catch(() => {
        /* the keys expire with the ttl anyway */
      });
    }
    this.synced = false;
    this.local.clear();
    this.spareWrites.clear();
  }

  // ---- keeping the replica current ----

  private wire(peer: PeerRecord): WireRecord {
    const out: WireRecord = { id: peer.id, role: peer.role, s: peer.swarmKey, r: peer.rendition, i: this.instanceId, j: peer.joinedAt, l: peer.latest };
    if (peer.supporter !== undefined) out.su = peer.supporter;
    if (peer.uploads === false) out.up = false;
    if (peer.p2p === false) out.p2p = false;
    if (peer.network !== undefined) out.n = peer.network;
    if (peer.spareUpload !== undefined) out.sp = peer.spareUpload;
    return out;
  }

  /**
   * The peer's record rewritten with its figure, through the same script as a level switch: only
   * while the record is there, so a write racing the peer's leave cannot bring it back.
   */
  private writeSpare(peer: PeerRecord): void {
    if (peer.spareUpload === undefined) return; // a figure is never withdrawn, only replaced
    this.spareWrites.wrote(peer.id, peer.spareUpload, Date.now());
    const event: EventFrame = { op: 'spare', i: this.instanceId, id: peer.id, sp: peer.spareUpload };
    this.scripts.update(this.keys.peers(peer.swarmKey), peer.id, JSON.stringify(this.wire(peer)), this.keys.events, JSON.stringify(event)).catch(() => {
      // The pair reports the outage; resync() writes the record, and (nothing counted as written)
      // publishes the figure to the instances that kept the peer meanwhile.
      this.spareWrites.forget(peer.id);
    });
  }

  /** Spare upload changes that came too soon after the last write and are due now. */
  private flushSpare(): void {
    const now = Date.now();
    for (const id of this.spareWrites.due(now)) {
      const peer = this.local.get(id);
      if (!peer) this.spareWrites.forget(id);
      else if (this.spareWrites.changed(id, peer.spareUpload, now)) this.writeSpare(peer);
    }
  }

  private leaveInRedis(swarmKey: string, ids: string[], event: string): void {
    if (!this.synced) return; // resync() writes the state as it is then
    this.scripts.leave(this.keys.swarms, this.keys.peers(swarmKey), swarmKey, this.keys.events, event, ...ids).catch(() => {
      /* resync() reconciles */
    });
  }

  private addRemote(wire: WireRecord): void {
    if (wire.i === this.instanceId || this.remote.has(wire.id) || this.local.has(wire.id)) return;
    // A record without a rendition is of an instance on protocol v2 (one swarm per rendition): not one of our swarms.
    if (typeof wire.s !== 'string' || typeof wire.r !== 'string') return;
    this.replica.ensureSwarm({ key: wire.s, stream: wire.s });
    const record: PeerRecord = {
      id: wire.id,
      role: wire.role,
      swarmKey: wire.s,
      rendition: wire.r,
      renditionKey: renditionKeyOf(wire.s, wire.r),
      latest: wire.l,
      introductions: 0,
      joinedAt: wire.j,
      joinMark: this.hooks?.mark() ?? 0,
    };
    if (wire.su !== undefined) record.supporter = wire.su;
    if (wire.up === false) record.uploads = false;
    if (wire.p2p === false) record.p2p = false;
    if (typeof wire.n === 'string') record.network = wire.n;
    // Read back from Redis like any network input: a figure out of bounds counts as unmeasured.
    if (isSpareUpload(wire.sp)) record.spareUpload = wire.sp;
    this.replica.addPeer(record);
    this.remote.set(wire.id, { record, instance: wire.i });
    (this.byInstance.get(wire.i) ?? this.byInstance.set(wire.i, new Set()).get(wire.i)!).add(wire.id);
  }

  private removeRemote(id: string): void {
    const entry = this.remote.get(id);
    if (!entry) return;
    this.remote.delete(id);
    this.replica.removePeer(entry.record);
    const ids = this.byInstance.get(entry.instance);
    ids?.delete(id);
    if (ids?.size === 0) this.byInstance.delete(entry.instance);
  }

  private dropInstance(instance: string): string[] {
    const ids = [...(this.byInstance.get(instance) ?? [])];
    for (const id of ids) this.removeRemote(id);
    this.byInstance.delete(instance);
    return ids;
  }

  private event(text: string): void {
    const frame = parse<EventFrame>(text);
    if (!frame || frame.i === this.instanceId || this.closed) return;
    switch (frame.op) {
      case 'add':
        for (const wire of frame.p) this.addRemote(wire);
        return;
      case 'remove':
        for (const id of frame.ids) {
          this.removedWhileReading?.add(id);
          if (this.remote.get(id)?.instance === frame.i) this.removeRemote(id);
        }
        return;
      case 'gone':
        this.dropInstance(frame.i);
        return;
      case 'rendition': {
        const entry = this.remote.get(frame.id);
        if (entry?.instance !== frame.i || typeof frame.r !== 'string') return;
        entry.record.rendition = frame.r;
        entry.record.renditionKey = renditionKeyOf(entry.record.swarmKey, frame.r);
        entry.record.latest = -1;
        // As for a peer learned from another instance: receipts only for what is announced from now on.
        entry.record.joinMark = this.hooks?.mark() ?? 0;
        return;
      }
      case 'spare': {
        const entry = this.remote.get(frame.id);
        if (entry?.instance === frame.i && isSpareUpload(frame.sp)) entry.record.spareUpload = frame.sp;
        return;
      }
      case 'msg':
        this.deliver(frame.m);
        return;
    }
  }

  private direct(text: string): void {
    const message = decodeDirect(text);
    if (message && !this.closed) this.deliver(message);
  }

  private deliver(message: ClusterMessage): void {
    try {
      this.hooks?.deliver(message);
    } catch (err) {
      this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The pair went down: other instances' peers can be neither reached nor vouched for. */
  private lost(): void {
    if (this.closed) return;
    const wasSynced = this.synced;
    this.synced = false;
    for (const instance of [...this.byInstance.keys()]) this.dropInstance(instance);
    if (wasSynced) this.options.onState?.(false);
  }

  /** Writes this instance's peers and liveness key, re-announces them, and reloads the other instances' peers. */
  private resync(): void {
    if (this.closed || this.resyncing) return;
    this.resyncing = true;
    this.changedUnsynced = false;
    this.doResync().then(
      () => {
        this.resyncing = false;
        if (this.closed || !this.pair.up) return;
        if (this.changedUnsynced) {
          this.resync();
          return;
        }
        this.synced = true;
        this.options.onState?.(true);
        // Instances that kept our peers meanwhile ignore their re-announcement: figures that moved
        // while unsynced reach them as spare events.
        for (const peer of this.local.values()) this.spareChanged(peer);
      },
      (err: unknown) => {
        this.resyncing = false;
        this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
        // Still up (a command failed mid-way): try again at the next heartbeat.
      },
    );
  }

  private async doResync(): Promise<void> {
    const redis = this.pair.publisher;
    await redis.set(this.keys.alive(this.instanceId), String(Date.now()), 'PX', this.aliveMs());
    const mine = [...this.local.values()];
    if (mine.length > 0) {
      const write = redis.pipeline();
      for (const peer of mine) {
        write.sadd(this.keys.swarms, peer.swarmKey);
        write.hset(this.keys.peers(peer.swarmKey), peer.id, JSON.stringify(this.wire(peer)));
      }
      for (let at = 0; at < mine.length; at += RESYNC_BATCH) {
        const event: EventFrame = { op: 'add', i: this.instanceId, p: mine.slice(at, at + RESYNC_BATCH).map((peer) => this.wire(peer)) };
        write.publish(this.keys.events, JSON.stringify(event));
      }
      await write.exec();
    }
    await this.reloadOthers();
    // An instance that came back at the same moment may have announced its peers before our
    // subscription was in place: read everything once more at the next heartbeat.
    this.reloadPending = true;
  }

  /** Everyone else's peers, as Redis holds them now, minus those of instances whose key expired. */
  private async reloadOthers(): Promise<void> {
    if (this.removedWhileReading) return; // one read at a time
    // Events keep arriving while the read is under way: a peer removed meanwhile must not come back
    // from the snapshot, and one added meanwhile must not be dropped for missing from it.
    const removed = (this.removedWhileReading = new Set<string>());
    const known = new Set(this.remote.keys());
    try {
      await this.readOthers(known, removed);
    } finally {
      this.removedWhileReading = undefined;
    }
  }

  private async readOthers(known: ReadonlySet<string>, removed: ReadonlySet<string>): Promise<void> {
    const redis = this.pair.publisher;
    const swarms = await redis.smembers(this.keys.swarms);
    const read = redis.pipeline();
    for (const swarm of swarms) read.hgetall(this.keys.peers(swarm));
    const hashes = ((await read.exec()) ?? []).map(([, value]) => (value ?? {}) as Record<string, string>);
    const records: WireRecord[] = [];
    /** Ours in Redis but no longer here: peers that left while Redis was unreachable. */
    const stale: WireRecord[] = [];
    for (const hash of hashes)
      for (const text of Object.values(hash)) {
        const wire = parse<WireRecord>(text);
        if (!wire) continue;
        if (wire.i !== this.instanceId) records.push(wire);
        else if (!this.local.has(wire.id)) stale.push(wire);
      }
    const instances = [...new Set(records.map((r) => r.i))];
    const alive = new Set<string>();
    if (instances.length > 0) {
      const values = await redis.mget(...instances.map((i) => this.keys.alive(i)));
      instances.forEach((instance, n) => {
        if (values[n] !== null) alive.add(instance);
      });
    }
    const present = new Set<string>();
    for (const wire of records) {
      if (!alive.has(wire.i) || removed.has(wire.id)) continue;
      present.add(wire.id);
      this.addRemote(wire);
    }
    for (const id of known) if (!present.has(id)) this.removeRemote(id);
    this.purge([...stale, ...records.filter((wire) => !alive.has(wire.i))], true);
  }

  private aliveMs(): number {
    return Math.max(30, Math.floor((this.ttlMs * 3) / 4));
  }

  /** Every ttl/4: refresh this instance's key, drop instances whose key expired. */
  private heartbeat(): void {
    if (this.closed || !this.pair.up) return;
    if (!this.synced) {
      this.resync();
      return;
    }
    const redis = this.pair.publisher;
    this.flushSpare();
    if (this.reloadPending) {
      this.reloadPending = false;
      this.reloadOthers().catch(() => {
        /* the pair reports the outage; the next resync reloads */
      });
    }
    // SET … GET: a missing old value means our key expired (a stall, a Redis restart): the others
    // may have dropped our peers, so write them again.
    (redis.call('SET', this.keys.alive(this.instanceId), String(Date.now()), 'PX', String(this.aliveMs()), 'GET') as Promise<string | null>)
      .then((previous) => {
        if (previous === null && !this.closed) {
          this.synced = false;
          this.resync();
        }
      })
      .catch(() => {
        /* the pair reports the outage */
      });
    const instances = [...this.byInstance.keys()];
    if (instances.length === 0) return;
    redis
      .mget(...instances.map((i) => this.keys.alive(i)))
      .then((values) => {
        const dead: WireRecord[] = [];
        instances.forEach((instance, n) => {
          if (values[n] !== null) return;
          for (const id of this.byInstance.get(instance) ?? []) {
            const entry = this.remote.get(id);
            if (entry) dead.push({ id, role: entry.record.role, s: entry.record.swarmKey, r: entry.record.rendition, i: instance, j: 0, l: -1 });
          }
          this.dropInstance(instance);
        });
        this.purge(dead);
      })
      .catch(() => {
        /* the pair reports the outage */
      });
  }

  /** Removes dead instances' peers from Redis too (any instance may; HDEL is idempotent). */
  private purge(dead: WireRecord[], duringResync = false): void {
    const bySwarm = new Map<string, string[]>();
    for (const wire of dead) (bySwarm.get(wire.s) ?? bySwarm.set(wire.s, []).get(wire.s)!).push(wire.id);
    for (const [swarm, ids] of bySwarm) {
      if (!this.synced && !duringResync) continue;
      this.scripts.leave(this.keys.swarms, this.keys.peers(swarm), swarm, this.keys.events, '', ...ids).catch(() => {
        /* the next resync reconciles */
      });
    }
  }
}

/**
 * Relays — the bulk of what crosses instances — travel as tab-separated fields (after R, or U for an
 * unintroduced offer) followed by the frame text the addressee gets, so the receiving instance neither parses nor re-serializes it (ids
 * and offer ids cannot contain a tab: protocol BOUNDS). Everything else is JSON.
 */
function encodeDirect(message: ClusterMessage): string {
  if (message.kind !== 'relay') return JSON.stringify(message);
  const { frame } = message;
  return `${message.unintroduced ? 'U' : 'R'}\t${message.to}\t${message.swarmKey}\t${frame.type}\t${frame.from}\t${frame.offerId}\t${frame.text}`;
}

function decodeDirect(text: string): ClusterMessage | undefined {
  const unintroduced = text.startsWith('U\t');
  if (!text.startsWith('R\t') && !unintroduced) return parse<ClusterMessage>(text);
  const fields: string[] = [];
  let at = 2;
  for (let n = 0; n < 5; n++) {
    const tab = text.indexOf('\t', at);
    if (tab < 0) return undefined;
    fields.push(text.slice(at, tab));
    at = tab + 1;
  }
  const [to, swarmKey, type, from, offerId] = fields;
  if (type !== 'offer' && type !== 'answer' && type !== 'ice') return undefined;
  const frame: RelayedFrame = { type, from, offerId, text: text.slice(at) };
  return unintroduced ? { kind: 'relay', to, swarmKey, frame, unintroduced } : { kind: 'relay', to, swarmKey, frame };
}

function parse<T>(text: string): T | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/** The registry of a signaling node that shares its swarms through Redis, bounded by the node's own limits. */
export function sharedSwarmRegistry(
  pair: RedisPair,
  options: Omit<RedisRegistryOptions, 'limits'> & { limits: Partial<InMemoryRegistryLimits & Pick<SignalingLimits, 'statsIntervalMs'>> },
): RedisSwarmRegistry {
  return new RedisSwarmRegistry(pair, {
    ...options,
    limits: {
      maxSwarms: options.limits.maxSwarms ?? DEFAULT_LIMITS.maxSwarms,
      maxPeersPerSwarm: options.limits.maxPeersPerSwarm ?? DEFAULT_LIMITS.maxPeersPerSwarm,
      statsIntervalMs: options.limits.statsIntervalMs ?? DEFAULT_LIMITS.statsIntervalMs,
    },
  });
}
