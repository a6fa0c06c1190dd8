/**
 * An HTTP proxy in front of an S3-compatible server that injects the failures a real network and a
 * real store produce: 5xx and 429 answers, connection resets (before or after the server stored the
 * object) and stalls longer than the client's timeout. A seeded RNG picks which requests fail, so a
 * failing run can be replayed. It also adds optional random latency to every forwarded request, to
 * shuffle completion order.
 *
 * The Host header is forwarded unchanged: a SigV4 signature covers it, and real S3/R2 would reject
 * a rewritten one (s3rver does not check, so the proxy must not rely on that).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sha256Hex } from '../../lib/hls/hash';
import { seededRandom } from './seeded-random';

export type FaultKind = '5xx' | '429' | 'reset-before' | 'reset-after' | 'stall';

export const ALL_FAULTS: readonly FaultKind[] = ['5xx', '429', 'reset-before', 'reset-after', 'stall'];

export interface FaultProxyOptions {
  /** Upstream base URL, e.g. http://127.0.0.1:4568 */
  target: string;
  /** Share of eligible requests that get a fault, 0…1. */
  faultRate: number;
  seed?: number;
  /** Fault kinds to draw from (uniformly). */
  kinds?: readonly FaultKind[];
  /** Only these methods are eligible for faults (default: all). */
  methods?: readonly string[];
  /** How long a stalled request is held before the proxy drops it (should exceed the client timeout). */
  stallMs?: number;
  /** Random extra latency added to every forwarded request, uniformly in [minMs, maxMs]. */
  latency?: { minMs: number; maxMs: number };
  port?: number;
  /**
   * Targeted faults: called for every request; a fault kind it returns is injected whatever the
   * RNG says, null forwards the request untouched, undefined leaves the decision to the RNG.
   */
  rule?: (method: string, url: string) => FaultKind | null | undefined;
  /** Keep method, URL and headers of every request (to check what a client really sends). */
  record?: boolean;
  /**
   * Answer every PUT with an ETag that is not the body's MD5, as S3 with SSE-KMS and MinIO with
   * encryption do (the object itself is stored unchanged).
   */
  opaqueEtags?: boolean;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyLength: number;
  fault: FaultKind | null;
}

export interface FaultCounts {
  requests: number;
  forwarded: number;
  /** Requests received whose exchange has not ended yet (answered, dropped or aborted by the client). */
  open: number;
  injected: Record<FaultKind, number>;
}

export interface FaultProxy {
  /** Use as the S3 endpoint. */
  endpoint: string;
  port: number;
  counts: FaultCounts;
  /** Filled when options.record is set. */
  requests: RecordedRequest[];
  /** Changes the fault rate for the following requests (e.g. 0 to let a test verify cleanly). */
  setFaultRate(rate: number): void;
  stop(): Promise<void>;
}

const ERROR_BODIES: Record<'5xx' | '429', { status: number; code: string; message: string }> = {
  '5xx': { status: 503, code: 'ServiceUnavailable', message: 'Injected by fault proxy' },
  '429': { status: 429, code: 'TooManyRequests', message: 'Injected by fault proxy' },
};

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed ?? 1);
  const kinds = options.kinds ?? ALL_FAULTS;
  const methods = options.methods?.map((m) => m.toUpperCase());
  const stallMs = options.stallMs ?? 30_000;
  let faultRate = options.faultRate;
  const counts: FaultCounts = {
    requests: 0,
    forwarded: 0,
    open: 0,
    injected: { '5xx': 0, '429': 0, 'reset-before': 0, 'reset-after': 0, stall: 0 },
  };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  // Draw every random number in arrival order, whatever the outcome, so a seed replays exactly.
  const decide = (method: string, url: string): { fault: FaultKind | null; delayMs: number } => {
    const roll = random();
    const pick = random();
    const delayRoll = random();
    const eligible = !methods || methods.includes(method);
    const ruled = options.rule?.(method, url);
    const drawn = eligible && roll < faultRate ? kinds[Math.min(kinds.length - 1, Math.floor(pick * kinds.length))] : null;
    const fault = ruled === undefined ? drawn : ruled;
    const delayMs = options.latency ? options.latency.minMs + delayRoll * (options.latency.maxMs - options.latency.minMs) : 0;
    return { fault, delayMs };
  };

  const forward = (req: http.IncomingMessage, body: Buffer, onResponse: (res: http.IncomingMessage, body: Buffer) => void, onError: () => void): void => {
    counts.forwarded += 1;
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => onResponse(res, Buffer.concat(chunks)));
        res.on('error', onError);
      },
    );
    upstream.on('error', onError);
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    counts.requests += 1;
    counts.open += 1;
    res.on('close', () => {
      counts.open -= 1;
    });
    const { fault, delayMs } = decide(req.method ?? 'GET', req.url ?? '/');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (fault) counts.injected[fault] += 1;
      if (options.record) requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyLength: body.length, fault });
      switch (fault) {
        case '5xx':
        case '429': {
          const e = ERROR_BODIES[fault];
          res.writeHead(e.status, { 'content-type': 'application/xml' });
          res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${e.code}</Code><Message>${e.message}</Message></Error>`);
          return;
        }
        case 'reset-before':
          req.socket.destroy();
          return;
        case 'stall':
          // Hold the request without answering; the client's own timeout must abort it.
          later(stallMs, () => req.socket.destroy());
          return;
        default:
          break;
      }
      later(delayMs, () =>
        forward(
          req,
          body,
          (upRes, upBody) => {
            if (fault === 'reset-after') {
              // The server has stored the object, but the client never learns it: a retry must be safe.
              req.socket.destroy();
              return;
            }
            if (res.destroyed) return;
            const headers = { ...upRes.headers };
            if (options.opaqueEtags && req.method === 'PUT' && typeof headers.etag === 'string') {
              // Deterministic per upstream ETag, 32 hex digits like a real one, never the MD5 itself.
              headers.etag = `"${sha256Hex(Buffer.from(headers.etag)).slice(0, 32)}"`;
            }
            res.writeHead(upRes.statusCode ?? 502, headers);
            res.end(upBody);
          },
          () => req.socket.destroy(),
        ),
      );
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    counts,
    requests,
    setFaultRate(rate: number) {
      faultRate = rate;
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
