// The README's "Install without the registry" routes, as an operator takes them: `npm pack` in the
// clone, then the tarball into a fresh Node-RED userDir either with `npm install <tarball>` or with
// the palette manager's "upload module"; a real Node-RED on that userDir (nothing of this checkout
// on its node path) lists every Relaycast node from it, and the installed `relaycast-supporter` runs.
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
// --ignore-scripts (or its npm_config_ form for the npm that Node-RED's palette runs): the one
// install script among the dependencies is better-sqlite3's (optional, payout's ledger on Node 20
// only), which without GitHub for its prebuilt binary compiles SQLite from source, minutes on a busy
// machine. Nothing these checks use needs a script.
const NO_SCRIPTS = { npm_config_ignore_scripts: 'true' };

/** The environment without what `npm test` hands its scripts (npm_config_*, npm_package_*), as in a fresh shell. */
function shellEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
}

/** A userDir as `node-red` creates it: a package.json that installs go into. */
function newUserDir(parent: string, name: string): string {
  const userDir = path.join(parent, name);
  mkdirSync(userDir);
  writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
  return userDir;
}

/** Every node set of package.json loaded, enabled and without error, from <userDir>/node_modules. */
async function assertLoadedFrom(nodeRed: NodeRedProcess, userDir: string): Promise<void> {
  const json = { headers: { Accept: 'application/json' } };
  const sets = (await (await fetch(`${nodeRed.base}/nodes`, json)).json()) as Array<{
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
  const module = (await (await fetch(`${nodeRed.base}/nodes/${PACKAGE.name}`, json)).json()) as { path: string; user: boolean };
  assert.equal(realpathSync(module.path), realpathSync(path.join(userDir, 'node_modules', ...PACKAGE.name.split('/'))), 'loaded from the userDir');
  assert.equal(module.user, true, 'a module of the userDir');
  const examples = (await (await fetch(`${nodeRed.base}/library/examples/flows/`)).json()) as string[];
  assert.ok(examples.includes(PACKAGE.name), 'Import ▸ Examples lists the installed package');
}

describe('install without the registry: npm pack, then the tarball into a userDir', function () {
  // npm pack builds (prepack); each install takes the dependencies from the npm cache or registry.
  this.timeout(300_000);
  let dir: string;
  let tarball: string;
  let nodeRed: NodeRedProcess | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-install-'));
    const { stdout } = await run('npm', ['pack', '--pack-destination', dir], { cwd: REPO_ROOT, env: shellEnv(), maxBuffer: 16 * 1024 * 1024 });
    tarball = path.join(dir, stdout.trim().split('\n').pop()!);
  });

  afterEach(async () => {
    await nodeRed?.stop();
    nodeRed = undefined;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('npm install <tarball> in the userDir: Node-RED loads every node from it, and npx relaycast-supporter runs there', async () => {
    const userDir = newUserDir(dir, 'cli');
    await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: userDir,
      env: { ...shellEnv(), ...NO_SCRIPTS },
      maxBuffer: 16 * 1024 * 1024,
    });
    // nodesDir empty: the nodes can come only from <userDir>/node_modules.
    nodeRed = await startNodeRed({ userDir, flows: [], settings: { nodesDir: [] } });
    await assertLoadedFrom(nodeRed, userDir);
    const { stdout } = await run('npx', ['--no-install', 'relaycast-supporter', '--help'], { cwd: userDir, env: shellEnv() });
    assert.match(stdout, /^usage: relaycast-supporter --signaling/);
  });

  it("the palette manager's upload module (POST /nodes with the tgz): the nodes appear without a restart", async () => {
    const userDir = newUserDir(dir, 'palette');
    nodeRed = await startNodeRed({
      userDir,
      flows: [],
      settings: { nodesDir: [], externalModules: { autoInstall: false, palette: { allowInstall: true, allowUpload: true } } },
      env: NO_SCRIPTS,
    });
    const form = new FormData();
    form.append('tarball', new Blob([readFileSync(tarball)], { type: 'application/gzip' }), path.basename(tarball));
    const res = await fetch(`${nodeRed.base}/nodes`, { method: 'POST', body: form });
    assert.equal(res.status, 200, await res.clone().text());
    await assertLoadedFrom(nodeRed, userDir);
  });
});
