// Which schema library declares lib/protocol: Valibot vs TypeBox, against the hand-written validators
// they replace (lib/signaling/validate.ts at c1a610d, read from git), on the signaling hot path:
// text frame → validated message for offer, answer, ice, join, served and receipt frames. Also the
// minified + gzipped bytes each adds to a browser bundle (esbuild, as scripts/build.mjs bundles the
// viewer). TypeBox is measured twice: compiled (TypeCompiler: new Function, refused by a strict page
// CSP) and Value.Check (CSP-safe).
//   npx tsx bench/schema-libraries.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { parseClientFrame } from '../lib/protocol/signaling/client-messages';
import { median, rateRounds } from './support/rate-rounds';
import { TypeBoxMessages } from './support/typebox-signaling';
import { PROTOCOL_VERSION } from '../lib/protocol/signaling/constants';

const BASELINE_COMMIT = 'c1a610d';
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ROUND_MS = Number(process.env.ROUND_MS ?? 1000);
const root = path.resolve(__dirname, '..');

/** The hand-written validators as they were, checked out of git beside a copy of what they import. */
function baselineDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'relaycast-validate-'));
  for (const file of ['lib/signaling/validate.ts', 'lib/signaling/protocol.ts', 'lib/contracts.ts']) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), execFileSync('git', ['show', `${BASELINE_COMMIT}:${file}`], { cwd: root }));
  }
  return dir;
}

const PEER_A = 'AbCdEfGhIjKl';
const sdp = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n${'a=candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host\r\n'.repeat(6)}`.slice(0, 400);
const frames = [
  { type: 'offer', to: PEER_A, offerId: 'o-17-Xy', sdp },
  { type: 'answer', to: PEER_A, offerId: 'o-17-Xy', sdp },
  {
    type: 'ice',
    to: PEER_A,
    offerId: 'o-17-Xy',
    candidate: { candidate: 'candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 },
  },
  { type: 'join', v: PROTOCOL_VERSION, stream: 'live', rendition: '720p', role: 'viewer', have: [41, 42, 43] },
  { type: 'served', sequence: 42, to: PEER_A, bytes: 912_340 },
  { type: 'receipt', sequence: 42, from: PEER_A, bytes: 912_340 },
].map((frame) => ({ type: frame.type, text: JSON.stringify(frame) }));
const bad = JSON.stringify({ type: 'offer', to: PEER_A, offerId: 'o-17-Xy', sdp, from: PEER_A });

type Validate = (type: string, text: string) => boolean;

/** Frames validated per second: the median of ROUNDS rounds of ROUND_MS each. */
function throughput(validate: Validate): number {
  return median(
    rateRounds(ROUNDS, ROUND_MS, () => {
      for (const frame of frames) if (!validate(frame.type, frame.text)) throw new Error(`refused a valid ${frame.type}`);
      return frames.length;
    }),
  );
}

async function gzippedBundle(contents: string): Promise<number> {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    write: false,
    platform: 'browser',
    target: 'es2020',
    format: 'esm',
    logLevel: 'silent',
  });
  return gzipSync(result.outputFiles[0].contents, { level: 9 }).byteLength;
}

async function main() {
  const baseline = baselineDir();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const old = require(path.join(baseline, 'lib/signaling/validate.ts')) as { parseClientMessage(text: string): unknown };
  const compiled = Object.fromEntries(Object.entries(TypeBoxMessages).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]));
  const candidates: Array<{ name: string; validate: Validate; bundle: string }> = [
    {
      name: 'JSON.parse only (floor)',
      validate: (_t, text) => JSON.parse(text) !== null,
      bundle: '',
    },
    {
      name: `hand-written (${BASELINE_COMMIT})`,
      validate: (_t, text) => {
        try {
          old.parseClientMessage(text);
          return true;
        } catch {
          return false;
        }
      },
      bundle: `import { parseClientMessage } from ${JSON.stringify(path.join(baseline, 'lib/signaling/validate.ts'))}; export { parseClientMessage };`,
    },
    {
      name: 'Valibot (lib/protocol)',
      validate: (_t, text) => parseClientFrame(text).ok,
      bundle: `export { parseClientFrame } from './lib/protocol/signaling/client-messages';`,
    },
    {
      name: 'TypeBox compiled (new Function)',
      validate: (type, text) => compiled[type].Check(JSON.parse(text)),
      bundle: `import { TypeCompiler } from '@sinclair/typebox/compiler'; import { TypeBoxMessages } from './bench/support/typebox-signaling';
        export const checks = Object.fromEntries(Object.entries(TypeBoxMessages).map(([t, s]) => [t, TypeCompiler.Compile(s)]));`,
    },
    {
      name: 'TypeBox Value.Check (CSP-safe)',
      validate: (type, text) => Value.Check(TypeBoxMessages[type], JSON.parse(text)),
      bundle: `import { Value } from '@sinclair/typebox/value'; import { TypeBoxMessages } from './bench/support/typebox-signaling';
        export const check = (t: string, x: unknown) => Value.Check(TypeBoxMessages[t], x);`,
    },
  ];
  console.log(
    `schema libraries: ${frames.length} hot-path frame types (${sdp.length}-byte SDP), text → validated message, median of ${ROUNDS} × ${ROUND_MS} ms`,
  );
  const base = throughput(candidates[1].validate);
  for (const c of candidates) {
    if (c.bundle && c.validate('offer', bad)) throw new Error(`${c.name} accepted an offer that names its sender`);
    const rate = c === candidates[1] ? base : throughput(c.validate);
    const size = c.bundle ? `${(await gzippedBundle(c.bundle)).toLocaleString('en-US')} B min+gz` : '';
    console.log(`  ${c.name.padEnd(34)} ${Math.round(rate).toLocaleString('en-US').padStart(11)} frames/s  ${(rate / base).toFixed(2)}× hand-written  ${size}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
