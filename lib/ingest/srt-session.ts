/**
 * One SRT caller relayed through the gate to an ffmpeg listening on a loopback UDP port. libsrt in
 * ffmpeg checks the passphrase during the handshake: a caller with a wrong or no passphrase is
 * rejected there, before ffmpeg's demuxer sees a byte of media. The session reads the listener's
 * answer to learn which it was (accepted: `published`; rejected: a coded refusal), and relays
 * nothing but handshakes until it is accepted.
 *
 * The publisher is known by its address and port (UDP has no connection); the session ends on its
 * shutdown packet, or when it has sent nothing for IDLE_MS (it keeps a live connection busy with
 * data and keep-alives), or when closed.
 */
import dgram from 'node:dgram';
import { RelaycastError } from '../errors';
import { PublishVerdict } from './publish-verdict';
import { readSrtPacket, REJECT_BAD_SECRET, REJECT_UNSECURE } from './srt-packet';

/** libsrt sends a keep-alive every second on an idle connection: 10 s of silence is a gone caller. */
const IDLE_MS = 10_000;

export class SrtSession {
  private upstream: dgram.Socket | undefined;
  /** The caller's latest handshake, held until ffmpeg listens (the caller repeats it anyway). */
  private held: Buffer | undefined;
  private finished = false;
  private readonly verdict = new PublishVerdict('accepted SRT connection', () => this.close());
  private markEnded!: () => void;
  private idle: NodeJS.Timeout | undefined;
  readonly published = this.verdict.published;
  readonly ended: Promise<void>;
  bytesIn = 0;

  constructor(
    private readonly gate: dgram.Socket,
    readonly remote: string,
    private readonly remotePort: number,
  ) {
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  /** Whether a datagram from this address and port is this publisher's. */
  owns(address: string, port: number): boolean {
    return address === this.remote && port === this.remotePort;
  }

  /** A datagram from the publisher. */
  fromPublisher(packet: Buffer): void {
    if (this.finished) return;
    this.bytesIn += packet.length;
    const kind = readSrtPacket(packet).kind;
    if (this.verdict.accepted) {
      this.touch();
      if (kind === 'shutdown') {
        // Passed on first, so ffmpeg ends its stream cleanly; the session ends once it is sent.
        if (this.upstream) this.upstream.send(packet, () => this.close());
        else this.close();
        return;
      }
    } else if (kind !== 'induction' && kind !== 'conclusion' && kind !== 'handshake') return;
    if (this.upstream) this.upstream.send(packet);
    else this.held = packet;
  }

  /** Relays to ffmpeg's loopback port from now on; what was held goes first. */
  async attach(listenPort: number): Promise<void> {
    if (this.finished) return;
    const upstream = dgram.createSocket('udp4');
    this.upstream = upstream;
    // ICMP port unreachable until ffmpeg listens: the caller repeats its handshake meanwhile.
    upstream.on('error', () => undefined);
    upstream.on('message', (packet) => this.fromFfmpeg(packet));
    await new Promise<void>((resolve) => upstream.connect(listenPort, '127.0.0.1', () => resolve()));
    if (this.held) upstream.send(this.held);
    this.held = undefined;
  }

  private fromFfmpeg(packet: Buffer): void {
    if (this.finished) return;
    this.gate.send(packet, this.remotePort, this.remote);
    if (this.verdict.accepted) return;
    const read = readSrtPacket(packet);
    if (read.kind === 'conclusion') {
      this.touch();
      this.verdict.accept();
    } else if (read.kind === 'rejected') {
      const secret = read.reason === REJECT_BAD_SECRET || read.reason === REJECT_UNSECURE;
      this.verdict.refuse(
        secret
          ? new RelaycastError('E_INGEST_PASSPHRASE', read.reason === REJECT_UNSECURE ? 'SRT refused: no passphrase' : 'SRT refused: wrong passphrase')
          : new RelaycastError('E_INGEST_PROTOCOL', `SRT refused by the listener (reason ${read.reason})`),
      );
    }
  }

  private touch(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.close(), IDLE_MS);
  }

  close(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.idle);
    this.verdict.closed('the caller went away before its connection was accepted');
    // Late: the rejection just relayed to the caller must leave before the socket closes.
    const upstream = this.upstream;
    if (upstream) setImmediate(() => upstream.close());
    this.markEnded();
  }
}
