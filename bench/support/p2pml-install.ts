/**
 * Installs the p2p-media-loader baseline on demand into bench/.baselines/p2pml (gitignored), never
 * into the project's dependencies: `npm install` and CI must not depend on it. Versions are pinned
 * so that runs compare; install scripts are skipped (bittorrent-tracker's node-datachannel would
 * download a prebuilt binary, which fails offline, and only its server side is used here).
 *
 *   npx tsx bench/support/p2pml-install.ts     (install now, e.g. before a run inside a namespace)
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const P2PML_DIR = path.resolve(__dirname, '../.baselines/p2pml');
export const P2PML_PACKAGES: Record<string, string> = {
  'p2p-media-loader-core': '2.3.1',
  'p2p-media-loader-hlsjs': '2.3.1',
  'bittorrent-tracker': '11.2.3',
};
const INSTALL_TIMEOUT_MS = 180_000;

export const packageDir = (name: string): string => path.join(P2PML_DIR, 'node_modules', name);

function installedVersion(name: string): string | undefined {
  const file = path.join(packageDir(name), 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Packages missing or at another version than pinned. */
export function missingPackages(): string[] {
  return Object.entries(P2PML_PACKAGES)
    .filter(([name, version]) => installedVersion(name) !== version)
    .map(([name, version]) => `${name}@${version}`);
}

export type InstallOutcome = { ok: true } | { ok: false; reason: string };

/** Installs what is missing; resolves with the reason instead of throwing, so a bench can skip the mode. */
export function ensureP2pmlInstalled(log: (line: string) => void = console.log): Promise<InstallOutcome> {
  const missing = missingPackages();
  if (missing.length === 0) return Promise.resolve({ ok: true });
  log(`p2p-media-loader baseline: installing ${missing.join(' ')} into ${path.relative(process.cwd(), P2PML_DIR)}`);
  const args = ['install', '--prefix', P2PML_DIR, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--fetch-retries=0'];
  return new Promise((resolve) => {
    let output = '';
    const npm = spawn('npm', [...args, ...missing], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => npm.kill('SIGTERM'), INSTALL_TIMEOUT_MS);
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `npm could not start: ${err.message}` });
    });
    npm.on('close', (code, signal) => {
      clearTimeout(timer);
      const still = missingPackages();
      if (still.length === 0) resolve({ ok: true });
      else {
        const why = signal ? `npm was stopped after ${INSTALL_TIMEOUT_MS / 1000} s` : `npm install exited with ${code}`;
        resolve({ ok: false, reason: `${why}; still missing ${still.join(' ')}: ${output.trim().split('\n').slice(-3).join(' / ')}` });
      }
    });
  });
}

if (require.main === module) {
  ensureP2pmlInstalled().then((outcome) => {
    console.log(outcome.ok ? `p2p-media-loader baseline installed in ${P2PML_DIR}` : `p2p-media-loader baseline not installed: ${outcome.reason}`);
    process.exit(outcome.ok ? 0 : 1);
  });
}
