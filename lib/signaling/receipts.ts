/**
 * Receipt rules. A receipt is the downloader's statement "peer X sent me N bytes of segment S"; the
 * downloader is whoever sent it (the server knows the connection), never a field. A credited receipt
 * means "this connection received these bytes from that peer over a DataChannel they negotiated
 * through this server", as far as a server that never sees the DataChannel can establish it:
 *   1. the segment was announced in the downloader's swarm and is still in the receipt window;
 *   2. downloader ≠ uploader, and the uploader is a member of that swarm now;
 *   3. bytes ≤ the announced size;
 *   4. the segment was announced after both peers joined (a fresh join earns nothing old);
 *   5. the two peers had an offer relayed and answered through this server;
 *   6. it is the first receipt for that segment from the downloader's source (address prefix), so
 *      several connections, leave/join and reconnects from one place earn one receipt;
 *   7. the uploader's `served` claim for it arrives (before, or within receiptHoldMs after), and the
 *      smaller claim is credited, within the source's byte budget for the period (receipt-budget.ts).
 * This module holds rules 1–6; the coordinator pairs receipts with claims.
 */
import type { AnnouncementStore, StoredAnnouncement } from './announcements';
import type { PeerRecord } from './registry';
import type { ReceiptMessage, ReceiptParty, ReceiptPayload, SignalErrorCode } from './protocol';

export type ReceiptCheck = { ok: true; segment: StoredAnnouncement } | { ok: false; code: SignalErrorCode; message: string };

/** What the coordinator knows of one end of a delivery. */
export interface DeliveryEnd {
  peer: PeerRecord;
  /** Client source prefix (addresses.ts), the dedupe key of the downloader. */
  source: string;
  /** Network tag (network-tags.ts). */
  network: string;
}

export class ReceiptValidator {
  /** renditionKey → sequence → downloader sources that already filed a receipt. Freed with the window and the swarm. */
  private readonly seen = new Map<string, Map<number, Set<string>>>();

  constructor(private readonly announcements: AnnouncementStore) {}

  /** Rules 1–5. `uploader` is undefined when `receipt.from` is not in the downloader's swarm. */
  check(downloader: PeerRecord, uploader: PeerRecord | undefined, negotiated: boolean, receipt: ReceiptMessage): ReceiptCheck {
    const segment = this.announcements.find(downloader.renditionKey, receipt.sequence);
    if (!segment) {
      return {
        ok: false,
        code: 'E_RECEIPT_UNKNOWN_SEGMENT',
        message: `segment ${receipt.sequence} was not announced in the rendition this peer plays (or left the receipt window)`,
      };
    }
    if (receipt.from === downloader.id) {
      return { ok: false, code: 'E_RECEIPT_SELF', message: 'a peer cannot file a receipt for bytes it sent itself' };
    }
    if (!uploader) {
      return { ok: false, code: 'E_RECEIPT_UNKNOWN_UPLOADER', message: 'the uploader is not a member of this swarm' };
    }
    if (receipt.bytes > segment.size) {
      return { ok: false, code: 'E_RECEIPT_TOO_MANY_BYTES', message: `bytes ${receipt.bytes} exceed the segment size ${segment.size}` };
    }
    if (segment.ordinal <= downloader.joinMark || segment.ordinal <= uploader.joinMark) {
      return { ok: false, code: 'E_RECEIPT_BEFORE_JOIN', message: `segment ${receipt.sequence} was announced before both peers had joined` };
    }
    if (!negotiated) {
      return { ok: false, code: 'E_RECEIPT_NOT_NEGOTIATED', message: 'no offer and answer were relayed between these peers' };
    }
    return { ok: true, segment };
  }

  /** Rule 6: records the source's receipt for the segment; false when it already filed one. */
  firstFromSource(swarmKey: string, sequence: number, source: string): boolean {
    let bySequence = this.seen.get(swarmKey);
    if (!bySequence) {
      bySequence = new Map();
      this.seen.set(swarmKey, bySequence);
    }
    let sources = bySequence.get(sequence);
    if (!sources) {
      sources = new Set();
      bySequence.set(sequence, sources);
    }
    if (sources.has(source)) return false;
    sources.add(source);
    return true;
  }

  /** Drops dedupe state for segments that left the announcement window (they can no longer be receipted). */
  prune(swarmKey: string): void {
    const bySequence = this.seen.get(swarmKey);
    if (!bySequence) return;
    const oldest = this.announcements.oldestSequence(swarmKey);
    for (const sequence of bySequence.keys()) if (sequence < oldest) bySequence.delete(sequence);
    if (bySequence.size === 0) this.seen.delete(swarmKey);
  }

  /**
   * Frees a swarm's state: when it empties (its segments are then receiptable by nobody, since every
   * later joiner joined after them) or when its stream restarts at a lower sequence.
   */
  forget(swarmKey: string): void {
    this.seen.delete(swarmKey);
  }

  /** Swarms with dedupe state (for the bounds specs). */
  trackedSwarms(): number {
    return this.seen.size;
  }
}

export function receiptPayload(
  segment: StoredAnnouncement,
  receipt: ReceiptMessage,
  uploaderClaimed: number,
  credited: number,
  uploader: DeliveryEnd,
  downloader: DeliveryEnd & { sourceTag: string },
  now: Date,
): ReceiptPayload {
  return {
    id: `${segment.stream}/${segment.rendition}/${segment.sequence}/${segment.sha256.slice(0, 12)}/${downloader.sourceTag}`,
    stream: segment.stream,
    rendition: segment.rendition,
    // Payout's per-network cap is per media time slot: (stream, session, sequence) across renditions.
    ...(segment.session !== undefined ? { session: segment.session } : {}),
    sequence: segment.sequence,
    sha256: segment.sha256,
    segmentSize: segment.size,
    bytes: credited,
    downloaderClaimed: receipt.bytes,
    uploaderClaimed,
    uploader: party(uploader),
    downloader: { ...party(downloader), source: downloader.sourceTag },
    receivedAt: now.toISOString(),
  };
}

function party(end: DeliveryEnd): ReceiptParty {
  const out: ReceiptParty = { peer: end.peer.id, role: end.peer.role, network: end.network };
  if (end.peer.supporter !== undefined) out.supporter = end.peer.supporter;
  return out;
}
