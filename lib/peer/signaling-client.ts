/**
 * The viewer's side of the signaling protocol (docs/signaling-protocol.md, v2): one WebSocket,
 * joined to one swarm (stream/rendition) at a time. It reconnects with capped, jittered backoff
 * when the server goes away (a redeploy closes with 4000) and re-joins, and it switches swarms with
 * leave + join on the same socket when the player changes rendition.
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

export class SignalingClient extends Emitter<Events> {
  private ws: WebSocketLike | undefined;
  private rendition: string;
  private joined = false;
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
      this.joined = false;
      this.peerId = undefined;
      this.emit('disconnected', event.code);
      this.scheduleReconnect(event.code);
    };
  }

  get currentRendition(): string {
    return this.rendition;
  }

  isJoined(): boolean {
    return this.joined;
  }

  /** Moves to another rendition's swarm (leave + join on the same socket). */
  switchRendition(rendition: string): void {
    if (rendition === this.rendition) return;
    this.rendition = rendition;
    if (!this.ws || this.ws.readyState !== OPEN) return;
    if (this.joined) this.send({ type: 'leave' });
    this.joined = false;
    this.peerId = undefined;
    this.sendJoin();
  }

  /** Sends a frame if joined; false when it could not be sent (the caller may drop or retry it). */
  send(frame: Record<string, unknown>): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    if (frame.type !== 'join' && frame.type !== 'leave' && !this.joined) return false;
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
    this.joined = false;
    if (ws) {
      ws.onclose = null;
      try { ws.close(1000, 'bye'); } catch { /* already closed */ }
    }
    this.removeAllListeners();
  }

  private sendJoin(): void {
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
      if (frame.rendition !== this.rendition) return; // a welcome for a swarm we already left
      this.joined = true;
      this.peerId = String(frame.peer);
      this.emit('welcome', frame as Welcome);
      return;
    }
    if (frame.type === 'error' && frame.code === 'E_SIGNAL_UNKNOWN_SWARM' && !this.joined) {
      this.platform.clearTimeout(this.timer);
      this.timer = this.platform.setTimeout(() => { if (!this.joined && this.ws) this.sendJoin(); }, UNKNOWN_SWARM_RETRY_MS);
    }
    this.emit('frame', frame);
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
