/**
 * How old the player is told its first media playlist is. hls.js starts a live stream at
 * (listed edge + the playlist's age − target latency) and plays from there as soon as the fragment
 * holding that point is buffered. Told the exact age of a socket copy (anywhere within a segment),
 * it starts part-way into a fragment, with as little as a few ms buffered ahead at first frame, and
 * a second fragment a few hundred ms late is a stall (CI's six-viewer swarm stalled at start-up this
 * way). Counted in whole segments, the start lands on a segment boundary with a full segment ahead,
 * as plain hls.js starts; hls.js's live-sync rate (maxLiveSyncPlaybackRate) then closes the rest of
 * the gap to the target latency while playing, and later playlists carry their exact age.
 */

/** `ageMs` rounded down to whole durations of the playlist's last segment (unchanged without one). */
export function startAlignedAgeMs(ageMs: number, playlistText: string): number {
  const segmentMs = lastSegmentSeconds(playlistText) * 1000;
  if (!(segmentMs > 0) || !(ageMs > 0)) return Math.max(0, ageMs || 0);
  return Math.floor(ageMs / segmentMs) * segmentMs;
}

/** The last EXTINF duration in seconds; 0 when the playlist lists no segment. */
function lastSegmentSeconds(text: string): number {
  const at = text.lastIndexOf('#EXTINF:');
  if (at < 0) return 0;
  const seconds = Number.parseFloat(text.slice(at + 8, at + 40));
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
}
