/**
 * Every price Relaycast's figures use, in one place (docs/costs.md explains each and its source).
 * The telemetry collector (lib/telemetry) and the cost model (bench/support/cost-model.ts) both read
 * from here, so a price change is one edit. USD; "GB" is what the vendors bill: 2^30 bytes.
 */

/** Bytes in the billed GB (AWS bills data transfer in GiB; Cloudflare's R2 page says GB). */
export const BYTES_PER_GB = 1024 ** 3;

/** Hours in the billing month the storage price is quoted for (30-day month, as in the reference). */
export const HOURS_PER_MONTH = 30 * 24;

export const PRICES = {
  /** Cloudflare R2, Standard storage class (developers.cloudflare.com/r2/pricing). */
  r2: {
    /** PutObject, ListObjects, multipart steps … per million operations. */
    classAPerMillion: 4.5,
    /** GetObject, HeadObject … per million operations. */
    classBPerMillion: 0.36,
    storagePerGBMonth: 0.015,
    /** "Egressing directly from R2 … does not incur data transfer (egress) charges". */
    egressPerGB: 0,
    /** Monthly free tier (Standard only); the live figures ignore it, the cost model can apply it. */
    freeTier: { classA: 1_000_000, classB: 10_000_000, storageGBMonth: 10 },
  },
  /** AWS EC2 data transfer out to the Internet, us-east-1, first 10 TB tier beyond the free 100 GB. */
  ec2: {
    egressPerGB: 0.09,
    freeGBPerMonth: 100,
  },
} as const;

/** Where each price comes from (shown by the cost script, listed in docs/costs.md). */
export const PRICE_SOURCES: ReadonlyArray<{ price: string; source: string }> = [
  {
    price: 'R2 Class A $4.50/M, Class B $0.36/M, storage $0.015/GB-month, egress free, free tier 1 M / 10 M / 10 GB-month',
    source: 'https://developers.cloudflare.com/r2/pricing/ (cloudflare-docs src/content/docs/r2/pricing.mdx)',
  },
  {
    price: 'EC2 data transfer out $0.09/GB after the first 100 GB/month (us-east-1, first 10 TB)',
    source:
      'https://aws.amazon.com/ec2/pricing/on-demand/ (Data Transfer section); 100 GB free tier: AWS re:Post, "Data Transfer from AWS Regions to the Internet is now free for up to 100 GB"',
  },
];

/** Dollars for R2 operations and storage, without the free tier (a live view cannot know the month's other usage). */
export function r2Dollars(classA: number, classB: number, storageGBMonth: number): number {
  return (classA * PRICES.r2.classAPerMillion + classB * PRICES.r2.classBPerMillion) / 1e6 + storageGBMonth * PRICES.r2.storagePerGBMonth;
}

/** Dollars for bytes sent from an EC2 origin to the Internet, without the free tier. */
export function originEgressDollars(bytes: number): number {
  return (bytes / BYTES_PER_GB) * PRICES.ec2.egressPerGB;
}
