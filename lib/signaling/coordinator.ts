/**
 * The swarm coordinator: everything the signaling node does, minus WebSockets and Node-RED.
 * A transport (the node's ws server, or a test double) hands it connections and frames; it answers
 * through the Transport interface and reports swarm events, receipts and audit records through
 * callbacks. Time is injected so that unit tests drive expiry and eviction without waiting.
 */
import { randomBytes } from 'node:crypto';
import { AnnouncementStore } from './announcements';
import { AudienceStats, type SwarmAudience } from './audience-stats';
import { FetcherRotation } from './fetchers';
import { PlaylistStore, playlistFrame, type PlaylistVersion } from './playlists';
import { DEFAULT_LIMITS, type SignalingLimits } from './limits';
import { selectPeers, summarize } from './peer-selection';
import {
  CLOSE_CODES, NOT_A_VIOLATION, PROTOCOL_VERSION,
  type AnswerMessage, type ClientMessage, type IceMessage, type IceServer, type JoinMessage,
  type OfferMessage, type ReceiptMessage, type ReceiptPayload, type ReportMessage, type Role,
  type SegmentAnnouncement, type SegmentFrame, type ServedMessage, type SignalErrorCode, type StatsMessage,
  type WelcomeMessage,
} from './protocol';
import { newBucket, takeToken, type TokenBucketState } from './rate-limiter';
import { addressPrefix } from './addresses';
import { IceAllowance, PendingOffers } from './relay-policy';
import { SourceBudgets, type SourceEntry } from './source-budgets';
import type { IceServerProvider } from './ice-servers';
import { NetworkTagger } from './network-tags';
import { ReceiptBudget } from './receipt-budget';
import { receiptPayload, ReceiptValidator } from './receipts';
import { InMemorySwarmRegistry, swarmKeyOf, type PeerRecord, type SwarmRegistry } from './registry';
import type { SupporterVerifier } from './supporters';
import { parseClientMessage, ProtocolViolation } from './validate';

/** One client connection as the coordinator sees it. */
export interface Transport {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Liveness probe (a ws ping); the transport reports the answer through coordinator.touch(). */
  ping?(): void;
  /** Bytes queued for this connection and not yet written. */
  bufferedAmount(): number;
}

export interface SwarmEvent {
  event: 'join' | 'leave';
  stream: string;
  rendition: string;
  peer: string;
  role: Role;
  supporter?: string;
  /** For leave: 'leave' | 'disconnect' | a close reason. */
  reason?: string;
  swarmPeers: number;
  totalPeers: number;
  swarms: number;
}

export interface AuditEvent {
  kind: 'violation' | 'receipt' | 'closed' | 'report' | 'session';
  code: string;
  message: string;
  /** The client's address; absent for events of the operator's own input (kind 'session'). */
  ip?: string;
  peer?: string;
  stream?: string;
  rendition?: string;
  receipt?: ReceiptMessage;
  /** kind 'report': the peer accused of sending bad data, and the segment. */
  accused?: string;
  sequence?: number;
}

export interface CoordinatorStats {
  connections: number;
  peers: number;
  swarms: number;
  /** Client frames per second since the previous stats() call. */
  messagesPerSecond: number;
  messages: number;
  relayed: number;
  announcements: number;
  receipts: number;
  invalidReceipts: number;
  violations: number;
  /** Per swarm, what its viewers measured (their stats reports added up). */
  audience: SwarmAudience[];
}

export interface CoordinatorOptions {
  limits?: Partial<SignalingLimits>;
  /** A fixed list, or a provider called at each join (ephemeral TURN credentials: ice-servers.ts). */
  iceServers?: IceServer[] | IceServerProvider;
  verifySupporter?: SupporterVerifier;
  registry?: SwarmRegistry;
  onSwarmEvent?: (event: SwarmEvent) => void;
  onReceipt?: (receipt: ReceiptPayload) => void;
  onAudit?: (event: AuditEvent) => void;
  /** Key of the receipts' network tags; random per process when absent (tags then change on restart). */
  networkTagKey?: string | Buffer;
  now?: () => number;
  random?: () => number;
}

