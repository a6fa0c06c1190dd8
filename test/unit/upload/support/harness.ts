/** Shared plumbing of the uploader specs: S3 stores on a real server and an ordered run helper. */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, S3ObjectStore, Uploader, type UploadJob, type UploadOutcome } from '../../../../lib/upload';
import { parseUploadInput } from '../../../../lib/upload/input';

export class StoreFactory {
  private readonly clients: S3Client[] = [];

  make(endpoint: string, bucket: string, credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }): S3ObjectStore {
    const client = createS3Client({ endpoint, region: 'auto', forcePathStyle: true, ...credentials });
    this.clients.push(client);
    return new S3ObjectStore(client, bucket);
  }

  destroyAll(): void {
    for (const client of this.clients.splice(0)) client.destroy();
  }
}

export interface Released {
  msg: Record<string, unknown>;
  outcome: UploadOutcome;
}

/** Submits every msg at once (as Node-RED would deliver them) and returns the outcomes in release order. */
export async function submitAll(uploader: Uploader, msgs: object[]): Promise<Released[]> {
  const released: Released[] = [];
  await Promise.all(
    msgs.map((msg) => {
      const job: UploadJob = parseUploadInput(msg as Record<string, unknown>);
      return uploader.submit(job, (outcome) => released.push({ msg: msg as Record<string, unknown>, outcome }));
    }),
  );
  return released;
}

export async function fetchBytes(url: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const response = await fetch(url);
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
