/**
 * The rungs of ladder mode, written by the operator as `height:kbps` pairs: `720:2800,480:1200,360:600`.
 * Up to three rungs, each a distinct height, so the renditions (named `<height>p`) never collide.
 */
import { RelaycastError } from '../errors';

export interface Rung {
  /** Output height in pixels; the width follows the source's aspect ratio. */
  height: number;
  /** Video bitrate in kbit/s (CBR-like: maxrate = bitrate, a two-second buffer). */
  videoKbps: number;
  /** The rendition id: its folder and its name in the master playlist. */
  name: string;
}

export const MAX_RUNGS = 3;
export const DEFAULT_LADDER = '720:2800,480:1200,360:600';

export function parseLadder(text: string): Rung[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0 || parts.length > MAX_RUNGS) throw new RelaycastError('E_CONFIG', `the ladder needs 1–${MAX_RUNGS} rungs like ${DEFAULT_LADDER}`);
  const rungs = parts.map((part) => {
    const match = /^(\d{2,4}):(\d{2,6})$/.exec(part);
    const height = match ? Number(match[1]) : NaN;
    const videoKbps = match ? Number(match[2]) : NaN;
    if (!(height >= 90 && height <= 2160 && height % 2 === 0) || !(videoKbps >= 50 && videoKbps <= 50_000))
      throw new RelaycastError('E_CONFIG', `ladder rung "${part}": expected height:kbps with an even height of 90–2160 and 50–50000 kbit/s`);
    return { height, videoKbps, name: `${height}p` };
  });
  if (new Set(rungs.map((r) => r.height)).size !== rungs.length) throw new RelaycastError('E_CONFIG', 'ladder rungs need distinct heights');
  return rungs;
}
