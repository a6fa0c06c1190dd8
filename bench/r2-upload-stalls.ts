/**
 * How long a live rendition waits for its next segment when 20 % of the store's requests fail
 * (5xx, 429, resets before and after storing, stalls), with and without deadline-aware attempts.
 * Segments of 2 s are fed in real time, 3 renditions, through the upload core against the local
 * S3 server behind the fault proxy. r2-upload releases in order per rendition, so the longest
 * interval between two releases of one rendition is how long its playlist went without a new
 * segment. Target (issue 14, defect 8): ≤ 1.5 × target duration = 3 s, nothing lost. Asserts nothing.
 *
 *   npx tsx bench/r2-upload-stalls.ts [--segments 30] [--seed 14]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sha256Hex } from '../lib/hls/hash';
import { startFaultProxy } from '../devtools/fault-proxy';
import { startLocalS3 } from '../devtools/local-s3';
import type { SegmentMsg } from '../lib/protocol/msgs';
import { S3ObjectStore, Uploader, createS3Client, parseUploadInput } from '../lib/upload';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SEGMENTS = arg('segments', 30);
const SEED = arg('seed', 14);
const SEGMENT_SECONDS = 2;
const RENDITIONS = ['0', '1', '2'];
const SIZES = [600_000, 300_000, 120_000];

function segmentMsg(rendition: string, sequence: number, bytes: Buffer, session: string): SegmentMsg {
  return {
    topic: 'segment',
    payload: bytes,
    segment: {
      stream: 'bench',
      rendition,
      session,
      encoderSequence: sequence,
      sequence,
      duration: SEGMENT_SECONDS,
      byteLength: bytes.length,
      sha256: sha256Hex(bytes),
      uri: `seg_${sequence}.ts`,
      path: `/bench/seg_${sequence}.ts`,
      contentType: 'video/mp2t',
      discontinuity: false,
    },
  };
}

async function run(label: string, deadlineAware: boolean): Promise<void> {
  const s3 = await startLocalS3({ bucket: 'bench' });
  const proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 0.2, seed: SEED, stallMs: 30_000 });
  const client = createS3Client({
    endpoint: proxy.endpoint,
    region: 'auto',
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    maxSockets: 16,
  });
  // The node's defaults: 4 in parallel, 5 attempts, 10 s attempt timeout.
  const uploader = new Uploader({
    store: new S3ObjectStore(client, 'bench'),
    publicBaseUrl: s3.publicBaseUrl,
    keyPrefix: 'bench',
    concurrency: 4,
    maxAttempts: 5,
    attemptTimeoutMs: 10_000,
    deadlineAware,
  });
  const releases = new Map<string, number[]>(RENDITIONS.map((r) => [r, []]));
  let lost = 0;
  const pending: Array<Promise<unknown>> = [];
  const session = `${label.replace(/\W/g, '')}-${Date.now()}`;
  const start = performance.now();
  try {
    for (let i = 0; i < SEGMENTS; i++) {
      // Real time: segment i is finished at i × 2 s.
      const due = start + i * SEGMENT_SECONDS * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      for (const [k, rendition] of RENDITIONS.entries()) {
        const msg = segmentMsg(rendition, i, randomBytes(SIZES[k]!), session);
        pending.push(
          uploader.submit(parseUploadInput(msg as unknown as Record<string, unknown>), (o) => {
            releases.get(rendition)!.push(performance.now());
            if (o.status !== 'stored') lost += 1;
          }),
        );
      }
    }
    await Promise.all(pending);
    let worst = 0;
    for (const times of releases.values()) for (let i = 1; i < times.length; i++) worst = Math.max(worst, times[i]! - times[i - 1]!);
    const injected = Object.entries(proxy.counts.injected)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `${label.padEnd(34)} longest wait for a segment ${(worst / 1000).toFixed(2)} s (target ≤ ${(1.5 * SEGMENT_SECONDS).toFixed(1)} s: ${worst <= 1500 * SEGMENT_SECONDS ? 'met' : 'NOT met'}); lost ${lost}; PUTs ${uploader.counters.puts}, hedges ${uploader.counters.hedges}, retries ${uploader.counters.retries}; injected: ${injected}`,
    );
  } finally {
    await uploader.close(1000);
    client.destroy();
    await proxy.stop();
    await s3.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `r2-upload under 20 % faults (seed ${SEED}): ${SEGMENTS} × ${SEGMENT_SECONDS}-s segments in real time, ${RENDITIONS.length} renditions, concurrency 4; Node ${process.version}`,
  );
  await run('fixed 10 s attempt timeout', false);
  await run('deadline-aware (adaptive + hedged)', true);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
