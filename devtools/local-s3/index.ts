/**
 * Local S3-compatible server for tests, benchmarks and the demo: s3rver 3.7.1 in a child process,
 * with one bucket whose CORS rule lets a browser page on another origin GET objects (hls.js in
 * Chromium fetches segments straight from the bucket, as it would from R2's public URL).
 *
 * s3rver accepts the access key id S3RVER (secret S3RVER) and does not verify SigV4 signatures,
 * but it does reject an unknown access key id with 403 InvalidAccessKeyId.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface LocalS3Options {
  bucket: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Address to listen on; default 127.0.0.1 (the demo's HOST=0.0.0.0 serves a phone on the LAN). */
  host?: string;
  /** Where objects are stored; a temp dir (removed on stop) when omitted. */
  dataDir?: string;
  /** Configure the public-read CORS rule (default true); false gives a bucket browsers cannot read. */
  cors?: boolean;
  /** Access key pair to accept (default: s3rver's fixed S3RVER / S3RVER). */
  accessKeyId?: string;
  secretAccessKey?: string;
}

export interface LocalS3 {
  /** S3 API endpoint, e.g. http://127.0.0.1:4568 (use with forcePathStyle). */
  endpoint: string;
  bucket: string;
  /** Anonymous, path-style read URL of the bucket: publicBaseUrl + '/' + key serves the object. */
  publicBaseUrl: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  port: number;
  /** Child process id (so a caller can check nothing is left behind). */
  pid: number;
  stop(): Promise<void>;
}

/** Browsers may GET/HEAD any object from any origin, with Range, and read the headers players need. */
export const PUBLIC_READ_CORS_XML = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <ExposeHeader>Content-Length</ExposeHeader>
    <ExposeHeader>Content-Range</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

const STARTUP_TIMEOUT_MS = 20_000;

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const ownsDataDir = !options.dataDir;
  const directory = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'relaycast-s3-')));
  const childOptions = {
    bucket: options.bucket,
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    directory,
    corsXml: options.cors === false ? null : PUBLIC_READ_CORS_XML,
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
  };
  const child = fork(path.join(__dirname, 'server-process.ts'), [JSON.stringify(childOptions)], {
    execArgv: ['--require', require.resolve('tsx/cjs')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let port: number;
  try {
    port = await waitForReady(child);
  } catch (err) {
    child.kill('SIGKILL');
    if (ownsDataDir) await rm(directory, { recursive: true, force: true });
    throw err;
  }
  // On a wildcard address this machine still reaches it over loopback.
  const listening = options.host ?? '127.0.0.1';
  const local = listening === '0.0.0.0' || listening === '::' ? '127.0.0.1' : listening;
  const endpoint = `http://${local.includes(':') ? `[${local}]` : local}:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    bucket: options.bucket,
    publicBaseUrl: `${endpoint}/${options.bucket}`,
    region: 'auto',
    accessKeyId: options.accessKeyId ?? 'S3RVER',
    secretAccessKey: options.secretAccessKey ?? 'S3RVER',
    port,
    pid: child.pid ?? -1,
    stop() {
      stopped ??= stopChild(child).then(async () => {
        if (ownsDataDir) await rm(directory, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}

function waitForReady(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('local S3 server did not start in time')), STARTUP_TIMEOUT_MS);
    child.on('message', (message: { type?: string; port?: number; message?: string }) => {
      if (message.type === 'ready' && typeof message.port === 'number') {
        clearTimeout(timer);
        resolve(message.port);
      }
      if (message.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`local S3 server failed: ${message.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local S3 server exited early (code ${code})`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // A server that ignores the polite request is killed: tests must not leave processes behind.
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
  });
}
