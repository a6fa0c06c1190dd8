/**
 * Exact integer splitting (largest remainder, also called Hamilton's method). BigInt throughout:
 * pool × bytes overflows a double long before real figures get large (1e6 minor units × 1e12 bytes).
 */

export interface Weighted {
  key: string;
  weight: bigint;
}

/**
 * Splits `total` among `items` in proportion to their weights. Every share is floor(total·w/W) or
 * one more; the extra units go to the largest remainders, ties broken by key (byte order), so the
 * result depends on the set of items, never on their order, and always adds up to `total`.
 * Items with weight 0 get 0. With no positive weight nothing can be split and every share is 0.
 */
export function largestRemainder(total: bigint, items: Weighted[]): Map<string, bigint> {
  const shares = new Map<string, bigint>();
  let sum = 0n;
  for (const item of items) {
    if (item.weight < 0n) throw new RangeError(`negative weight for ${item.key}`);
    sum += item.weight;
  }
  if (sum === 0n || total === 0n) {
    for (const item of items) shares.set(item.key, 0n);
    return shares;
  }
  let given = 0n;
  const remainders: Array<{ key: string; rem: bigint }> = [];
  for (const item of items) {
    const exact = total * item.weight;
    const floor = exact / sum;
    shares.set(item.key, floor);
    given += floor;
    if (item.weight > 0n) remainders.push({ key: item.key, rem: exact % sum });
  }
  let left = total - given; // < number of positive-weight items, since each floor lost < 1
  remainders.sort((a, b) => (a.rem === b.rem ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.rem > b.rem ? -1 : 1));
  for (const { key } of remainders) {
    if (left === 0n) break;
    shares.set(key, (shares.get(key) as bigint) + 1n);
    left -= 1n;
  }
  return shares;
}
