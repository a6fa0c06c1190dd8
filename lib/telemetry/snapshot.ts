/**
 * The shape of one telemetry snapshot: what the sidebar receives over RED.comms, what the admin
 * JSON route returns and what the Prometheus collector (lib/telemetry/prometheus.ts) exports.
 * Every figure carries the node it came from. Times in seconds, sizes in bytes, money in USD.
 */
import type { AudienceFigures, IceFigures, NodeRef, PayoutFigures, VotedFigures } from './probes';

export interface RenditionSnapshot {
  node: NodeRef;
  rendition: string;
  segments: number;
  bytes: number;
  mediaSeconds: number;
  lastSegmentAgeSeconds: number;
  /** Picture height from the encoder's master playlist, when it declares one. */
  height?: number;
}

export interface UploadSnapshot {
  node: NodeRef;
  /** PUTs billed for this stream (each attempt, retries included): R2 Class A. */
  puts: number;
  retries: number;
  failures: number;
  objects: number;
  bytes: number;
  /** Estimated bytes the bucket holds now for this stream (stored minus the node's deleted share). */
  storedBytes: number;
  storedByteHours: number;
  /** The node's backlog (shared by every stream it carries). */
  queued: number;
  queuedBytes: number;
  inFlight: number;
  shed: number;
}

export interface PlaylistSnapshot {
  node: NodeRef;
  rendition: string | null;
  version: number;
  mediaSequence: number | null;
  ended: boolean;
}

/**
 * One swarm: its byte and stall totals (bounded sums) and what its viewers voted now (stats msg
 * audience[]: one voice per address, extremes trimmed), each voted figure with the viewers it rests
 * on; no vote (null, 0) once the swarm empties.
 */
export interface SwarmSnapshot extends AudienceFigures, VotedFigures {
  node: NodeRef;
  rendition: string;
  peers: number;
  /** Peers whose stats report is counted now. */
  reporting: number;
  viewerMinutes: number;
  /** The viewers' ICE outcome now (stats msg audience[].ice); null before any report. */
  ice: IceFigures | null;
}

export interface StreamSnapshot {
  stream: string;
  renditions: RenditionSnapshot[];
  uploads: UploadSnapshot[];
  playlists: PlaylistSnapshot[];
  swarms: SwarmSnapshot[];
  /**
   * The viewers' own stats reports over the stream's swarms: the totals added up; the P2P share is
   * the live swarms' voted shares, weighted by the viewers each rests on (`p2pShareViewers` in all).
   */
  audience: AudienceFigures & Pick<VotedFigures, 'p2pShare' | 'p2pShareViewers'> & { viewers: number; viewerMinutes: number };
  origin: {
    /** The manifest nodes serving this stream's playlists, with what each answered. */
    servers: Array<{ node: NodeRef; requests: number; bytes: number }>;
    /** Bytes each signaling node sent this stream's peers (segment announcements, pushed playlists, relaying). */
    signaling: Array<{ node: NodeRef; bytes: number }>;
    playlistRequests: number;
    playlistBytes: number;
    /** Segment fetches over HTTP (from the bucket), estimated from the viewers' HTTP bytes. */
    segmentRequests: number;
    perViewerMinute: { playlist: number; segment: number; total: number } | null;
  };
  cost: {
    classA: number;
    classB: number;
    storageGBMonth: number;
    r2Dollars: number;
    /** Node-RED as the origin: the playlist and signaling bytes it sent, at EC2 egress prices. */
    originDollars: number;
    relaycastDollars: number;
    /** Every segment byte the audience played and every playlist byte, all from an EC2 origin. */
    allFromOriginBytes: number;
    allFromOriginDollars: number;
  };
}

export interface PayoutSnapshot extends PayoutFigures {
  node: NodeRef;
}

export interface TelemetrySnapshot {
  /** ms since the epoch. */
  at: number;
  streams: StreamSnapshot[];
  payouts: PayoutSnapshot[];
  totals: { viewers: number; relaycastDollars: number; allFromOriginDollars: number };
}
