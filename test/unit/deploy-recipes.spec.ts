// The "Put it online" files agree with each other and keep secrets out of the unit: the systemd unit
// reads the R2 keys from its EnvironmentFile only, that file names every ${…} the example flows'
// r2-bucket nodes read, and Node-RED listens on the loopback address and port Caddy proxies to.
// (Caddy itself runs docs/deploy/Caddyfile in test/e2e/online-caddy.spec.ts.)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');
const DEPLOY = path.join(REPO_ROOT, 'docs', 'deploy');
const unit = readFileSync(path.join(DEPLOY, 'node-red.service'), 'utf8');
const envExample = readFileSync(path.join(DEPLOY, 'relaycast.env.example'), 'utf8');
const caddyfile = readFileSync(path.join(DEPLOY, 'Caddyfile'), 'utf8');

/** Values of `key=` lines of the unit (comments skipped). */
function directives(key: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

const envVariables = envExample
  .split('\n')
  .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
  .filter((name): name is string => name !== undefined);

describe('docs/deploy: the systemd unit, its environment file and the Caddyfile', () => {
  it('the unit reads its environment file from where the example says to install it', () => {
    const [file] = directives('EnvironmentFile');
    assert.equal(directives('EnvironmentFile').length, 1);
    assert.match(envExample.split('\n')[0], new RegExp(`^# ${file.replace(/\./g, '\\.')}:`));
  });

  it("no secret is set in the unit: none of the environment file's variables, nothing named like a key", () => {
    const assigned = directives('Environment').flatMap((value) => value.split(/\s+/).map((pair) => pair.split('=')[0]));
    assert.ok(assigned.length > 0, 'the unit sets its harmless variables itself');
    for (const name of assigned) {
      assert.ok(!envVariables.includes(name), `${name} belongs in the environment file`);
      assert.doesNotMatch(name, /SECRET|KEY|TOKEN|PASSWORD/, `${name} looks like a secret`);
    }
    assert.doesNotMatch(directives('ExecStart').join(' '), /\$\{?[A-Z_]*(SECRET|KEY|TOKEN|PASSWORD)/, 'no secret on the command line (ps shows it)');
  });

  it("the environment file names every ${…} the example flows' r2-bucket nodes read, and the credential secret", () => {
    const read = new Set<string>();
    for (const file of readdirSync(path.join(REPO_ROOT, 'flows')).filter((name) => name.endsWith('.json'))) {
      const nodes = JSON.parse(readFileSync(path.join(REPO_ROOT, 'flows', file), 'utf8')) as Array<Record<string, unknown>>;
      for (const node of nodes.filter((n) => n.type === 'relaycast-r2-bucket')) {
        for (const match of JSON.stringify(node).matchAll(/\$\{([A-Z0-9_]+)\}/g)) read.add(match[1]);
      }
    }
    assert.ok(read.size > 0, 'the example flows read R2 settings from the environment');
    for (const name of [...read, 'NODE_RED_CREDENTIAL_SECRET']) assert.ok(envVariables.includes(name), `${name} in relaycast.env.example`);
    // An example, not a secret: every value is empty.
    assert.deepEqual(
      envExample.split('\n').filter((line) => /^[A-Z][A-Z0-9_]*=./.test(line)),
      [],
    );
  });

  it('Node-RED runs on its state directory and listens on the loopback address and port Caddy proxies to', () => {
    const [execStart] = directives('ExecStart');
    const userDir = /--userDir (\S+)/.exec(execStart)?.[1];
    assert.equal(userDir, `/var/lib/${directives('StateDirectory')[0]}`);
    const port = /--port (\d+)/.exec(execStart)?.[1];
    assert.match(execStart, /-D uiHost=127\.0\.0\.1(\s|$)/);
    assert.match(caddyfile, new RegExp(`^\\s*reverse_proxy 127\\.0\\.0\\.1:${port}$`, 'm'));
  });
});
