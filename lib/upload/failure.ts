/**
 * Decides whether a failed store request is worth retrying. Retryable: what a later attempt can fix
 * (5xx, 429/SlowDown, timeouts, dropped connections, a body corrupted in transit). Not retryable:
 * what only the operator can fix (bad credentials, a missing bucket, a refused request, an ETag
 * that is not the MD5), which must
 * surface at once instead of burning the retry budget while the live window moves on.
 */
export interface Failure {
  retryable: boolean;
  /** RelaycastError code used when this failure is final. */
  code: string;
  /** Short description, safe to log (no request details, no credentials). */
  reason: string;
  status?: number;
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
]);
const THROTTLE_NAMES = new Set(['SlowDown', 'TooManyRequests', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded']);
// AuthorizationHeaderMalformed is what S3 answers (400) to a signature scoped to the wrong region.
const AUTH_NAMES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AuthorizationHeaderMalformed',
  'InvalidToken',
  'ExpiredToken',
  'Unauthorized',
]);
const TRANSIENT_4XX_NAMES = new Set(['RequestTimeout', 'BadDigest', 'IncompleteBody', 'RequestTimeTooSkewed']);

interface StoreErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

export function classifyStoreError(err: unknown, context: { timedOut: boolean; closing: boolean }): Failure {
  if (context.closing) return { retryable: false, code: 'E_UPLOAD_ABORTED', reason: 'aborted because the node is closing' };
  if (context.timedOut) return { retryable: true, code: 'E_UPLOAD_TIMEOUT', reason: 'attempt timed out' };
  const e = (err ?? {}) as StoreErrorShape;
  // Not retryable: a store whose ETag is not the MD5 (SSE-KMS, encrypted MinIO) answers the same
  // way every time, so a retry is only another billed PUT. A body damaged in transit is refused by
  // the store through Content-MD5 (BadDigest, retryable) before any ETag exists.
  if (e.code === 'E_UPLOAD_VERIFY') return { retryable: false, code: 'E_UPLOAD_VERIFY', reason: e.message ?? 'stored object does not match' };
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const name = e.Code ?? e.name ?? '';
  const reason = status ? `${name || 'HTTP error'} (HTTP ${status})` : name && name !== 'Error' ? name : (e.code ?? 'network error');
  if (status === 429 || THROTTLE_NAMES.has(name)) return { retryable: true, code: 'E_UPLOAD_THROTTLED', reason, status };
  if (status !== undefined && status >= 500) return { retryable: true, code: 'E_UPLOAD_SERVER', reason, status };
  if (TRANSIENT_4XX_NAMES.has(name)) return { retryable: true, code: 'E_UPLOAD_TRANSIENT', reason, status };
  if (status === 401 || status === 403 || AUTH_NAMES.has(name)) return { retryable: false, code: 'E_UPLOAD_AUTH', reason, status };
  if (name === 'NoSuchBucket') return { retryable: false, code: 'E_UPLOAD_NO_BUCKET', reason, status };
  if (status !== undefined && status >= 400) return { retryable: false, code: 'E_UPLOAD_REJECTED', reason, status };
  if (e.code && NETWORK_ERROR_CODES.has(e.code)) return { retryable: true, code: 'E_UPLOAD_NETWORK', reason: e.code };
  if (name === 'ENOTFOUND' || e.code === 'ENOTFOUND') return { retryable: false, code: 'E_UPLOAD_ENDPOINT', reason: 'endpoint host not found' };
  // No HTTP status at all: the request never got an answer (socket hang up, parser error …).
  return { retryable: true, code: 'E_UPLOAD_NETWORK', reason };
}
