/**
 * The 'receipt' msg: signaling's output 2, one per credited delivery, the input of payout. One
 * declaration for both ends: signaling builds the input type, payout parses to the output type
 * (receivedAt as epoch ms). The network tags, `source`, `session` and both claims are optional:
 * payout also takes receipts of signaling nodes from before the signaling hardening (it then applies
 * its UNTAGGED rule) and from before receipts named their session (it then keys its cap on the
 * segment's hash, rendition by rendition). Unnamed fields are dropped, so a newer signaling node can
 * add some.
 */
import * as v from 'valibot';
import { PositiveWholeNumberSchema, SessionSchema, Sha256Schema, topicMsg, WholeNumberSchema } from './fields';
import { IdSchema } from './ids';
import type { Role } from '../signaling/constants';
import { RoleField } from '../signaling/fields';

const text = (max: number) => v.custom<string>((x) => typeof x === 'string' && x.length > 0 && x.length <= max, `must be a string of 1–${max} characters`);

export const RoleSchema = RoleField;
export type { Role };

/** One end of a credited delivery. */
export const ReceiptPartySchema = v.object({
  peer: text(64),
  role: RoleSchema,
  /** Operator-issued supporter id (never the token). */
  supporter: v.optional(IdSchema),
  /** Keyed hash of the end's network prefix (IPv4 /24, IPv6 /48 by default): equal tags, same network. */
  network: v.optional(text(128)),
});
/** What signaling emits. */
export type ReceiptParty = v.InferInput<typeof ReceiptPartySchema>;
/** What payout books. */
export type ReceiptEnd = v.InferOutput<typeof ReceiptPartySchema>;

export const ReceiptPayloadSchema = v.object({
  /**
   * Stable id for idempotent ledgers: stream/rendition/sequence/first 12 hex of the sha256/downloader
   * source tag. One per segment per downloader source, whatever connection or peer id it came from.
   */
  id: text(256),
  stream: IdSchema,
  rendition: IdSchema,
  /**
   * The hls-watch session the segment belongs to (new at every encoder start), when its announcement
   * named one. A session's renditions are numbered together, so (stream, session, sequence) names one
   * media time slot whatever the rendition: payout's per-network cap is kept per slot.
   */
  session: v.optional(SessionSchema),
  sequence: WholeNumberSchema,
  sha256: Sha256Schema,
  segmentSize: PositiveWholeNumberSchema,
  /** Credited bytes: the smaller of both claims, within the downloader source's budget for the period. */
  bytes: WholeNumberSchema,
  downloaderClaimed: v.optional(WholeNumberSchema),
  uploaderClaimed: v.optional(WholeNumberSchema),
  uploader: ReceiptPartySchema,
  /** `source`: keyed hash of the downloader's source prefix (IPv4 /32, IPv6 /64), the dedupe key. */
  downloader: v.object({ ...ReceiptPartySchema.entries, source: v.optional(text(128)) }),
  /** ISO 8601, server clock; parsed to epoch milliseconds. */
  receivedAt: v.pipe(
    v.custom<string>((x) => typeof x === 'string' && Number.isFinite(Date.parse(x)), 'must be an ISO 8601 time'),
    v.transform(Date.parse),
  ),
});
/** What signaling emits (receivedAt an ISO string). */
export type ReceiptPayload = v.InferInput<typeof ReceiptPayloadSchema>;
/** What payout books (receivedAt in epoch ms). */
export type PayoutReceipt = v.InferOutput<typeof ReceiptPayloadSchema>;

export const ReceiptMsgSchema = topicMsg('receipt', ReceiptPayloadSchema);
