/**
 * `npm start`: the whole system on embedded defaults, no camera, ffmpeg or cloud account needed.
 *
 * - a demo encoder replays a real HLS fixture into demo/.run/hls exactly as a live encoder writes it
 *   (or, with `npm start -- --ingest`, a relaycast-ingest node receives OBS there: demo/ingest-mode.ts);
 * - a local S3-compatible server process stands in for R2 (unless R2_* variables are set, see README);
 * - Node-RED (the real CLI, red.js) starts on port 1880 with this package loaded through `nodesDir`,
 *   no telemetry prompt, and a userDir kept between starts (demo/.run/<port>/userdir): the demo flow
 *   from demo/flows.json is copied in on the first start, or with `npm start -- --fresh`, and the
 *   operator's own edits stay otherwise. Each port has its own run folder; a second start on the
 *   same one refuses before touching anything (demo/run-lock.ts).
 * - HOST=0.0.0.0 serves other devices on the LAN (a phone): see demo/addresses.ts for which
 *   address every URL then names, and demo/settings.ts for the editor's login.
 *
 * Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DemoEncoder } from '../devtools/demo-encoder';
import { startLocalS3 } from '../devtools/local-s3';
import { demoAddresses, demoUrls } from './addresses';
import { demoStreamKey, obsInstructions, withIngest } from './ingest-mode';
import { DemoRefusal, ensurePortFree, lockRunDir } from './run-lock';
import { DEMO_SUPPORTER, demoSupporterLink, demoSupporterToken, userDirAdmits, withDemoSupporter } from './supporter';
import { ADMIN_PASSWORD_ENV, demoSettingsFile } from './settings';

const repoRoot = path.resolve(__dirname, '..');
const port = Number(process.env.PORT ?? 1880);
const runDir = process.env.RELAYCAST_DEMO_RUN_DIR ?? path.join(__dirname, '.run', String(port));
/** `npm start -- --ingest` (or RELAYCAST_DEMO_INGEST=1): OBS instead of the demo encoder (demo/ingest-mode.ts). */
const ingestMode = process.argv.includes('--ingest') || process.env.RELAYCAST_DEMO_INGEST === '1';
const ingestPort = Number(process.env.INGEST_PORT ?? 1935);
const userDir = path.join(runDir, ingestMode ? 'userdir-ingest' : 'userdir');
const hlsDir = path.join(runDir, 'hls');
/** `npm start -- --fresh` (or RELAYCAST_DEMO_FRESH=1): the demo flow again, and a new userDir. */
const fresh = process.argv.includes('--fresh') || process.env.RELAYCAST_DEMO_FRESH === '1';
const fixture = path.join(repoRoot, 'test', 'fixtures', 'hls', process.env.RELAYCAST_DEMO_FIXTURE ?? 'ts-multi');

interface BucketEnv {
  endpoint: string;
  bucket: string;
  region: string;
  publicBaseUrl: string;
  accessKeyId: string;
  secretAccessKey: string;
}

function r2FromEnvironment(): BucketEnv | undefined {
  const { R2_ACCOUNT_ID, R2_BUCKET, R2_PUBLIC_BASE_URL, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY } = process.env;
  const R2_ENDPOINT = process.env.R2_ENDPOINT ?? (R2_ACCOUNT_ID ? `https://${R2_ACCOUNT_ID}.r2.cloudflarestorage.com` : undefined);
  if (!R2_ENDPOINT || !R2_BUCKET || !R2_PUBLIC_BASE_URL || !R2_ACCESS_KEY_ID || !R2_SECRET_ACCESS_KEY) return undefined;
  return {
    endpoint: R2_ENDPOINT,
    bucket: R2_BUCKET,
    region: process.env.R2_REGION ?? 'auto',
    publicBaseUrl: R2_PUBLIC_BASE_URL,
    accessKeyId: R2_ACCESS_KEY_ID,
    secretAccessKey: R2_SECRET_ACCESS_KEY,
  };
}

