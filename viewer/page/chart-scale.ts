// The traffic chart's y scale (viewer/page/chart.ts), apart from uPlot so that it can be unit tested.

/**
 * The start-up burst (a buffer filled at link speed) is many times the steady rate: points from the
 * first seconds do not set the scale, or peers and HTTP would then run flat along the bottom.
 */
export const START_UP_MS = 20_000;
export const MIN_SCALE_KBPS = 10;

/** The y scale's top: what matters after start-up, with some headroom (start-up points may clip). */
export function scaleTop(series: ArrayLike<number | null | undefined>[], startUp: boolean[]): number {
  let max = 0;
  let maxAll = 0;
  for (const rates of series)
    for (let i = 0; i < rates.length; i++) {
      const rate = rates[i] ?? 0;
      maxAll = Math.max(maxAll, rate);
      if (!startUp[i]) max = Math.max(max, rate);
    }
  const top = startUp.every(Boolean) ? maxAll : max;
  return Math.max(MIN_SCALE_KBPS, top * 1.2);
}
