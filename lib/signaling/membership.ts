/**
 * Membership: joining a swarm (supporter tokens verified first), the welcome, and leaving — after
 * which nothing of the peer's relay, receipt or neighbour state survives, and an emptied swarm's
 * per-swarm state is freed. Peer ids are the server's, 72 random bits, new for every join.
 */
import { randomBytes } from 'node:crypto';
import type { AnnouncementStore } from './announcements';
import type { AudienceStats } from './audience-stats';
import type { FetcherChoice } from './fetchers';
import type { IceServerProvider } from './ice-servers';
import type { Neighbourhood } from './neighbourhood';
import type { PlaylistStore } from './playlists';
import { PROTOCOL_VERSION, type IceServer, type JoinMessage, type SegmentAnnouncement, type WelcomeMessage } from './protocol';
import type { ReceiptDesk } from './receipt-desk';
import { renditionKeyOf, swarmKeyOf, type PeerRecord, type SwarmRegistry } from './registry';
import type { Relay } from './relay';
import type { Session, SignalingContext, SwarmEvent } from './session';
import type { SupporterVerifier } from './supporters';
import { encodeServerFrame } from '../protocol';
import { ID_RULE, isId } from '../protocol/msgs/ids';

export interface MembershipParts {
  registry: SwarmRegistry;
  announcements: AnnouncementStore;
  playlists: PlaylistStore;
  neighbourhood: Neighbourhood;
  relay: Relay;
  receipts: ReceiptDesk;
  fetchers: FetcherChoice;
  audience: AudienceStats;
  iceServers?: IceServer[] | IceServerProvider;
  verifySupporter?: SupporterVerifier;
  onSwarmEvent?: (event: SwarmEvent) => void;
  /** Renditions announced for a stream (their per-rendition state is freed with the stream's swarm). */
  renditionsOf: (stream: string) => string[];
  /** True once the node is closing: no more swarm events. */
  closing: () => boolean;
  /** Takes one join from the budget of the session's network (source-budgets.ts); false when spent. */
  takeJoin: (session: Session) => boolean;
}

export class Membership {
  /** Joined peers by id. */
  readonly byPeer = new Map<string, Session>();

  constructor(
    private readonly ctx: SignalingContext,
    private readonly parts: MembershipParts,
  ) {}

