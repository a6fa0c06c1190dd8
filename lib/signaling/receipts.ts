/**
 * Receipt validation. A receipt is the downloader's statement "peer X sent me N bytes of segment S";
 * the downloader is whoever sent it (the server knows the connection), never a field. It is credited
 * only when it is consistent with what the server itself knows:
 *   - the segment was announced in the downloader's swarm and is still in the receipt window;
 *   - the uploader is a member of that same swarm;
 *   - downloader ≠ uploader;
 *   - bytes ≤ the announced size;
 *   - one receipt per downloader per segment (the first one wins; later ones are duplicates).
 * Everything else is rejected with a code and reported for audit.
 */
import type { AnnouncementStore } from './announcements';
import type { PeerRecord, SwarmRegistry } from './registry';
import type { ReceiptMessage, ReceiptPayload, SignalErrorCode } from './protocol';

export type ReceiptVerdict =
  | { ok: true; receipt: ReceiptPayload }
  | { ok: false; code: SignalErrorCode; message: string };

export class ReceiptValidator {
  /** swarmKey → sequence → downloader peer ids that already filed a receipt. */
  private readonly seen = new Map<string, Map<number, Set<string>>>();

  constructor(
    private readonly registry: SwarmRegistry,
    private readonly announcements: AnnouncementStore,
  ) {}

  /**
   * `uploaderClaim`: the bytes the uploader said (`served`) it sent this downloader for this segment,
   * when it said so; the credited bytes are then the smaller of the two claims.
   */
  check(downloader: PeerRecord, stream: string, rendition: string, receipt: ReceiptMessage, now: Date, uploaderClaim?: number): ReceiptVerdict {
    const swarmKey = downloader.swarmKey;
    const segment = this.announcements.find(swarmKey, receipt.sequence);
    if (!segment) {
      return { ok: false, code: 'E_RECEIPT_UNKNOWN_SEGMENT', message: `segment ${receipt.sequence} was not announced in this swarm (or left the receipt window)` };
    }
    if (receipt.from === downloader.id) {
      return { ok: false, code: 'E_RECEIPT_SELF', message: 'a peer cannot file a receipt for bytes it sent itself' };
    }
    const uploader = this.registry.getPeer(swarmKey, receipt.from);
    if (!uploader) {
      return { ok: false, code: 'E_RECEIPT_UNKNOWN_UPLOADER', message: 'the uploader is not a member of this swarm' };
    }
    if (receipt.bytes > segment.size) {
      return { ok: false, code: 'E_RECEIPT_TOO_MANY_BYTES', message: `bytes ${receipt.bytes} exceed the segment size ${segment.size}` };
    }
    const bySequence = this.bucketFor(swarmKey);
    let downloaders = bySequence.get(receipt.sequence);
    if (!downloaders) {
      downloaders = new Set();
      bySequence.set(receipt.sequence, downloaders);
    }
    if (downloaders.has(downloader.id)) {
      return { ok: false, code: 'E_RECEIPT_DUPLICATE', message: `a receipt for segment ${receipt.sequence} was already filed by this peer` };
    }
    downloaders.add(downloader.id);
    return {
      ok: true,
      receipt: {
        id: `${stream}/${rendition}/${receipt.sequence}/${downloader.id}`,
        stream,
        rendition,
        sequence: receipt.sequence,
        sha256: segment.sha256,
        segmentSize: segment.size,
        bytes: uploaderClaim === undefined ? receipt.bytes : Math.min(receipt.bytes, uploaderClaim),
        ...(uploaderClaim === undefined ? {} : { uploaderClaimed: uploaderClaim }),
        uploader: party(uploader),
        downloader: party(downloader),
        receivedAt: now.toISOString(),
      },
    };
  }

  /** Drops dedupe state for segments that left the announcement window (they can no longer be receipted). */
  prune(swarmKey: string): void {
    const bySequence = this.seen.get(swarmKey);
    if (!bySequence) return;
    const oldest = this.announcements.oldestSequence(swarmKey);
    for (const sequence of bySequence.keys()) if (sequence < oldest) bySequence.delete(sequence);
    if (bySequence.size === 0) this.seen.delete(swarmKey);
  }

  private bucketFor(swarmKey: string): Map<number, Set<string>> {
    let bySequence = this.seen.get(swarmKey);
    if (!bySequence) {
      bySequence = new Map();
      this.seen.set(swarmKey, bySequence);
    }
    return bySequence;
  }
}

function party(peer: PeerRecord): ReceiptPayload['uploader'] {
  return peer.supporter === undefined ? { peer: peer.id, role: peer.role } : { peer: peer.id, role: peer.role, supporter: peer.supporter };
}
