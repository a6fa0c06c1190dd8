/**
 * A small keep-alive HTTP/1.1 load generator meant to run in its OWN process (so it never competes
 * with the server it measures for the same event loop). Raw sockets and a minimal response parser
 * keep the client far cheaper than the servers it drives.
 *
 * Usage: node --import tsx keepalive-load.ts '<json: {url, connections, seconds, warmupSeconds, headers}>'
 * Prints one JSON line: { requests, seconds, rps, statuses, p50Ms, p99Ms }.
 */
import net from 'node:net';

interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  headers?: Record<string, string>;
}

const options = JSON.parse(process.argv[2]) as LoadOptions;
const target = new URL(options.url);
const requestBytes = Buffer.from(
  `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: keep-alive\r\n` +
    Object.entries(options.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n',
);

const HEADER_END = Buffer.from('\r\n\r\n');
let measuring = false;
let stopping = false;
let requests = 0;
const statuses: Record<string, number> = {};
const latencies: number[] = [];

function connection(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname);
    socket.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    let sentAt = 0n;
    const send = () => {
      if (stopping) {
        socket.end();
        return;
      }
      sentAt = process.hrtime.bigint();
      socket.write(requestBytes);
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        const headerEnd = buffer.indexOf(HEADER_END);
        if (headerEnd < 0) return;
        const head = buffer.subarray(0, headerEnd).toString('latin1');
        const status = head.slice(9, 12);
        const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const bodyLength = status === '304' || status === '204' ? 0 : lengthMatch ? Number(lengthMatch[1]) : 0;
        const total = headerEnd + 4 + bodyLength;
        if (buffer.length < total) return;
        buffer = buffer.subarray(total);
        if (measuring) {
          requests += 1;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if ((requests & 15) === 0) latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
        }
        send();
      }
    });
    socket.on('error', (err) => (stopping ? resolve() : reject(err)));
    socket.on('close', () => resolve());
  });
}

async function main(): Promise<void> {
  const all = Array.from({ length: options.connections }, () => connection());
  await new Promise((r) => setTimeout(r, options.warmupSeconds * 1000));
  measuring = true;
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, options.seconds * 1000));
  measuring = false;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  stopping = true;
  await Promise.all(all);
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => (latencies.length ? Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(3)) : null);
  process.stdout.write(JSON.stringify({ requests, seconds, rps: Math.round(requests / seconds), statuses, p50Ms: pick(0.5), p99Ms: pick(0.99) }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`load generator failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
