// A simulated clock and a simulated DataChannel link with a fixed uplink rate: what the sender
// queues drains at `bytesPerSecond`, whole frames reach the other side once drained, and
// 'bufferedamountlow' fires when the buffer falls to the threshold. Nothing here uses wall time.
import { createHash } from 'node:crypto';
import type { PeerLink } from '../../../lib/peer/peer-link';
import type { FetchLike, PeerPlatform } from '../../../lib/peer/platform';
import { lowWaterBytes, SEND_WINDOW } from '../../../lib/peer/send-window';
import { encode, type WireFrame } from '../../../lib/protocol/peer-wire';

interface Timer {
  at: number;
  fn: () => void;
}

export class SimClock {
  now = 0;
  private readonly timers: Timer[] = [];
  readonly ticking = new Set<{ tick(ms: number): void }>();

  platform(fetch: FetchLike = async () => ({ ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0), text: async () => '' })): PeerPlatform {
    return {
      now: () => this.now,
      random: () => 0.5,
      setTimeout: (fn: () => void, ms: number) => {
        const timer = { at: this.now + Math.max(0, ms), fn };
        this.timers.push(timer);
        return timer;
      },
      clearTimeout: (t: unknown) => {
        const i = this.timers.indexOf(t as Timer);
        if (i >= 0) this.timers.splice(i, 1);
      },
      fetch,
      sha256: async (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex'),
    } as unknown as PeerPlatform;
  }

  /** Moves time on in `step` ms steps: links drain, due timers fire, promises settle in between. */
  async advance(ms: number, step = 10): Promise<void> {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + step);
      for (const t of this.ticking) t.tick(step);
      for (;;) {
        const due = this.timers.filter((t) => t.at <= this.now).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        this.timers.splice(this.timers.indexOf(due), 1);
        due.fn();
      }
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  }
}

/** One direction of a link: frames the owner sends drain at `bytesPerSecond` to `deliver`. */
export class SimLink {
  readonly remoteId: string;
  open = true;
  closed = false;
  remoteUploads = true;
  private buffered: Array<{ frame: WireFrame; left: number }> = [];
  private bufferedBytes = 0;
  private sent = 0;
  private highWater: number = SEND_WINDOW.unmeasuredBytes;
  private wasAboveLow = false;
  /** Frames that reached the other side. */
  readonly deliveredFrames: WireFrame[] = [];
  onDrain: () => void = () => undefined;

  constructor(
    clock: SimClock,
    remoteId: string,
    public bytesPerSecond: number,
    private readonly deliver: (frame: WireFrame) => void,
  ) {
    this.remoteId = remoteId;
    clock.ticking.add(this);
  }

  asPeerLink(): PeerLink {
    return this as unknown as PeerLink;
  }

  canSend(): boolean {
    return this.open && this.bufferedBytes < this.highWater;
  }

  send(frame: WireFrame): boolean {
    if (!this.open) return false;
    const size = encode(frame).byteLength;
    this.buffered.push({ frame, left: size });
    this.bufferedBytes += size;
    this.sent += size;
    if (this.bufferedBytes > lowWaterBytes(this.highWater)) this.wasAboveLow = true;
    return true;
  }

  setSendWindow(bytes: number): void {
    this.highWater = bytes;
  }

  sendWindow(): number {
    return this.highWater;
  }

  bufferedAmount(): number {
    return this.bufferedBytes;
  }

  delivered(): number {
    return this.sent - this.bufferedBytes;
  }

  /** Bytes of DATA frames for request `id` still queued (not yet on the wire). */
  queuedFor(id: number): number {
    return this.buffered.reduce((n, b) => n + (b.frame.type === 'data' && b.frame.id === id ? b.left : 0), 0);
  }

  tick(ms: number): void {
    let budget = (this.bytesPerSecond * ms) / 1000;
    while (budget > 0 && this.buffered.length > 0) {
      const head = this.buffered[0];
      const take = Math.min(budget, head.left);
      head.left -= take;
      budget -= take;
      this.bufferedBytes -= take;
      if (head.left <= 0) {
        this.buffered.shift();
        this.deliveredFrames.push(head.frame);
        this.deliver(head.frame);
      }
    }
    if (this.bufferedBytes < 1e-6) this.bufferedBytes = 0;
    if (this.wasAboveLow && this.bufferedBytes <= lowWaterBytes(this.highWater)) {
      this.wasAboveLow = false;
      this.onDrain();
    }
  }
}
