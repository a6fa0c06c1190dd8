/**
 * A stream's latency mode: how far behind live its players sit, and the segment length the
 * encoder must write for that to hold. One rule for the signaling node (its setting and the viewer
 * page's config), the loader and the page's plain hls.js, and the editor.
 *
 * - standard: 2 s segments, hls.js three segments behind the live edge (about 6–7 s behind the
 *   camera), RFC 8216's recommended distance.
 * - low: 1 s segments, two behind (about 2.5–3 s). Every segment is still announced with its hash
 *   the moment it is stored, so peers hold it before a player asks; what the shorter distance
 *   costs is a tighter deadline for each transfer and twice the segment writes to R2.
 *
 * A player may sit closer than three target durations (RFC 8216 §6.3.3 says it SHOULD NOT; the
 * playlist's HOLD-BACK, which MUST be at least three, is not written). LL-HLS parts are another
 * way, not yet a mode here: an encoder that writes parts (lib/ll-hls) makes manifest's playlists
 * LL-HLS (lib/manifest/parts.ts), played over HTTP by hls.js's lowLatencyMode; peers do not share
 * parts yet.
 */
export const LATENCY_MODES = ['standard', 'low'] as const;
export type LatencyMode = (typeof LATENCY_MODES)[number];

interface LatencyRule {
  /** Segment length the encoder (or the ingest node) writes, in seconds. */
  segmentSeconds: number;
  /** hls.js liveSyncDurationCount: target durations behind the live edge. */
  liveSyncSegments: number;
}

export const LATENCY_RULES: Record<LatencyMode, LatencyRule> = {
  standard: { segmentSeconds: 2, liveSyncSegments: 3 },
  low: { segmentSeconds: 1, liveSyncSegments: 2 },
};

export function isLatencyMode(value: unknown): value is LatencyMode {
  return typeof value === 'string' && (LATENCY_MODES as readonly string[]).includes(value);
}

/**
 * hls.js's live settings for a mode. A viewer that fell behind (a slow start, a tab in the
 * background) drifts back to the target at up to 5 % speed (10 % in low mode, where a second
 * behind is a third more latency) instead of staying behind for the whole session.
 */
export function liveSyncConfig(mode: LatencyMode = 'standard'): { liveSyncDurationCount: number; maxLiveSyncPlaybackRate: number } {
  return { liveSyncDurationCount: LATENCY_RULES[mode].liveSyncSegments, maxLiveSyncPlaybackRate: mode === 'low' ? 1.1 : 1.05 };
}
