// A real Node-RED process (its CLI, red.js), with this package loaded through `nodesDir` exactly as
// after a palette install, its editor and admin API on 127.0.0.1. For specs that must SIGKILL the
// runtime, redeploy through the admin API, or open the editor in Chromium. Under CI's second pass
// RELAYCAST_NODE_RED points at a node-red 5 install, whose red.js is used instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');
const START_TIMEOUT_MS = 60_000;

export interface NodeRedProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> : editor, admin API and httpNode routes (httpNodeRoot '/'). */
  base: string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** How often the flows have started (1 after start, +1 per deploy). */
  flowStarts(): number;
  /** SIGKILL: no close handler, no last write. */
  kill(): Promise<void>;
  /** SIGINT, as Ctrl-C: flows stop and close handlers run. */
  stop(): Promise<void>;
}

export interface NodeRedProcessOptions {
  userDir: string;
  /** Written to <userDir>/flows.json when given (otherwise what the last run saved is used). */
  flows?: object[];
  /** Written to <userDir>/flows_cred.json in plain text (credentialSecret is false). */
  credentials?: Record<string, unknown>;
  /** Merged over the defaults below. */
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

function redJs(): string {
  const prefix = process.env.RELAYCAST_NODE_RED;
  return prefix ? require.resolve('node-red/red.js', { paths: [prefix] }) : require.resolve('node-red/red.js');
}

/** A port free right now on 127.0.0.1 (Node-RED's uiPort cannot be 0: it prints no port back). */
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

export async function startNodeRed(options: NodeRedProcessOptions): Promise<NodeRedProcess> {
  mkdirSync(options.userDir, { recursive: true });
  if (options.flows) writeFileSync(path.join(options.userDir, 'flows.json'), JSON.stringify(options.flows));
  if (options.credentials) writeFileSync(path.join(options.userDir, 'flows_cred.json'), JSON.stringify(options.credentials));
  const port = await freePort();
  const settings = {
    uiPort: port,
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: false,
    nodesDir: [REPO_ROOT],
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    // 'info': readiness is read from the runtime's "Started flows" line.
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    ...options.settings,
  };
  const settingsFile = path.join(options.userDir, 'settings.js');
  writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child = spawn(process.execPath, [redJs(), '--userDir', options.userDir, '--settings', settingsFile], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (chunk: string): void => { out = (out + chunk).slice(-200_000); };
  child.stdout!.setEncoding('utf8').on('data', collect);
  child.stderr!.setEncoding('utf8').on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const handle: NodeRedProcess = {
    child,
    base,
    exited,
    output: () => out,
    flowStarts: () => (out.match(/Started flows/g) ?? []).length,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
  try {
    await waitForFlows(handle);
  } catch (err) {
    await handle.kill();
    throw new Error(`${(err as Error).message}\n--- Node-RED output ---\n${out.slice(-4000)}`);
  }
  return handle;
}

/** Ready when the admin API answers and the flows have started (the runtime logs "Started flows"). */
async function waitForFlows(nodeRed: NodeRedProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  void nodeRed.exited.then(() => { exited = true; });
  while (Date.now() < deadline) {
    if (exited) throw new Error('Node-RED exited before its flows started');
    if (nodeRed.flowStarts() > 0) {
      const res = await fetch(`${nodeRed.base}/settings`).catch(() => undefined);
      if (res?.ok) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Node-RED did not start its flows within ${START_TIMEOUT_MS / 1000} s`);
}

/** The line Node-RED logs once a deploy of each type has started what it restarts. */
const STARTED_LINE = { full: /Started flows/g, nodes: /Started modified nodes/g, flows: /Started modified flows/g } as const;

export type DeployType = keyof typeof STARTED_LINE;

/**
 * A deploy through the admin API of the flows it runs, changed by `edit`; resolves once the
 * runtime has started again what it stopped. `full` stops and starts every node; `nodes` only the
 * nodes `edit` changed (x and y do not count, a name does); `flows` those and every node wired to them.
 */
export async function redeploy(nodeRed: NodeRedProcess, type: DeployType, edit: (flows: Record<string, unknown>[]) => Record<string, unknown>[] = (f) => f): Promise<void> {
  const started = (): number => (nodeRed.output().match(STARTED_LINE[type]) ?? []).length;
  const startsBefore = started();
  const current = await fetch(`${nodeRed.base}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
  if (!current.ok) throw new Error(`GET /flows: ${current.status}`);
  const { flows, rev } = (await current.json()) as { flows: Record<string, unknown>[]; rev: string };
  const res = await fetch(`${nodeRed.base}/flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': type },
    body: JSON.stringify({ flows: edit(flows), rev }),
  });
  if (!res.ok) throw new Error(`POST /flows (${type} deploy): ${res.status} ${await res.text()}`);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (started() === startsBefore) {
    if (Date.now() > deadline) throw new Error(`the runtime did not start again after the ${type} deploy`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A full deploy of the flows it runs (every node stopped and started again). */
export function redeployFull(nodeRed: NodeRedProcess): Promise<void> {
  return redeploy(nodeRed, 'full');
}
