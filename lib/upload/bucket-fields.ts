/**
 * The rule for each field of a relaycast-r2-bucket config, in one place for both sides: the runtime
 * applies it at deploy (resolveBucketSettings) and the editor marks a field invalid with it. The
 * build inlines this file into the editor's r2-bucket.html (scripts/build.mjs, `relaycast:inline`),
 * so it uses only what a browser has too and imports nothing but lib/config/env.ts's envReference,
 * which it hands on to the editor.
 */
import { envReference } from '../config/env';

export { envReference };

export type BucketField = 'provider' | 'accountId' | 'endpoint' | 'bucket' | 'publicBaseUrl' | 'keyPrefix';

/** The fields as the editor holds them (all text, except the provider's choice). */
export interface BucketFieldValues {
  provider?: string;
  accountId?: string;
  endpoint?: string;
  bucket?: string;
  publicBaseUrl?: string;
  keyPrefix?: string;
}

export const BUCKET_PROVIDERS = ['r2', 'r2-eu', 's3'] as const;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/** What is wrong with `field` in `values`, or undefined when it is fine (or does not apply). */
export function bucketFieldProblem(field: BucketField, values: BucketFieldValues): string | undefined {
  const provider = values.provider || 'r2';
  const text = (value: string | undefined): string => (typeof value === 'string' ? value : '').trim();
  switch (field) {
    case 'provider':
      return (BUCKET_PROVIDERS as readonly string[]).includes(provider) ? undefined : `unknown provider '${String(values.provider)}'`;
    case 'accountId':
      if (provider === 's3') return undefined;
      return /^[A-Za-z0-9]{1,64}$/.test(text(values.accountId))
        ? undefined
        : 'R2 account id must be letters and digits (Cloudflare dashboard ▸ R2 ▸ Account ID)';
    case 'endpoint':
      if (provider !== 's3') return undefined;
      return isHttpUrl(text(values.endpoint).replace(/\/+$/, '')) ? undefined : 'endpoint must be an http(s) URL';
    case 'bucket':
      // S3 bucket naming rules (R2 uses the same character set).
      return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(text(values.bucket))
        ? undefined
        : 'bucket name must be 3–63 lower-case letters, digits, dots or hyphens';
    case 'publicBaseUrl':
      return isHttpUrl(text(values.publicBaseUrl).replace(/\/+$/, ''))
        ? undefined
        : 'public base URL must be an http(s) URL (custom domain or r2.dev URL of the bucket)';
    case 'keyPrefix': {
      const bad = text(values.keyPrefix)
        .split('/')
        .map((p) => p.trim())
        .find((p) => p === '.' || p === '..');
      return bad === undefined ? undefined : `key prefix may not contain '${bad}'`;
    }
    default:
      return `unknown field '${String(field)}'`;
  }
}

/** Every field, in the order the runtime checks them (the first problem is the one reported). */
export const BUCKET_FIELDS: readonly BucketField[] = ['provider', 'accountId', 'endpoint', 'bucket', 'publicBaseUrl', 'keyPrefix'];