export interface Session {
  readonly transport: Transport;
  readonly ip: string;
  /** The client's source prefix (IPv4 /32, IPv6 /64): what receipts are deduplicated by. */
  readonly source: string;
  /** Keyed hash of the client's network prefix, carried on its receipts. */
  readonly network: string;
  /** Rejected receipts so far; beyond receiptRejectsAllowed each one is a violation. */
  receiptRejects: number;
  readonly connectedAt: number;
  lastSeen: number;
  bucket: TokenBucketState;
  violations: number;
  joining: boolean;
  closed: boolean;
  peer?: PeerRecord;
  stream?: string;
  rendition?: string;
  /** What the client's source (address prefix) may still do, over all its connections. */
  readonly budget: SourceEntry;
  /** Offers relayed TO this peer awaiting its answer. Lazy. */
  pendingOffers?: PendingOffers;
  /** Peers this one may exchange ICE with (an offer or answer passed between them lately). Lazy. */
  iceAllowed?: IceAllowance;
  /**
   * Peers introduced to or by this one (either side got the other in a list): its likely WebRTC
   * neighbours, told when it leaves and bridged to each other. Lazy, bounded.
   */
  neighbours?: Set<string>;
  /** When this peer's last stats report was accepted. */
  lastStatsAt?: number;
  /**
   * Uploader claims (`served`) of this peer, `${sequence}\n${downloader}` → bytes: the other side
   * of a receipt, so a receipt is credited no more than the uploader says it sent. Lazy, bounded.
   */
  served?: Map<string, number>;
  /** Peers this one had an offer relayed to or from AND answered: receipts between them may be credited. Lazy, bounded. */
  negotiated?: Set<string>;
  /** Receipts waiting for the uploader's served claim: `${uploader}\n${sequence}` → receipt and deadline. Lazy, bounded. */
  heldReceipts?: Map<string, { receipt: ReceiptMessage; until: number }>;
}

const MAX_ICE_PEERS = 64;
/** Deadlines are checked once a second: the join timeout then holds to 10–11 s, not 10–25 s. */
const SWEEP_MS = 1000;
const MAX_NEIGHBOURS = 64;
const MAX_SERVED_CLAIMS = 512;
const MAX_NEGOTIATED = 128;

export class SignalingCoordinator {
  readonly limits: SignalingLimits;
  private readonly registry: SwarmRegistry;
  private readonly announcements: AnnouncementStore;
  private readonly receipts: ReceiptValidator;
  private readonly receiptBudget: ReceiptBudget;
  private readonly tagger: NetworkTagger;
  private readonly playlists: PlaylistStore;
  private readonly fetchers = new FetcherRotation();
  private readonly audience = new AudienceStats();
  /** stream → renditions announced for it: where a new master playlist is pushed. Operator input. */
  private readonly renditionsByStream = new Map<string, Set<string>>();
  private readonly sessions = new Set<Session>();
  private readonly byPeer = new Map<string, Session>();
  private readonly sources: SourceBudgets;
  private readonly now: () => number;
  private readonly random: () => number;
  private closing = false;
  /** The sweep period: the bound by which each deadline may be overshot. */
  readonly sweepMs = SWEEP_MS;
  private lastHeartbeatAt: number;
  private counters = { messages: 0, relayed: 0, announcements: 0, receipts: 0, invalidReceipts: 0, violations: 0 };
  private lastStats: { at: number; messages: number };

  constructor(private readonly options: CoordinatorOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.registry = options.registry ?? new InMemorySwarmRegistry(this.limits);
    // Announcements come from the operator's flow, not from clients; their bound only guards against
    // a flow that cycles through stream names forever.
    this.announcements = new AnnouncementStore(this.limits.receiptWindow, Math.max(this.limits.maxSwarms, 1024));
    this.sources = new SourceBudgets(this.limits);
    this.receipts = new ReceiptValidator(this.announcements);
    this.receiptBudget = new ReceiptBudget(this.limits.receiptBytesPerPeriod, this.limits.receiptPeriodMs);
    this.tagger = new NetworkTagger(options.networkTagKey, { v4: this.limits.networkPrefixV4, v6: this.limits.networkPrefixV6 });
    this.playlists = new PlaylistStore(2 * Math.max(this.limits.maxSwarms, 1024));
    this.lastStats = { at: this.now(), messages: 0 };
    this.lastHeartbeatAt = this.now();
  }

  // ---- connections ------------------------------------------------------------------------------

  /** A client's source: its address by the configured prefix (IPv4 /32, IPv6 /64 by default). */
  sourceOf(ip: string): string {
    return addressPrefix(ip, { v4: this.limits.sourcePrefixV4, v6: this.limits.sourcePrefixV6 });
  }

  /**
   * Upgrade-time admission: origin allow-list, then the source's budgets (attempts, violation debt,
   * connections). Every attempt past the origin check is charged to the source.
   */
  admit(ip: string, origin: string | undefined): { ok: true } | { ok: false; status: 403 | 429 | 503; reason: string } {
    if (this.closing) return { ok: false, status: 503, reason: 'closing' };
    const allowed = this.limits.allowedOrigins;
    if (allowed.length > 0 && (origin === undefined || !allowed.includes(origin))) {
      return { ok: false, status: 403, reason: 'origin not allowed' };
    }
    const source = this.sourceOf(ip);
    switch (this.sources.attemptUpgrade(source, this.now())) {
      case 'too-many-attempts': return { ok: false, status: 429, reason: 'too many connection attempts from this address' };
      case 'too-many-violations': return { ok: false, status: 429, reason: 'too many violations from this address' };
      case 'table-full': return { ok: false, status: 503, reason: 'too many client addresses' };
      case 'ok': break;
    }
    const max = this.limits.maxConnectionsPerIp;
    if (max > 0 && (this.sources.get(source)?.connections ?? 0) >= max) {
      return { ok: false, status: 429, reason: 'too many connections from this address' };
    }
    return { ok: true };
  }

