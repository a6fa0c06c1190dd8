/**
 * The viewer's side of the signaling protocol (docs/signaling-protocol.md, v2): one WebSocket,
 * joined to one swarm (stream/rendition) at a time. It reconnects with capped, jittered backoff
 * when the server goes away (a redeploy closes with 4000) and re-joins, and it switches swarms with
 * leave + join on the same socket when the player changes rendition.
 *
 * The server answers a join with a welcome or an error, and refuses a second join while one is in
 * flight or joined (E_SIGNAL_ALREADY_JOINED). So the client keeps one join in flight at most and
 * tracks where the server has it (`membership`); a switch during the handshake is remembered and
 * made once the answer arrives. Without that, a switch before the welcome sent a second join that
 * was refused, and the player sat in the previous rendition's swarm for the rest of the session.
 */
import { Emitter } from './emitter';
import type { PeerPlatform, WebSocketLike } from './platform';

export const SIGNALING_VERSION = 2;

export type ServerFrame = Record<string, unknown> & { type: string };

export interface Welcome extends ServerFrame {
  type: 'welcome';
  peer: string;
  rendition: string;
  peers: Array<{ peer: string; role: string; latest: number }>;
  iceServers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  segments: Array<{ sequence: number; url: string; size: number; sha256: string; duration: number }>;
  playlists: Array<{ rendition: string | null; text: string; ended: boolean; presentation?: number }>;
  limits: { statsIntervalMs: number };
}

export interface SignalingOptions {
  url: string;
  stream: string;
  rendition: string;
  role?: 'viewer' | 'supporter';
  token?: string;
  upload?: boolean;
  /** First reconnect delay (doubles per attempt up to maxBackoffMs). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

type Events = {
  welcome: (welcome: Welcome) => void;
  frame: (frame: ServerFrame) => void;
  /** The socket went away (it will reconnect unless closed). */
  disconnected: (code: number) => void;
};

const OPEN = 1;
/** Retry a join refused because the swarm has no segment yet (the stream has not started). */
const UNKNOWN_SWARM_RETRY_MS = 2000;
/** Close codes after which retrying at once would only repeat the refusal. */
const POLICY_CODES = new Set([4001, 4002]);
/**
 * Errors that answer a join (section 8 of the protocol). While a join is in flight the client sends
 * nothing else, so one of these then means the join was refused; the other codes answer relayed
 * frames or receipts sent earlier and say nothing about membership.
 */
const JOIN_REFUSALS = new Set([
  'E_SIGNAL_BAD_JSON', 'E_SIGNAL_BAD_MESSAGE', 'E_SIGNAL_UNKNOWN_TYPE', 'E_SIGNAL_BAD_FIELD', 'E_SIGNAL_VERSION',
  'E_SIGNAL_UNKNOWN_SWARM', 'E_SIGNAL_SWARM_FULL', 'E_SIGNAL_TOO_MANY_SWARMS', 'E_SIGNAL_UNAUTHORIZED', 'E_SIGNAL_RATE_LIMITED',
]);

/** Where the server has this socket: in no swarm, with a join on its way, or in a rendition's swarm. */
type Membership = { state: 'out' } | { state: 'joining'; rendition: string } | { state: 'in'; rendition: string };
const OUT: Membership = { state: 'out' };

export class SignalingClient extends Emitter<Events> {
  private ws: WebSocketLike | undefined;
  /** The rendition the player wants to be in; `membership` catches up with it. */
  private rendition: string;
  private membership: Membership = OUT;
  private closed = false;
  private attempt = 0;
  private timer: unknown;
  peerId: string | undefined;

