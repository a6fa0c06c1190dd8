/**
 * Runs the local S3 server until Ctrl-C, for the demo and manual testing:
 *   npx tsx devtools/local-s3/cli.ts --port 9000 --bucket relaycast [--data-dir DIR]
 */
import { startLocalS3 } from './index';

function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const s3 = await startLocalS3({
    bucket: argValue('bucket') ?? 'relaycast',
    port: Number(argValue('port') ?? 9000),
    dataDir: argValue('data-dir'),
  });
  console.log(`local S3 endpoint   ${s3.endpoint}  (region ${s3.region}, path-style)`);
  console.log(`bucket              ${s3.bucket}`);
  console.log(`public base URL     ${s3.publicBaseUrl}`);
  console.log(`access key / secret ${s3.accessKeyId} / ${s3.secretAccessKey}  (s3rver's fixed test account)`);
  const shutdown = (): void => {
    void s3.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
