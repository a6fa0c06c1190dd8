/**
 * What verification costs a page without crypto.subtle (an insecure context: plain HTTP at a LAN
 * address): the pure-JS SHA-256 the loader falls back to (@noble/hashes) against webcrypto's digest,
 * in ms per MB, on segment-sized inputs. Measured in Node on this machine; a browser's JIT is of the
 * same kind, and the ratio is what matters.
 *
 *   npx tsx bench/sha256-fallback.ts [--mb 64]
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { browserSha256 } from '../viewer/loader/browser-platform';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const TOTAL_MB = Number(args.get('mb') ?? 64);
const SEGMENT_BYTES = 225_000; // a 2 s segment of the demo's 0.9 Mb/s stream

async function msPerMB(hash: (bytes: Uint8Array) => Promise<string>, segment: Uint8Array): Promise<number> {
  const rounds = Math.ceil((TOTAL_MB * 1e6) / segment.byteLength);
  for (let i = 0; i < 5; i++) await hash(segment); // warm up the JIT
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await hash(segment);
  return (performance.now() - started) / ((rounds * segment.byteLength) / 1e6);
}

async function main(): Promise<void> {
  const segment = new Uint8Array(randomBytes(SEGMENT_BYTES));
  const subtle = await msPerMB(browserSha256(webcrypto.subtle as never), segment);
  const fallback = await msPerMB(browserSha256(undefined), segment);
  console.log(`SHA-256 over ${TOTAL_MB} MB in ${SEGMENT_BYTES}-byte segments (Node ${process.version})`);
  console.log('| verifier | ms per MB | MB/s | ms per 2 s segment at 0.9 Mb/s |');
  console.log('|---|---|---|---|');
  for (const [name, ms] of [
    ['crypto.subtle (webcrypto)', subtle],
    ['@noble/hashes (pure JS fallback)', fallback],
  ] as const) {
    console.log(`| ${name} | ${ms.toFixed(2)} | ${(1000 / ms).toFixed(0)} | ${((ms * SEGMENT_BYTES) / 1e6).toFixed(2)} |`);
  }
  console.log(`fallback ÷ subtle = ${(fallback / subtle).toFixed(1)}×`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
