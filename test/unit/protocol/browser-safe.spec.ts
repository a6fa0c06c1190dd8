// lib/protocol is shared by the browser loader, the viewer page and Node: it must bundle for a browser
// with nothing of Node or Node-RED in it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { build } from 'esbuild';

describe('lib/protocol is browser-safe', () => {
  it('bundles for the browser, and every module it pulls in is its own or valibot', async function () {
    this.timeout(20_000);
    const root = path.resolve(__dirname, '..', '..', '..');
    const result = await build({
      entryPoints: [path.join(root, 'lib', 'protocol', 'index.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'browser',
      format: 'esm',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.some((i) => i.startsWith('lib/protocol/')));
    for (const input of inputs) {
      assert.ok(/^(lib\/protocol\/|node_modules\/valibot\/)/.test(input), `${input} is not part of the browser-safe protocol`);
    }
  });
});
