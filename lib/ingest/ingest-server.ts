/**
 * The ingest: a gate on the public RTMP port (TCP) and, when configured, on the SRT port (UDP),
 * that lets one publisher at a time through to an ffmpeg started for that publish, which writes
 * live HLS into the output folder (an hls-watch node turns it into segment msgs). RTMP and SRT
 * share the one-publisher rule, the refusal limit, the crash backoff and the folder.
 *
 * Why ffmpeg's own listen mode behind a gate, not an RTMP server library: ffmpeg is already the one
 * system requirement, node-media-server would be a seventh runtime dependency, and ffmpeg does the
 * packaging anyway. ffmpeg's listen mode serves one connection and only warns on a wrong stream
 * name, so the gate adds what it lacks: the key check (constant time, before publish reaches
 * ffmpeg), one publisher at a time, bounded pre-publish input, a per-source refusal limit, and a
 * fresh ffmpeg per publish (a reconnect is a new launch: hls-watch marks a discontinuity).
 *
 * SRT is checked by ffmpeg's own libsrt (the passphrase is part of SRT's handshake and encryption,
 * not something a relay can read); the gate relays the handshake to a fresh ffmpeg, reads the
 * listener's answer, and refuses, audits and counts a rejected caller as it does a wrong RTMP key
 * (lib/ingest/srt-session.ts).
 *
 * Lifecycle of a publisher: refused at once when its source is blocked or another publisher is
 * live; otherwise wait for the previous ffmpeg to finish, wait out the crash backoff, start ffmpeg,
 * relay while checking, and on a wrong key or passphrase kill ffmpeg before it opened any output.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { RelaycastError, toRelaycastError } from '../errors';
import { freePort, freeUdpPort } from '../net/free-port';
import { makeRedactor } from '../upload/redact';
import { backoffDelayMs } from '../upload/backoff';
import { ffmpegArgs } from './ffmpeg-args';
import { launchKeyframeFit, type KeyframeFit } from './keyframe-fit';
import type { FfmpegProgress } from './ffmpeg-progress';
import { checkFfmpeg, checkFfmpegProtocol, FfmpegRun } from './ffmpeg-run';
import type { Rung } from './ladder';
import { newLaunchId, prepareLaunch } from './output-folder';
import { PublishSession } from './publish-session';
import { RefusalLimiter } from './refusal-limiter';
import { MAX_SRT_PACKET, readSrtPacket } from './srt-packet';
import { srtInputScript } from './srt-passphrase';
import { SrtSession } from './srt-session';
import { streamKeyMatcher } from './stream-key';

export interface SrtOptions {
  /** UDP; 0 picks a free port (tests); see `srtPort` once started. */
  port: number;
  passphrase: string;
  /** SRT's receive latency: how long libsrt waits for a lost packet's retransmission. */
  latencyMs: number;
}

export interface IngestOptions {
  bind: string;
  /** 0 picks a free port (tests); see `port` once started. */
  port: number;
  streamKey: string;
  outDir: string;
  ffmpegPath: string;
  /** Empty: copy mode. */
  ladder: readonly Rung[];
  segmentSeconds: number;
  listSize: number;
  /** Absent: RTMP only. */
  srt?: SrtOptions;
}

export type IngestState = 'starting' | 'listening' | 'publishing' | 'restarting' | 'stopped';

export interface IngestStatus {
  state: IngestState;
  /** Publisher → ingest, measured at the gate. */
  kbps?: number;
  fps?: number;
  /** ffmpeg's media seconds per wall second (under 1: it falls behind live). */
  speed?: number;
  /** restarting: when the next publish is served. */
  retryInMs?: number;
  /** publishing in copy mode, once a segment is written: whether OBS's keyframe interval fits the segment length. */
  keyframes?: KeyframeFit;
}

export type IngestEvent =
  | { event: 'publishing'; remote: string; launch: string; protocol: 'rtmp' | 'srt' }
  | { event: 'ended'; remote: string; launch: string; seconds: number }
  | { event: 'refused'; remote: string; code: string };

