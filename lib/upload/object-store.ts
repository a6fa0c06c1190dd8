/**
 * The three object operations the uploader needs, and their S3 implementation. The uploader only
 * sees this interface, which keeps it small; the implementation is always the real S3 client (tests
 * run it against a real S3-compatible server process, never a mock).
 */
import http from 'node:http';
import https from 'node:https';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface PutRequest {
  key: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
  /** Base64 MD5 of the body: the store refuses a body damaged in transit (BadDigest). */
  contentMd5: string;
}

export interface PutResult {
  /** As returned by the store, quotes removed, lower case. */
  etag?: string;
}

export interface ObjectStore {
  put(request: PutRequest, signal: AbortSignal): Promise<PutResult>;
  get(key: string, signal: AbortSignal): Promise<Buffer>;
  delete(key: string, signal: AbortSignal): Promise<void>;
}

export interface S3ConnectionSettings {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /** Sockets per host; a little above the upload concurrency, so deletes and probes never queue. */
  maxSockets?: number;
}

/**
 * An S3 client set up for R2 and other non-AWS stores (reference: hls-and-r2.md §4):
 * - checksums only WHEN_REQUIRED: with the SDK default, stream bodies go out aws-chunked, which
 *   s3rver stores verbatim and some stores refuse; Buffers plus Content-MD5 are portable;
 * - maxAttempts 1: the uploader owns retries (with its own budget, counting and ordering);
 * - keep-alive agents; timeouts are enforced per attempt with an AbortSignal, because the
 *   handler's requestTimeout only logs a warning in this SDK generation.
 */
export function createS3Client(settings: S3ConnectionSettings): S3Client {
  const agentOptions = { keepAlive: true, maxSockets: settings.maxSockets ?? 16 };
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region || 'auto',
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: 5000,
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
    },
  });
}

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async put(request: PutRequest, signal: AbortSignal): Promise<PutResult> {
    const result = await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: request.key,
        Body: request.body,
        ContentLength: request.body.length,
        ContentType: request.contentType,
        CacheControl: request.cacheControl,
        ContentMD5: request.contentMd5,
        // No ACL: R2 does not implement x-amz-acl; public reads come from the bucket's public URL.
      }),
      { abortSignal: signal },
    );
    return { etag: result.ETag?.replace(/"/g, '').toLowerCase() };
  }

  async get(key: string, signal: AbortSignal): Promise<Buffer> {
    const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
    const bytes = await result.Body?.transformToByteArray();
    return Buffer.from(bytes ?? new Uint8Array());
  }

  async delete(key: string, signal: AbortSignal): Promise<void> {
    // Single DeleteObject: free on R2, whereas a DeleteObjects batch is best counted as Class A.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
  }
}
