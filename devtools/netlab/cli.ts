/**
 * The network lab from a shell (root).
 *
 *   npx tsx devtools/netlab/cli.ts --cleanup              remove what killed runs left behind
 *   npx tsx devtools/netlab/cli.ts exec -- <command…>     run a command inside a fresh lab's internet namespace
 *
 * `exec` without root runs the command outside any lab after saying why, so a spec that needs
 * the lab can skip with the reason instead of the whole test run failing.
 */
import { spawnSync } from 'node:child_process';
import { preflight } from './preflight';
import { runInsideLab } from './lab';
import { labNamespaces, removeLeftovers } from './teardown';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--cleanup') {
    const check = preflight();
    if (!check.ok) {
      console.error(`netlab: ${check.reason}`);
      return 1;
    }
    const removed = removeLeftovers();
    console.log(removed.length ? `netlab: removed ${removed.join(', ')}` : 'netlab: nothing left behind');
    const still = labNamespaces();
    if (still.length) console.log(`netlab: still there (their runs are alive): ${still.join(', ')}`);
    return 0;
  }
  if (argv[0] === 'exec' && argv[1] === '--' && argv.length > 2) {
    const command = argv.slice(2);
    const check = preflight();
    if (!check.ok) {
      console.error(`netlab: no lab (${check.reason}); running the command outside one`);
      return spawnSync(command[0], command.slice(1), { stdio: 'inherit' }).status ?? 1;
    }
    return runInsideLab(command);
  }
  console.error('usage: npx tsx devtools/netlab/cli.ts --cleanup | exec -- <command…>');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
