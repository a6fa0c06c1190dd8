/**
 * The swarm coordinator: everything the signaling node does, minus WebSockets and Node-RED.
 * A transport (the node's ws server, or a test double) hands it connections and frames; it answers
 * through the Transport interface and reports swarm events, receipts and audit records through
 * callbacks. Time is injected so that unit tests drive expiry and eviction without waiting.
 *
 * This file wires the parts together and dispatches frames; each part owns one concern:
 * connections.ts (admission, budgets, liveness), violations.ts, membership.ts (join/leave),
 * relay.ts (offers, answers, ICE), neighbourhood.ts (introductions, bridging), receipt-desk.ts,
 * swarm-feed.ts (announcements, playlists).
 */
import { AnnouncementStore } from './announcements';
import { isShared, type ClusterMessage } from './cluster';
import { AudienceStats } from './audience-stats';
import { ExposureLedger } from './exposure';
import { Connections, SWEEP_MS, type Admission } from './connections';
import { FetcherChoice } from './fetchers';
import type { IceServerProvider } from './ice-servers';
import { DEFAULT_LIMITS, type SignalingLimits } from './limits';
import { Membership } from './membership';
import { Neighbourhood } from './neighbourhood';
import { NetworkTagger } from './network-tags';
import { playRateOf } from './playable';
import { PlaylistStore, type PlaylistVersion } from './playlists';
import {
  CLOSE_CODES,
  type ClientMessage,
  type IceServer,
  type ReceiptPayload,
  type ReportMessage,
  type SegmentAnnouncement,
  type StatsMessage,
} from './protocol';
import type { SignalingStats } from '../protocol/msgs';
import { ReceiptDesk } from './receipt-desk';
import { InMemorySwarmRegistry, renditionKeyOf, type PeerRecord, type SwarmRegistry } from './registry';
import { Relay } from './relay';
import { switchRendition, type RenditionSwitchParts } from './rendition-switch';
import type { AuditEvent, Session, SignalingContext, SwarmEvent, Transport } from './session';
import type { SupporterVerifier } from './supporters';
import { SwarmFeed } from './swarm-feed';
import { parseClientMessage, ProtocolViolation } from './validate';
import { encodeServerFrame } from '../protocol';

export type { AuditEvent, Session, SwarmEvent, Transport } from './session';

/** The payload of the stats msg (output 1): declared with its schema. */
export type CoordinatorStats = SignalingStats;

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

/** A viewer's copy goes wrong only by a lost frame or a bug: once a second is plenty, and bounds what a client can pull. */
const RESYNC_INTERVAL_MS = 1000;
export class SignalingCoordinator {
  readonly limits: SignalingLimits;
  /** The sweep period: the bound by which each deadline may be overshot. */
  readonly sweepMs = SWEEP_MS;
  private readonly registry: SwarmRegistry;
  private readonly connections: Connections;
  private readonly membership: Membership;
  private readonly relay: Relay;
  private readonly neighbourhood: Neighbourhood;
  private readonly audit: (event: AuditEvent) => void;
  private readonly receipts: ReceiptDesk;
  private readonly feed: SwarmFeed;
  private readonly playlists: PlaylistStore;
  private readonly fetchers = new FetcherChoice();
  private readonly audience: AudienceStats;
  /** `report` frames refused (the stats output). */
  private refusedReports = 0;
  private readonly now: () => number;
  private readonly ctx: SignalingContext;
  private readonly switchParts: RenditionSwitchParts;
  private messages = 0;
  private lastStats: { at: number; messages: number };