  constructor(private readonly platform: PeerPlatform, private readonly options: SignalingOptions) {
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
    ws.onerror = () => { /* onclose follows */ };
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

  /** In the swarm of the rendition the player wants (a welcome for it arrived). */
  isJoined(): boolean {
    return this.membership.state === 'in' && this.membership.rendition === this.rendition;
  }

  /**
   * Moves to another rendition's swarm (leave + join on the same socket). During a join handshake
   * the switch waits for the server's answer: see `reconcile`.
   */
  switchRendition(rendition: string): void {
    if (rendition === this.rendition) return;
    this.rendition = rendition;
    this.peerId = undefined;
    this.reconcile();
  }

  /** Sends a frame if joined; false when it could not be sent (the caller may drop or retry it). */
  send(frame: Record<string, unknown>): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    if (frame.type !== 'join' && frame.type !== 'leave' && !this.isJoined()) return false;
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
      try { ws.close(1000, 'bye'); } catch { /* already closed */ }
    }
    this.removeAllListeners();
  }

  /**
   * Brings the server's membership to the wanted rendition with one step: nothing while a join is in
   * flight (its answer calls this again), leave from another swarm, join when out.
   */
  private reconcile(): void {
    if (!this.ws || this.ws.readyState !== OPEN) return; // onopen joins the wanted rendition
    const membership = this.membership;
    if (membership.state === 'joining') return;
    if (membership.state === 'in') {
      if (membership.rendition === this.rendition) return;
      this.send({ type: 'leave' });
      this.membership = OUT;
    }
    this.sendJoin();
  }

  private sendJoin(): void {
    this.platform.clearTimeout(this.timer);
    this.membership = { state: 'joining', rendition: this.rendition };
    const join: Record<string, unknown> = {
      type: 'join', v: SIGNALING_VERSION, stream: this.options.stream, rendition: this.rendition, role: this.options.role ?? 'viewer',
    };
    if (this.options.role === 'supporter') join.token = this.options.token;
    if (this.options.upload === false) join.upload = false;
    try {
      this.ws?.send(JSON.stringify(join));
    } catch {
      // The socket is closing: its close handler reconnects and joins again.
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string' || data.length > 1024 * 1024) return;
    let frame: ServerFrame;
    try {
      const parsed = JSON.parse(data) as unknown;
      if (!parsed || typeof parsed !== 'object' || typeof (parsed as ServerFrame).type !== 'string') return;
      frame = parsed as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'welcome') {
      // A welcome is the server's word on where this socket is, whatever the client expected.
      this.membership = { state: 'in', rendition: String(frame.rendition) };
      if (!this.isJoined()) {
        // The player switched while this join was in flight: move on to the rendition it plays.
        this.reconcile();
        return;
      }
      this.peerId = String(frame.peer);
      this.emit('welcome', frame as Welcome);
      return;
    }
    if (frame.type === 'error' && this.membership.state !== 'in') this.joinAnswered(String(frame.code));
    this.emit('frame', frame);
  }

  /** An error while not in a swarm: a refused join, or (ALREADY_JOINED) a server that has us in one. */
  private joinAnswered(code: string): void {
    if (code === 'E_SIGNAL_ALREADY_JOINED') {
      // Out of step with the server: leave whatever swarm it has us in, then join the wanted one.
      this.membership = { state: 'in', rendition: '' };
      this.reconcile();
      return;
    }
    if (this.membership.state !== 'joining' || !JOIN_REFUSALS.has(code)) return;
    const refused = this.membership.rendition;
    this.membership = OUT;
    // Refused for a rendition the player has since left: the wanted one may be fine.
    if (refused !== this.rendition) return this.reconcile();
    if (code === 'E_SIGNAL_UNKNOWN_SWARM') {
      this.timer = this.platform.setTimeout(() => { if (this.membership.state === 'out') this.reconcile(); }, UNKNOWN_SWARM_RETRY_MS);
    }
  }

  private scheduleReconnect(code: number): void {
    if (this.closed) return;
    const base = this.options.backoffMs ?? 500;
    const cap = this.options.maxBackoffMs ?? 15_000;
    const delay = POLICY_CODES.has(code) ? cap * 2 : Math.min(cap, base * 2 ** this.attempt);
    this.attempt++;
    this.platform.clearTimeout(this.timer);
    this.timer = this.platform.setTimeout(() => this.start(), delay * (0.5 + this.platform.random() / 2));
  }
}
