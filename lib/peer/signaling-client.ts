/**
 * The viewer's side of the signaling protocol (docs/signaling-protocol.md, v3): one WebSocket,
 * joined to its stream's swarm, playing one rendition at a time. It reconnects with capped,
 * jittered backoff when the server goes away (a redeploy closes with CLOSE_CODES.NODE_CLOSED) and
 * re-joins. When the player changes rendition it stays in the swarm and says so (`rendition`): its
 * links stay, and the server answers with the new rendition's announcements.
 *
 * The server answers a join with a welcome or an error, and refuses a second join while one is in
 * flight or joined (E_SIGNAL_ALREADY_JOINED). So the client keeps one join in flight at most and
 * tracks where the server has it (`membership`); a switch during the handshake is remembered and
 * told once the welcome arrives. Without that, a switch before the welcome sent a second join that
 * was refused, and the player sat in the previous rendition's swarm for the rest of the session.
 */
import {
  JOIN_REFUSALS,
  parseServerFrame,
  POLICY_CLOSE_CODES,
  PROTOCOL_VERSION,
  type ClientMessage,
  type JoinMessage,
  type Role,
  type ServerFrame,
  type WelcomeMessage,
} from '../protocol';
import { Emitter } from './emitter';
import type { PeerPlatform, WebSocketLike } from './platform';

/** Every frame but the welcome, which the client handles itself. */
export type ServerFrameAfterWelcome = Exclude<ServerFrame, WelcomeMessage>;

export interface SignalingOptions {
  url: string;
  stream: string;
  rendition: string;
  role?: Role;
  token?: string;
  upload?: boolean;
  /** false: the viewer opted out of P2P; the join says so, and the server introduces it to no one. */
  p2p?: boolean;
  /** First reconnect delay (doubles per attempt up to maxBackoffMs). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

type Events = {
  welcome: (welcome: WelcomeMessage) => void;
  frame: (frame: ServerFrameAfterWelcome) => void;
  /** The socket went away (it will reconnect unless closed). */
  disconnected: (code: number) => void;
};

const OPEN = 1;
/** A welcome with its playlists is the largest frame; anything past this is not the server's. */
const MAX_SERVER_FRAME_CHARS = 1024 * 1024;
/** Retry a join refused because the swarm has no segment yet (the stream has not started). */
const UNKNOWN_SWARM_RETRY_MS = 2000;

/** Where the server has this socket: in no swarm, with a join on its way, or in the swarm playing `rendition` (the server's last word). */
type Membership = { state: 'out' } | { state: 'joining'; rendition: string } | { state: 'in'; rendition: string };
const OUT: Membership = { state: 'out' };

export class SignalingClient extends Emitter<Events> {
  private ws: WebSocketLike | undefined;
  /** The rendition the player wants to be in; `membership` catches up with it. */
  private rendition: string;
  private membership: Membership = OUT;
  /** The rendition last told to the server while in the swarm (its answer is on its way until membership says it). */
  private told: string | undefined;
  private closed = false;
  private attempt = 0;
  private timer: unknown;
  peerId: string | undefined;

  constructor(
    private readonly platform: PeerPlatform,
    private readonly options: SignalingOptions,
  ) {
    super();
    this.rendition = options.rendition;
  }

