// What `npm test` must do before it runs: the decision only, free of side effects, so a test can
// check it for machine states this one is not in (no Chromium, no ffmpeg, not root, no apt).
// scripts/test-setup.mjs looks at the machine, asks this, and carries the answer out.

/** Debian package that provides each tool the specs need. */
export const NEEDED = [
  { tool: 'chromium', package: 'chromium', why: 'the browser specs (headless Chromium through playwright-core)' },
  { tool: 'ffmpeg', package: 'ffmpeg', why: 'the playback and live-encoder specs' },
  { tool: 'ip', package: 'iproute2', why: 'the WebRTC specs, which run in a loopback-only network namespace' },
  { tool: 'unshare', package: 'util-linux', why: 'the WebRTC specs, which run in a loopback-only network namespace' },
  { tool: 'nft', package: 'nftables', why: 'the NAT spec, which runs two homes behind nftables NAT in a network lab (devtools/netlab)' },
  { tool: 'redis-server', package: 'redis-server', why: 'the multi-instance signaling specs (they start a private redis-server too)' },
  { tool: 'caddy', package: 'caddy', why: "the Caddy spec, which runs the README's Caddyfile in front of Node-RED (test/e2e/online-caddy.spec.ts)" },
];

/**
 * @param {{ missing: string[], isRoot: boolean, hasApt: boolean, chromiumPathOverride?: string }} machine
 *   missing: tools of NEEDED not found; chromiumPathOverride: CHROMIUM_PATH when set (and missing).
 * @returns {{ action: 'none' } | { action: 'install', packages: string[], commands: string[][] } | { action: 'stop', message: string }}
 */
export function planSetup(machine) {
  const missing = NEEDED.filter((n) => machine.missing.includes(n.tool));
  if (missing.length === 0) return { action: 'none' };
  if (machine.chromiumPathOverride && missing.some((n) => n.tool === 'chromium')) {
    // A package would not put Chromium where the operator said it is: only they can fix that.
    return {
      action: 'stop',
      message: `CHROMIUM_PATH is set to ${machine.chromiumPathOverride}, which does not exist. Point it at a Chromium binary, or unset it to use Debian's /usr/bin/chromium.`,
    };
  }
  const packages = missing.map((n) => n.package);
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...packages];
  const list = missing.map((n) => `  ${n.tool}: ${n.why}`).join('\n');
  if (machine.hasApt && machine.isRoot) {
    // Waits for another apt (an unattended upgrade, a second test run) instead of failing at once.
    const waiting = ['-o', 'DPkg::Lock::Timeout=300'];
    return {
      action: 'install',
      packages,
      commands: [
        ['apt-get', ...waiting, 'update'],
        ['apt-get', ...waiting, ...install.slice(1)],
      ],
    };
  }
  if (machine.hasApt) {
    return {
      action: 'stop',
      message: `The tests need:\n${list}\nInstall them, then run npm test again:\n\n  sudo apt-get update && sudo ${install.join(' ')}\n`,
    };
  }
  return {
    action: 'stop',
    message: `The tests need:\n${list}\nThis machine has no apt-get. Install ${packages.join(' and ')} with its package manager (on Debian: apt-get install ${packages.join(' ')}), then run npm test again.\n`,
  };
}

/** The one command that starts the machine's PostgreSQL cluster (what the environment notes give). */
export const PG_START_COMMAND = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/**
 * The PostgreSQL ledger specs need the local server on 127.0.0.1:5432.
 * @param {{ listening: boolean, isRoot: boolean, hasPgCtlcluster: boolean, versions: string[] }} machine
 *   versions: the entries of /etc/postgresql (one per installed major, e.g. ['15']).
 * @returns {{ action: 'none' } | { action: 'start', command: string[] } | { action: 'stop', message: string }}
 */
export function planPostgres(machine) {
  if (machine.listening) return { action: 'none' };
  if (machine.hasPgCtlcluster && machine.isRoot && machine.versions.length === 1) {
    return { action: 'start', command: ['pg_ctlcluster', '--skip-systemctl-redirect', machine.versions[0], 'main', 'start'] };
  }
  const why =
    !machine.hasPgCtlcluster || machine.versions.length === 0
      ? "PostgreSQL does not seem to be installed (no pg_ctlcluster, or nothing in /etc/postgresql): install Debian's postgresql package, then"
      : 'Start it';
  return {
    action: 'stop',
    message: `The PostgreSQL ledger specs need PostgreSQL on 127.0.0.1:5432 (trust auth, database test), and nothing listens there. ${why} run:\n\n  ${PG_START_COMMAND}\n`,
  };
}

/** The command that starts the local Redis the specs use (what the environment notes give, minus its log file). */
export const REDIS_START_COMMAND = 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no';

/**
 * The Redis registry specs need a Redis on 127.0.0.1:6379. Starting one needs no privilege, only
 * the binary (which the package step above installs when it can).
 * @param {{ listening: boolean, hasRedisServer: boolean }} machine
 * @returns {{ action: 'none' } | { action: 'start', command: string[] } | { action: 'stop', message: string }}
 */
export function planRedis(machine) {
  if (machine.listening) return { action: 'none' };
  if (machine.hasRedisServer) {
    return {
      action: 'start',
      command: ['redis-server', '--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no'],
    };
  }
  return {
    action: 'stop',
    message: `The Redis registry specs need Redis on 127.0.0.1:6379, and nothing listens there. Install Debian's redis-server package, then run:\n\n  ${REDIS_START_COMMAND}\n`,
  };
}