async function main(): Promise<void> {
  const addresses = demoAddresses({ host: process.env.HOST, publicHost: process.env.PUBLIC_HOST, interfaces: os.networkInterfaces() });
  // Refuse before touching anything of a demo that already runs here.
  await ensurePortFree(addresses.bindHost, port);
  if (ingestMode)
    await ensurePortFree(addresses.bindHost, ingestPort).catch((err: unknown) => {
      throw err instanceof DemoRefusal
        ? new DemoRefusal(`the RTMP port ${ingestPort} is in use; choose another: INGEST_PORT=${ingestPort + 1} npm start -- --ingest`)
        : err;
    });
  const unlock = lockRunDir(runDir, port);
  process.on('exit', unlock);
  // The encoder replays from its first segment, into an empty folder, as an encoder that starts does.
  rmSync(hlsDir, { recursive: true, force: true });
  mkdirSync(hlsDir, { recursive: true });
  const keptFlow = !fresh && existsSync(path.join(userDir, 'flows.json'));
  if (!keptFlow) {
    rmSync(userDir, { recursive: true, force: true });
    rmSync(path.join(runDir, 's3'), { recursive: true, force: true });
  }
  mkdirSync(userDir, { recursive: true });

  const stoppers: Array<() => Promise<void> | void> = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const stop of stoppers.reverse()) {
      try {
        await stop();
      } catch (err) {
        console.error('stop:', err instanceof Error ? err.message : err);
      }
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  let bucket = r2FromEnvironment();
  let s3Port = 0;
  if (bucket) {
    console.log(`relaycast demo: publishing to R2 bucket ${bucket.bucket} (${bucket.endpoint})`);
  } else {
    const local = await startLocalS3({ bucket: 'relaycast', dataDir: path.join(runDir, 's3'), host: addresses.bindHost });
    stoppers.push(() => local.stop());
    s3Port = local.port;
    // Players fetch segments from the public base URL: on the LAN it must name this machine's LAN address.
    bucket = { ...local, publicBaseUrl: demoUrls(addresses, { nodeRed: port, s3: local.port }, local.bucket).bucketPublicBase };
    console.log(`relaycast demo: local S3 server at ${local.endpoint} (bucket ${local.bucket})`);
  }
  const urls = demoUrls(addresses, { nodeRed: port, s3: s3Port }, bucket.bucket);
  const adminPassword = Boolean(process.env[ADMIN_PASSWORD_ENV]);

  const streamKey = ingestMode ? demoStreamKey(runDir, process.env.RELAYCAST_DEMO_STREAM_KEY) : '';
  if (ingestMode) console.log(`relaycast demo: OBS mode, the ingest node writes into ${hlsDir} (no demo encoder)`);
  else {
    const encoder = new DemoEncoder({ fixture, outDir: hlsDir, speed: 1, writeOrder: 'ffmpeg', loop: true });
    encoder.on('error', (err: Error) => console.error('demo encoder:', err.message));
    await encoder.start();
    stoppers.push(() => encoder.stop());
    console.log(`relaycast demo: encoder writing ${path.basename(fixture)} into ${hlsDir}`);
  }

  // The flow references these through ${…} so no secret is ever written into a flow file.
  const nodeRedEnv = {
    ...process.env,
    RELAYCAST_DEMO_HLS_DIR: hlsDir,
    RELAYCAST_S3_ENDPOINT: bucket.endpoint,
    RELAYCAST_S3_BUCKET: bucket.bucket,
    RELAYCAST_S3_REGION: bucket.region,
    RELAYCAST_S3_PUBLIC_BASE_URL: bucket.publicBaseUrl,
    RELAYCAST_S3_FORCE_PATH_STYLE: r2FromEnvironment() ? 'false' : 'true',
    RELAYCAST_S3_ACCESS_KEY_ID: bucket.accessKeyId,
    RELAYCAST_S3_SECRET_ACCESS_KEY: bucket.secretAccessKey,
    RELAYCAST_DEMO_INGEST_BIND: addresses.bindHost,
    RELAYCAST_DEMO_INGEST_PORT: String(ingestPort),
    RELAYCAST_DEMO_STREAM_KEY: streamKey,
  };
  // The demo's one supporter (demo/supporter.ts): its token goes into the new userDir's credentials.
  const supporterToken = demoSupporterToken(runDir);
  if (keptFlow) {
    console.log(`relaycast demo: keeping your flow and state in ${userDir} (npm start -- --fresh starts over with the demo flow)`);
  } else {
    const credentials = withDemoSupporter(JSON.parse(readFileSync(path.join(__dirname, 'flows_cred.json'), 'utf8')), supporterToken);
    if (ingestMode) {
      const demo = withIngest(JSON.parse(readFileSync(path.join(__dirname, 'flows.json'), 'utf8')), credentials);
      writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(demo.flow, null, 2));
      writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(demo.credentials, null, 2), { mode: 0o600 });
    } else {
      cpSync(path.join(__dirname, 'flows.json'), path.join(userDir, 'flows.json'));
      writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials, null, 2), { mode: 0o600 });
    }
    console.log(`relaycast demo: a new userDir with the demo flow in ${userDir}`);
  }
  const supporterLink = userDirAdmits(userDir, supporterToken) ? demoSupporterLink(urls.viewer, supporterToken) : undefined;
  const settingsFile = path.join(userDir, 'settings.js');
  writeFileSync(settingsFile, demoSettingsFile({ repoRoot, port, host: addresses.bindHost, loopbackOnly: addresses.loopbackOnly, adminPassword }));

  const nodeRed: ChildProcess = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', settingsFile], {
    env: nodeRedEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  stoppers.push(
    () =>
      new Promise<void>((resolve) => {
        if (nodeRed.exitCode !== null) return resolve();
        nodeRed.once('exit', () => resolve());
        nodeRed.kill('SIGINT');
      }),
  );
  nodeRed.on('exit', (code) => {
    if (!stopping) void stopAll(code ?? 1);
  });

  let announced = false;
  nodeRed.stdout?.setEncoding('utf8');
  nodeRed.stdout?.on('data', (chunk: string) => {
    process.stdout.write(chunk);
    if (!announced && chunk.includes('Started flows')) {
      announced = true;
      console.log('');
      if (addresses.loopbackOnly) console.log(`  Node-RED editor : ${urls.editor}`);
      else if (adminPassword) console.log(`  Node-RED editor : ${urls.editor}  (login admin, the password in ${ADMIN_PASSWORD_ENV})`);
      else
        console.log(
          `  Node-RED editor : off, since HOST=${addresses.bindHost} is reachable from other machines (set ${ADMIN_PASSWORD_ENV} to turn it on with a login)`,
        );
      if (ingestMode) for (const line of obsInstructions(`rtmp://${addresses.publicHost}:${ingestPort}/live`, streamKey, urls.viewer)) console.log(line);
      else console.log(`  Viewer page     : ${urls.viewer}  (open it in two tabs: they share the stream peer to peer)`);
      if (supporterLink) {
        console.log(`  Supporter link  : ${supporterLink}`);
        console.log(
          `                    (a tab on it relays to the other tabs as ${DEMO_SUPPORTER}; "settle now" in the editor pays it: see the statement in the debug sidebar)`,
        );
      }
      console.log(`  Live playlist   : ${urls.master}  (open it in any HLS player)`);
      console.log(`  Playlist health : ${urls.health}`);
      console.log(`  Swarm signaling : ${urls.signaling}`);
      console.log('  Press Ctrl-C to stop everything.');
      console.log('');
    }
  });
}

main().catch((err: unknown) => {
  if (err instanceof DemoRefusal) console.error(`relaycast demo: ${err.message}`);
  else console.error('relaycast demo failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
