/**
 * The 'stats' msgs: signaling's output 1 (swarm figures and what the audience measured) and the
 * supporter node's output. No node reads them today; the schemas are their typed contract for
 * flows (dashboards, alerts) and keep the emitters honest in the specs.
 */
import * as v from 'valibot';
import { topicMsg, WholeNumberSchema } from './fields';
import { IdSchema } from './ids';

const rate = v.custom<number>((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0, 'must be a number ≥ 0');

/**
 * Per swarm, what its viewers reported: each report held to what its connection could have played,
 * the totals added up, the share and latency voted with one voice per viewer address
 * (lib/signaling/audience-stats.ts), so that no one viewer bends them.
 */
export const SwarmAudienceSchema = v.object({
  stream: IdSchema,
  rendition: IdSchema,
  /** Peers whose latest report is counted. */
  reporting: WholeNumberSchema,
  httpBytes: WholeNumberSchema,
  p2pBytes: WholeNumberSchema,
  uploadedBytes: WholeNumberSchema,
  stalls: WholeNumberSchema,
  /**
   * Share of segment bytes that came from peers, 0–1 (null before any byte): the viewers' own shares,
   * the highest and lowest tenth trimmed, weighted by bytes played up to the median viewer's.
   */
  p2pShare: v.nullable(v.pipe(rate, v.maxValue(1))),
  /** Viewers (addresses, counting those that left) that p2pShare rests on. */
  p2pShareViewers: WholeNumberSchema,
  /** Median of the reporting viewers' latest latency figures, ms (null when none reported one). */
  latencyMs: v.nullable(rate),
  /** The 90th percentile (nearest rank) of the same figures, ms: how far behind live the audience's slow tail sits. */
  latencyP90Ms: v.nullable(rate),
  /** Viewers (addresses) that latencyMs rests on. */
  latencyViewers: WholeNumberSchema,
  /** Reporting peers whose report claimed more than their connection could have played: held to that. */
  capped: WholeNumberSchema,
  /**
   * The viewers' WebRTC links (counting those that left, like the byte totals): `reporting` viewers
   * told their ICE outcome, `srflx` of them gathered a server-reflexive candidate (their STUN server
   * answered: 0 with viewers behind NAT means its UDP port is closed); links `connected` and `failed`,
   * and the connected ones by selected pair type (its less direct end).
   */
  ice: v.object({
    reporting: WholeNumberSchema,
    srflx: WholeNumberSchema,
    connected: WholeNumberSchema,
    failed: WholeNumberSchema,
    pairs: v.object({ host: WholeNumberSchema, srflx: WholeNumberSchema, prflx: WholeNumberSchema, relay: WholeNumberSchema }),
  }),
});
export type SwarmAudience = v.InferOutput<typeof SwarmAudienceSchema>;

export const SignalingStatsSchema = v.object({
  connections: WholeNumberSchema,
  peers: WholeNumberSchema,
  swarms: WholeNumberSchema,
  /** Client frames per second since the previous stats msg. */
  messagesPerSecond: rate,
  messages: WholeNumberSchema,
  relayed: WholeNumberSchema,
  announcements: WholeNumberSchema,
  receipts: WholeNumberSchema,
  invalidReceipts: WholeNumberSchema,
  violations: WholeNumberSchema,
  /** `report` frames refused: naming the reporter itself, or no peer of its swarm. */
  refusedReports: WholeNumberSchema,
  audience: v.array(SwarmAudienceSchema),
});
export type SignalingStats = v.InferOutput<typeof SignalingStatsSchema>;

export const SupporterSwarmStatsSchema = v.object({
  stream: IdSchema,
  rendition: IdSchema,
  joined: v.boolean(),
  peers: WholeNumberSchema,
  uploadedBytes: WholeNumberSchema,
  /** Verified segment bytes this supporter obtained (HTTP and peers): it relays, never plays. */
  fetchedBytes: WholeNumberSchema,
  segments: WholeNumberSchema,
});
export type SupporterSwarmStats = v.InferOutput<typeof SupporterSwarmStatsSchema>;

export const SupporterStatsSchema = v.object({
  running: v.boolean(),
  peers: WholeNumberSchema,
  /** Bytes uploaded to viewers since this supporter was created (across restarts by msg). */
  uploadedBytes: WholeNumberSchema,
  fetchedBytes: WholeNumberSchema,
  /** Verified credit from payout's supporter summary; undefined until it was read once. */
  verifiedBytes: v.optional(WholeNumberSchema),
  /** Why signaling refused this supporter (e.g. E_SIGNAL_UNAUTHORIZED), until the next welcome. */
  refused: v.optional(v.string()),
  swarms: v.array(SupporterSwarmStatsSchema),
});
export type SupporterStats = v.InferOutput<typeof SupporterStatsSchema>;

export const SignalingStatsMsgSchema = topicMsg('stats', SignalingStatsSchema);
export const SupporterStatsMsgSchema = topicMsg('stats', SupporterStatsSchema);
