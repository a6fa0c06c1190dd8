/**
 * BANDWIDTH and AVERAGE-BANDWIDTH measured from the segments actually listed (rfc8216bis §4.4.6.2:
 * the peak segment bit rate; the average over the window), in bits per second.
 */
import type { PlaylistEntry } from './rendition';

export interface MeasuredBandwidth {
  peak: number;
  average: number;
}

export function measureBandwidth(entries: readonly PlaylistEntry[]): MeasuredBandwidth | undefined {
  let peak = 0;
  let bits = 0;
  let seconds = 0;
  for (const e of entries) {
    if (e.gap || e.byteLength === undefined || e.duration <= 0) continue;
    peak = Math.max(peak, (e.byteLength * 8) / e.duration);
    bits += e.byteLength * 8;
    seconds += e.duration;
  }
  if (seconds === 0) return undefined;
  return { peak: roundUpSignificant(peak), average: roundUpSignificant(bits / seconds) };
}

/**
 * Rounds up to 3 significant digits. Up, so the declared value is never below the measurement; and
 * coarse, so the master playlist does not become a new version with every segment.
 */
export function roundUpSignificant(value: number, digits = 3): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(value)) + 1 - digits);
  return Math.max(1, Math.ceil(value / magnitude) * magnitude);
}