  join(session: Session, msg: JoinMessage): void {
    if (session.peer || session.joining) {
      this.ctx.violation(session, 'E_SIGNAL_ALREADY_JOINED', 'already in a swarm: send leave first');
      return;
    }
    if (!this.parts.takeJoin(session)) {
      const limits = this.ctx.limits;
      this.ctx.error(
        session,
        'E_SIGNAL_RATE_LIMITED',
        `more than ${limits.joinsPerNetworkPerMinute} joins a minute (burst ${limits.joinBurstPerNetwork}) from your network; retry later`,
      );
      return;
    }
    const key = swarmKeyOf(msg.stream);
    if (!this.ctx.limits.openSwarms && !this.parts.announcements.has(renditionKeyOf(msg.stream, msg.rendition))) {
      this.ctx.error(session, 'E_SIGNAL_UNKNOWN_SWARM', 'no segment has been announced for this stream and rendition yet; retry later');
      return;
    }
    if (msg.role === 'viewer') {
      this.admit(session, msg, key, undefined);
      return;
    }
    const verify = this.parts.verifySupporter;
    if (!verify) {
      this.ctx.violation(session, 'E_SIGNAL_UNAUTHORIZED', 'this server accepts no supporters');
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
            this.ctx.violation(session, 'E_SIGNAL_UNAUTHORIZED', 'supporter token not accepted');
            return;
          }
          // The id goes into every receipt, which payout refuses unless it follows the one id rule:
          // a hook that returns such an id is refused here, where the operator's audit shows why.
          if (!isId(supporter)) {
            this.ctx.violation(session, 'E_SIGNAL_UNAUTHORIZED', `the supporter verifier returned an id that breaks the id rule (${ID_RULE})`);
            return;
          }
          this.admit(session, msg, key, supporter);
        },
        () => {
          session.joining = false;
          if (!session.closed) this.ctx.violation(session, 'E_SIGNAL_UNAUTHORIZED', 'supporter token could not be verified');
        },
      );
  }

  leave(session: Session, reason: string): void {
    const peer = session.peer;
    if (!peer) return;
    session.peer = undefined;
    session.lastStatsAt = undefined;
    session.playingSince = undefined;
    session.offerIntake = undefined;
    this.parts.relay.forget(session, peer.id);
    this.parts.receipts.forget(session);
    const remaining = this.parts.registry.removePeer(peer);
    this.byPeer.delete(peer.id);
    this.parts.audience.peerLeft(peer.renditionKey, peer.id);
    if (remaining === 0) {
      // Nothing of an empty swarm is worth keeping: every later joiner joins after its segments.
      for (const rendition of new Set([peer.rendition, ...this.parts.renditionsOf(session.stream!)])) {
        const renditionKey = renditionKeyOf(session.stream!, rendition);
        this.parts.audience.swarmEmptied(renditionKey);
        this.parts.fetchers.forget(renditionKey);
        this.parts.receipts.forgetSwarm(renditionKey);
      }
    }
    this.parts.neighbourhood.bridge(session, peer);
    this.emit('leave', session, peer, reason, remaining);
  }

  private admit(session: Session, msg: JoinMessage, key: string, supporter: string | undefined): void {
    const { registry, announcements } = this.parts;
    const info = { key, stream: msg.stream };
    if (!registry.ensureSwarm(info)) return this.tooManySwarms(session);
    let id = newPeerId();
    while (this.byPeer.has(id)) id = newPeerId();
    const peer: PeerRecord = {
      id,
      role: msg.role,
      swarmKey: key,
      rendition: msg.rendition,
      renditionKey: renditionKeyOf(msg.stream, msg.rendition),
      introductions: 0,
      joinedAt: this.ctx.now(),
      joinMark: announcements.mark(),
      latest: msg.have && msg.have.length > 0 ? Math.max(...msg.have) : -1,
    };
    if (supporter !== undefined) peer.supporter = supporter;
    if (msg.upload === false) peer.uploads = false;
    // Opted out: nothing to share, and nobody is ever given its address (neighbourhood.ts).
    if (msg.p2p === false) {
      peer.p2p = false;
      peer.uploads = false;
    }
    peer.network = session.network;
    const cluster = this.ctx.cluster;
    if (!cluster) return this.enter(session, msg, peer);
    // Several instances: the place is reserved in Redis first (atomic with the limits), then taken here.
    session.joining = true;
    cluster.reserve(info, peer).then(
      (outcome) => {
        session.joining = false;
        if (session.closed) return cluster.release(peer);
        if (outcome === 'too-many-swarms') return this.tooManySwarms(session);
        if (outcome === 'swarm-full') return this.swarmFull(session);
        if (!registry.ensureSwarm(info)) {
          cluster.release(peer);
          return this.tooManySwarms(session);
        }
        this.enter(session, msg, peer);
      },
      () => {
        session.joining = false;
        if (!session.closed) this.ctx.error(session, 'E_SIGNAL_SWARM_FULL', 'the join could not be recorded; retry');
      },
    );
  }

  private tooManySwarms(session: Session): void {
    this.ctx.error(session, 'E_SIGNAL_TOO_MANY_SWARMS', `the server is coordinating its maximum of ${this.ctx.limits.maxSwarms} swarms`);
  }

  private swarmFull(session: Session): void {
    this.ctx.error(session, 'E_SIGNAL_SWARM_FULL', `this swarm has its maximum of ${this.ctx.limits.maxPeersPerSwarm} peers`);
  }

  /** Takes the peer's place in the registry and welcomes it. */
  private enter(session: Session, msg: JoinMessage, peer: PeerRecord): void {
    const { registry, announcements } = this.parts;
    const limits = this.ctx.limits;
    const id = peer.id;
    if (!registry.addPeer(peer)) return this.swarmFull(session);
    session.peer = peer;
    session.stream = msg.stream;
    session.rendition = msg.rendition;
    session.playingSince = peer.joinedAt;
    this.byPeer.set(id, session);
    const welcome: WelcomeMessage = {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      peer: id,
      stream: msg.stream,
      rendition: msg.rendition,
      role: msg.role,
      peers: this.parts.neighbourhood.introduce(session, peer, new Set()),
      iceServers: this.iceServersFor(id, msg, peer.supporter, session.host),
      segments: announcements.latest(peer.renditionKey, limits.segmentsInWelcome).map(withoutStream),
      playlists: this.parts.playlists.forJoin(msg.stream, msg.rendition),
      heartbeatMs: limits.heartbeatMs,
      limits: { maxMessageBytes: limits.maxMessageBytes, ratePerSecond: limits.ratePerSecond, burst: limits.burst, statsIntervalMs: limits.statsIntervalMs },
    };
    this.ctx.send(session, encodeServerFrame(welcome));
    this.emit('join', session, peer, undefined);
  }

  private iceServersFor(peer: string, msg: JoinMessage, supporter: string | undefined, host: string | undefined): IceServer[] {
    const configured = this.parts.iceServers ?? [];
    if (typeof configured !== 'function') return configured;
    return configured({
      peer,
      stream: msg.stream,
      rendition: msg.rendition,
      role: msg.role,
      ...(supporter === undefined ? {} : { supporter }),
      ...(host === undefined ? {} : { host }),
    });
  }

  private emit(event: 'join' | 'leave', session: Session, peer: PeerRecord, reason: string | undefined, remaining?: number): void {
    if (this.parts.closing() || !this.parts.onSwarmEvent) return;
    const { registry } = this.parts;
    const swarmEvent: SwarmEvent = {
      event,
      stream: session.stream!,
      rendition: session.rendition!,
      peer: peer.id,
      role: peer.role,
      swarmPeers: remaining ?? registry.peerCount(peer.swarmKey),
      totalPeers: registry.totalPeers(),
      swarms: registry.swarmCount(),
    };
    if (peer.supporter !== undefined) swarmEvent.supporter = peer.supporter;
    if (reason !== undefined) swarmEvent.reason = reason;
    this.parts.onSwarmEvent(swarmEvent);
  }
}

function newPeerId(): string {
  return randomBytes(9).toString('base64url');
}

export function withoutStream(segment: SegmentAnnouncement): Omit<SegmentAnnouncement, 'stream'> {
  return { sequence: segment.sequence, rendition: segment.rendition, url: segment.url, size: segment.size, sha256: segment.sha256, duration: segment.duration };
}
