/**
 * How the viewer page and the editor sidebar write money and sizes. Money has two forms, by what
 * the figure is for:
 * - an amount spent or saved (`formatUsdShort`): whole cents, the unit anyone pays in, "< $0.01"
 *   until the first one; "$0.00616" beside "$0.04" reads as noise, not as precision.
 * - a rate or an exact figure (`formatUsd`): cents from a cent up, two significant digits below,
 *   because there the small number is the point: $0.0004 per viewer-hour against $0.04 is the
 *   hundredfold a rate row exists to show, and it is what gets multiplied by an audience.
 */
export function formatUsdShort(usd: number): string {
  if (usd <= 0) return '$0';
  if (usd < 0.01) return '< $0.01';
  return `$${usd.toFixed(2)}`;
}

export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (Math.abs(usd) >= 0.01) return `$${usd.toFixed(2)}`;
  // Plain decimals at any size ("0.00000043", never "4.3e-7"), trailing zeros dropped.
  return `$${usd.toLocaleString('en-US', { maximumSignificantDigits: 2 })}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}
