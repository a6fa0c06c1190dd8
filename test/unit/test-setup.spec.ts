// The first step of `npm test` (scripts/test-setup.mjs): its decision for machine states this one
// is not in, and the real script's look at a machine without the tools (a bare PATH, --dry-run).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type Plan = { action: 'none' } | { action: 'install'; packages: string[]; commands: string[][] } | { action: 'stop'; message: string };
type PlanSetup = (machine: { missing: string[]; isRoot: boolean; hasApt: boolean; chromiumPathOverride?: string }) => Plan;
type ServicePlan = { action: 'none' } | { action: 'start'; command: string[] } | { action: 'stop'; message: string };
type PlanPostgres = (machine: { listening: boolean; isRoot: boolean; hasPgCtlcluster: boolean; versions: string[] }) => ServicePlan;
type PlanRedis = (machine: { listening: boolean; hasRedisServer: boolean }) => ServicePlan;

const root = path.resolve(__dirname, '../..');
const script = path.join(root, 'scripts/test-setup.mjs');

describe('test set-up (scripts/test-setup.mjs)', () => {
  let planSetup: PlanSetup;
  let planPostgres: PlanPostgres;
  let planRedis: PlanRedis;
  before(async () => {
    ({ planSetup, planPostgres, planRedis } = (await import(path.join(root, 'scripts/test-setup-plan.mjs'))) as {
      planSetup: PlanSetup;
      planPostgres: PlanPostgres;
      planRedis: PlanRedis;
    });
  });

  it('does nothing when Chromium and ffmpeg are there', () => {
    assert.deepEqual(planSetup({ missing: [], isRoot: false, hasApt: false }), { action: 'none' });
  });

  it('installs exactly the missing Debian packages when it is root with apt-get', () => {
    assert.deepEqual(planSetup({ missing: ['chromium', 'ffmpeg'], isRoot: true, hasApt: true }), {
      action: 'install',
      packages: ['chromium', 'ffmpeg'],
      commands: [
        ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update'],
        ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', 'chromium', 'ffmpeg'],
      ],
    });
    const onlyFfmpeg = planSetup({ missing: ['ffmpeg'], isRoot: true, hasApt: true });
    assert.deepEqual(onlyFfmpeg.action === 'install' && onlyFfmpeg.packages, ['ffmpeg']);
  });

  it('stops at once with the exact command when it cannot install (not root, or no apt-get)', () => {
    const notRoot = planSetup({ missing: ['ffmpeg'], isRoot: false, hasApt: true });
    assert.equal(notRoot.action, 'stop');
    assert.ok(
      notRoot.action === 'stop' && notRoot.message.includes('sudo apt-get update && sudo apt-get install -y --no-install-recommends ffmpeg'),
      JSON.stringify(notRoot),
    );
    const noApt = planSetup({ missing: ['chromium', 'ffmpeg'], isRoot: true, hasApt: false });
    assert.ok(noApt.action === 'stop' && noApt.message.includes('apt-get install chromium ffmpeg'), JSON.stringify(noApt));
    const badOverride = planSetup({ missing: ['chromium'], isRoot: true, hasApt: true, chromiumPathOverride: '/opt/nowhere/chrome' });
    assert.ok(
      badOverride.action === 'stop' && badOverride.message.includes('CHROMIUM_PATH is set to /opt/nowhere/chrome'),
      'a package cannot fix a wrong CHROMIUM_PATH',
    );
  });

  it('starts the local PostgreSQL cluster when nothing listens on 5432, or stops with the exact command', () => {
    const command = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
    assert.deepEqual(planPostgres({ listening: true, isRoot: false, hasPgCtlcluster: false, versions: [] }), { action: 'none' });
    assert.deepEqual(planPostgres({ listening: false, isRoot: true, hasPgCtlcluster: true, versions: ['15'] }), {
      action: 'start',
      command: ['pg_ctlcluster', '--skip-systemctl-redirect', '15', 'main', 'start'],
    });
    for (const machine of [
      { listening: false, isRoot: false, hasPgCtlcluster: true, versions: ['15'] },
      { listening: false, isRoot: true, hasPgCtlcluster: false, versions: [] },
    ]) {
      const plan = planPostgres(machine);
      assert.ok(plan.action === 'stop' && plan.message.includes(command), JSON.stringify(plan));
    }
  });

  it('starts a local Redis when nothing listens on 6379 and redis-server is there, or stops with the exact command', () => {
    assert.deepEqual(planRedis({ listening: true, hasRedisServer: false }), { action: 'none' });
    const start = planRedis({ listening: false, hasRedisServer: true });
    assert.ok(
      start.action === 'start' && start.command[0] === 'redis-server' && start.command.join(' ').includes('--port 6379 --save  --appendonly no'),
      JSON.stringify(start),
    );
    assert.ok(start.action === 'start' && start.command.includes('127.0.0.1'), 'bound to loopback only');
    const stop = planRedis({ listening: false, hasRedisServer: false });
    assert.ok(stop.action === 'stop' && stop.message.includes('redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379'), JSON.stringify(stop));
  });

  describe('the real script on a machine without the tools (--dry-run)', () => {
    let bin: string;
    beforeEach(() => {
      bin = mkdtempSync(path.join(os.tmpdir(), 'relaycast-setup-'));
    });
    afterEach(() => rmSync(bin, { recursive: true, force: true }));
    const fakeTool = (name: string) => {
      writeFileSync(path.join(bin, name), '#!/bin/sh\nexit 0\n');
      chmodSync(path.join(bin, name), 0o755);
    };
    const run = (env: Record<string, string>) => {
      const result = spawnSync(process.execPath, [script, '--dry-run'], { env: { PATH: bin, ...env }, encoding: 'utf8' });
      return {
        status: result.status,
        ...(JSON.parse(result.stdout) as { machine: { missing: string[]; hasApt: boolean }; plan: Plan; postgres: { plan: ServicePlan } }),
      };
    };

    it('sees ffmpeg and apt-get missing from a bare PATH, and stops (exit 1) with the command to run', () => {
      const out = run({});
      assert.ok(out.machine.missing.includes('ffmpeg'));
      assert.equal(out.machine.hasApt, false);
      assert.equal(out.plan.action, 'stop');
      assert.equal(out.status, 1);
    });

    it('with apt-get on the PATH: plans the install as root, else stops with the sudo command', () => {
      fakeTool('apt-get');
      const out = run({});
      if (process.getuid?.() === 0) {
        assert.equal(out.plan.action, 'install');
        assert.ok(out.plan.action === 'install' && out.plan.packages.includes('ffmpeg'));
      } else {
        assert.ok(out.plan.action === 'stop' && out.plan.message.includes('sudo apt-get'));
      }
      fakeTool('ffmpeg');
      assert.ok(!run({}).machine.missing.includes('ffmpeg'), 'an ffmpeg on the PATH counts as installed');
    });

    it('refuses a CHROMIUM_PATH that does not exist', () => {
      fakeTool('ffmpeg');
      fakeTool('ip');
      fakeTool('unshare');
      fakeTool('nft');
      fakeTool('redis-server');
      fakeTool('caddy');
      const out = run({ CHROMIUM_PATH: path.join(bin, 'no-chromium') });
      assert.equal(out.plan.action, 'stop');
      assert.deepEqual(out.machine.missing, ['chromium']);
    });
  });

  it('runs first in npm test, and .ci/run installs ffmpeg as well as chromium and starts PostgreSQL', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.test, /^node scripts\/test-setup\.mjs && /);
    const ci = readFileSync(path.join(root, '.ci/run'), 'utf8');
    assert.match(ci, /command -v ffmpeg .*\|\| need_apt\+=\(ffmpeg\)/);
    assert.match(ci, /command -v nft .*\|\| need_apt\+=\(nftables\)/);
    assert.match(ci, /command -v caddy .*\|\| need_apt\+=\(caddy\)/);
    assert.ok(
      ci.includes('pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'),
      'CI starts the PostgreSQL cluster with the same command',
    );
  });
});
