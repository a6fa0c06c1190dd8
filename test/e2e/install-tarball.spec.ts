// The README's "Install without the registry" route, as an operator takes it: `npm pack` in the
// clone, `npm install <tarball>` in a fresh Node-RED userDir, a real Node-RED started on that userDir
// (nothing of this checkout on its node path) lists every Relaycast node, and the installed
// `relaycast-supporter` command runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startNodeRed, type NodeRedProcess } from '../support/node-red-process';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(__dirname, '../..');
const PACKAGE = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  'node-red': { nodes: Record<string, string> };
};

/** The environment without what `npm test` hands its scripts (npm_config_*, npm_package_*), as in a fresh shell. */
function shellEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
}

describe('install without the registry: npm pack, npm install <tarball> in a userDir', function () {
  // npm pack builds (prepack), npm install takes its dependencies from the npm cache or registry.
  this.timeout(300_000);
  let dir: string;
  let userDir: string;
  let nodeRed: NodeRedProcess | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-install-'));
    userDir = path.join(dir, 'node-red');
    const { stdout } = await run('npm', ['pack', '--pack-destination', dir], { cwd: REPO_ROOT, env: shellEnv(), maxBuffer: 16 * 1024 * 1024 });
    const tarball = path.join(dir, stdout.trim().split('\n').pop()!);
    // What `node-red` creates in a new userDir: a package.json that the palette's installs go into.
    mkdirSync(userDir);
    writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    // --ignore-scripts: the one install script among the dependencies is better-sqlite3's (optional,
    // payout's ledger on Node 20 only), which without GitHub for its prebuilt binary compiles SQLite
    // from source, minutes on a busy machine. Everything these checks use needs no script.
    await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], {
      cwd: userDir,
      env: shellEnv(),
      maxBuffer: 16 * 1024 * 1024,
    });
  });

  after(async () => {
    await nodeRed?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a Node-RED started on that userDir loads every Relaycast node set from it, without error', async () => {
    // nodesDir empty: the nodes can come only from <userDir>/node_modules.
    nodeRed = await startNodeRed({ userDir, flows: [], settings: { nodesDir: [] } });
    const sets = (await (await fetch(`${nodeRed.base}/nodes`, { headers: { Accept: 'application/json' } })).json()) as Array<{
      module: string;
      version: string;
      types: string[];
      enabled: boolean;
      err?: string;
    }>;
    const ours = sets.filter((set) => set.module === PACKAGE.name);
    assert.equal(ours.length, Object.keys(PACKAGE['node-red'].nodes).length, 'one node set per entry of package.json');
    assert.deepEqual(
      ours.filter((set) => !set.enabled || set.err).map((set) => set.err),
      [],
    );
    assert.ok(
      ours.every((set) => set.version === PACKAGE.version),
      'the installed version',
    );
    const types = ours.flatMap((set) => set.types);
    for (const type of [
      'relaycast-ingest',
      'relaycast-hls-watch',
      'relaycast-r2-upload',
      'relaycast-manifest',
      'relaycast-signaling',
      'relaycast-payout',
      'relaycast-supporter',
    ]) {
      assert.ok(types.includes(type), `${type} registered`);
    }
    const modules = (await (await fetch(`${nodeRed.base}/library/examples/flows/`)).json()) as string[];
    assert.ok(modules.includes(PACKAGE.name), 'Import ▸ Examples lists the installed package');
    // Loaded from the installed copy: the module's path is in the userDir.
    const module = (await (await fetch(`${nodeRed.base}/nodes/${PACKAGE.name}`, { headers: { Accept: 'application/json' } })).json()) as {
      path: string;
      user: boolean;
    };
    assert.equal(realpathSync(module.path), realpathSync(path.join(userDir, 'node_modules', ...PACKAGE.name.split('/'))));
    assert.equal(module.user, true, 'a module of the userDir');
  });

  it('the installed relaycast-supporter command runs (npx in the userDir)', async () => {
    const { stdout } = await run('npx', ['--no-install', 'relaycast-supporter', '--help'], { cwd: userDir, env: shellEnv() });
    assert.match(stdout, /^usage: relaycast-supporter --signaling/);
  });
});
