/**
 * The signaling server's view of the protocol. The protocol itself (messages, version, close and
 * error codes, bounds) is declared once in lib/protocol/ and re-exported here for the server's
 * modules; what stays here is the receipt msg the node emits on its output (not a wire message).
 */
export * from '../protocol/signaling/constants';
export * from '../protocol/signaling/fields';
export * from '../protocol/signaling/client-messages';
export * from '../protocol/signaling/server-messages';
import type { Role } from '../protocol/signaling/constants';

// ---- msgs the node emits ------------------------------------------------------------------------

/** One end of a credited delivery. */
export interface ReceiptParty {
  peer: string;
  role: Role;
  /** Operator-issued supporter id (never the token). */
  supporter?: string;
  /** Keyed hash of the end's network prefix (IPv4 /24, IPv6 /48 by default): equal ends, same network. */
  network: string;
}

/** Output 2: one msg per credited receipt, the input of relaycast-payout. */
export interface ReceiptPayload {
  /**
   * Stable id for idempotent ledgers: stream/rendition/sequence/first 12 hex of the sha256/downloader
   * source tag. One per segment per downloader source, whatever connection or peer id it came from.
   */
  id: string;
  stream: string;
  rendition: string;
  sequence: number;
  sha256: string;
  segmentSize: number;
  /** Credited bytes: the smaller of both claims, within the downloader source's budget for the period. */
  bytes: number;
  downloaderClaimed: number;
  uploaderClaimed: number;
  uploader: ReceiptParty;
  /** `source`: keyed hash of the downloader's source prefix (IPv4 /32, IPv6 /64), the dedupe key. */
  downloader: ReceiptParty & { source: string };
  /** ISO 8601, server clock. */
  receivedAt: string;
}
