// WebRTC benches must reach nothing but loopback: outside the loopback-only namespace, a bench runs
// itself again inside one (scripts/loopback-only.sh, a namespace with only `lo`) and exits with it.
import { spawn } from 'node:child_process';
import path from 'node:path';

/** True when the caller is already confined; otherwise starts the confined copy and returns false. */
export function confinedToLoopback(script: string): boolean {
  if (process.env.RELAYCAST_LOOPBACK_ONLY === '1') return true;
  const child = spawn(
    'bash',
    [path.resolve(__dirname, '../../scripts/loopback-only.sh'), process.execPath, ...process.execArgv, script, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  child.on('exit', (code) => process.exit(code ?? 1));
  return false;
}
