/**
 * The money the swarm saved, from what this viewer measured: the bytes it got from peers would
 * otherwise have left an origin (EC2 egress), and each segment it got from a peer is one R2 read
 * (Class B) fewer. Prices: lib/costs/prices.ts, the project's one place for them (docs/costs.md).
 */
import { originEgressDollars, r2Dollars } from '../../lib/costs/prices';

export function savedUsd(p2pBytes: number, p2pSegments: number): { egress: number; reads: number } {
  return {
    egress: originEgressDollars(p2pBytes),
    reads: r2Dollars(0, p2pSegments, 0),
  };
}

/**
 * One viewer saves fractions of a cent per minute: the panel shows whole cents ("< $0.01" until the
 * first one), never "$0.00006" (formatUsdShort, the same rule as the sidebar); the exact figure
 * (formatUsd) goes in the element's tooltip.
 */
export { formatBytes, formatUsd, formatUsdShort } from '../../lib/costs/format';
