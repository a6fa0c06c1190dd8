// A real Node-RED process (its CLI, red.js), with this package loaded through `nodesDir` exactly as
// after a palette install, its editor and admin API on 127.0.0.1: what an operator runs. For specs
// that open the editor in Chromium, put adminAuth in front of the admin routes, redeploy through
// the admin API, or SIGKILL the runtime and start it again on the same userDir. Under CI's second
// pass RELAYCAST_NODE_RED points at a node-red 5 install, whose red.js is used instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';

const REPO_ROOT = path.resolve(__dirname, '../..');
const START_TIMEOUT_MS = 60_000;

export interface NodeRedProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> : editor, admin API and httpNode routes (httpNodeRoot '/'). */
  base: string;
  userDir: string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** What it printed lately (stdout and stderr, the last 200 kB), for failure messages. */
  output(): string;
  /** How often the runtime logged that a deploy of this type started (full: 1 after start, +1 per full deploy). */
  started(type?: DeployType): number;
  /** SIGKILL: no close handler, no last write. */
  kill(): Promise<void>;
  /** SIGINT, as Ctrl-C: flows stop and close handlers run. */
  stop(): Promise<void>;
}

export interface NodeRedProcessOptions {
  /**
   * Kept across runs when given (a restart after a kill uses the same one); otherwise a temporary
   * one, removed once the process has stopped or been killed.
   */
  userDir?: string;
  /** Written to <userDir>/flows.json when given (otherwise what the last run saved is used). */
  flows?: object[];
  /** Written to <userDir>/flows_cred.json in plain text (credentialSecret is false). */
  credentials?: Record<string, unknown>;
  /** Merged over the defaults below, e.g. adminAuth with static API tokens. */
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** The line Node-RED logs once a deploy of each type has started what it restarts. */
const STARTED_LINE = { full: /Started flows/, nodes: /Started modified nodes/, flows: /Started modified flows/ } as const;

export type DeployType = keyof typeof STARTED_LINE;

function redJs(): string {
  const prefix = process.env.RELAYCAST_NODE_RED;
  return prefix ? require.resolve('node-red/red.js', { paths: [prefix] }) : require.resolve('node-red/red.js');
}

/**
 * Starts Node-RED on a free port and resolves once its flows run; should another process take
 * that port between the probe and Node-RED's listen (other specs run on this machine too), tries
 * again on a new one.
 */
export async function startNodeRed(options: NodeRedProcessOptions = {}): Promise<NodeRedProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/port in use|EADDRINUSE/i.test(String(err))) throw err;
    }
  }
}

async function startOnce(options: NodeRedProcessOptions): Promise<NodeRedProcess> {
  const ownsUserDir = options.userDir === undefined;
  const userDir = options.userDir ?? mkdtempSync(path.join(os.tmpdir(), 'relaycast-nr-'));
  mkdirSync(userDir, { recursive: true });
  if (options.flows) writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(options.flows));
  if (options.credentials) writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(options.credentials));
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
    // 'info': readiness and deploys are read from the runtime's "Started …" lines.
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    ...options.settings,
  };
  const settingsFile = path.join(userDir, 'settings.js');
  writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child = spawn(process.execPath, [redJs(), '--userDir', userDir, '--settings', settingsFile], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // Counted line by line as they arrive, so the counts survive the output's truncation.
  const starts: Record<DeployType, number> = { full: 0, nodes: 0, flows: 0 };
  let partial = '';
  const collect = (chunk: string): void => {
    out = (out + chunk).slice(-200_000);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const type of Object.keys(STARTED_LINE) as DeployType[]) if (STARTED_LINE[type].test(line)) starts[type] += 1;
  };
  child.stdout!.setEncoding('utf8').on('data', collect);
  child.stderr!.setEncoding('utf8').on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanUp = (): void => {
    if (ownsUserDir) rmSync(userDir, { recursive: true, force: true });
  };
  const handle: NodeRedProcess = {
    child,
    base: `http://127.0.0.1:${port}`,
    userDir,
    exited,
    output: () => out,
    started: (type = 'full') => starts[type],
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      cleanUp();
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
      cleanUp();
    },
  };
  try {
    await waitForFlows(handle, options.timeoutMs ?? START_TIMEOUT_MS);
  } catch (err) {
    await handle.kill();
    throw new Error(`${(err as Error).message}\n--- Node-RED output ---\n${out.slice(-4000)}`, { cause: err });
  }
  return handle;
}

/** Ready when the flows have started and the HTTP server answers (any status: adminAuth may refuse). */
async function waitForFlows(nodeRed: NodeRedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void nodeRed.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error('Node-RED exited before its flows started');
    if (nodeRed.started() > 0) {
      const res = await fetch(`${nodeRed.base}/settings`).catch(() => undefined);
      if (res) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Node-RED did not start its flows within ${timeoutMs / 1000} s`);
}

/**
 * A deploy through the admin API of the flows it runs, changed by `edit`; resolves once the
 * runtime has started again what it stopped. `full` stops and starts every node; `nodes` only the
 * nodes `edit` changed (x and y do not count, a name does); `flows` those and every node wired to them.
 */
export async function redeploy(
  nodeRed: NodeRedProcess,
  type: DeployType,
  edit: (flows: Record<string, unknown>[]) => Record<string, unknown>[] = (f) => f,
): Promise<void> {
  const startsBefore = nodeRed.started(type);
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
  while (nodeRed.started(type) === startsBefore) {
    if (Date.now() > deadline) throw new Error(`the runtime did not start again after the ${type} deploy`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A full deploy of the flows it runs (every node stopped and started again). */
export function redeployFull(nodeRed: NodeRedProcess): Promise<void> {
  return redeploy(nodeRed, 'full');
}
