/**
 * r2-upload publish overhead and throughput, against the local S3 server process on loopback.
 *
 *   npm run build && npx tsx bench/r2-upload-overhead.ts [--segments 100] [--throughput 400]
 *
 * 1. Overhead: for each 200 KB segment, (time from a segment msg entering relaycast-r2-upload in a
 *    real Node-RED runtime to the msg leaving it) minus (a bare PutObject of the same bytes with the
 *    same client settings to the same server). Both are measured alternately in the same run, one
 *    request at a time; the median of the differences is the overhead (target ≤ 5 ms).
 * 2. Throughput: 200 KB segments through the node at concurrency 4, all handed in at once
 *    (target ≥ 50 segments/s), next to bare PutObjects at concurrency 4 for reference.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sha256Hex } from '../lib/hls/hash';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalS3 } from '../devtools/local-s3';
import type { SegmentMsg } from '../lib/protocol/msgs';
import { createS3Client } from '../lib/upload';
import { distNode, helper } from '../test/support/node-red';

const SEGMENT_BYTES = 200 * 1024;

function argNumber(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function segmentMsg(sequence: number, bytes: Buffer, session: string): SegmentMsg {
  return {
    topic: 'segment',
    payload: bytes,
    segment: {
      stream: 'bench',
      rendition: 'main',
      session,
      encoderSequence: sequence,
      sequence,
      duration: 2,
      byteLength: bytes.length,
      sha256: sha256Hex(bytes),
      uri: `seg_${sequence}.ts`,
      path: `/bench/seg_${sequence}.ts`,
      contentType: 'video/mp2t',
      discontinuity: false,
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function main(): Promise<void> {
  const overheadSamples = argNumber('segments', 100);
  const throughputSegments = argNumber('throughput', 400);
  const s3 = await startLocalS3({ bucket: 'relaycast' });
  const client = createS3Client({
    endpoint: s3.endpoint,
    region: 'auto',
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
  try {
    await helper.load(
      [distNode('r2-bucket'), distNode('r2-upload')] as never,
      [
        { id: 'tab', type: 'tab', label: 'bench' },
        {
          id: 'b1',
          type: 'relaycast-r2-bucket',
          z: 'tab',
          provider: 's3',
          endpoint: s3.endpoint,
          region: 'auto',
          bucket: s3.bucket,
          publicBaseUrl: s3.publicBaseUrl,
          keyPrefix: 'bench',
          forcePathStyle: true,
        },
        // Backlog bound above the throughput burst: this measures the pipeline, not its shedding.
        {
          id: 'u1',
          type: 'relaycast-r2-upload',
          z: 'tab',
          bucket: 'b1',
          concurrency: 4,
          maxAttempts: 5,
          attemptTimeout: 10,
          maxQueue: Math.max(256, throughputSegments + 16),
          wires: [['out']],
        },
        { id: 'out', type: 'helper', z: 'tab' },
      ] as never,
      { b1: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } },
    );
    const upload = helper.getNode('u1');
    const out = helper.getNode('out');
    const waiters = new Map<number, () => void>();
    out.on('input', ((msg: SegmentMsg) => waiters.get(msg.segment.sequence)?.()) as never);
    const throughNode = (msg: SegmentMsg): Promise<void> =>
      new Promise((resolve) => {
        waiters.set(msg.segment.sequence, () => {
          waiters.delete(msg.segment.sequence);
          resolve();
        });
        upload.receive(msg as never);
      });
    const barePut = (key: string, bytes: Buffer): Promise<unknown> =>
      client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: 'video/mp2t',
          CacheControl: 'public, max-age=31536000, immutable',
          ContentMD5: createHash('md5').update(bytes).digest('base64'),
        }),
      );

    // Warm up both paths (connections, JIT).
    for (let i = 0; i < 10; i += 1) {
      const bytes = randomBytes(SEGMENT_BYTES);
      await barePut(`bench/warmup/${i}.ts`, bytes);
      await throughNode(segmentMsg(1_000_000 + i, bytes, 'warmup'));
    }

    const nodeMs: number[] = [];
    const bareMs: number[] = [];
    const differences: number[] = [];
    for (let i = 0; i < overheadSamples; i += 1) {
      const bytes = randomBytes(SEGMENT_BYTES);
      // Alternate which goes first, so neither path always meets a warmer server.
      const measureBare = async (): Promise<number> => {
        const t = performance.now();
        await barePut(`bench/bare/${i}.ts`, bytes);
        return performance.now() - t;
      };
      const measureNode = async (): Promise<number> => {
        const t = performance.now();
        await throughNode(segmentMsg(i, bytes, 'overhead'));
        return performance.now() - t;
      };
      let bare: number;
      let viaNode: number;
      if (i % 2 === 0) {
        bare = await measureBare();
        viaNode = await measureNode();
      } else {
        viaNode = await measureNode();
        bare = await measureBare();
      }
      bareMs.push(bare);
      nodeMs.push(viaNode);
      differences.push(viaNode - bare);
    }

    // Throughput: everything handed in at once; the node keeps 4 PUTs in flight.
    const payloads = Array.from({ length: 16 }, () => randomBytes(SEGMENT_BYTES));
    const msgs = Array.from({ length: throughputSegments }, (_, i) => segmentMsg(2_000_000 + i, payloads[i % payloads.length]!, 'throughput'));
    const nodeStart = performance.now();
    await Promise.all(msgs.map((m) => throughNode(m)));
    const nodeSeconds = (performance.now() - nodeStart) / 1000;

    const bareStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < throughputSegments) {
          const i = next++;
          await barePut(`bench/bare-throughput/${i}.ts`, payloads[i % payloads.length]!);
        }
      }),
    );
    const bareSeconds = (performance.now() - bareStart) / 1000;

    const f = (n: number): string => n.toFixed(2);
    console.log(`r2-upload publish overhead (${overheadSamples} × ${SEGMENT_BYTES / 1024} KB segments, one at a time, loopback s3rver)`);
    console.log(`  through relaycast-r2-upload : median ${f(median(nodeMs))} ms   p90 ${f(percentile(nodeMs, 0.9))} ms`);
    console.log(`  bare PutObject              : median ${f(median(bareMs))} ms   p90 ${f(percentile(bareMs, 0.9))} ms`);
    console.log(`  overhead (node − bare, paired): median ${f(median(differences))} ms   p90 ${f(percentile(differences, 0.9))} ms   (target ≤ 5 ms)`);
    console.log(`throughput (${throughputSegments} × ${SEGMENT_BYTES / 1024} KB, concurrency 4)`);
    console.log(
      `  through relaycast-r2-upload : ${f(throughputSegments / nodeSeconds)} segments/s  (${f((throughputSegments * SEGMENT_BYTES) / nodeSeconds / 1e6)} MB/s)   (target ≥ 50)`,
    );
    console.log(`  bare PutObject ×4           : ${f(throughputSegments / bareSeconds)} segments/s`);
  } finally {
    await helper.unload();
    client.destroy();
    await s3.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
