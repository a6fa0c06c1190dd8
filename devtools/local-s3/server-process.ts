/**
 * Child-process entry of the local S3 harness: runs s3rver in its own process, so tests talk to a
 * real S3-compatible HTTP server over a real socket (never an in-process SDK mock), and a stuck
 * request in the server cannot block the test's event loop.
 *
 * Protocol with the parent (Node IPC channel): the parent passes options as JSON in argv[2]; the
 * child answers { type: 'ready', port } once the bucket exists, and stops on { type: 'stop' } or
 * when the parent goes away (IPC disconnect), so a crashed test never leaves a server behind.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

interface ChildOptions {
  bucket: string;
  port: number;
  host: string;
  directory: string;
  corsXml: string | null;
  /** An extra access key pair the server accepts besides S3RVER/S3RVER. */
  accessKeyId?: string;
  secretAccessKey?: string;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
  if (options.accessKeyId && options.secretAccessKey) {
    // s3rver knows one fixed account; adding a key pair to it makes unknown ids still fail with 403.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('s3rver/lib/models/account').DUMMY_ACCOUNT.createKeyPair(options.accessKeyId, options.secretAccessKey);
  }
  const server = new S3rver({
    address: options.host,
    port: options.port,
    directory: options.directory,
    silent: true,
    // Path-style only: the harness hands out http://<host>:<port>/<bucket> URLs.
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket, configs: options.corsXml ? [options.corsXml] : [] }],
  });
  const address = await server.run();
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await server.close();
    } catch {
      /* exiting anyway */
    }
    process.exit(0);
  };
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.send?.({ type: 'ready', port: address.port });
}

main().catch((err: unknown) => {
  process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
