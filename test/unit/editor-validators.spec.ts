// The editor validates number fields with the rules the runtime applies at deploy
// (nodes/<name>/number-fields.ts through lib/config-number.ts): a value the editor accepts is
// never refused at deploy, and one it would refuse at deploy is marked invalid in the editor.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { configNumber } from '../../lib/config-number';
import { HLS_WATCH_NUMBERS } from '../../nodes/hls-watch/number-fields';
import { MANIFEST_NUMBERS } from '../../nodes/manifest/number-fields';
import { R2_UPLOAD_NUMBERS } from '../../nodes/r2-upload/number-fields';
import { POSTGRES_NUMBERS } from '../../lib/postgres/settings';

type Validate = (this: unknown, value: unknown) => boolean;

/** Runs an editor .html's scripts against a stand-in RED and returns each type's defaults. */
function editorDefaults(node: string): Record<string, Record<string, { value?: unknown; validate?: Validate }>> {
  const html = readFileSync(path.resolve(__dirname, '../../nodes', node, `${node}.html`), 'utf8');
  const types: Record<string, Record<string, { value?: unknown; validate?: Validate }>> = {};
  // Node-RED's own validators, as the editor defines them (editor-client/src/js/validators.js).
  const validators = {
    number: (blankAllowed?: boolean) => (v: unknown) => (blankAllowed && (v === '' || v === undefined)) || (v !== '' && !Number.isNaN(Number(v))),
    regex: (re: RegExp) => (v: unknown) => re.test(String(v)),
  };
  const RED = { nodes: { registerType: (type: string, def: { defaults: Record<string, { value?: unknown; validate?: Validate }> }) => { types[type] = def.defaults; } }, validators, settings: {}, _: (k: string) => k };
  for (const [, code] of html.matchAll(/<script[^>]*type=["']text\/javascript["'][^>]*>([\s\S]*?)<\/script>/g)) {
    vm.runInNewContext(code, { RED, $: () => ({ on: () => undefined, toggle: () => undefined, is: () => false }) });
  }
  return types;
}

const cases: Array<[string, string, Record<string, { field: string; fallback: number; min: number; max: number; integer?: boolean }>]> = [
  ['r2-upload', 'relaycast-r2-upload', R2_UPLOAD_NUMBERS],
  ['hls-watch', 'relaycast-hls-watch', HLS_WATCH_NUMBERS],
  ['manifest', 'relaycast-manifest', MANIFEST_NUMBERS],
  ['postgres', 'relaycast-postgres', POSTGRES_NUMBERS],
];

describe('editor validators follow the runtime rules for number fields', () => {
  for (const [node, type, rules] of cases) {
    it(`${type}: every number field accepts exactly what the runtime accepts`, () => {
      const defaults = editorDefaults(node)[type];
      assert.ok(defaults, `${type} not registered`);
      for (const [name, rule] of Object.entries(rules)) {
        const validate = defaults[name]?.validate;
        assert.equal(typeof validate, 'function', `${type}.${name} has no validator`);
        const step = rule.integer ? 1 : rule.min > 0 && rule.min < 1 ? rule.min / 2 : 0.5;
        const samples: unknown[] = [rule.min, rule.max, rule.fallback, rule.min - step, rule.max + step, -3, 'abc', '4x', String(rule.max)];
        if (rule.integer) samples.push(rule.min + 0.5);
        for (const sample of samples) {
          let runtime: boolean;
          try { configNumber(sample, { ...rule, code: 'E_X' }); runtime = true; } catch { runtime = false; }
          assert.equal(validate!.call({}, sample), runtime, `${type}.${name} = ${JSON.stringify(sample)}: editor ${runtime ? 'refuses' : 'accepts'} what the runtime ${runtime ? 'accepts' : 'refuses'}`);
        }
        assert.equal(validate!.call({}, defaults[name]!.value), true, `${type}.${name}: its own default is valid`);
      }
    });
  }
});
