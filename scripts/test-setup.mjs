#!/usr/bin/env node
// First step of `npm test`: make sure the tools the specs need are installed. Installs Debian's
// chromium and ffmpeg when it can (root and apt-get), otherwise stops at once with the exact
// command to run, instead of letting a spec fail minutes later on a missing binary.
//   node scripts/test-setup.mjs [--dry-run]   (--dry-run: print the plan as JSON, change nothing)
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { NEEDED, planSetup } from './test-setup-plan.mjs';

const isExecutable = (file) => {
  try { accessSync(file, constants.X_OK); return true; } catch { return false; }
};
const onPath = (tool) => (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).some((dir) => isExecutable(path.join(dir, tool)));

function look() {
  // The specs launch CHROMIUM_PATH, else /usr/bin/chromium (test/support/chromium.ts).
  const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  const present = { chromium: isExecutable(chromiumPath), ffmpeg: onPath('ffmpeg'), ip: onPath('ip'), unshare: onPath('unshare') };
  return {
    missing: NEEDED.map((n) => n.tool).filter((tool) => !present[tool]),
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    hasApt: onPath('apt-get'),
    ...(process.env.CHROMIUM_PATH && !present.chromium ? { chromiumPathOverride: process.env.CHROMIUM_PATH } : {}),
  };
}

const machine = look();
const plan = planSetup(machine);
if (process.argv.includes('--dry-run')) {
  console.log(JSON.stringify({ machine, plan }));
  process.exit(plan.action === 'stop' ? 1 : 0);
}
if (plan.action === 'stop') {
  console.error(`test set-up: ${plan.message}`);
  process.exit(1);
}
if (plan.action === 'install') {
  console.log(`test set-up: installing ${plan.packages.join(' ')} from Debian`);
  for (const [command, ...args] of plan.commands) {
    const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) {
      console.error(`test set-up: \`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal}); run it yourself, then npm test again.`);
      process.exit(1);
    }
  }
  const still = look().missing;
  if (still.length > 0) {
    console.error(`test set-up: still missing after the install: ${still.join(', ')}`);
    process.exit(1);
  }
}
