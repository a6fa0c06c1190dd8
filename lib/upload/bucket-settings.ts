/**
 * What the relaycast-r2-bucket config node holds, validated and resolved: the endpoint (Cloudflare
 * R2 by account id, R2's EU jurisdiction, or any S3-compatible URL), region, bucket, public base URL
 * and key prefix. Credentials are handled separately and never appear here.
 */
import { RelaycastError } from '../errors';
import { BUCKET_FIELDS, BUCKET_PROVIDERS, bucketFieldProblem } from './bucket-fields';
import { normalizeKeyPrefix } from './keys';

export type BucketProvider = (typeof BUCKET_PROVIDERS)[number];

export interface BucketConfigInput {
  provider?: string;
  accountId?: string;
  endpoint?: string;
  region?: string;
  bucket?: string;
  publicBaseUrl?: string;
  keyPrefix?: string;
  forcePathStyle?: boolean | string;
}

export interface BucketSettings {
  provider: BucketProvider;
  endpoint: string;
  region: string;
  bucket: string;
  publicBaseUrl: string;
  keyPrefix: string;
  forcePathStyle: boolean;
}

function configError(message: string): RelaycastError {
  return new RelaycastError('E_R2_CONFIG', message);
}

/** R2's S3 API endpoint for an account (EU jurisdiction buckets live under '.eu.'). */
export function r2Endpoint(accountId: string, jurisdiction: 'default' | 'eu'): string {
  return `https://${accountId}.${jurisdiction === 'eu' ? 'eu.' : ''}r2.cloudflarestorage.com`;
}

export function resolveBucketSettings(input: BucketConfigInput): BucketSettings {
  for (const field of BUCKET_FIELDS) {
    const problem = bucketFieldProblem(field, input);
    if (problem !== undefined) throw configError(problem);
  }
  const provider = (input.provider || 'r2') as BucketProvider;
  const endpoint =
    provider === 's3' ? (input.endpoint ?? '').trim().replace(/\/+$/, '') : r2Endpoint((input.accountId ?? '').trim(), provider === 'r2-eu' ? 'eu' : 'default');
  const forcePathStyle = input.forcePathStyle === undefined ? true : input.forcePathStyle === true || input.forcePathStyle === 'true';
  return {
    provider,
    endpoint,
    region: (input.region ?? '').trim() || 'auto',
    bucket: (input.bucket ?? '').trim(),
    publicBaseUrl: (input.publicBaseUrl ?? '').trim().replace(/\/+$/, ''),
    keyPrefix: normalizeKeyPrefix(input.keyPrefix),
    forcePathStyle,
  };
}
