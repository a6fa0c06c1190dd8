// A lab's life. The process that starts it (root namespace) makes the internet namespace, then
// runs the bench or spec *inside* it (nsenter, network namespace only), so the origin — Node-RED,
// the local S3 server, the counting proxies — listens at ORIGIN_ADDRESS with no code of its own
// for namespaces. That inner process adds the homes. The starting process removes everything
// with the run's prefix when the inner one ends, however it ends, and on its own SIGINT/SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HomeSpec } from './home-spec';
import { internetNamespace, runPrefix } from './names';
import { requireLab } from './preflight';
import { removeRun } from './teardown';
import { addHome, createInternet, ORIGIN_ADDRESS, removeHome, type Home } from './topology';

/** Set in the inner process: the run's prefix (its internet namespace is the one it runs in). */
export const LAB_ENV = 'RELAYCAST_NETLAB_PREFIX';

/**
 * Runs `argv` inside a fresh lab's internet namespace; resolves with its exit code once the lab
 * is gone. Throws (having created nothing) when the lab cannot run here.
 */
export async function runInsideLab(argv: string[]): Promise<number> {
  requireLab();
  const prefix = runPrefix();
  removeRun(prefix); // a namespace left by an earlier process with this pid
  let removed = false;
  const teardown = (): void => {
    if (removed) return;
    removed = true;
    removeRun(prefix);
  };
  process.once('exit', teardown);
  try {
    createInternet(prefix);
  } catch (err) {
    teardown();
    throw err;
  }
  const child = spawn('nsenter', [`--net=/run/netns/${internetNamespace(prefix)}`, '--', ...argv], {
    stdio: 'inherit',
    env: { ...process.env, [LAB_ENV]: prefix },
  });
  // Ctrl-C reaches the whole process group; a SIGTERM sent to this process alone is passed on.
  // Either way the inner process stops its browsers and servers, then the lab goes.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const code = await new Promise<number>((resolve) => {
    child.once('exit', (status, signal) => resolve(status ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
    child.once('error', () => resolve(1));
  });
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  teardown();
  return code;
}

/** Inside the lab: adds and removes homes, and makes the Chromium wrappers that run in them. */
export class Lab {
  readonly homes = new Map<number, Home>();
  readonly origin = ORIGIN_ADDRESS;
  private readonly scratch = mkdtempSync(path.join(os.tmpdir(), 'relaycast-netlab-'));

  constructor(readonly prefix: string) {}

  /** The lab this process runs in, or undefined outside one. */
  static current(): Lab | undefined {
    const prefix = process.env[LAB_ENV];
    return prefix ? new Lab(prefix) : undefined;
  }

  addHome(spec: HomeSpec): Home {
    if (this.homes.has(spec.index)) throw Object.assign(new Error(`netlab: home ${spec.index} exists`), { code: 'E_NETLAB_HOME' });
    try {
      const home = addHome(this.prefix, spec);
      this.homes.set(spec.index, home);
      return home;
    } catch (err) {
      this.dropNamespaces(spec.index);
      throw err;
    }
  }

  /** A home leaves: its namespaces go (processes still in them lose the network). */
  removeHome(index: number): void {
    this.homes.delete(index);
    this.dropNamespaces(index);
  }

  /** A folder this run may write to (wrapper scripts); removed by close(). */
  get dir(): string {
    return this.scratch;
  }

  close(): void {
    for (const index of [...this.homes.keys()]) this.removeHome(index);
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private dropNamespaces(index: number): void {
    removeHome(this.prefix, index);
  }
}
