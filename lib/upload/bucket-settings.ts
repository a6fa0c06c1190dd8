/**
 * What the relaycast-r2-bucket config node holds, validated and resolved: the endpoint (Cloudflare
 * R2 by account id, R2's EU jurisdiction, or any S3-compatible URL), region, bucket, public base URL
 * and key prefix. Credentials are handled separately and never appear here.
 */
import { RelaycastError } from '../errors';
import { normalizeKeyPrefix } from './keys';

export type BucketProvider = 'r2' | 'r2-eu' | 's3';

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

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

export function resolveBucketSettings(input: BucketConfigInput): BucketSettings {
  const provider = (input.provider || 'r2') as BucketProvider;
  if (!['r2', 'r2-eu', 's3'].includes(provider)) throw configError(`unknown provider '${String(input.provider)}'`);
  let endpoint: string;
  if (provider === 's3') {
    endpoint = (input.endpoint ?? '').trim().replace(/\/+$/, '');
    if (!isHttpUrl(endpoint)) throw configError('endpoint must be an http(s) URL');
  } else {
    const accountId = (input.accountId ?? '').trim();
    if (!/^[A-Za-z0-9]{1,64}$/.test(accountId)) throw configError('R2 account id must be letters and digits (Cloudflare dashboard ▸ R2 ▸ Account ID)');
    endpoint = r2Endpoint(accountId, provider === 'r2-eu' ? 'eu' : 'default');
  }
  const bucket = (input.bucket ?? '').trim();
  // S3 bucket naming rules (R2 uses the same character set).
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw configError('bucket name must be 3–63 lower-case letters, digits, dots or hyphens');
  const publicBaseUrl = (input.publicBaseUrl ?? '').trim().replace(/\/+$/, '');
  if (!isHttpUrl(publicBaseUrl)) throw configError('public base URL must be an http(s) URL (custom domain or r2.dev URL of the bucket)');
  const forcePathStyle = input.forcePathStyle === undefined ? true : input.forcePathStyle === true || input.forcePathStyle === 'true';
  return {
    provider,
    endpoint,
    region: (input.region ?? '').trim() || 'auto',
    bucket,
    publicBaseUrl,
    keyPrefix: normalizeKeyPrefix(input.keyPrefix),
    forcePathStyle,
  };
}

/**
 * `${NAME}` → the environment variable, for credentials typed in the editor's test dialog (the
 * runtime already does this for deployed nodes).
 */
export function expandEnv(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined) return undefined;
  const match = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value.trim());
  return match ? env[match[1] as string] : value;
}
