/**
 * What a live stream costs, from measured figures: how many requests and bytes reach the origin
 * and the bucket, the R2 operations and storage that follow, and the dollars, for Relaycast and for
 * the two designs it is compared with: every byte from an EC2 origin, and the earlier design's
 * claim ($0.10 per 600-viewer, 40-minute stream), which left out the playlist polling of its
 * players. Prices come from lib/costs/prices.ts (one place); the earlier design's figures from
 * /work/shared/reference/prior-art.md (summarised in docs/costs.md).
 */
import { BYTES_PER_GB, HOURS_PER_MONTH, PRICES, originEgressDollars, r2Dollars } from '../../lib/costs/prices';

export interface CostInputs {
  viewers: number;
  minutes: number;
  /** Bitrate each viewer plays, Mb/s (10^6 bits). */
  bitrateMbps: number;
  segmentSeconds: number;
  /** Measured share of segment bytes viewers got from peers, 0–1 (0 for plain HTTP). */
  p2pShare: number;
  /** Measured playlist requests each viewer sends the origin per minute (about 60 / target duration when polling). */
  playlistRequestsPerViewerMinute: number;
  /**
   * Measured segment fetches over HTTP per viewer-minute. Default: every segment a viewer plays,
   * less the P2P share (60 / segmentSeconds × (1 − p2pShare)).
   */
  segmentRequestsPerViewerMinute?: number;
  /** Renditions published (each segment is one PUT per rendition). Default 1. */
  renditions?: number;
  /** Bytes of one live playlist response. Default 1000 (a 6-segment window with absolute R2 URLs). */
  playlistBytes?: number;
  /**
   * Bytes the origin pushes each viewer per minute over the signaling socket (segment announcements
   * and playlist versions); see swarmPushBytesPerViewerMinute. Default 0 (no swarm).
   */
  signalingBytesPerViewerMinute?: number;
  /** Segments per rendition the bucket keeps (r2-upload's Keep, default 12). */
  keptSegments?: number;
}

export interface CostBreakdown {
  viewerMinutes: number;
  /** Segment bytes the audience played (whoever served them). */
  playedBytes: number;
  segmentRequests: number;
  segmentHttpBytes: number;
  playlistRequests: number;
  playlistBytes: number;
  r2: { classA: number; classB: number; storageGBMonth: number; classADollars: number; classBDollars: number; storageDollars: number; dollars: number };
  /** What the swarm's signaling socket pushes to viewers (announcements, playlists). */
  signalingBytes: number;
  /** Node-RED as the origin: the playlists it serves and the signaling it pushes, at EC2 egress prices. */
  originDollars: number;
  dollars: number;
}

export interface Comparison {
  relaycast: CostBreakdown;
  allFromOrigin: { bytes: number; requests: number; dollars: number };
  earlierDesign: {
    claimedDollars: number;
    forgottenPlaylistRequests: number;
    forgottenPlaylistBytes: number;
    forgottenDollars: number;
    correctedDollars: number;
  };
}

/**
 * The earlier design (prior-art.md, "Live playlist polling is missing from the cost model"): its
 * claim, and the polling it forgot: players reload the playlist once per target duration (6 s),
 * an un-cacheable 120-entry playlist served by EC2. About 150 bytes an entry (EXTINF, a full R2
 * URL, PROGRAM-DATE-TIME written twice) is an estimate from that playlist's shape.
 */
export const EARLIER_DESIGN = {
  claimDollars: 0.1,
  claimViewers: 600,
  claimMinutes: 40,
  targetDurationSeconds: 6,
  playlistEntries: 120,
  bytesPerEntry: 150,
} as const;

export const DEFAULT_PLAYLIST_BYTES = 1000;

/**
 * Bytes on the wire per segment a swarm viewer is pushed over the signaling socket (protocol v4):
 * the announcement, the media playlist's delta and the master's, compressed by permessage-deflate.
 * bench/signaling-push.ts measured 5,647 bytes per viewer-minute at 2 s segments (188 per segment);
 * before v4 (whole playlists, uncompressed) it was about 1,400. WebRTC offer/answer/ICE relaying
 * happens once per peer link and is left out.
 */
export const PUSH_WIRE_BYTES_PER_SEGMENT = 200;

/** Estimated bytes a viewer in a swarm receives from the origin per minute over the signaling socket. */
export function swarmPushBytesPerViewerMinute(segmentSeconds: number): number {
  return (60 / segmentSeconds) * PUSH_WIRE_BYTES_PER_SEGMENT;
}

