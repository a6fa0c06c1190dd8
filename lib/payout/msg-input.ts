/**
 * The msgs other nodes send relaycast-payout, parsed through their schemas (lib/protocol/msgs/):
 * signaling's receipts, and the segments r2-upload or manifest published (for the
 * "published segments only" rule).
 */
import * as v from 'valibot';
import { parseMsg, ReceiptPayloadSchema, SegmentInfoSchema, type PayoutReceipt } from '../protocol/msgs';

export type { PayoutReceipt, ReceiptEnd, Role } from '../protocol/msgs';

/** A receipt msg's payload, or E_PAYOUT_RECEIPT saying which field is wrong. */
export function parseReceipt(payload: unknown): PayoutReceipt {
  return parseMsg(ReceiptPayloadSchema, payload, 'receipt', 'E_PAYOUT_RECEIPT');
}

/** A published segment, for the "published segments only" rule. */
export interface PublishedSegment {
  stream: string;
  rendition: string;
  sequence: number;
  size: number;
  sha256: string;
}

const PublishedSegmentSchema = v.pick(SegmentInfoSchema, ['stream', 'rendition', 'sequence', 'byteLength', 'sha256']);

/**
 * The segment a `segment` or `playlist` msg carries; null for a playlist msg without one (a master
 * playlist change: nothing to record); undefined for any other msg.
 */
export function publishedSegmentFromMsg(msg: { topic?: unknown; segment?: unknown }): PublishedSegment | null | undefined {
  if (msg.topic === 'playlist' && msg.segment === undefined) return null;
  if ((msg.topic !== 'segment' && msg.topic !== 'playlist') || typeof msg.segment !== 'object' || msg.segment === null || Array.isArray(msg.segment))
    return undefined;
  const s = parseMsg(PublishedSegmentSchema, msg.segment, 'msg.segment', 'E_PAYOUT_SEGMENT');
  return { stream: s.stream, rendition: s.rendition, sequence: s.sequence, size: s.byteLength, sha256: s.sha256 };
}
