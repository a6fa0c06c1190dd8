/**
 * BANDWIDTH and AVERAGE-BANDWIDTH measured from the segments actually listed (rfc8216bis §4.4.6.2:
 * the peak segment bit rate; the average over the window), in bits per second.
 */
import { AppendedEntries } from './appended-entries';
import type { PlaylistEntry } from './rendition';

export interface MeasuredBandwidth {
  peak: number;
  average: number;
}

export function measureBandwidth(entries: readonly PlaylistEntry[]): MeasuredBandwidth | undefined {
  return new BandwidthMeter().measure(entries);
}

/**
 * measureBandwidth() for one rendition, measured again with every version of its master: it adds
 * only the entries appended since the last call (see AppendedEntries), so a DVR history is not
 * summed again for each segment.
 */
export class BandwidthMeter {
  private readonly appended = new AppendedEntries();
  private peak = 0;
  private bits = 0;
  private seconds = 0;

  measure(entries: readonly PlaylistEntry[]): MeasuredBandwidth | undefined {
    const appended = this.appended.since(entries);
    if (appended === undefined) {
      this.peak = 0;
      this.bits = 0;
      this.seconds = 0;
    }
    for (const e of appended ?? entries) {
      if (e.gap || e.byteLength === undefined || e.duration <= 0) continue;
      this.peak = Math.max(this.peak, (e.byteLength * 8) / e.duration);
      this.bits += e.byteLength * 8;
      this.seconds += e.duration;
    }
    if (this.seconds === 0) return undefined;
    return { peak: roundUpSignificant(this.peak), average: roundUpSignificant(this.bits / this.seconds) };
  }
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
