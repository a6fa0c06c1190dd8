/**
 * The STUN responder on real sockets: UDP on every IPv4 address (0.0.0.0) and, separately, on every
 * IPv6 address (:: with ipv6Only, so that an IPv4 client is never seen as ::ffff:a.b.c.d). Nothing in
 * here may take the process down: the datagram handler catches everything, send failures are ignored
 * (UDP promises nothing anyway), and a port that cannot be bound becomes one coded error
 * (E_SIGNAL_STUN_PORT) handed to `onError` while the other family, if bound, keeps answering.
 */
import dgram from 'node:dgram';
import { RelaycastError } from '../errors';
import { StunResponder } from './responder';

export type Family = 4 | 6;

export interface StunServerOptions {
  port: number;
  responder?: StunResponder;
  /** The port of one family could not be bound (E_SIGNAL_STUN_PORT); called at most once per family. */
  onError(err: RelaycastError): void;
  /** Where to bind; default all addresses of each family. */
  addresses?: { v4?: string; v6?: string };
}

/** Errors of a host without IPv6 (or with it disabled): then IPv4 alone is the whole service, not a fault. */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

export class StunServer {
  readonly responder: StunResponder;
  private readonly sockets = new Map<Family, dgram.Socket>();
  private readonly bound = new Set<Family>();
  private closed = false;

  constructor(private readonly options: StunServerOptions) {
    this.responder = options.responder ?? new StunResponder();
  }

  /** Binds both families; resolves (never rejects) once each has bound or failed. */
  start(): Promise<void> {
    const { v4 = '0.0.0.0', v6 = '::' } = this.options.addresses ?? {};
    return Promise.all([this.bind(4, v4), this.bind(6, v6)]).then(() => undefined);
  }

  /** True while at least one family answers. */
  get listening(): boolean {
    return this.bound.size > 0;
  }

  families(): Family[] {
    return [...this.bound].sort();
  }

  close(): Promise<void> {
    this.closed = true;
    const closing = [...this.sockets.values()].map((socket) => new Promise<void>((resolve) => closeQuietly(socket, resolve)));
    this.sockets.clear();
    this.bound.clear();
    return Promise.all(closing).then(() => undefined);
  }

  private bind(family: Family, address: string): Promise<void> {
    return new Promise((resolve) => {
      let socket: dgram.Socket;
      try {
        socket = dgram.createSocket(family === 4 ? { type: 'udp4' } : { type: 'udp6', ipv6Only: true });
      } catch (err) {
        this.failed(family, err);
        resolve();
        return;
      }
      let settled = false;
      socket.on('error', (err) => {
        // Before the bind completes this is the bind's failure; after it, a socket error that only
        // costs this family's answers (the socket is closed rather than left half-working).
        this.bound.delete(family);
        this.sockets.delete(family);
        closeQuietly(socket);
        if (!this.closed) this.failed(family, err);
        if (!settled) {
          settled = true;
          resolve();
        }
      });
      socket.on('message', (datagram, rinfo) => this.onDatagram(socket, datagram, rinfo));
      this.sockets.set(family, socket);
      socket.bind({ port: this.options.port, address, exclusive: true }, () => {
        settled = true;
        if (this.closed) closeQuietly(socket);
        else this.bound.add(family);
        resolve();
      });
    });
  }

  private onDatagram(socket: dgram.Socket, datagram: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      const answer = this.responder.answer(datagram, rinfo.address, rinfo.port);
      if (answer) socket.send(answer, rinfo.port, rinfo.address, ignoreSendError);
    } catch {
      // responder.answer never throws by design (its specs feed it random bytes); this guards the process regardless.
      this.responder.counters.refused++;
    }
  }

  private failed(family: Family, err: unknown): void {
    const code = (err as { code?: unknown })?.code;
    if (family === 6 && typeof code === 'string' && NO_IPV6.has(code)) return;
    const why = code === 'EADDRINUSE' ? 'is in use' : code === 'EACCES' ? 'is not permitted' : `failed (${err instanceof Error ? err.message : String(err)})`;
    this.options.onError(new RelaycastError('E_SIGNAL_STUN_PORT', `STUN: UDP port ${this.options.port} (IPv${family}) ${why}`, { cause: err }));
  }
}

function ignoreSendError(): void {
  /* an unreachable client or a full buffer: the client retransmits */
}

function closeQuietly(socket: dgram.Socket, done?: () => void): void {
  try {
    socket.close(done);
  } catch {
    // Already closed (ERR_SOCKET_DGRAM_NOT_RUNNING).
    done?.();
  }
}
