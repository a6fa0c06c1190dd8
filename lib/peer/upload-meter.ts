/**
 * What this peer uploads, per link and in total, from the DataChannels themselves (bytes that left
 * each buffer, see ThroughputMeter). Sampled whenever the upload side sends or a channel drains;
 * each sample also resizes that link's send window to its measured rate (send-window.ts).
 */
import { sendWindowBytes } from './send-window';
import { ThroughputMeter } from './throughput-meter';

/** The parts of a PeerLink the meter reads and sets. */
export interface MeteredLink {
  /** Bytes that have left the channel's buffer since the link opened. */
  delivered(): number;
  bufferedAmount(): number;
  setSendWindow(highWaterBytes: number): void;
}

interface Entry {
  meter: ThroughputMeter;
  lastDelivered: number;
  /** Bytes queued at the last sample: until a sample sees the buffer empty, the link is sampled again. */
  lastBacklog: number;
}

export class UploadMeter {
  /** The whole uplink: every link's deliveries added up, busy while any link has bytes queued. */
  readonly total = new ThroughputMeter();
  private readonly links = new Map<MeteredLink, Entry>();
  private totalDelivered = 0;

  constructor(private readonly now: () => number) {}

  sample(link: MeteredLink): void {
    let entry = this.links.get(link);
    if (!entry) {
      entry = { meter: new ThroughputMeter(), lastDelivered: 0, lastBacklog: 0 };
      this.links.set(link, entry);
    }
    const at = this.now();
    const delivered = link.delivered();
    this.totalDelivered += Math.max(0, delivered - entry.lastDelivered);
    entry.lastDelivered = delivered;
    entry.lastBacklog = link.bufferedAmount();
    entry.meter.sample(at, delivered, entry.lastBacklog);
    this.total.sample(at, this.totalDelivered, this.backlog());
    link.setSendWindow(sendWindowBytes(entry.meter.capacity()));
  }

  /** Bytes queued in every link's buffer now. */
  backlog(): number {
    let bytes = 0;
    for (const link of this.links.keys()) bytes += link.bufferedAmount();
    return bytes;
  }

  /**
   * Links to sample again: those whose buffer held bytes at their last sample. A fast link empties
   * its buffer between two samples; the sample that finds it empty closes the busy interval (a
   * lower bound on its capacity). Left unsampled until its next send, idle time would count in it.
   */
  linksToSample(): MeteredLink[] {
    return [...this.links].filter(([link, entry]) => entry.lastBacklog > 0 || link.bufferedAmount() > 0).map(([link]) => link);
  }

  link(link: MeteredLink): ThroughputMeter | undefined {
    return this.links.get(link)?.meter;
  }

  forget(link: MeteredLink): void {
    this.links.delete(link);
  }
}
