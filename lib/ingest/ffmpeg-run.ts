/**
 * One ffmpeg process serving one publish: started listening on a loopback port, connected to by
 * the gate (retried until ffmpeg listens), its progress read from stdout and the tail of its stderr
 * kept for an error message. Its stdin carries a script when the input needs one (SRT: the
 * passphrase, kept off the command line), and is closed at once otherwise. Stopped with SIGTERM
 * (ffmpeg then ends its playlists), SIGKILL if it does not exit in time.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { RelaycastError } from '../errors';
import { reapOnExit } from './child-reaper';
import { ProgressReader, StderrTail, type FfmpegProgress } from './ffmpeg-progress';

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last stderr lines, secrets removed. */
  stderr: string;
}

const STOP_GRACE_MS = 3000;
const CONNECT_TIMEOUT_MS = 10_000;

export interface FfmpegLaunch {
  ffmpegPath: string;
  args: string[];
  /** The loopback port the args make ffmpeg listen on. */
  listenPort: number;
  /** Written to ffmpeg's stdin, which is then closed. */
  stdin?: string;
  onProgress: (progress: FfmpegProgress) => void;
  /** Removes secrets from ffmpeg's stderr before it is kept. */
  redact: (text: string) => string;
}

export class FfmpegRun {
  private readonly child: ChildProcess;
  private readonly tail = new StderrTail();
  readonly exited: Promise<FfmpegExit>;
  private exitInfo: FfmpegExit | undefined;
  /** stop() was called (a signal in the exit is ours). */
  private stopping = false;

  private readonly listenPort: number;

  constructor(launch: FfmpegLaunch) {
    const { redact } = launch;
    this.listenPort = launch.listenPort;
    const progress = new ProgressReader(launch.onProgress);
    this.child = spawn(launch.ffmpegPath, launch.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    reapOnExit(this.child);
    // EPIPE when ffmpeg dies before reading its script: its exit is what reports that.
    this.child.stdin!.on('error', () => undefined);
    this.child.stdin!.end(launch.stdin ?? '');
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (text: string) => progress.lines.push(text));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => this.tail.lines.push(redact(text)));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.exitInfo = { code: null, signal: null, stderr: err.message };
        resolve(this.exitInfo);
      });
      this.child.once('exit', (code, signal) => {
        this.exitInfo ??= { code, signal, stderr: this.tail.text() };
        resolve(this.exitInfo);
      });
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Connects to ffmpeg's listening socket: the one connection it will serve. */
  async connect(): Promise<net.Socket> {
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    for (;;) {
      if (!this.running) throw new RelaycastError('E_INGEST_FFMPEG', `ffmpeg exited before it listened: ${this.exitInfo!.stderr}`);
      try {
        return await new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(this.listenPort, '127.0.0.1');
          socket.once('connect', () => {
            socket.removeListener('error', reject);
            resolve(socket);
          });
          socket.once('error', reject);
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() > deadline)
          throw new RelaycastError('E_INGEST_FFMPEG', `cannot reach ffmpeg on 127.0.0.1:${this.listenPort}: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  }

  /** stop() was called: a signal in the exit is then ours, not a crash. */
  get stopRequested(): boolean {
    return this.stopping;
  }

  async stop(): Promise<FfmpegExit> {
    this.stopping = true;
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  /** Lets ffmpeg end by itself (its input is gone) within graceMs, then stops it. */
  async finish(graceMs: number): Promise<FfmpegExit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    return first === 'late' ? this.stop() : first;
  }
}

/** Whether this ffmpeg can read `protocol` as an input (SRT needs a build with libsrt, as Debian's). */
export function checkFfmpegProtocol(ffmpegPath: string, protocol: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(ffmpegPath, ['-hide_banner', '-protocols'], { maxBuffer: 64 * 1024 }, (err, stdout) => {
      // The input protocols are listed between "Input:" and "Output:".
      const inputs = stdout.split(/^Output:/m)[0] ?? '';
      if (!err && inputs.split(/\s+/).includes(protocol)) resolve();
      else reject(new RelaycastError('E_FFMPEG_MISSING', `${ffmpegPath} cannot read ${protocol} (install Debian's ffmpeg, built with lib${protocol})`));
    });
  });
}

/** Whether `ffmpegPath -version` runs: E_FFMPEG_MISSING when it does not. */
export function checkFfmpeg(ffmpegPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-version'], { stdio: 'ignore' });
    child.once('error', (err) =>
      reject(new RelaycastError('E_FFMPEG_MISSING', `ffmpeg (${ffmpegPath}) cannot be run: ${err.message}; install it (apt install ffmpeg)`)),
    );
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new RelaycastError('E_FFMPEG_MISSING', `${ffmpegPath} -version exited with ${code}; is it ffmpeg?`)),
    );
  });
}