  constructor(options: CoordinatorOptions = {}) {
    const limits = (this.limits = { ...DEFAULT_LIMITS, ...options.limits });
    const now = (this.now = options.now ?? Date.now);
    const audit = (this.audit = (event: AuditEvent) => options.onAudit?.(event));
    const registry = (this.registry = options.registry ?? new InMemorySwarmRegistry(limits));
    const cluster = isShared(registry) ? registry : undefined;
    const tagger = new NetworkTagger(options.networkTagKey, { v4: limits.networkPrefixV4, v6: limits.networkPrefixV6 });
    const connections = (this.connections = new Connections(limits, tagger, now, audit));
    const ctx: SignalingContext = (this.ctx = {
      limits,
      now,
      audit,
      sessionOf: (peerId) => this.membership.byPeer.get(peerId),
      send: (session, frame) => connections.send(session, frame),
      error: (session, code, message) => connections.error(session, code, message),
      violation: (session, code, message, flood) => connections.violations.violation(session, code, message, flood),
      cluster,
    });
    // Announcements come from the operator's flow, not from clients; the bounds only guard against a
    // flow that cycles through stream names forever.
    const announcements = new AnnouncementStore(limits.receiptWindow, Math.max(limits.maxSwarms, 1024));
    const playlists = (this.playlists = new PlaylistStore(2 * Math.max(limits.maxSwarms, 1024), now));
    // What a viewer could have played bounds its stats report: every rendition of its stream counts (it may switch level).
    const announcedOf = (stream: string) =>
      this.feed.renditionsOf(stream).flatMap((r) => announcements.latest(renditionKeyOf(stream, r), limits.receiptWindow));
    this.audience = new AudienceStats((stream) => playRateOf(announcedOf(stream)), now, limits.peersPerList);
    this.relay = new Relay(ctx);
    this.neighbourhood = new Neighbourhood(ctx, registry, announcements, options.random ?? Math.random, new ExposureLedger(limits));
    this.receipts = new ReceiptDesk(ctx, announcements, tagger, connections.sources, (receipt) => options.onReceipt?.(receipt));
    this.feed = new SwarmFeed(ctx, registry, announcements, playlists, this.fetchers, this.receipts);
    this.membership = new Membership(ctx, {
      registry,
      announcements,
      playlists,
      relay: this.relay,
      receipts: this.receipts,
      fetchers: this.fetchers,
      audience: this.audience,
      neighbourhood: this.neighbourhood,
      renditionsOf: (stream) => this.feed.renditionsOf(stream),
      iceServers: options.iceServers,
      verifySupporter: options.verifySupporter,
      onSwarmEvent: options.onSwarmEvent,
      closing: () => connections.isClosing,
      takeJoin: (session) => connections.sources.takeJoin(session.network, now()),
    });
    this.switchParts = { registry, announcements, playlists, receipts: this.receipts, audience: this.audience };
    connections.hooks = {
      leave: (session, reason) => this.membership.leave(session, reason),
      deadlines: (session, at) => this.receipts.expireHeld(session, at),
      heartbeat: (session, at) => this.relay.expire(session, at),
    };
    this.lastStats = { at: now(), messages: 0 };
    cluster?.attach({ deliver: (message) => this.fromInstance(message), mark: () => announcements.mark() });
  }

  /** What another instance sent this one (several instances share a registry: cluster.ts). */
  private fromInstance(message: ClusterMessage): void {
    switch (message.kind) {
      case 'relay':
        return this.relay.fromInstance(message);
      case 'error': {
        const session = this.membership.byPeer.get(message.to);
        if (session) this.connections.error(session, message.code, message.message);
        return;
      }
      case 'served':
        return this.receipts.servedFromInstance(message);
      case 'segment':
        this.feed.announce(message.segment, message.fetchers);
        return;
      case 'playlist':
        this.feed.pushPlaylist(message.version, true);
        return;
    }
  }

