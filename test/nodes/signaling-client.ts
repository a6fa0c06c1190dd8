// A real ws client for the signaling specs: queues every frame so a test can await them in order.
import WebSocket from 'ws';

export type Frame = Record<string, unknown>;

export class SignalClient {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly queue: Frame[] = [];
  private waiters: Array<(f: Frame) => void> = [];
  id = '';

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => {
      /* surfaced through opened/closed */
    });
    this.ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame);
      else this.queue.push(frame);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  next(): Promise<Frame> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Frames received so far and not yet taken. */
  pending(): Frame[] {
    return this.queue.splice(0);
  }

  async join(stream = 'live', rendition = '720p', extra: Frame = {}): Promise<Frame> {
    await this.opened;
    this.send({ type: 'join', v: 4, stream, rendition, role: 'viewer', ...extra });
    const welcome = await this.next();
    if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
    this.id = welcome.peer as string;
    return welcome;
  }

  /** Round trip that proves the server processed everything sent before it. */
  async sync(): Promise<Frame[]> {
    this.send({ type: 'peers', exclude: [] });
    const frames: Frame[] = [];
    for (;;) {
      const f = await this.next();
      if (f.type === 'peers') return frames;
      frames.push(f);
    }
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
