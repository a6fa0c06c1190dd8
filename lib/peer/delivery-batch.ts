/**
 * Receipts and served claims leave in `deliveries` frames, a batch at most every BATCH_MS, instead
 * of a frame each. A viewer that serves many peers claims once per segment and downloader, and
 * files a receipt per segment and holder; in the home-network lab ten viewers behind one home
 * address met signaling's per-address budget with these frames and their links' ICE (the two were
 * not counted apart before this batching), and the dropped frames (each a violation) cost them
 * their connections and links. Nothing here is urgent: signaling pairs receipts with claims within
 * seconds (receiptHoldMs), so a quarter of a second's delay changes no credit.
 */
import type { DeliveriesMessage } from '../protocol';
import type { PeerPlatform } from './platform';
import { BOUNDS } from '../protocol';

/** How long the first entry of a batch waits for others. */
export const BATCH_MS = 250;

type Receipt = NonNullable<DeliveriesMessage['receipts']>[number];
type Served = NonNullable<DeliveriesMessage['served']>[number];

export class DeliveryBatch {
  private receipts: Receipt[] = [];
  private served: Served[] = [];
  private timer: unknown;

  constructor(
    private readonly platform: Pick<PeerPlatform, 'setTimeout' | 'clearTimeout'>,
    private readonly send: (frame: DeliveriesMessage) => void,
  ) {}

  /** "Peer `from` sent me `bytes` of segment `sequence`". */
  receipt(sequence: number, from: string, bytes: number): void {
    this.receipts.push({ sequence, from, bytes });
    this.queued();
  }

  /** "I sent `bytes` of segment `sequence` to peer `to`". */
  claim(sequence: number, to: string, bytes: number): void {
    this.served.push({ sequence, to, bytes });
    this.queued();
  }

  /** Sends what is queued now (leaving, or a list reached the schema's bound). */
  flush(): void {
    this.platform.clearTimeout(this.timer);
    this.timer = undefined;
    while (this.receipts.length > 0 || this.served.length > 0) {
      const frame: DeliveriesMessage = { type: 'deliveries' };
      const receipts = this.receipts.splice(0, BOUNDS.maxListItems);
      const served = this.served.splice(0, BOUNDS.maxListItems);
      if (receipts.length > 0) frame.receipts = receipts;
      if (served.length > 0) frame.served = served;
      this.send(frame);
    }
  }

  private queued(): void {
    if (this.receipts.length >= BOUNDS.maxListItems || this.served.length >= BOUNDS.maxListItems) return this.flush();
    if (this.timer === undefined) this.timer = this.platform.setTimeout(() => this.flush(), BATCH_MS);
  }
}
