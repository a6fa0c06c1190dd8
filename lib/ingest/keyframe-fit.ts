/**
 * Whether the publisher's keyframe interval fits the segment length, read from what copy mode's
 * ffmpeg wrote. Copy mode cannot cut a segment anywhere but at a keyframe: ffmpeg ends each one
 * at the first keyframe at or after the segment length, so with OBS's default keyframe interval
 * ("0", x264's 250 frames: 8.3 s at 30 fps) every segment lasts 8.3 s instead of 2, viewers sit
 * that much further behind live, and a hint of what to set is what the operator needs. Ladder
 * mode forces keyframes at every boundary and always fits.
 *
 * Segment durations show it: all equal to the segment length (within a frame or two of timestamp
 * rounding) when the interval divides it; otherwise the durations are the interval itself (when it
 * is longer) or swing around the length (when it is shorter but does not divide it).
 */
import path from 'node:path';
import { MEDIA_PLAYLIST } from './ffmpeg-args';
import { parsePlaylist, readPlaylistText } from '../hls-watch/playlist';

export interface KeyframeFit {
  /** Every finished segment of the launch lasts the segment length. */
  fits: boolean;
  /** The longest finished segment of the launch, seconds: the keyframe interval when it is the longer. */
  longestSeconds: number;
}

/** Timestamp rounding at 23.976–60 fps: two frames either way are still "the segment length". */
const TOLERANCE_SECONDS = 0.1;

/** The fit of these finished segment durations, or undefined before the first one. */
export function keyframeFit(durations: readonly number[], segmentSeconds: number): KeyframeFit | undefined {
  if (durations.length === 0) return undefined;
  return {
    fits: durations.every((d) => Math.abs(d - segmentSeconds) <= TOLERANCE_SECONDS),
    longestSeconds: Math.max(...durations),
  };
}

/**
 * The fit of the segments copy mode's ffmpeg listed so far for `launch` (their names start with
 * the launch id), or undefined while it listed none. The playlist lists only finished segments.
 */
export async function launchKeyframeFit(outDir: string, launch: string, segmentSeconds: number): Promise<KeyframeFit | undefined> {
  let text: string;
  try {
    text = await readPlaylistText(path.join(outDir, MEDIA_PLAYLIST));
  } catch {
    return undefined; // not written yet
  }
  const playlist = parsePlaylist(text);
  if (playlist.kind !== 'media') return undefined;
  return keyframeFit(
    playlist.entries.filter((e) => e.uri.startsWith(`${launch}-`)).map((e) => e.duration),
    segmentSeconds,
  );
}