export interface IngestHandlers {
  onStatus(status: IngestStatus): void;
  onEvent(event: IngestEvent): void;
  /** Refusals and ffmpeg failures, coded; never thrown. */
  onError(err: RelaycastError): void;
}

/** A publish that ran this long without ffmpeg failing resets the crash backoff. */
const HEALTHY_PUBLISH_MS = 10_000;
const BACKOFF = { baseMs: 500, maxMs: 10_000 };
/** After the publisher left, ffmpeg has this long to finish its last segment and playlists. */
const FINISH_GRACE_MS = 5000;
/** Callers told they are busy, kept per publish so a caller's repeated handshakes audit once. */
const MAX_BUSY_NOTED = 64;

type Session = PublishSession | SrtSession;

export class IngestServer {
  private readonly server = net.createServer((socket) => this.onConnection(socket));
  private srtGate: dgram.Socket | undefined;
  private readonly busyNoted = new Set<string>();
  private readonly keyMatches: (given: string) => boolean;
  private readonly redact: (text: string) => string;
  private readonly limiter = new RefusalLimiter();
  /** The publisher being set up or live: while there is one, another is refused. */
  private session: Session | undefined;
  private run: FfmpegRun | undefined;
  private crashes = 0;
  private closed = false;
  private previousLaunch: string | undefined;
  private idle: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: IngestOptions,
    private readonly handlers: IngestHandlers,
  ) {
    this.keyMatches = streamKeyMatcher(options.streamKey);
    this.redact = makeRedactor([options.streamKey, ...(options.srt ? [options.srt.passphrase] : [])]);
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  /** The SRT port once listening (undefined without SRT). */
  get srtPort(): number | undefined {
    try {
      return this.srtGate?.address().port ?? this.options.srt?.port;
    } catch {
      return this.options.srt?.port; // not bound yet, or closed
    }
  }

  async start(): Promise<void> {
    this.handlers.onStatus({ state: 'starting' });
    await checkFfmpeg(this.options.ffmpegPath);
    if (this.options.srt) await checkFfmpegProtocol(this.options.ffmpegPath, 'srt');
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new RelaycastError('E_INGEST_LISTEN', `cannot listen on ${this.options.bind}:${this.options.port}: ${err.code ?? err.message}`)),
      );
      this.server.listen(this.options.port, this.options.bind, () => resolve());
    });
    // Later server errors (none are expected once listening) must not become uncaught.
    this.server.on('error', (err) => this.handlers.onError(toRelaycastError(err, 'E_INGEST_LISTEN')));
    if (this.options.srt) await this.listenSrt(this.options.srt.port);
    if (!this.closed) this.handlers.onStatus({ state: 'listening' });
  }

  private async listenSrt(port: number): Promise<void> {
    const gate = dgram.createSocket(net.isIPv6(this.options.bind) ? 'udp6' : 'udp4');
    this.srtGate = gate;
    await new Promise<void>((resolve, reject) => {
      gate.once('error', (err: NodeJS.ErrnoException) =>
        reject(new RelaycastError('E_INGEST_LISTEN', `cannot listen for SRT on ${this.options.bind}:${port}/udp: ${err.code ?? err.message}`)),
      );
      gate.bind(port, this.options.bind, () => resolve());
    });
    gate.on('error', (err) => this.handlers.onError(toRelaycastError(err, 'E_INGEST_LISTEN')));
    gate.on('message', (packet, from) => this.onSrtPacket(gate, packet, from));
  }

  /** Every datagram on the SRT port: the live caller's are relayed, a new caller's first handshake starts a publish. */
  private onSrtPacket(gate: dgram.Socket, packet: Buffer, from: dgram.RemoteInfo): void {
    const session = this.session;
    if (session instanceof SrtSession && session.owns(from.address, from.port)) {
      session.fromPublisher(packet);
      return;
    }
    // Strays (a caller's late packets, scans) are dropped unread; only an opening handshake counts.
    if (packet.length > MAX_SRT_PACKET || readSrtPacket(packet).kind !== 'induction') return;
    if (this.turnedAway(from.address, `${from.address}:${from.port}`)) return;
    const srt = new SrtSession(gate, from.address, from.port);
    srt.fromPublisher(packet);
    this.begin(srt);
  }

  /** Whether a new publisher from this source is turned away: blocked (in silence) or busy (audited once per caller). */
  private turnedAway(remote: string, caller: string): boolean {
    // Turned away in silence: its refusals were reported already.
    if (this.closed || this.limiter.blocked(remote, Date.now())) return true;
    if (!this.session) return false;
    if (this.busyNoted.has(caller) || this.busyNoted.size >= MAX_BUSY_NOTED) return true;
    this.busyNoted.add(caller);
    // Not counted against the source: OBS reconnecting while its old connection lingers is no guesser.
    this.handlers.onEvent({ event: 'refused', remote, code: 'E_INGEST_BUSY' });
    this.handlers.onError(new RelaycastError('E_INGEST_BUSY', `a second publisher was refused: a stream is already being published (from ${remote})`));
    return true;
  }

  private onConnection(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    const remote = socket.remoteAddress ?? 'unknown';
    if (this.turnedAway(remote, `${remote}:${socket.remotePort}`)) {
      socket.destroy();
      return;
    }
    this.begin(new PublishSession(socket, this.keyMatches));
  }

  private begin(session: Session): void {
    this.session = session;
    const previous = this.idle;
    const served = this.serve(session, previous)
      .catch((err: unknown) => this.handlers.onError(toRelaycastError(err, 'E_INGEST_INTERNAL')))
      .finally(() => this.release(session));
    this.idle = served;
  }

  /** The gate is free for the next publisher once this one has gone (its ffmpeg may still finish). */
  private release(session: Session): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.busyNoted.clear();
    if (!this.closed) this.handlers.onStatus({ state: 'listening' });
  }

  private async serve(session: Session, previous: Promise<unknown>): Promise<void> {
    // One ffmpeg writes the folder at a time: the last publish's must have finished its playlists.
    await previous;
    if (this.crashes > 0) {
      const wait = Math.max(BACKOFF.baseMs, backoffDelayMs(this.crashes, BACKOFF, Math.random));
      this.handlers.onStatus({ state: 'restarting', retryInMs: wait });
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    if (this.closed) return session.close();
    const launch = newLaunchId();
    await prepareLaunch(this.options.outDir, this.options.ladder, new Set([launch, ...(this.previousLaunch ? [this.previousLaunch] : [])]));
    const srt = session instanceof SrtSession ? this.options.srt : undefined;
    const listenPort = srt ? await freeUdpPort() : await freePort();
    if (this.closed) return session.close();
    let lastBytes = 0;
    let lastAt = Date.now();
    // Copy mode cuts at the publisher's keyframes: read back how that fits (ladder mode forces them).
    let keyframes: KeyframeFit | undefined;
    let readingFit = false;
    const readFit = (): void => {
      if (this.options.ladder.length > 0 || readingFit) return;
      readingFit = true;
      launchKeyframeFit(this.options.outDir, launch, this.options.segmentSeconds)
        .then(
          (fit) => (keyframes = fit ?? keyframes),
          () => undefined,
        )
        .finally(() => (readingFit = false));
    };
    const onProgress = (progress: FfmpegProgress): void => {
      const now = Date.now();
      const kbps = Math.round(((session.bytesIn - lastBytes) * 8) / Math.max(1, now - lastAt));
      lastBytes = session.bytesIn;
      lastAt = now;
      readFit();
      // Only while this publisher is the current one (ffmpeg reports a last time after it left).
      if (!this.closed && this.session === session)
        this.handlers.onStatus({ state: 'publishing', kbps, fps: progress.fps, speed: progress.speed, ...(keyframes ? { keyframes } : {}) });
    };
    const args = ffmpegArgs({
      protocol: srt ? 'srt' : 'rtmp',
      listenPort,
      outDir: this.options.outDir,
      launchId: launch,
      segmentSeconds: this.options.segmentSeconds,
      listSize: this.options.listSize,
      ladder: this.options.ladder,
    });
    const run = new FfmpegRun({
      ffmpegPath: this.options.ffmpegPath,
      args,
      listenPort,
      stdin: srt ? srtInputScript(listenPort, srt.passphrase, srt.latencyMs) : undefined,
      onProgress,
      redact: this.redact,
    });
    this.run = run;
    try {
      if (session instanceof SrtSession) await session.attach(listenPort);
      else session.attach(await run.connect());
    } catch (err) {
      session.close();
      await run.stop();
      this.crashes += 1;
      throw err;
    }
    // ffmpeg failing before the publish was let through (say, a build without libsrt) is its fault, not the publisher's.
    const ffmpegGone = run.exited.then((exit) => {
      throw new RelaycastError('E_INGEST_FFMPEG', `ffmpeg exited before the publish started (exit ${exit.code ?? exit.signal}): ${exit.stderr}`);
    });
    ffmpegGone.catch(() => undefined);
    try {
      await Promise.race([session.published, ffmpegGone]);
    } catch (err) {
      // Refused before publish reached ffmpeg: it never opened an output, and is killed now.
      session.close();
      await run.stop();
      const error = toRelaycastError(err, 'E_INGEST_PROTOCOL');
      // A publisher that just went away is no refusal worth an audit line.
      if (error.code === 'E_INGEST_CLOSED') return;
      if (error.code === 'E_INGEST_FFMPEG') {
        this.crashes += 1;
        throw error;
      }
      this.limiter.refused(session.remote, Date.now());
      this.handlers.onEvent({ event: 'refused', remote: session.remote, code: error.code });
      this.handlers.onError(new RelaycastError(error.code, `${error.message} (from ${session.remote})`));
      return;
    }
    const startedAt = Date.now();
    this.previousLaunch = launch;
    this.handlers.onEvent({ event: 'publishing', remote: session.remote, launch, protocol: srt ? 'srt' : 'rtmp' });
    this.handlers.onStatus({ state: 'publishing' });
    // ffmpeg ends on its own once the publisher is gone (its input reaches EOF); if it dies first, the
    // relay closes the publisher, who reconnects (OBS does so by itself) into a fresh launch.
    const first = await Promise.race([session.ended.then(() => 'publisher' as const), run.exited.then(() => 'ffmpeg' as const)]);
    session.close();
    this.release(session);
    const exit = first === 'ffmpeg' ? await run.exited : await run.finish(FINISH_GRACE_MS);
    const seconds = (Date.now() - startedAt) / 1000;
    this.handlers.onEvent({ event: 'ended', remote: session.remote, launch, seconds });
    // ffmpeg ends with 0 when its input ended (an SRT shutdown can reach it before the gate sees it go).
    // Killed by a signal this process did not send, it crashed, even when the relay's socket closing
    // reached the gate before ffmpeg's exit did.
    const killedFromOutside = exit.signal !== null && !run.stopRequested;
    if (((first === 'ffmpeg' && exit.code !== 0) || killedFromOutside) && !this.closed) {
      this.crashes += 1;
      this.handlers.onError(new RelaycastError('E_INGEST_FFMPEG', `ffmpeg stopped while publishing (exit ${exit.code ?? exit.signal}): ${exit.stderr}`));
    } else if (Date.now() - startedAt >= HEALTHY_PUBLISH_MS) this.crashes = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.session?.close();
    await this.run?.stop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => {
      try {
        this.srtGate!.close(() => resolve());
      } catch {
        resolve(); // none, never bound, or closed already
      }
    });
    await this.idle;
    this.handlers.onStatus({ state: 'stopped' });
  }
}