  admit(ip: string, origin: string | undefined): Admission {
    return this.connections.admit(ip, origin);
  }
  auditRefusal(ip: string, status: number, message: string): void {
    this.connections.auditRefusal(ip, status, message);
  }
  /** `host`: the host the client used (checked, built-in-stun.ts), where the built-in STUN entry points. */
  connect(transport: Transport, ip: string, host?: string): Session {
    return this.connections.connect(transport, ip, host);
  }
  /** The transport closed (either side): forget the session. Idempotent. */
  disconnect(session: Session, reason = 'disconnect'): void {
    this.connections.disconnect(session, reason);
  }
  /** Any sign of life (a pong) from the client. */
  touch(session: Session): void {
    session.lastSeen = this.now();
  }
  /** Call every `sweepMs`: deadlines, and once per heartbeat pings and expiry. */
  sweep(): void {
    this.connections.sweep();
    this.receipts.flushAudit();
  }
  announce(segment: SegmentAnnouncement): number {
    return this.feed.announce(segment);
  }
  pushPlaylist(version: PlaylistVersion): number {
    return this.feed.pushPlaylist(version);
  }
  /** Renditions announced for a stream, first announced first. */
  renditionsOf(stream: string): string[] {
    return this.feed.renditionsOf(stream);
  }
  /**
   * The swarm a viewer page joins first: the master playlist's first variant, where hls.js starts
   * (joining another meant a switch during start-up, and the page inlined the wrong media playlist),
   * when segments of it were announced; else the first rendition announced.
   */
  startRendition(stream: string): string | undefined {
    const announced = this.feed.renditionsOf(stream);
    const first = this.playlists.firstVariant(stream);
    return first !== undefined && announced.includes(first) ? first : announced[0];
  }
  /** The latest master and media playlist a peer joining stream/rendition would be welcomed with. */
  playlistsFor(stream: string, rendition: string) {
    return this.playlists.forJoin(stream, rendition);
  }
  peerCount(): number {
    return this.registry.totalPeers();
  }
  /** Per swarm, what its viewers reported, bounded and voted (the same as stats().audience, without resetting stats()'s rate window). */
  audienceSummary() {
    return this.audience.summary();
  }

