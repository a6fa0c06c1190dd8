/**
 * A real Node-RED process (the CLI, red.js) with this package loaded through nodesDir, a given
 * flow and credentials, and optional adminAuth: what an operator runs, with the admin API's own
 * authentication in front of the admin routes and the editor's comms socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');

export interface NodeRedProcess {
  base: string;
  userDir: string;
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

type StartOptions = Parameters<typeof startOnce>[0];

/**
 * Starts Node-RED on a free port; should another process take that port between the probe and
 * Node-RED's listen (other specs run on this machine too), tries again on a new one.
 */
export async function startNodeRed(options: StartOptions): Promise<NodeRedProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/port in use|EADDRINUSE/i.test(String(err))) throw err;
    }
  }
}

async function startOnce(options: {
  flows: unknown[];
  credentials?: Record<string, Record<string, string>>;
  /** Extra settings (JSON-serialisable), e.g. adminAuth with static API tokens. */
  settings?: Record<string, unknown>;
  timeoutMs?: number;
}): Promise<NodeRedProcess> {
  const port = await freePort();
  const userDir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-nr-'));
  const settings = {
    uiPort: port, uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false, nodesDir: [repoRoot],
    telemetry: { enabled: false }, diagnostics: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    ...options.settings,
  };
  writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(options.flows));
  writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(options.credentials ?? {}));
  // The same runtime as the helper specs: RELAYCAST_NODE_RED names another install (node-red 5 in CI).
  const prefix = process.env.RELAYCAST_NODE_RED;
  const redJs = prefix ? require.resolve('node-red/red.js', { paths: [prefix] }) : require.resolve('node-red/red.js');
  const child: ChildProcess = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      });
    }
    rmSync(userDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`Node-RED did not start flows:\n${output}`)), options.timeoutMs ?? 60_000);
      // Both: the server listens (its port was still free) and the flows run.
      const check = (): void => {
        if (output.includes('Started flows') && output.includes('Server now running')) { clearTimeout(deadline); resolve(); }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code) => { clearTimeout(deadline); reject(new Error(`Node-RED exited with ${code}:\n${output}`)); });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { base: `http://127.0.0.1:${port}`, userDir, output: () => output, stop };
}
