/**
 * Playlist requests per second on loopback:
 *   - a real Node-RED runtime (the red.js CLI, this package loaded through nodesDir, default
 *     settings) serving a live media playlist through relaycast-manifest, vs
 *   - a bare Node http server returning the same bytes with the same headers,
 * each driven by a keep-alive load generator running in a SEPARATE process, in the same run, for
 * the 200 path and the ETag → 304 path. Prints the figures and the ratio; asserts nothing.
 *
 *   npm run build && npx tsx bench/manifest-rps.ts [--seconds 5] [--connections 32] [--rounds 2]
 *
 * Targets (issue 4): Node-RED ≥ 0.5 × bare and ≥ 10,000 req/s; the 304 path faster still.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ManifestCore } from '../lib/manifest';
import { segmentMsg } from '../test/support/manifest-msgs';
import { freePort } from '../test/support/free-port';

const repoRoot = path.resolve(__dirname, '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 5);
const CONNECTIONS = arg('connections', 32);
const ROUNDS = arg('rounds', 2);
const NODE_ID = 'benchmanifest01';

interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  statuses: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

function runLoad(url: string, headers: Record<string, string> = {}): Promise<LoadResult> {
  const options = JSON.stringify({ url, connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: 1, headers });
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'support', 'keepalive-load.ts'), options],
      { cwd: repoRoot, timeout: (SECONDS + 30) * 1000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult);
      },
    );
  });
}

/** A live playlist state as the manifest would have it mid-stream: 6-segment window, msn 1200+. */
function seedState(userDir: string): void {
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  const core = new ManifestCore({ clock: () => now });
  for (let i = 0; i < 1206; i++) {
    core.apply(segmentMsg({ stream: 'bench', rendition: '720p', sequence: i, duration: 2, byteLength: 600_000 + (i % 7) * 1000 }));
    now += 2000;
  }
  const dir = path.join(userDir, 'relaycast', 'manifest');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${NODE_ID}.json`), JSON.stringify(core.snapshot()));
}

async function startNodeRed(userDir: string, port: number, extraSettings: Record<string, unknown>): Promise<ChildProcess> {
  const flows = [
    { id: 'benchtab01', type: 'tab', label: 'bench' },
    {
      id: NODE_ID,
      type: 'relaycast-manifest',
      z: 'benchtab01',
      name: '',
      stream: '',
      renditions: '',
      masterPath: '/live/{stream}/master.m3u8',
      mediaPath: '/live/{stream}/{rendition}.m3u8',
      healthPath: '/live/{stream}/health.json',
      windowSegments: 6,
      targetDuration: 0,
      dvr: false,
      gapMode: 'gap',
      blockingReload: false,
      x: 200,
      y: 100,
      wires: [[]],
    },
  ];
  writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  const settings = {
    uiPort: port,
    uiHost: '127.0.0.1',
    ...extraSettings,
    flowFile: 'flows.json',
    credentialSecret: false,
    nodesDir: [repoRoot],
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: { console: { level: 'warn', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
  };
  const settingsFile = path.join(userDir, 'settings.js');
  writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings)};\n`);
  const profile = process.env.RELAYCAST_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.RELAYCAST_BENCH_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', settingsFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited with ${child.exitCode}`);
    try {
      const res = await get(`http://127.0.0.1:${port}/live/bench/720p.m3u8`);
      if (res.status === 200) return child;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('Node-RED did not serve the playlist within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Serves the exact bytes and headers Node-RED served, with the same If-None-Match handling. */
function startBareServer(body: Buffer, headers: http.IncomingHttpHeaders): Promise<http.Server> {
  const etag = String(headers.etag);
  const common = { 'Content-Type': String(headers['content-type']), 'Cache-Control': String(headers['cache-control']), ETag: etag, Vary: 'Accept-Encoding' };
  const server = http.createServer((req, res) => {
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, common);
      res.end();
      return;
    }
    res.writeHead(200, { ...common, 'Content-Length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main(): Promise<void> {
  if (!existsSync(path.join(repoRoot, 'dist/nodes/manifest/manifest.js'))) throw new Error('run `npm run build` first');
  const userDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-bench-manifest-'));
  const nodeReds: ChildProcess[] = [];
  let bare: http.Server | undefined;
  try {
    seedState(userDir);
    // Three runtimes, same flow and state, all real red.js processes:
    //  - 'fast path': relaycastManifestFastPath true; the manifest answers ahead of Express;
    //  - 'express': default settings, editor at '/': every request crosses the
    //    editor's static-file middleware (a disk stat per request) and two Express apps;
    //  - 'express /admin': the same with the editor moved to /admin (a common production setting).
    const configs: Array<[string, Record<string, unknown>]> = [
      ['fast path', { relaycastManifestFastPath: true }],
      ['express', {}],
      ['express /admin', { httpAdminRoot: '/admin' }],
    ];
    const nodeRedUrls: Record<string, string> = {};
    for (const [name, extra] of configs) {
      const dir = path.join(userDir, name.replace(/[^a-z]/g, '_'));
      mkdirSync(dir, { recursive: true });
      seedState(dir);
      const port = await freePort();
      const child = await startNodeRed(dir, port, extra);
      nodeReds.push(child);
      nodeRedUrls[name] = `http://127.0.0.1:${port}/live/bench/720p.m3u8`;
    }
    const reference = await get(nodeRedUrls['fast path']);
    for (const [name] of configs) {
      const other = await get(nodeRedUrls[name]);
      if (!other.body.equals(reference.body) || other.headers.etag !== reference.headers.etag) throw new Error(`${name} serves different bytes`);
    }
    bare = await startBareServer(reference.body, reference.headers);
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/live/bench/720p.m3u8`;
    const etag = String(reference.headers.etag);
    const check = await get(bareUrl);
    if (!check.body.equals(reference.body)) throw new Error('bare server bytes differ');

    console.log(`relaycast-manifest playlist serving — loopback, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run, ${ROUNDS} rounds`);
    console.log(`playlist: ${reference.body.length} bytes, ETag ${etag}; Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}`);
    console.log('servers: bare = node:http in this process; fast path = red.js with relaycastManifestFastPath:true;');
    console.log('         express = red.js, default settings (editor at /); express /admin = same with httpAdminRoot /admin');
    console.log('load generator: bench/support/keepalive-load.ts in a separate process\n');

    const targets: Array<[string, string]> = [['bare', bareUrl], ...configs.map(([name]): [string, string] => [name, nodeRedUrls[name]])];
    const best: Record<string, LoadResult> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const path304 of [false, true]) {
        for (const [name, url] of targets) {
          const key = `${name} ${path304 ? '304' : '200'}`;
          const result = await runLoad(url, path304 ? { 'If-None-Match': etag } : {});
          const expected = path304 ? '304' : '200';
          const wrong = Object.entries(result.statuses).filter(([s]) => s !== expected);
          console.log(
            `round ${round}  ${key.padEnd(20)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  ${wrong.length ? `UNEXPECTED ${JSON.stringify(result.statuses)}` : `(${result.requests} × ${expected})`}`,
          );
          if (!best[key] || result.rps > best[key].rps) best[key] = result;
        }
      }
    }
    console.log('\nbest of rounds:');
    for (const [name] of configs) {
      const r200 = best[`${name} 200`].rps;
      const r304 = best[`${name} 304`].rps;
      const ratio200 = r200 / best['bare 200'].rps;
      const ratio304 = r304 / best['bare 304'].rps;
      const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
      console.log(
        `  ${name}: 200 ${r200} req/s = ${ratio200.toFixed(2)}× bare (${best['bare 200'].rps}); 304 ${r304} req/s = ${ratio304.toFixed(2)}× bare (${best['bare 304'].rps}); 304/200 ${(r304 / r200).toFixed(2)}×`,
      );
      console.log(
        `    targets: ≥ 0.5× bare ${verdict(ratio200 >= 0.5)}; ≥ 10,000 req/s ${verdict(r200 >= 10_000)}; 304 faster than 200 ${verdict(r304 > r200)}`,
      );
    }
  } finally {
    await new Promise<void>((resolve) => (bare ? bare.close(() => resolve()) : resolve()));
    for (const child of nodeReds) {
      if (child.exitCode === null)
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGINT');
        });
    }
    rmSync(userDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
