/**
 * "Test connection" for a bucket: writes a probe object, reads it back through the S3 API and
 * through the public base URL (with an Origin header, as a browser player would), then deletes it,
 * and names exactly what failed. Used by the config node's editor button.
 */
import { createHash, randomBytes } from 'node:crypto';
import { classifyStoreError } from './failure';
import { publicUrl } from './keys';
import type { ObjectStore } from './object-store';

export type ProbeProblem = 'credentials' | 'bucket' | 'endpoint' | 'write' | 'etag' | 'read' | 'public-url' | 'cors' | 'delete';

export interface ProbeStep {
  step: 'put' | 'etag' | 'get' | 'public-get' | 'cors' | 'delete';
  ok: boolean;
  /** What the failure means for the operator, when not ok. */
  problem?: ProbeProblem;
  detail?: string;
}

export interface ProbeReport {
  ok: boolean;
  key: string;
  url: string;
  steps: ProbeStep[];
  /** Whether the store's ETag of a single PUT is the body's MD5 (r2-upload's "Verify ETag" needs it); unknown when the PUT failed. */
  etagIsMd5?: boolean;
}

export interface ProbeOptions {
  store: ObjectStore;
  publicBaseUrl: string;
  keyPrefix: string;
  timeoutMs?: number;
  /** Origin sent with the public GET, to see whether the bucket's CORS rule lets browsers in. */
  origin?: string;
}

function problemForPut(err: unknown): { problem: ProbeProblem; detail: string } {
  const failure = classifyStoreError(err, { timedOut: false, closing: false });
  switch (failure.code) {
    case 'E_UPLOAD_AUTH':
      return { problem: 'credentials', detail: failure.reason };
    case 'E_UPLOAD_NO_BUCKET':
      return { problem: 'bucket', detail: failure.reason };
    case 'E_UPLOAD_NETWORK':
    case 'E_UPLOAD_ENDPOINT':
      return { problem: 'endpoint', detail: failure.reason };
    default:
      return { problem: 'write', detail: failure.reason };
  }
}

export async function probeBucket(options: ProbeOptions): Promise<ProbeReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const body = randomBytes(64);
  const key = `${options.keyPrefix}relaycast-probe/${Date.now()}-${randomBytes(4).toString('hex')}.bin`;
  const url = publicUrl(options.publicBaseUrl, key);
  const steps: ProbeStep[] = [];
  let etagIsMd5: boolean | undefined;
  const report = (): ProbeReport => ({ ok: steps.every((s) => s.ok), key, url, steps, ...(etagIsMd5 === undefined ? {} : { etagIsMd5 }) });

  try {
    const result = await options.store.put(
      {
        key,
        body,
        contentType: 'application/octet-stream',
        cacheControl: 'no-store',
        contentMd5: createHash('md5').update(body).digest('base64'),
      },
      AbortSignal.timeout(timeoutMs),
    );
    const expected = createHash('md5').update(body).digest('hex');
    steps.push({ step: 'put', ok: true });
    // Detected once here, so the operator learns it before every segment fails its check.
    etagIsMd5 = result.etag === expected;
    if (!etagIsMd5) {
      steps.push({
        step: 'etag',
        ok: false,
        problem: 'etag',
        detail:
          'the store\'s ETag is not the MD5 of the body (SSE-KMS or an encrypted MinIO): turn off "Verify ETag" in relaycast-r2-upload; Content-MD5 still guards the body',
      });
    }
  } catch (err) {
    steps.push({ step: 'put', ok: false, ...problemForPut(err) });
    return report(); // nothing to read back or delete
  }

  try {
    const back = await options.store.get(key, AbortSignal.timeout(timeoutMs));
    steps.push(back.equals(body) ? { step: 'get', ok: true } : { step: 'get', ok: false, problem: 'read', detail: 'read back different bytes' });
  } catch (err) {
    steps.push({ step: 'get', ok: false, problem: 'read', detail: classifyStoreError(err, { timedOut: false, closing: false }).reason });
  }

  try {
    const response = await fetch(url, { headers: { Origin: options.origin ?? 'https://relaycast-probe.invalid' }, signal: AbortSignal.timeout(timeoutMs) });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200) {
      steps.push({ step: 'public-get', ok: false, problem: 'public-url', detail: `public URL answered HTTP ${response.status}` });
    } else if (!bytes.equals(body)) {
      steps.push({ step: 'public-get', ok: false, problem: 'public-url', detail: 'public URL served different bytes' });
    } else {
      steps.push({ step: 'public-get', ok: true });
      const allowed = response.headers.get('access-control-allow-origin');
      steps.push(
        allowed === '*' || allowed === (options.origin ?? 'https://relaycast-probe.invalid')
          ? { step: 'cors', ok: true }
          : {
              step: 'cors',
              ok: false,
              problem: 'cors',
              detail: 'no Access-Control-Allow-Origin on the public URL: browsers on another origin cannot fetch segments',
            },
      );
    }
  } catch (err) {
    steps.push({ step: 'public-get', ok: false, problem: 'public-url', detail: `public URL not reachable (${(err as Error).name})` });
  }

  try {
    await options.store.delete(key, AbortSignal.timeout(timeoutMs));
    steps.push({ step: 'delete', ok: true });
  } catch (err) {
    steps.push({ step: 'delete', ok: false, problem: 'delete', detail: classifyStoreError(err, { timedOut: false, closing: false }).reason });
  }
  return report();
}
