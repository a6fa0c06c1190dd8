// The lab drives the kernel through its own tools (ip, nft, tc, sysctl): every call goes through
// here, so a failing step names the command and what the tool said.
import { spawnSync } from 'node:child_process';

export class LabCommandError extends Error {
  readonly code = 'E_NETLAB_COMMAND';
  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`netlab: \`${command}\` failed: ${stderr.trim() || 'no message'}`);
  }
}

/** Runs a command to completion; throws LabCommandError when it exits non-zero. Returns stdout. */
export function run(cmd: string, args: string[], input?: string): string {
  const result = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 30_000 });
  if (result.error || result.status !== 0) throw new LabCommandError([cmd, ...args].join(' '), result.stderr || String(result.error ?? ''));
  return result.stdout;
}

/** As run(), for teardown: a step that fails (already gone) is not an error. */
export function runQuietly(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

/** A command run inside a network namespace. */
export function inNamespace(ns: string, cmd: string, args: string[], input?: string): string {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], input);
}
