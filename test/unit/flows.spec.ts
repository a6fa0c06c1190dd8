// Every example flow (flows/) and the demo flow (demo/flows.json) sets each field its node's editor
// marks required (defaults with required: true in nodes/<name>/<name>.html): a flow that leaves one
// out is marked invalid as soon as it is imported.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';

const root = path.resolve(__dirname, '../..');

/** type → the names of its required defaults, read from the editor's literal registerType call. */
function requiredFields(): Map<string, string[]> {
  const required = new Map<string, string[]>();
  for (const name of readdirSync(path.join(root, 'nodes'))) {
    let html: string;
    try {
      html = readFileSync(path.join(root, 'nodes', name, `${name}.html`), 'utf8');
    } catch {
      continue;
    }
    for (const [, code] of html.matchAll(/<script[^>]*type=["']text\/javascript["'][^>]*>([\s\S]*?)<\/script>/g)) {
      walk.simple(acorn.parse(code, { ecmaVersion: 'latest' }), {
        CallExpression(node: any) {
          if (node.callee?.property?.name !== 'registerType') return;
          const [type, def] = node.arguments;
          const defaults = def?.properties?.find((p: any) => p.key?.name === 'defaults')?.value;
          if (!defaults) return;
          required.set(
            type.value,
            defaults.properties
              .filter((p: any) => p.value.properties?.some((q: any) => q.key?.name === 'required' && q.value.value === true))
              .map((p: any) => p.key.name ?? p.key.value),
          );
        },
      });
    }
  }
  return required;
}

describe('example and demo flows', () => {
  const required = requiredFields();
  const files = [
    ...readdirSync(path.join(root, 'flows'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => path.join(root, 'flows', f)),
    path.join(root, 'demo', 'flows.json'),
  ];

  it('reads the required fields of every Relaycast node type from its editor', () => {
    assert.ok(required.get('relaycast-manifest')?.includes('idleEndSeconds'), JSON.stringify([...required]));
    assert.ok(required.get('relaycast-hls-watch')?.includes('path'));
  });

  for (const file of files) {
    it(`${path.relative(root, file)} sets every required field of each Relaycast node`, () => {
      const nodes = JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>;
      const missing = nodes.flatMap((n) =>
        (required.get(String(n.type)) ?? []).filter((field) => n[field] === undefined).map((field) => `${String(n.type)} ${String(n.id)}: ${field}`),
      );
      assert.deepEqual(missing, []);
    });
  }
});