  start(): void {
    if (this.closed || this.ws) return;
    let ws: WebSocketLike;
    try {
      ws = this.platform.createWebSocket(this.options.url);
    } catch {
      this.scheduleReconnect(1006);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.sendJoin();
    };
    ws.onmessage = (event) => this.receive(event.data);
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.membership = OUT;
      this.peerId = undefined;
      this.emit('disconnected', event.code);
      this.scheduleReconnect(event.code);
    };
  }

  get currentRendition(): string {
    return this.rendition;
  }

  /** In the swarm, and the server has it playing the rendition the player wants (its welcome or switch answer said so). */
  isJoined(): boolean {
    return this.membership.state === 'in' && this.membership.rendition === this.rendition;
  }

  /**
   * The player plays another rendition: tells the server (same swarm, same links). During a join
   * handshake the switch waits for the welcome: see `reconcile`.
   */
  switchRendition(rendition: string): void {
    if (rendition === this.rendition) return;
    this.rendition = rendition;
    this.reconcile();
  }

  /**
   * Sends a frame while in the swarm (links keep negotiating through a switch); false when it could
   * not be sent (the caller may drop or retry it).
   */
  send(frame: ClientMessage): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    if (frame.type !== 'join' && frame.type !== 'leave' && this.membership.state !== 'in') return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.closed = true;
    this.platform.clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    this.membership = OUT;
    if (ws) {
      ws.onclose = null;
      try {
        ws.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this.removeAllListeners();
  }

  /**
   * Brings the server to the wanted rendition with one step: nothing while a join is in flight (its
   * welcome calls this again), a `rendition` message when in the swarm, a join when out.
   */
  private reconcile(): void {
    if (!this.ws || this.ws.readyState !== OPEN) return; // onopen joins the wanted rendition
    const membership = this.membership;
    if (membership.state === 'joining') return;
    if (membership.state === 'out') return this.sendJoin();
    if (membership.rendition === this.rendition || this.told === this.rendition) return;
    this.told = this.rendition;
    this.send({ type: 'rendition', rendition: this.rendition });
  }

  private sendJoin(): void {
    this.platform.clearTimeout(this.timer);
    this.membership = { state: 'joining', rendition: this.rendition };
    const common = { type: 'join', v: PROTOCOL_VERSION, stream: this.options.stream, rendition: this.rendition } as const;
    const join: JoinMessage =
      this.options.role === 'supporter' ? { ...common, role: 'supporter', token: this.options.token ?? '' } : { ...common, role: 'viewer' };
    if (this.options.upload === false) join.upload = false;
    if (this.options.p2p === false) join.p2p = false;
    try {
      this.ws?.send(JSON.stringify(join));
    } catch {
      // The socket is closing: its close handler reconnects and joins again.
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string' || data.length > MAX_SERVER_FRAME_CHARS) return;
    // Only frames of the protocol's shape reach the engine; anything else is dropped here.
    const frame = parseServerFrame(data);
    if (!frame) return;
    if (frame.type === 'welcome') {
      // A welcome is the server's word on where this socket is, whatever the client expected.
      this.membership = { state: 'in', rendition: frame.rendition };
      this.told = frame.rendition;
      this.peerId = frame.peer;
      // The swarm's peers and ICE servers are the engine's whatever the rendition; its
      // announcements only if the player still plays it (isJoined).
      this.emit('welcome', frame);
      // The player switched while this join was in flight: tell the rendition it plays.
      this.reconcile();
      return;
    }
    if (frame.type === 'rendition') {
      if (this.membership.state !== 'in') return;
      this.membership = { state: 'in', rendition: frame.rendition };
      // The answer to an earlier switch is not the engine's: the answer to the latest is on its way.
      if (frame.rendition !== this.rendition) return;
    }
    if (frame.type === 'error') this.errorAnswered(frame.code);
    this.emit('frame', frame);
  }

  /** An error frame: the answer to a join, or to a switch the server refused (the rendition has no segment yet). */
  private errorAnswered(code: string): void {
    if (this.membership.state !== 'in') return this.joinAnswered(code);
    if (code !== 'E_SIGNAL_UNKNOWN_SWARM' || this.told !== this.rendition || this.isJoined()) return;
    // Still playing the previous rendition as far as the server knows: tell it again later.
    this.told = this.membership.rendition;
    this.platform.clearTimeout(this.timer);
    this.timer = this.platform.setTimeout(() => this.reconcile(), UNKNOWN_SWARM_RETRY_MS);
  }

  /** An error while not in a swarm: a refused join, or (ALREADY_JOINED) a server that has us in one. */
  private joinAnswered(code: string): void {
    if (code === 'E_SIGNAL_ALREADY_JOINED') {
      // Out of step with the server: it has us in the swarm; tell it the rendition we play.
      this.membership = { state: 'in', rendition: '' };
      this.told = undefined;
      this.reconcile();
      return;
    }
    if (this.membership.state !== 'joining' || !JOIN_REFUSALS.has(code)) return;
    const refused = this.membership.rendition;
    this.membership = OUT;
    // Refused for a rendition the player has since left: the wanted one may be fine.
    if (refused !== this.rendition) return this.reconcile();
    if (code === 'E_SIGNAL_UNKNOWN_SWARM') {
      this.timer = this.platform.setTimeout(() => {
        if (this.membership.state === 'out') this.reconcile();
      }, UNKNOWN_SWARM_RETRY_MS);
    }
  }

  private scheduleReconnect(code: number): void {
    if (this.closed) return;
    const base = this.options.backoffMs ?? 500;
    const cap = this.options.maxBackoffMs ?? 15_000;
    const delay = POLICY_CLOSE_CODES.has(code) ? cap * 2 : Math.min(cap, base * 2 ** this.attempt);
    this.attempt++;
    this.platform.clearTimeout(this.timer);
    this.timer = this.platform.setTimeout(() => this.start(), delay * (0.5 + this.platform.random() / 2));
  }
}
