/**
 * Operations per second of a CPU-bound step, measured in `rounds` rounds of `roundMs` each: `batch()`
 * does some work and returns how many operations it did. Every round's rate is returned, so a
 * caller reports the median (one noisy round on a shared machine moves a mean, not a median).
 */
export function rateRounds(rounds: number, roundMs: number, batch: () => number): number[] {
  const rates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let done = 0;
    const start = performance.now();
    let now = start;
    while (now - start < roundMs) {
      done += batch();
      now = performance.now();
    }
    rates.push(done / ((now - start) / 1000));
  }
  return rates;
}

export function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}
