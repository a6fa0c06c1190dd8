#!/usr/bin/env node
// First step of `npm test`: make sure the tools the specs need are installed. Installs Debian's
// chromium and ffmpeg when it can (root and apt-get), otherwise stops at once with the exact
// command to run, instead of letting a spec fail minutes later on a missing binary. Likewise starts
// the local PostgreSQL cluster and Redis the ledger and registry specs use when they are not running
// (or prints the command).
//   node scripts/test-setup.mjs [--dry-run]   (--dry-run: print the plan as JSON, change nothing)
import { accessSync, constants, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { NEEDED, PG_START_COMMAND, REDIS_START_COMMAND, planPostgres, planRedis, planSetup } from './test-setup-plan.mjs';

const isExecutable = (file) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const onPath = (tool) =>
  (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => isExecutable(path.join(dir, tool)));

function look() {
  // The specs launch CHROMIUM_PATH, else /usr/bin/chromium (test/support/chromium.ts).
  const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  const present = {
    chromium: isExecutable(chromiumPath),
    ffmpeg: onPath('ffmpeg'),
    ip: onPath('ip'),
    unshare: onPath('unshare'),
    nft: onPath('nft'),
    'redis-server': onPath('redis-server'),
    caddy: onPath('caddy'),
  };
  return {
    missing: NEEDED.map((n) => n.tool).filter((tool) => !present[tool]),
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    hasApt: onPath('apt-get'),
    ...(process.env.CHROMIUM_PATH && !present.chromium ? { chromiumPathOverride: process.env.CHROMIUM_PATH } : {}),
  };
}

const listening = (port) =>
  new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function lookPostgres() {
  let versions = [];
  try {
    versions = readdirSync('/etc/postgresql');
  } catch {
    /* not installed */
  }
  return {
    listening: await listening(5432),
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    hasPgCtlcluster: onPath('pg_ctlcluster'),
    versions,
  };
}

/** Starts a local service with `command` and waits until it listens on `port` (30 s at most). */
async function startService(name, command, port, manual) {
  console.log(`test set-up: starting ${name} (${command.join(' ')})`);
  const started = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
  let up = started.status === 0 && (await listening(port));
  for (let i = 0; i < 60 && started.status === 0 && !up; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    up = await listening(port);
  }
  if (!up) {
    console.error(`test set-up: ${name} did not come up on 127.0.0.1:${port}; start it yourself, then npm test again:\n\n  ${manual}\n`);
    process.exit(1);
  }
}

const machine = look();
const plan = planSetup(machine);
const pgMachine = await lookPostgres();
const pgPlan = planPostgres(pgMachine);
const redisMachine = { listening: await listening(6379), hasRedisServer: onPath('redis-server') || plan.action === 'install' };
const redisPlan = planRedis(redisMachine);
if (process.argv.includes('--dry-run')) {
  console.log(JSON.stringify({ machine, plan, postgres: { machine: pgMachine, plan: pgPlan }, redis: { machine: redisMachine, plan: redisPlan } }));
  process.exit([plan, pgPlan, redisPlan].some((p) => p.action === 'stop') ? 1 : 0);
}
for (const stop of [plan, pgPlan, redisPlan].filter((p) => p.action === 'stop')) {
  console.error(`test set-up: ${stop.message}`);
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
// Services after packages: Debian's redis-server package may just have been installed (and started).
if (pgPlan.action === 'start') await startService('PostgreSQL', pgPlan.command, 5432, PG_START_COMMAND);
if (redisPlan.action === 'start' && !(await listening(6379))) await startService('Redis', redisPlan.command, 6379, REDIS_START_COMMAND);
