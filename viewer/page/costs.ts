/**
 * The money the swarm saved, from what this viewer measured. Prices (USD, as published):
 * origin egress $0.09/GB (AWS EC2 data transfer out, first 10 TB/month after the free 100 GB), and
 * R2 Class B operations $0.36 per million (every HTTP segment read is one; R2 egress itself is free).
 */
export const ORIGIN_EGRESS_USD_PER_GB = 0.09;
export const R2_CLASS_B_USD_PER_MILLION = 0.36;

export function savedUsd(p2pBytes: number, p2pSegments: number): { egress: number; reads: number } {
  return {
    egress: (p2pBytes / 1e9) * ORIGIN_EGRESS_USD_PER_GB,
    reads: (p2pSegments / 1e6) * R2_CLASS_B_USD_PER_MILLION,
  };
}

export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(5)}`;
  return `$${usd.toFixed(2)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}