  /** One frame from a client: budgets, validation, then the part that handles its type. */
  message(session: Session, data: string | Buffer, isBinary: boolean): void {
    if (session.closed) return;
    const now = this.now();
    session.lastSeen = now;
    this.messages++;
    if (!this.connections.takeFrame(session, now)) return;
    const violation = this.connections.violations;
    if (isBinary) return violation.violation(session, 'E_SIGNAL_BINARY', 'binary frames are not part of the protocol');
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(typeof data === 'string' ? data : data.toString('utf8'));
    } catch (err) {
      if (err instanceof ProtocolViolation) return violation.violation(session, err.code, err.message);
      throw err;
    }
    if (msg.type === 'join') return this.membership.join(session, msg);
    if (msg.type === 'heartbeat') return;
    const peer = session.peer;
    if (!peer) return violation.violation(session, 'E_SIGNAL_NOT_JOINED', `'${msg.type}' before a successful join`);
    switch (msg.type) {
      case 'offer':
        return this.relay.offer(session, peer, msg);
      case 'answer':
        return this.relay.answer(session, peer, msg);
      case 'ice':
        return this.relay.ice(session, peer, msg);
      case 'have':
        peer.latest = msg.sequences.length > 0 ? Math.max(...msg.sequences) : -1;
        return;
      case 'peers':
        return this.connections.send(
          session,
          encodeServerFrame({ type: 'peers', peers: this.neighbourhood.introduce(session, peer, new Set(msg.exclude), true) }),
        );
      case 'rendition':
        return switchRendition(this.ctx, this.switchParts, session, peer, msg);
      case 'resync':
        return this.resync(session, peer);
      case 'leave':
        return this.membership.leave(session, 'leave');
      case 'receipt':
        return this.receipts.receipt(session, peer, msg);
      case 'served':
        return this.receipts.served(session, peer, msg);
      case 'deliveries':
        // Each entry as its own frame would be: one budget token for the frame, the receipt desk's own bounds per entry.
        for (const r of msg.receipts ?? []) if (!session.closed) this.receipts.receipt(session, peer, { type: 'receipt', ...r });
        for (const c of msg.served ?? []) if (!session.closed) this.receipts.served(session, peer, { type: 'served', ...c });
        return;
      case 'stats':
        return this.viewerStats(session, peer, msg);
      case 'report':
        return this.report(session, peer, msg);
    }
  }

  /**
   * Whole copies of the playlists a peer plays, after its copy missed a version or failed a delta's
   * digest. Bounded like stats: a client asking more often than once per RESYNC_INTERVAL_MS is
   * flooding (each answer costs up to two whole playlists).
   */
  private resync(session: Session, peer: PeerRecord): void {
    const now = this.now();
    if (session.lastResyncAt !== undefined && now - session.lastResyncAt < RESYNC_INTERVAL_MS) {
      this.connections.violations.violation(session, 'E_SIGNAL_RATE_LIMITED', `resync at most once per ${RESYNC_INTERVAL_MS} ms`, true);
      return;
    }
    session.lastResyncAt = now;
    for (const playlist of this.playlists.forJoin(session.stream!, peer.rendition))
      this.connections.send(session, encodeServerFrame({ type: 'playlist', ...playlist }));
  }

  private viewerStats(session: Session, peer: PeerRecord, msg: StatsMessage): void {
    const now = this.now();
    if (session.lastStatsAt !== undefined && now - session.lastStatsAt < this.limits.statsIntervalMs / 2) {
      this.connections.violations.violation(session, 'E_SIGNAL_RATE_LIMITED', `stats reports at most once per ${this.limits.statsIntervalMs} ms`, true);
      return;
    }
    session.lastStatsAt = now;
    if (msg.spareUpload !== undefined && msg.spareUpload !== peer.spareUpload) {
      peer.spareUpload = msg.spareUpload;
      this.registry.spareChanged(peer);
    }
    const viewer = { peer: peer.id, source: session.source, since: session.playingSince ?? peer.joinedAt };
    this.audience.record(peer.renditionKey, session.stream!, peer.rendition, viewer, msg);
  }

  /** A report of bad data names a peer the reporter could have had data from: another member of its swarm. */
  private report(session: Session, peer: PeerRecord, msg: ReportMessage): void {
    if (msg.peer === peer.id) {
      this.refusedReports++;
      return this.connections.violations.violation(session, 'E_SIGNAL_BAD_FIELD', 'a report cannot name its sender');
    }
    if (!this.registry.getPeer(peer.swarmKey, msg.peer)) {
      // Not a violation: the accused may have left before the reporter finished checking its data.
      this.refusedReports++;
      return this.connections.violations.violation(session, 'E_SIGNAL_UNKNOWN_PEER', 'no such peer in your swarm');
    }
    this.audit({
      kind: 'report',
      code: `PEER_BAD_${msg.reason.toUpperCase()}`,
      message: `peer ${msg.peer} sent data for segment ${msg.sequence} that failed the ${msg.reason} check`,
      ip: session.ip,
      peer: peer.id,
      stream: session.stream,
      rendition: session.rendition,
      accused: msg.peer,
      sequence: msg.sequence,
    });
  }

  stats(): CoordinatorStats {
    const now = this.now();
    const elapsed = Math.max(1, now - this.lastStats.at);
    const rate = ((this.messages - this.lastStats.messages) * 1000) / elapsed;
    this.lastStats = { at: now, messages: this.messages };
    return {
      connections: this.connections.sessions.size,
      peers: this.registry.totalPeers(),
      swarms: this.registry.swarmCount(),
      messagesPerSecond: Math.round(rate * 10) / 10,
      messages: this.messages,
      relayed: this.relay.relayed,
      announcements: this.feed.announced,
      receipts: this.receipts.credited,
      invalidReceipts: this.receipts.rejected,
      violations: this.connections.violations.total,
      refusedReports: this.refusedReports,
      audience: this.audience.summary(),
    };
  }

  /** How much state the coordinator holds, by structure (what the bounds specs watch). */
  footprint() {
    return {
      sessions: this.connections.sessions.size,
      peers: this.registry.totalPeers(),
      swarms: this.registry.swarmCount(),
      sources: this.connections.sources.size(),
      receiptSwarms: this.receipts.trackedSwarms(),
      fetcherSwarms: this.fetchers.trackedSwarms(),
      audienceSwarms: this.audience.trackedSwarms(),
    };
  }

  /** Closes every connection with `code` (CLOSE_CODES.NODE_CLOSED when the node stops). Emits no leave events. */
  closeAll(code: number = CLOSE_CODES.NODE_CLOSED, reason = 'node closed'): void {
    this.connections.closeAll(code, reason);
    this.membership.byPeer.clear();
  }
}
