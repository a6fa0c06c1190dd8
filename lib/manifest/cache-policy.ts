/**
 * Cache-Control for served and published playlists. A live playlist changes about once per target
 * duration, so a cache may hold it for at most half of that (players reload after 0.5–1 × TD,
 * RFC 8216 §6.3.4); a finished one changes no more, but a stream may re-open on the same URL.
 */
export const ENDED_MAX_AGE_SECONDS = 60;

export function playlistCacheControl(targetDuration: number, ended: boolean): string {
  if (ended) return `public, max-age=${ENDED_MAX_AGE_SECONDS}`;
  const maxAge = Math.floor(targetDuration / 2);
  return maxAge > 0 ? `public, max-age=${maxAge}` : 'no-cache';
}
