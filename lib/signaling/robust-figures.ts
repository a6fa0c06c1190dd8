/**
 * Figures over a swarm's viewers that no single viewer can bend: a median, and a share with the
 * extremes trimmed. Each viewer is one voice, so a liar among n moves the figure by at most the gap
 * between two neighbouring honest values, not by what it claims.
 */

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The q-quantile by nearest rank (the smallest value with at least q of the values at or below it);
 * null for none. Like the median, one voice moves it at most to a neighbouring value.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Share of the voices trimmed from each end: a tenth, at least one once there are three, never all. */
export function trimCount(voices: number): number {
  if (voices < 3) return 0;
  return Math.min(Math.max(1, Math.ceil(voices * 0.1)), (voices - 1) >> 1);
}

export interface ShareVoice {
  /** The viewer's own share, 0–1. */
  share: number;
  /** What it rests on (the viewer's segment bytes): a viewer that played more counts more… */
  weight: number;
}

/**
 * A trimmed, weighted mean of the viewers' shares: the trimCount() lowest and highest shares are
 * dropped, and no weight counts for more than the median weight (…but never more than a typical
 * viewer). Null when no voice has weight.
 */
export function trimmedShare(voices: readonly ShareVoice[]): number | null {
  const cap = median(voices.map((v) => v.weight)) ?? 0;
  const k = trimCount(voices.length);
  const kept = [...voices].sort((a, b) => a.share - b.share).slice(k, voices.length - k);
  let sum = 0;
  let weights = 0;
  for (const voice of kept) {
    const weight = Math.min(voice.weight, cap);
    sum += voice.share * weight;
    weights += weight;
  }
  return weights > 0 ? sum / weights : null;
}
