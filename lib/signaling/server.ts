/**
 * The signaling endpoint on a shared HTTP server: the WebSocket upgrade for one path, the ws
 * connections as the coordinator's transports, the sweep timer, and the msgs a flow feeds it.
 * Everything but Node-RED itself, so the node shell (nodes/signaling) only maps its config, msgs and
 * status onto this; the protocol is docs/signaling-protocol.md.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { announcementFromMsg } from './announcements';
import { stunHost } from './built-in-stun';
import { clientAddress, type TrustedProxies } from './client-address';
import { SignalingCoordinator, type CoordinatorOptions, type Session, type Transport } from './coordinator';
import { playlistFromMsg } from './playlists';
import { CLOSE_CODES } from './protocol';

type ClientInfo = { origin?: string; req: IncomingMessage; secure: boolean };
type Decide = (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

/** Same shape as Node-RED's webSocketNodeVerifyClient (ws's verifyClient): sync, or with a callback. */
export type VerifyClient = ((info: ClientInfo) => boolean) | ((info: ClientInfo, cb: Decide) => void);

export interface SignalingServerOptions {
  /** The full URL path peers connect to (httpNodeRoot included). */
  path: string;
  coordinator: CoordinatorOptions;
  trustedProxies: TrustedProxies;
  /** The operator's own admission check, after the coordinator's (origins, rates). */
  verifyClient?: VerifyClient;
  /** Bytes sent to a peer, for the stream it joined (undefined before it joined). */
  sent?(stream: string | undefined, bytes: number): void;
  /** A peer left: the peer count changed. */
  disconnected?(): void;
  warn(text: string): void;
}

/**
 * permessage-deflate (RFC 7692) on the signaling socket, sized for many small frames. Each push
 * repeats most of the one before it (URL prefixes, field names, a playlist delta's unchanged lines),
 * so with the window kept between messages a viewer-minute costs about a quarter of its raw bytes;
 * measured with bench/signaling-push.ts. The window is 2 KiB (11 bits: it spans the last
 * announcement, playlist delta and master together; smaller windows lost half the gain) and memLevel
 * 2, so a connection's compressor holds about 10 KiB rather than zlib's default 256 KiB. Clients
 * must compress with a 2 KiB window too (browsers and ws offer client_max_window_bits; a client that
 * does not gets an uncompressed socket), and ws checks maxPayload against the inflated size. Frames
 * of any size are compressed (ws's default threshold of 1 KiB would skip nearly all of them).
 */
const SIGNALING_DEFLATE = {
  serverMaxWindowBits: 11,
  clientMaxWindowBits: 11,
  zlibDeflateOptions: { memLevel: 2 },
  threshold: 0,
} as const;

/** One ws connection as the coordinator sees it. */
class WsTransport implements Transport {
  /** Set once connected: what the peer joined decides which stream the sent bytes count for. */
  session: Session | undefined;
  constructor(
    private readonly ws: WebSocket,
    private readonly sent?: (session: Session | undefined, bytes: number) => void,
  ) {}
  send(text: string): void {
    this.ws.send(text);
    this.sent?.(this.session, Buffer.byteLength(text));
  }
  close(code: number, reason: string): void {
    // A peer evicted for silence is presumed dead: no point waiting for its close handshake.
    if (code === CLOSE_CODES.HEARTBEAT_TIMEOUT) this.ws.terminate();
    else this.ws.close(code, reason);
  }
  ping(): void {
    this.ws.ping();
  }
  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
}

function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${message.replace(/[\r\n]/g, ' ')}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
  socket.destroy();
}

export class SignalingServer {
  readonly coordinator: SignalingCoordinator;
  private readonly wss: WebSocketServer;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly options: SignalingServerOptions) {
    const coordinator = (this.coordinator = new SignalingCoordinator(options.coordinator));
    // maxPayload makes ws refuse an oversized frame from its header (close CLOSE_CODES.MESSAGE_TOO_BIG) before buffering it.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: coordinator.limits.maxMessageBytes,
      perMessageDeflate: SIGNALING_DEFLATE,
      clientTracking: false,
    });
    this.sweepTimer = setInterval(() => coordinator.sweep(), coordinator.sweepMs);
  }

  /** The server's 'upgrade' listener: it touches only the sockets for its own path. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    if ((query >= 0 ? url.slice(0, query) : url) !== this.options.path) return; // another listener's socket
    // Behind a listed reverse proxy, the client is who the proxy says it is; otherwise the TCP peer.
    const ip = clientAddress(req.socket.remoteAddress ?? 'unknown', req.headers, this.options.trustedProxies);
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    // Every refusal is audited, whichever check made it (the protocol document promises it).
    const refuse = (status: number, message: string, headers?: Record<string, string>): void => {
      this.coordinator.auditRefusal(ip, status, message);
      refuseUpgrade(socket, status, message, headers);
    };
    const admission = this.coordinator.admit(ip, origin);
    if (!admission.ok) {
      refuse(admission.status, admission.reason);
      return;
    }
    const hook = this.options.verifyClient;
    if (typeof hook !== 'function') {
      this.accept(req, socket, head, ip);
      return;
    }
    const info: ClientInfo = { origin, req, secure: (req.socket as TLSSocket).encrypted === true };
    const decide: Decide = (ok, code = 401, message = 'Unauthorized', headers) => {
      if (socket.destroyed) return;
      if (ok) this.accept(req, socket, head, ip);
      else refuse(code, message, headers);
    };
    try {
      // ws's rule: a hook that takes a callback answers through it; otherwise by its return value.
      if (hook.length >= 2) (hook as (i: ClientInfo, cb: Decide) => void)(info, decide);
      else decide((hook as (i: ClientInfo) => boolean)(info) === true);
    } catch (err) {
      this.options.warn(`relaycastSignalingVerifyClient threw: ${err instanceof Error ? err.message : String(err)}`);
      decide(false, 500, 'Internal Server Error');
    }
  };

  /**
   * A msg from the flow: a stored segment is announced, a playlist pushed. The segment first: a
   * peer must know a segment's hash before any playlist lists it. Throws a coded error for a bad one.
   */
  input(msg: { topic?: unknown; segment?: unknown; payload?: unknown; playlist?: unknown }): void {
    const announcement = announcementFromMsg(msg);
    if (announcement) this.coordinator.announce(announcement);
    const playlist = playlistFromMsg(msg);
    if (playlist) this.coordinator.pushPlaylist(playlist);
  }

  /** Every peer is told the node closed; the caller removes its upgrade listener. */
  close(): void {
    clearInterval(this.sweepTimer);
    this.coordinator.closeAll(CLOSE_CODES.NODE_CLOSED, 'node closed');
    this.wss.close();
  }

  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, ip: string): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const transport = new WsTransport(ws, (s, bytes) => this.options.sent?.(s?.stream, bytes));
      // The host the viewer used; a reverse proxy that rewrites Host needs the node's Public host instead.
      const session: Session = this.coordinator.connect(transport, ip, stunHost(req.headers.host));
      transport.session = session;
      ws.on('message', (data, isBinary) => this.coordinator.message(session, data as Buffer, isBinary));
      ws.on('pong', () => this.coordinator.touch(session));
      ws.on('close', () => {
        this.coordinator.disconnect(session);
        this.options.disconnected?.();
      });
      // ws reports protocol errors (an oversized frame, a bad opcode) here and closes the socket
      // itself with the matching code; the listener keeps the error from crashing Node-RED.
      ws.on('error', () => {
        /* the close event follows */
      });
    });
  }
}
