/**
 * The loader's options, read once: what a page passes to relaycastHlsConfig() and the defaults a
 * viewer page served by relaycast-signaling fills in.
 */
import { renditionOfPlaylistUrl, type SeededPlaylist } from '../../lib/protocol';

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
  /** The stream's latency mode (lib/protocol/latency-mode.ts): how far behind live hls.js sits. Default standard. */
  latency?: 'standard' | 'low';
  /** Target distance behind live in target durations, set before hls.js picks its start (default: the latency mode's, 3 or 2). */
  liveSyncDurationCount?: number;
  /** Playlists the page was served with (the viewer page inlines them): the first loads need no request. */
  initialPlaylists?: SeededPlaylist[];
  /** Keep only ICE candidates this accepts (for example loopback only in tests). */
  candidateFilter?: (candidate: string) => boolean;
}

/** The file name without `.m3u8` (lib/protocol/rendition-url.ts: signaling reads the master by the same rule). */
export const defaultRenditionFromUrl = renditionOfPlaylistUrl;

export function defaultStreamFromUrl(url: string): string {
  const parts = url
    .split(/[?#]/)[0]
    .split('/')
    .filter((p) => p !== '');
  return parts.length >= 2 ? parts[parts.length - 2] : 'live';
}

/** Resolves a path like `/relaycast/signal` against the page into a ws(s):// URL. */
export function resolveSignalingUrl(url: string, base: string): string {
  if (/^wss?:\/\//i.test(url)) return url;
  const resolved = new URL(url, base);
  resolved.protocol = resolved.protocol === 'https:' ? 'wss:' : 'ws:';
  return resolved.toString();
}