  connect(transport: Transport, ip: string): Session {
    const now = this.now();
    const source = this.sourceOf(ip);
    const session: Session = {
      transport, ip, connectedAt: now, lastSeen: now,
      source, network: this.tagger.network(ip), receiptRejects: 0, budget: this.sources.open(source, now),
      bucket: newBucket(this.limits, now), violations: 0, joining: false, closed: false,
    };
    this.sessions.add(session);
    const max = this.limits.maxConnectionsPerIp;
    // admit() and connect() are separated by the asynchronous upgrade, so concurrent upgrades from
    // one address can pass admit() together; the count is settled here.
    if (max > 0 && session.budget.connections > max) this.closeSession(session, CLOSE_CODES.POLICY_VIOLATION, 'too many connections from this address');
    return session;
  }

  /** The transport closed (either side): forget the session. Idempotent. */
  disconnect(session: Session, reason = 'disconnect'): void {
    if (!this.sessions.delete(session)) return;
    session.closed = true;
    this.leaveSwarm(session, reason);
    this.sources.close(session.budget);
  }

  /** Any sign of life (a pong) from the client. */
  touch(session: Session): void {
    session.lastSeen = this.now();
  }

  // ---- frames -----------------------------------------------------------------------------------

  message(session: Session, data: string | Buffer, isBinary: boolean): void {
    if (session.closed) return;
    const now = this.now();
    session.lastSeen = now;
    this.counters.messages++;
    if (!takeToken(session.bucket, this.limits, now)) {
      this.violation(session, 'E_SIGNAL_RATE_LIMITED', `more than ${this.limits.ratePerSecond} messages/s (burst ${this.limits.burst}); message dropped`, true);
      return;
    }
    if (!this.sources.takeMessage(session.budget, now)) {
      this.violation(session, 'E_SIGNAL_RATE_LIMITED', `more than ${this.limits.sourceRatePerSecond} messages/s from this address (burst ${this.limits.sourceBurst}); message dropped`, true);
      return;
    }
    if (isBinary) {
      this.violation(session, 'E_SIGNAL_BINARY', 'binary frames are not part of the protocol');
      return;
    }
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(typeof data === 'string' ? data : data.toString('utf8'));
    } catch (err) {
      if (err instanceof ProtocolViolation) {
        this.violation(session, err.code, err.message);
        return;
      }
      throw err;
    }
    if (msg.type === 'join') {
      this.join(session, msg);
      return;
    }
    if (msg.type === 'heartbeat') return;
    const peer = session.peer;
    if (!peer) {
      this.violation(session, 'E_SIGNAL_NOT_JOINED', `'${msg.type}' before a successful join`);
      return;
    }
    switch (msg.type) {
      case 'offer': this.relayOffer(session, peer, msg); break;
      case 'answer': this.relayAnswer(session, peer, msg); break;
      case 'ice': this.relayIce(session, peer, msg); break;
      case 'have': peer.latest = msg.sequences.length > 0 ? Math.max(...msg.sequences) : -1; break;
      case 'receipt': this.receipt(session, peer, msg); break;
      case 'peers': this.sendPeers(session, peer, new Set(msg.exclude ?? [])); break;
      case 'leave': this.leaveSwarm(session, 'leave'); break;
      case 'served': this.served(session, peer, msg); break;
      case 'stats': this.viewerStats(session, peer, msg); break;
      case 'report': this.report(session, peer, msg); break;
    }
  }

  // ---- join / leave -----------------------------------------------------------------------------

  private join(session: Session, msg: JoinMessage): void {
    if (session.peer || session.joining) {
      this.violation(session, 'E_SIGNAL_ALREADY_JOINED', 'already in a swarm: send leave first');
      return;
    }
    const key = swarmKeyOf(msg.stream, msg.rendition);
    if (!this.limits.openSwarms && !this.announcements.has(key)) {
      this.error(session, 'E_SIGNAL_UNKNOWN_SWARM', 'no segment has been announced for this stream and rendition yet; retry later');
      return;
    }
    if (msg.role === 'viewer') {
      this.completeJoin(session, msg, key, undefined);
      return;
    }
    const verify = this.options.verifySupporter;
    if (!verify) {
      this.violation(session, 'E_SIGNAL_UNAUTHORIZED', 'this server accepts no supporters');
      return;
    }
    session.joining = true;
    Promise.resolve()
      .then(() => verify(msg.token as string, { stream: msg.stream, rendition: msg.rendition }))
      .then(
        (supporter) => {
          session.joining = false;
          if (session.closed) return;
          if (typeof supporter !== 'string' || supporter === '') {
            this.violation(session, 'E_SIGNAL_UNAUTHORIZED', 'supporter token not accepted');
            return;
          }
          this.completeJoin(session, msg, key, supporter);
        },
        () => {
          session.joining = false;
          if (!session.closed) this.violation(session, 'E_SIGNAL_UNAUTHORIZED', 'supporter token could not be verified');
        },
      );
  }

  private completeJoin(session: Session, msg: JoinMessage, key: string, supporter: string | undefined): void {
    if (!this.registry.ensureSwarm({ key, stream: msg.stream, rendition: msg.rendition })) {
      this.error(session, 'E_SIGNAL_TOO_MANY_SWARMS', `the server is coordinating its maximum of ${this.limits.maxSwarms} swarms`);
      return;
    }
    let id = newPeerId();
    while (this.byPeer.has(id)) id = newPeerId();
    const peer: PeerRecord = {
      id, role: msg.role, swarmKey: key, introductions: 0, joinedAt: this.now(), joinMark: this.announcements.mark(),
      latest: msg.have && msg.have.length > 0 ? Math.max(...msg.have) : -1,
    };
    if (supporter !== undefined) peer.supporter = supporter;
    if (msg.upload === false) peer.uploads = false;
    if (!this.registry.addPeer(peer)) {
      this.error(session, 'E_SIGNAL_SWARM_FULL', `this swarm has its maximum of ${this.limits.maxPeersPerSwarm} peers`);
      return;
    }
    session.peer = peer;
    session.stream = msg.stream;
    session.rendition = msg.rendition;
    this.byPeer.set(id, session);

    const welcome: WelcomeMessage = {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      peer: id,
      stream: msg.stream,
      rendition: msg.rendition,
      role: msg.role,
      peers: this.introduce(session, peer, new Set()),
      iceServers: this.iceServersFor(id, msg, supporter),
      segments: this.announcements.latest(key, this.limits.segmentsInWelcome).map(withoutStream),
      playlists: this.playlists.forJoin(msg.stream, msg.rendition),
      heartbeatMs: this.limits.heartbeatMs,
      limits: {
        maxMessageBytes: this.limits.maxMessageBytes, ratePerSecond: this.limits.ratePerSecond, burst: this.limits.burst,
        statsIntervalMs: this.limits.statsIntervalMs,
      },
    };
    this.send(session, JSON.stringify(welcome));
    this.emitSwarm('join', session, peer, undefined);
  }

  private iceServersFor(peer: string, msg: JoinMessage, supporter: string | undefined): IceServer[] {
    const configured = this.options.iceServers ?? [];
    if (typeof configured !== 'function') return configured;
    return configured({ peer, stream: msg.stream, rendition: msg.rendition, role: msg.role, ...(supporter === undefined ? {} : { supporter }) });
  }

  /** Picks peers for `peer`, records who now knows whom, and returns their summaries. */
  private introduce(session: Session, peer: PeerRecord, exclude: ReadonlySet<string>) {
    const chosen = selectPeers(this.registry, peer.swarmKey, peer.id, exclude, {
      max: this.limits.peersPerList,
      sampleSize: this.limits.selectionSample,
      latestSequence: this.announcements.latestSequence(peer.swarmKey),
      random: this.random,
    });
    for (const other of chosen) {
      other.introductions++;
      const otherSession = this.byPeer.get(other.id);
      if (otherSession) linkNeighbours(session, peer.id, otherSession, other.id, this.byPeer);
    }
    return chosen.map(summarize);
  }

  private sendPeers(session: Session, peer: PeerRecord, exclude: Set<string>): void {
    this.send(session, JSON.stringify({ type: 'peers', peers: this.introduce(session, peer, exclude) }));
  }

  private leaveSwarm(session: Session, reason: string): void {
    const peer = session.peer;
    if (!peer) return;
    session.peer = undefined;
    session.pendingOffers = undefined;
    session.iceAllowed = undefined;
    session.served = undefined;
    session.negotiated = undefined;
    // Receipts still waiting for a claim are dropped: the downloader is gone, nobody awaits an ack.
    session.heldReceipts = undefined;
    session.lastStatsAt = undefined;
    const remaining = this.registry.removePeer(peer);
    this.byPeer.delete(peer.id);
    this.audience.peerLeft(peer.swarmKey, peer.id);
    if (remaining === 0) {
      this.audience.swarmEmptied(peer.swarmKey);
      this.fetchers.forget(peer.swarmKey);
      this.receipts.forget(peer.swarmKey);
    }
    if (session.neighbours) this.bridgeNeighbours(session, peer);
    this.emitSwarm('leave', session, peer, reason, remaining);
  }

  /**
   * Tells the departed peer's neighbours that it left, and links them to each other in a ring
   * (each gets the next one as `replacement`). The departed peer may have been the only path
   * between parts of the swarm; the ring keeps those parts connected without waiting for anyone
   * to notice a dead WebRTC connection.
   */
  private bridgeNeighbours(session: Session, peer: PeerRecord): void {
    const alive: Session[] = [];
    for (const otherId of session.neighbours!) {
      const other = this.byPeer.get(otherId);
      if (other && other.peer && other.peer.swarmKey === peer.swarmKey) {
        other.neighbours?.delete(peer.id);
        alive.push(other);
      }
    }
    session.neighbours = undefined;
    for (let i = 0; i < alive.length; i++) {
      const other = alive[i];
      const next = alive.length > 1 ? alive[(i + 1) % alive.length] : undefined;
      const frame: Record<string, unknown> = { type: 'peer-left', peer: peer.id };
      if (next && next.peer) {
        frame.replacement = summarize(next.peer);
        linkNeighbours(other, other.peer!.id, next, next.peer.id, this.byPeer);
      }
      this.send(other, JSON.stringify(frame));
    }
  }

  // ---- relay ------------------------------------------------------------------------------------

  /** The addressee, only if it is in the sender's own swarm (a peer elsewhere looks unknown). */
  private addressee(session: Session, peer: PeerRecord, to: string): Session | undefined {
    if (to === peer.id) {
      this.violation(session, 'E_SIGNAL_BAD_FIELD', 'to must be another peer');
      return undefined;
    }
    const target = this.byPeer.get(to);
    if (!target || !target.peer || target.peer.swarmKey !== peer.swarmKey) {
      this.error(session, 'E_SIGNAL_UNKNOWN_PEER', 'no such peer in your swarm');
      return undefined;
    }
    return target;
  }

  private relayOffer(session: Session, peer: PeerRecord, msg: OfferMessage): void {
    const target = this.addressee(session, peer, msg.to);
    if (!target) return;
    const expires = this.now() + this.limits.offerTtlMs;
    const pending = target.pendingOffers ?? (target.pendingOffers = new PendingOffers(this.limits.maxPendingOffersPerPair, this.limits.maxPendingOffers));
    if (pending.add(peer.id, msg.offerId, expires) === 'busy') {
      this.error(session, 'E_SIGNAL_BUSY', 'that peer has too many offers pending; try another peer or later');
      return;
    }
    this.allowIce(session, msg.to, expires);
    this.allowIce(target, peer.id, expires);
    this.relay(target, JSON.stringify({ type: 'offer', from: peer.id, offerId: msg.offerId, sdp: msg.sdp }));
  }

  private relayAnswer(session: Session, peer: PeerRecord, msg: AnswerMessage): void {
    const target = this.addressee(session, peer, msg.to);
    if (!target) return;
    const now = this.now();
    const found = session.pendingOffers?.take(msg.to, msg.offerId, now) ?? 'none';
    if (found === 'expired') {
      this.error(session, 'E_SIGNAL_OFFER_EXPIRED', 'that offer expired or was replaced by a newer one from the same peer');
      return;
    }
    if (found === 'none') {
      this.violation(session, 'E_SIGNAL_NO_OFFER', 'no pending offer from that peer with that offerId (answers are relayed only for relayed offers)');
      return;
    }
    const until = now + this.limits.offerTtlMs;
    this.allowIce(session, msg.to, until);
    this.allowIce(target, peer.id, until);
    markNegotiated(session, msg.to);
    markNegotiated(target, peer.id);
    this.relay(target, JSON.stringify({ type: 'answer', from: peer.id, offerId: msg.offerId, sdp: msg.sdp }));
  }

  private relayIce(session: Session, peer: PeerRecord, msg: IceMessage): void {
    const target = this.addressee(session, peer, msg.to);
    if (!target) return;
    const allowed = session.iceAllowed?.check(msg.to, this.now()) ?? 'none';
    if (allowed === 'expired') {
      this.error(session, 'E_SIGNAL_SESSION_EXPIRED', 'the offer/answer exchange with that peer is over; late candidates are dropped');
      return;
    }
    if (allowed === 'none') {
      this.violation(session, 'E_SIGNAL_NO_SESSION', 'ICE candidates flow only between peers with an offer or answer in progress');
      return;
    }
    this.relay(target, JSON.stringify({ type: 'ice', from: peer.id, offerId: msg.offerId, candidate: msg.candidate }));
  }

  private allowIce(session: Session, other: string, until: number): void {
    const allowance = session.iceAllowed ?? (session.iceAllowed = new IceAllowance(MAX_ICE_PEERS, this.limits.offerTtlMs));
    allowance.allow(other, until);
  }

  private relay(target: Session, frame: string): void {
    this.counters.relayed++;
    this.send(target, frame);
  }

  // ---- receipts and announcements -----------------------------------------------------------------

  private receipt(session: Session, peer: PeerRecord, msg: ReceiptMessage): void {
    const uploaderSession = this.byPeer.get(msg.from);
    const uploader = uploaderSession?.peer?.swarmKey === peer.swarmKey ? uploaderSession.peer : undefined;
    const check = this.receipts.check(peer, uploader, session.negotiated?.has(msg.from) === true, msg);
    if (!check.ok) return this.rejectReceipt(session, peer, msg, check.code, check.message);
    if (!this.receipts.firstFromSource(peer.swarmKey, msg.sequence, session.source)) {
      return this.rejectReceipt(session, peer, msg, 'E_RECEIPT_DUPLICATE', `a receipt for segment ${msg.sequence} was already filed from this address`);
    }
    const claim = uploaderSession!.served?.get(`${msg.sequence}\n${peer.id}`);
    if (claim !== undefined) return this.credit(session, peer, uploaderSession!, msg, claim);
    const held = session.heldReceipts ?? (session.heldReceipts = new Map());
    if (held.size >= this.limits.maxHeldReceipts) {
      return this.rejectReceipt(session, peer, msg, 'E_RECEIPT_UNCONFIRMED', `more than ${this.limits.maxHeldReceipts} receipts are waiting for their uploader's served claim`);
    }
    held.set(`${msg.from}\n${msg.sequence}`, { receipt: { ...msg }, until: this.now() + this.limits.receiptHoldMs });
  }

  /** Both claims are in: credits the smaller one, within the downloader source's budget. */
  private credit(session: Session, peer: PeerRecord, uploaderSession: Session, msg: ReceiptMessage, claim: number): void {
    const segment = this.announcements.find(peer.swarmKey, msg.sequence);
    if (!segment) return this.rejectReceipt(session, peer, msg, 'E_RECEIPT_UNKNOWN_SEGMENT', `segment ${msg.sequence} left the receipt window`);
    const credited = this.receiptBudget.take(session.source, Math.min(msg.bytes, claim), this.now());
    if (credited === 0) {
      return this.rejectReceipt(session, peer, msg, 'E_RECEIPT_OVER_BUDGET', `this address was credited its ${this.limits.receiptBytesPerPeriod} bytes for the period`);
    }
    const receipt = receiptPayload(
      segment, msg, claim, credited,
      { peer: uploaderSession.peer!, source: uploaderSession.source, network: uploaderSession.network },
      { peer, source: session.source, network: session.network, sourceTag: this.tagger.tag(`src:${session.source}`) },
      new Date(this.now()),
    );
    this.counters.receipts++;
    this.send(session, JSON.stringify({ type: 'receipt-ack', sequence: msg.sequence, from: msg.from }));
    this.options.onReceipt?.(receipt);
  }

  private rejectReceipt(session: Session, peer: PeerRecord, msg: ReceiptMessage, code: SignalErrorCode, message: string): void {
    this.counters.invalidReceipts++;
    this.options.onAudit?.({
      kind: 'receipt', code, message, ip: session.ip,
      peer: peer.id, stream: session.stream, rendition: session.rendition, receipt: { ...msg },
    });
    // A few rejections are honest (an uploader that just left, a claim that got lost); a stream of them is probing.
    session.receiptRejects++;
    if (session.receiptRejects > this.limits.receiptRejectsAllowed) this.violation(session, code, message);
    else this.error(session, code, message);
  }

  /** The uploader's claim for one delivery; credits a receipt that was waiting for it, else waits for the receipt. */
  private served(session: Session, peer: PeerRecord, msg: ServedMessage): void {
    const claims = session.served ?? (session.served = new Map());
    const key = `${msg.sequence}\n${msg.to}`;
    claims.delete(key);
    claims.set(key, msg.bytes);
    if (claims.size > MAX_SERVED_CLAIMS) claims.delete(claims.keys().next().value as string);
    const downloader = this.byPeer.get(msg.to);
    const heldKey = `${peer.id}\n${msg.sequence}`;
    const held = downloader?.heldReceipts?.get(heldKey);
    if (!downloader || !held || downloader.peer?.swarmKey !== peer.swarmKey) return;
    downloader.heldReceipts!.delete(heldKey);
    this.credit(downloader, downloader.peer, session, held.receipt, msg.bytes);
  }

  /** Refuses receipts whose uploader never sent its served claim in time. */
  private expireHeldReceipts(session: Session, now: number): void {
    const held = session.heldReceipts;
    if (!held || !session.peer) return;
    for (const [key, entry] of held) {
      if (entry.until > now) continue;
      held.delete(key);
      this.rejectReceipt(session, session.peer, entry.receipt, 'E_RECEIPT_UNCONFIRMED', `the uploader did not confirm serving segment ${entry.receipt.sequence} within ${this.limits.receiptHoldMs} ms`);
      if (session.closed) return;
    }
  }

  private viewerStats(session: Session, peer: PeerRecord, msg: StatsMessage): void {
    const now = this.now();
    if (session.lastStatsAt !== undefined && now - session.lastStatsAt < this.limits.statsIntervalMs / 2) {
      this.violation(session, 'E_SIGNAL_RATE_LIMITED', `stats reports at most once per ${this.limits.statsIntervalMs} ms`, true);
      return;
    }
    session.lastStatsAt = now;
    this.audience.record(peer.swarmKey, session.stream!, session.rendition!, peer.id, msg);
  }

  private report(session: Session, peer: PeerRecord, msg: ReportMessage): void {
    this.options.onAudit?.({
      kind: 'report', code: `PEER_BAD_${msg.reason.toUpperCase()}`,
      message: `peer ${msg.peer} sent data for segment ${msg.sequence} that failed the ${msg.reason} check`,
      ip: session.ip, peer: peer.id, stream: session.stream, rendition: session.rendition,
      accused: msg.peer, sequence: msg.sequence,
    });
  }

  /** Pushes a new segment to its swarm, naming who fetches it first. Returns the peers told (0 for a replay). */
  announce(a: SegmentAnnouncement): number {
    const added = this.announcements.add(a);
    if (added === 'ignored') return 0;
    this.counters.announcements++;
    this.rememberRendition(a.stream, a.rendition);
    const key = swarmKeyOf(a.stream, a.rendition);
    if (added === 'session-restarted') {
      // Sequence numbers start over: receipts for the old numbers must not be taken for the new ones.
      this.receipts.forget(key);
      this.options.onAudit?.({
        kind: 'session', code: 'SESSION_RESTARTED', stream: a.stream, rendition: a.rendition,
        message: `hls-watch session ${a.session} restarted the sequence at ${a.sequence}; the previous window was dropped`,
      });
    } else if (added === 'session-changed') {
      this.options.onAudit?.({
        kind: 'session', code: 'SESSION_CHANGED', stream: a.stream, rendition: a.rendition,
        message: `hls-watch session ${a.session} continues at sequence ${a.sequence}`,
      });
    }
    this.receipts.prune(key);
    const members = this.registry.members(key);
    const frame: SegmentFrame = {
      type: 'segment', sequence: a.sequence, rendition: a.rendition, url: a.url, size: a.size, sha256: a.sha256, duration: a.duration,
      fetchers: this.fetchers.choose(key, this.registry.supporters(key), members),
    };
    return this.broadcast(key, JSON.stringify(frame));
  }

  /**
   * Pushes a playlist version to the peers that play it: a media playlist to its swarm, a master
   * playlist to every swarm of its stream. Returns the peers told (0 when it did not change).
   */
  pushPlaylist(version: PlaylistVersion): number {
    if (!this.playlists.set(version)) return 0;
    const frame = playlistFrame(version);
    if (version.rendition !== null) return this.broadcast(swarmKeyOf(version.stream, version.rendition), frame);
    let told = 0;
    for (const rendition of this.renditionsByStream.get(version.stream) ?? []) told += this.broadcast(swarmKeyOf(version.stream, rendition), frame);
    return told;
  }

  private broadcast(swarmKey: string, frame: string): number {
    let told = 0;
    // Copy: a send can close a slow consumer, which removes it from the member array mid-loop.
    for (const member of this.registry.members(swarmKey).slice()) {
      const target = this.byPeer.get(member.id);
      if (target) {
        this.send(target, frame);
        told++;
      }
    }
    return told;
  }

  private rememberRendition(stream: string, rendition: string): void {
    let renditions = this.renditionsByStream.get(stream);
    if (!renditions) {
      // Operator input; the bound only guards against a flow cycling through stream names.
      if (this.renditionsByStream.size >= Math.max(this.limits.maxSwarms, 1024)) {
        this.renditionsByStream.delete(this.renditionsByStream.keys().next().value as string);
      }
      renditions = new Set();
      this.renditionsByStream.set(stream, renditions);
    }
    if (renditions.size < 64) renditions.add(rendition);
  }

  // ---- liveness, stats, shutdown --------------------------------------------------------------------

  /**
   * Call every `sweepMs`. Closes connections past their deadlines (no join within joinTimeoutMs,
   * silent for peerTimeoutMs) and refuses receipts whose served claim did not come — so each deadline
   * holds to within one sweep — and once per heartbeat pings everyone and drops expired relay state.
   */
  sweep(): void {
    const now = this.now();
    const heartbeat = now - this.lastHeartbeatAt >= this.limits.heartbeatMs;
    if (heartbeat) this.lastHeartbeatAt = now;
    for (const session of [...this.sessions]) {
      if (session.closed) continue;
      if (now - session.lastSeen > this.limits.peerTimeoutMs) {
        this.closeSession(session, CLOSE_CODES.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
      } else if (!session.peer && !session.joining && now - session.connectedAt > this.limits.joinTimeoutMs) {
        this.closeSession(session, CLOSE_CODES.JOIN_TIMEOUT, 'no join');
      } else {
        if (session.heldReceipts?.size) this.expireHeldReceipts(session, now);
        if (!heartbeat || session.closed) continue;
        session.transport.ping?.();
        session.pendingOffers?.expire(now);
        session.iceAllowed?.expire(now);
      }
    }
    if (heartbeat) this.sources.prune(now);
  }

  /** How much state the coordinator holds, by structure (what the bounds specs watch). */
  footprint() {
    return {
      sessions: this.sessions.size,
      peers: this.registry.totalPeers(),
      swarms: this.registry.swarmCount(),
      sources: this.sources.size(),
      receiptSwarms: this.receipts.trackedSwarms(),
      fetcherSwarms: this.fetchers.trackedSwarms(),
      audienceSwarms: this.audience.trackedSwarms(),
    };
  }

  stats(): CoordinatorStats {
    const now = this.now();
    const elapsed = Math.max(1, now - this.lastStats.at);
    const rate = ((this.counters.messages - this.lastStats.messages) * 1000) / elapsed;
    this.lastStats = { at: now, messages: this.counters.messages };
    return {
      connections: this.sessions.size,
      peers: this.registry.totalPeers(),
      swarms: this.registry.swarmCount(),
      messagesPerSecond: Math.round(rate * 10) / 10,
      ...this.counters,
      audience: this.audience.summary(),
    };
  }

  peerCount(): number {
    return this.registry.totalPeers();
  }

  /** Closes every connection with `code` (4000 when the node stops). Emits no leave events. */
  closeAll(code: number = CLOSE_CODES.NODE_CLOSED, reason = 'node closed'): void {
    this.closing = true;
    for (const session of [...this.sessions]) {
      session.closed = true;
      try { session.transport.close(code, reason); } catch { /* already gone */ }
    }
    this.sessions.clear();
    this.byPeer.clear();
    this.sources.clear();
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private send(session: Session, frame: string): void {
    if (session.closed) return;
    if (session.transport.bufferedAmount() > this.limits.maxBufferedBytes) {
      this.closeSession(session, CLOSE_CODES.SLOW_CONSUMER, 'not reading');
      return;
    }
    session.transport.send(frame);
  }

  private error(session: Session, code: SignalErrorCode, message: string): void {
    this.send(session, JSON.stringify({ type: 'error', code, message }));
  }

  private violation(session: Session, code: SignalErrorCode, message: string, rate = false): void {
    if (NOT_A_VIOLATION.has(code)) {
      this.error(session, code, message);
      return;
    }
    this.counters.violations++;
    session.violations++;
    this.sources.violation(session.budget, this.now());
    this.options.onAudit?.({
      kind: 'violation', code, message, ip: session.ip,
      peer: session.peer?.id, stream: session.stream, rendition: session.rendition,
    });
    if (session.violations > this.limits.maxViolations) {
      const closeCode = rate ? CLOSE_CODES.RATE_LIMITED : CLOSE_CODES.POLICY_VIOLATION;
      this.options.onAudit?.({
        kind: 'closed', code: String(closeCode), message: `closed after ${session.violations} violations (last: ${code})`,
        ip: session.ip, peer: session.peer?.id, stream: session.stream, rendition: session.rendition,
      });
      this.closeSession(session, closeCode, rate ? 'rate limit' : 'policy violation');
      return;
    }
    this.error(session, code, message);
  }

  /** Closes from the server side: out of the swarm at once, so nobody relays to a closing peer. */
  private closeSession(session: Session, code: number, reason: string): void {
    if (session.closed) return;
    session.closed = true;
    this.leaveSwarm(session, reason);
    try { session.transport.close(code, reason); } catch { /* already gone */ }
    this.disconnect(session, reason);
  }

  private emitSwarm(event: 'join' | 'leave', session: Session, peer: PeerRecord, reason: string | undefined, remaining?: number): void {
    if (this.closing || !this.options.onSwarmEvent) return;
    const e: SwarmEvent = {
      event,
      stream: session.stream!,
      rendition: session.rendition!,
      peer: peer.id,
      role: peer.role,
      swarmPeers: remaining ?? this.registry.peerCount(peer.swarmKey),
      totalPeers: this.registry.totalPeers(),
      swarms: this.registry.swarmCount(),
    };
    if (peer.supporter !== undefined) e.supporter = peer.supporter;
    if (reason !== undefined) e.reason = reason;
    this.options.onSwarmEvent(e);
  }
}

function newPeerId(): string {
  return randomBytes(9).toString('base64url');
}

/**
 * Makes two sessions neighbours of each other. A full set drops its oldest neighbour, and that
 * neighbour forgets it too, so every link stays two-way: a one-way link would leave the other side
 * out of the bridging when this peer leaves.
 */
function linkNeighbours(a: Session, aId: string, b: Session, bId: string, byPeer: ReadonlyMap<string, Session>): void {
  const an = a.neighbours ?? (a.neighbours = new Set());
  const bn = b.neighbours ?? (b.neighbours = new Set());
  an.delete(bId); an.add(bId);
  bn.delete(aId); bn.add(aId);
  for (const [set, selfId] of [[an, aId], [bn, bId]] as const) {
    while (set.size > MAX_NEIGHBOURS) {
      const oldest = set.values().next().value as string;
      set.delete(oldest);
      byPeer.get(oldest)?.neighbours?.delete(selfId);
    }
  }
}

function markNegotiated(session: Session, other: string): void {
  const negotiated = session.negotiated ?? (session.negotiated = new Set());
  negotiated.delete(other);
  negotiated.add(other);
  if (negotiated.size > MAX_NEGOTIATED) negotiated.delete(negotiated.values().next().value as string);
}


function withoutStream(a: SegmentAnnouncement): Omit<SegmentAnnouncement, 'stream'> {
  return { sequence: a.sequence, rendition: a.rendition, url: a.url, size: a.size, sha256: a.sha256, duration: a.duration };
}
