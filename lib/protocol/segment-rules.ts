/**
 * The rules for a stored segment's fields, declared once: the segment msg between nodes
 * (lib/protocol/msgs) and the segment the server announces to its swarm (lib/protocol/signaling)
 * check them with the same predicates, so a peer never drops an announcement the server accepted,
 * and the server never announces what a node would refuse. Browser-safe.
 */

/** Longest segment a msg or an announcement may carry, in seconds. */
export const MAX_SEGMENT_SECONDS = 3600;

/** Longest public object URL, in characters. */
export const MAX_URL_CHARS = 2048;

/**
 * Seconds > 0 and at most MAX_SEGMENT_SECONDS. An EXTINF:0 entry cannot be played or listed (it
 * would make a player spin), so hls-watch refuses it at the source instead of r2-upload storing
 * what manifest then refuses.
 */
export function isSegmentDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_SEGMENT_SECONDS;
}

/** SHA-256 as 64 lower-case hex digits: what hls-watch computes and peers verify bytes against. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/**
 * A public object URL (set by r2-upload once stored): absolute http(s), at most MAX_URL_CHARS,
 * without whitespace, quotes or control characters, so it stays one playlist line or one quoted
 * attribute, and a viewer can fetch it as announced.
 */
const SAFE_URL = /^https?:\/\/[^\s"<>\\^`{|}\x00-\x1f\x7f]+$/i;
export function isPublicUrl(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_URL_CHARS && SAFE_URL.test(value);
}