export function costOf(inputs: CostInputs): CostBreakdown {
  validate(inputs);
  const renditions = inputs.renditions ?? 1;
  const viewerMinutes = inputs.viewers * inputs.minutes;
  const segmentsPerMinute = 60 / inputs.segmentSeconds;
  const playedBytes = (viewerMinutes * 60 * inputs.bitrateMbps * 1e6) / 8;
  const segmentRequests = viewerMinutes * (inputs.segmentRequestsPerViewerMinute ?? segmentsPerMinute * (1 - inputs.p2pShare));
  const playlistRequests = viewerMinutes * inputs.playlistRequestsPerViewerMinute;
  const playlistBytes = playlistRequests * (inputs.playlistBytes ?? DEFAULT_PLAYLIST_BYTES);
  const signalingBytes = viewerMinutes * (inputs.signalingBytesPerViewerMinute ?? 0);

  // One PUT per segment per rendition; what the bucket holds is the kept window, for the stream's length.
  const classA = renditions * Math.ceil(inputs.minutes * segmentsPerMinute);
  const segmentBytes = ((inputs.bitrateMbps * 1e6) / 8) * inputs.segmentSeconds;
  const heldBytes = renditions * (inputs.keptSegments ?? 12) * segmentBytes;
  const storageGBMonth = (heldBytes / BYTES_PER_GB) * (inputs.minutes / 60 / HOURS_PER_MONTH);
  const classADollars = r2Dollars(classA, 0, 0);
  const classBDollars = r2Dollars(0, segmentRequests, 0);
  const storageDollars = r2Dollars(0, 0, storageGBMonth);
  const originDollars = originEgressDollars(playlistBytes + signalingBytes);
  const r2 = {
    classA,
    classB: segmentRequests,
    storageGBMonth,
    classADollars,
    classBDollars,
    storageDollars,
    dollars: classADollars + classBDollars + storageDollars,
  };
  return {
    viewerMinutes,
    playedBytes,
    segmentRequests,
    segmentHttpBytes: playedBytes * (1 - inputs.p2pShare),
    playlistRequests,
    playlistBytes,
    signalingBytes,
    r2,
    originDollars,
    dollars: r2.dollars + originDollars,
  };
}

export function compare(inputs: CostInputs): Comparison {
  const relaycast = costOf(inputs);
  // Every segment byte and every playlist from one EC2 origin (players poll the playlist there too).
  const pollingPerMinute = 60 / inputs.segmentSeconds;
  const originPlaylistBytes = relaycast.viewerMinutes * pollingPerMinute * (inputs.playlistBytes ?? DEFAULT_PLAYLIST_BYTES);
  const allBytes = relaycast.playedBytes + originPlaylistBytes;
  const allRequests = relaycast.viewerMinutes * pollingPerMinute * 2;

  const scale = relaycast.viewerMinutes / (EARLIER_DESIGN.claimViewers * EARLIER_DESIGN.claimMinutes);
  const forgottenRequests = relaycast.viewerMinutes * (60 / EARLIER_DESIGN.targetDurationSeconds);
  const forgottenBytes = forgottenRequests * EARLIER_DESIGN.playlistEntries * EARLIER_DESIGN.bytesPerEntry;
  const claimed = EARLIER_DESIGN.claimDollars * scale;
  const forgotten = originEgressDollars(forgottenBytes);
  return {
    relaycast,
    allFromOrigin: { bytes: allBytes, requests: allRequests, dollars: originEgressDollars(allBytes) },
    earlierDesign: {
      claimedDollars: claimed,
      forgottenPlaylistRequests: forgottenRequests,
      forgottenPlaylistBytes: forgottenBytes,
      forgottenDollars: forgotten,
      correctedDollars: claimed + forgotten,
    },
  };
}

function validate(inputs: CostInputs): void {
  const positive = ['viewers', 'minutes', 'bitrateMbps', 'segmentSeconds'] as const;
  for (const name of positive) {
    if (!Number.isFinite(inputs[name]) || inputs[name] <= 0) throw Object.assign(new RangeError(`${name} must be a positive number`), { code: 'E_COST_INPUT' });
  }
  if (!(inputs.p2pShare >= 0 && inputs.p2pShare <= 1)) throw Object.assign(new RangeError('p2pShare must be between 0 and 1'), { code: 'E_COST_INPUT' });
  for (const name of [
    'playlistRequestsPerViewerMinute',
    'segmentRequestsPerViewerMinute',
    'renditions',
    'playlistBytes',
    'keptSegments',
    'signalingBytesPerViewerMinute',
  ] as const) {
    const value = inputs[name];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      throw Object.assign(new RangeError(`${name} must be a number ≥ 0`), { code: 'E_COST_INPUT' });
  }
}

/** The free tier is left out everywhere: it is shared by the whole month's usage. */
export const FREE_TIER_NOTE = `Prices without free tiers (R2: ${PRICES.r2.freeTier.classA / 1e6} M Class A, ${PRICES.r2.freeTier.classB / 1e6} M Class B, ${PRICES.r2.freeTier.storageGBMonth} GB-month; EC2: ${PRICES.ec2.freeGBPerMonth} GB egress a month), which the whole month's usage shares.`;
