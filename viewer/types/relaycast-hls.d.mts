// The published API of the Relaycast loader (package export "./viewer", dist/viewer/relaycast-hls.mjs),
// documented in docs/viewer.md. Written by hand so it names only what a page may use;
// viewer/types/check.ts fails `npm run typecheck` when the implementation drifts from it.
// hls.js is the page's own: only its types are referenced here.
import type Hls from 'hls.js';
import type { HlsConfig } from 'hls.js';

export interface RelaycastOptions {
  /** ws(s):// URL of the relaycast-signaling node, or a path on the page's own host. */
  signalingUrl: string;
  /** Stream id; default: the name of the folder the master playlist is in (`/live/<stream>/master.m3u8`). */
  stream?: string;
  /** The swarm joined before the player has picked a level (saves a round trip at start). */
  startRendition?: string;
  /** Rendition id of a media playlist URL; default: its file name without `.m3u8`. */
  renditionFromUrl?: (url: string) => string;
  /**
   * A supporter token issued by the operator: this page then joins as a supporter (fetches new
   * segments first and serves the others) and is rewarded for what viewers confirm.
   */
  supporterToken?: string;
  /** false: play over HTTP only (no WebRTC), still taking playlists from the socket. */
  p2p?: boolean;
  /** false: never upload to other viewers (metered or mobile links). */
  upload?: boolean;
  /** Upload cap in bytes per second (0 = uncapped). */
  uploadBytesPerSecond?: number;
  /** Most peer connections (default 10). */
  maxPeers?: number;
  /** Byte cap of the segment store (default 100 MB). */
  maxStoreBytes?: number;
  /** The stream's latency mode: how far behind live hls.js sits (standard: 3 segments of 2 s; low: 2 of 1 s). Default standard. */
  latency?: 'standard' | 'low';
  /** Target distance behind live in target durations, set before hls.js picks its start (default: the latency mode's, 3 or 2). */
  liveSyncDurationCount?: number;
  /**
   * Playlists the page was served with (the viewer page inlines them): the first loads need no request.
   * `presentation`: a media playlist after an earlier one ended (served at `?presentation=N`); absent = the first.
   * `ageMs`: how long the server had held the copy when it rendered the page (hls.js places the live edge by it).
   * `version`: the server's number for the copy (signaling protocol v4); a later delta names it.
   */
  initialPlaylists?: Array<{ rendition: string | null; text: string; ended?: boolean; presentation?: number; ageMs?: number; version?: number }>;
  /** Keep only ICE candidates this accepts (for example loopback only in tests). */
  candidateFilter?: (candidate: string) => boolean;
}

/** `session.stats()`: verified segment bytes by source, peers, deadlines and playback figures. */
export interface RelaycastStats {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  httpSegments: number;
  p2pSegments: number;
  /** Open peer links. */
  peers: number;
  /** Peer transfers that missed their playback deadline (the rest came over HTTP). */
  deadlineMisses: number;
  /** Segments not held when the player asked with no time for peers (budget 0: HTTP at once). */
  httpAtOnce: number;
  /** Deadlines that came with no peer transfer running: no linked holder had the segment in time, or all refused. */
  deadlineWithoutHolder: number;
  /** Media segments the player loaded before this peer knew them (not announced to it yet, or out of its window). */
  httpUnannounced: number;
  /** Peers dropped for sending bad data. */
  droppedPeers: number;
  playlistsFromSwarm: number;
  playlistsFromHttp: number;
  stalls: number;
  latencyMs?: number;
  joined: boolean;
  rendition: string;
  role: 'viewer' | 'supporter';
  peerId?: string;
  /** Share of segment bytes that came from peers, 0–1 (0 before any byte). */
  p2pShare: number;
  /** Whether this page can do WebRTC at all. */
  webrtc: boolean;
}

/** The engine's events; `on` returns a function that removes the listener. */
export interface RelaycastEngine {
  /** A segment was verified and stored; `source` says where its bytes came from. */
  on(event: 'segment', listener: (sequence: number, source: 'peer' | 'http' | 'mixed') => void): () => void;
  /** A peer was dropped for sending bad data. */
  on(event: 'peer-dropped', listener: (peer: string, reason: string) => void): () => void;
}

export interface RelaycastSession {
  readonly options: RelaycastOptions;
  /** The engine's events; undefined until the first playlist request starts the engine. */
  readonly engine: RelaycastEngine | undefined;
  /** Lets the session read the player: buffer left (deadlines for peers), stalls and latency. */
  attach(hls: Hls): void;
  /** undefined until the engine has started. */
  stats(): RelaycastStats | undefined;
  /** Leaves the swarm and closes every peer link. */
  destroy(): void;
}

/**
 * hls.js config with Relaycast's loaders (`fLoader`, `pLoader`) and live sync distance; keys of
 * `hlsConfig` win, except the two loaders.
 */
export declare function relaycastHlsConfig(
  options: RelaycastOptions,
  hlsConfig?: Partial<HlsConfig>,
): {
  config: Partial<HlsConfig>;
  session: RelaycastSession;
};
