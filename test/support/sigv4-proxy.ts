// A signature-checking front for s3rver, which accepts any signature. Every request must carry an
// AWS Signature Version 4 Authorization header that this proxy recomputes on its own from the
// request it received (method, path, query, the signed headers, the payload hash) with the one key
// pair and region it knows; only then is the request passed, unchanged, to s3rver. A refusal is
// answered the way S3 answers it (status and error code), so a client's handling of it is real:
//   - no or a malformed Authorization header → 403 AccessDenied / 400 AuthorizationHeaderMalformed
//   - an unknown access key id → 403 InvalidAccessKeyId
//   - a credential scope for another region → 400 AuthorizationHeaderMalformed
//   - a signature that does not match (wrong secret, anything changed after signing) → 403 SignatureDoesNotMatch
//   - x-amz-content-sha256 that is not the body's SHA-256 (unless UNSIGNED-PAYLOAD) → 400 XAmzContentSHA256Mismatch
//   - x-amz-date more than 15 minutes off → 403 RequestTimeTooSkewed
// Written from the SigV4 specification (AWS "Signature Version 4 signing process" / "Authenticating
// requests: using the Authorization header" for S3), independently of the SDK that signs.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SigV4ProxyOptions {
  /** s3rver's base URL. */
  target: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface SigV4Decision {
  method: string;
  url: string;
  /** null when the request was verified and forwarded; else the S3 error code answered. */
  refused: string | null;
  /** x-amz-content-sha256 as sent. */
  payloadHash?: string;
  /** The request as received, so a spec can replay it with changes. */
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface SigV4Proxy {
  endpoint: string;
  decisions: SigV4Decision[];
  stop(): Promise<void>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper case). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const key = decodeURIComponent((eq < 0 ? p : p.slice(0, eq)).replace(/\+/g, '%20'));
      const value = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1).replace(/\+/g, '%20'));
      return [uriEncode(key), uriEncode(value)] as const;
    });
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** S3 signs the path as sent (each segment already URI-encoded once), not re-encoded. */
function canonicalPath(rawPath: string): string {
  return rawPath === '' ? '/' : rawPath;
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name];
  if (raw === undefined) return undefined;
  return (Array.isArray(raw) ? raw.join(',') : raw).trim().replace(/\s+/g, ' ');
}

function parseAuthorization(header: string | undefined): {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
} {
  if (!header) throw new Refusal(403, 'AccessDenied', 'Access Denied (no Authorization header)');
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
    header,
  );
  if (!match) throw new Refusal(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed');
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as [string, string, string, string, string, string, string];
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** Checks one request; returns the payload hash it was signed with, or throws a Refusal. */
export function verifySigV4(
  req: http.IncomingMessage,
  body: Buffer,
  keys: { accessKeyId: string; secretAccessKey: string; region: string },
  now = Date.now(),
): string {
  const auth = parseAuthorization(headerValue(req, 'authorization'));
  if (auth.accessKeyId !== keys.accessKeyId) throw new Refusal(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  if (auth.region !== keys.region) {
    throw new Refusal(
      400,
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${keys.region}'`,
    );
  }
  if (auth.service !== 's3')
    throw new Refusal(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; incorrect service '${auth.service}'`);
  if (!auth.signedHeaders.includes('host')) throw new Refusal(400, 'AuthorizationHeaderMalformed', 'host must be a signed header');
  const amzDate = headerValue(req, 'x-amz-date');
  const dateMatch = amzDate ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) : null;
  if (!amzDate || !dateMatch || !auth.signedHeaders.includes('x-amz-date')) throw new Refusal(403, 'AccessDenied', 'x-amz-date must be present and signed');
  if (amzDate.slice(0, 8) !== auth.date) throw new Refusal(403, 'SignatureDoesNotMatch', 'credential date does not match x-amz-date');
  const [, y, mo, d, h, mi, s] = dateMatch.map(Number) as [number, number, number, number, number, number, number];
  if (Math.abs(now - Date.UTC(y, mo - 1, d, h, mi, s)) > MAX_SKEW_MS)
    throw new Refusal(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  const payloadHash = headerValue(req, 'x-amz-content-sha256');
  if (payloadHash === undefined || !auth.signedHeaders.includes('x-amz-content-sha256'))
    throw new Refusal(400, 'InvalidRequest', 'x-amz-content-sha256 must be present and signed');
  if (payloadHash !== 'UNSIGNED-PAYLOAD') {
    if (!/^[0-9a-f]{64}$/.test(payloadHash)) throw new Refusal(400, 'InvalidArgument', `unsupported x-amz-content-sha256 '${payloadHash}'`);
    if (payloadHash !== sha256Hex(body))
      throw new Refusal(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const rawPath = queryAt < 0 ? target : target.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : target.slice(queryAt + 1);
  const canonicalHeaders = auth.signedHeaders
    .map((name) => {
      const value = headerValue(req, name);
      if (value === undefined) throw new Refusal(403, 'SignatureDoesNotMatch', `signed header ${name} is missing`);
      return `${name}:${value}\n`;
    })
    .join('');
  const canonicalRequest = [
    req.method ?? 'GET',
    canonicalPath(rawPath),
    canonicalQuery(rawQuery),
    canonicalHeaders,
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${keys.secretAccessKey}`, auth.date), auth.region), auth.service), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(auth.signature, 'hex'))) {
    throw new Refusal(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  return payloadHash;
}

export async function startSigV4Proxy(options: SigV4ProxyOptions): Promise<SigV4Proxy> {
  const target = new URL(options.target);
  const decisions: SigV4Decision[] = [];
  const sockets = new Set<Socket>();
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const decision: SigV4Decision = {
        method: req.method ?? '',
        url: req.url ?? '',
        refused: null,
        payloadHash: headerValue(req, 'x-amz-content-sha256'),
        headers: req.headers,
        body,
      };
      decisions.push(decision);
      try {
        verifySigV4(req, body, options);
      } catch (err) {
        const refusal = err instanceof Refusal ? err : new Refusal(500, 'InternalError', String(err));
        decision.refused = refusal.code;
        res.writeHead(refusal.status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal.code}</Code><Message>${refusal.message.replace(/[<&>]/g, '')}</Message></Error>`);
        return;
      }
      const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      upstream.on('error', () => req.socket.destroy());
      upstream.end(body);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    decisions,
    async stop() {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
