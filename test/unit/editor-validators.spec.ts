// The editor validates number fields with the rules the runtime applies at deploy
// (nodes/<name>/number-fields.ts through lib/config/config-number.ts): a value the editor accepts is
// never refused at deploy, and one it would refuse at deploy is marked invalid in the editor.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { configNumber } from '../../lib/config/config-number';
import { iceModeFromConfig, iceServersFromConfig, publicHostFromConfig } from '../../nodes/signaling/config';
import { resolveBucketSettings } from '../../lib/upload/bucket-settings';
import { HLS_WATCH_NUMBERS } from '../../nodes/hls-watch/number-fields';
import { INGEST_NUMBERS } from '../../nodes/ingest/number-fields';
import { MANIFEST_NUMBERS } from '../../nodes/manifest/number-fields';
import { R2_UPLOAD_NUMBERS } from '../../nodes/r2-upload/number-fields';
import { REDIS_NUMBERS } from '../../nodes/redis/number-fields';
import { POSTGRES_NUMBERS } from '../../lib/postgres/number-fields';
import { SIGNALING_NUMBERS } from '../../nodes/signaling/number-fields';
import { SUPPORTER_NUMBERS } from '../../lib/supporter/number-fields';
import { PAYOUT_NUMBERS } from '../../nodes/payout/number-fields';

type Validate = (this: unknown, value: unknown, options?: unknown) => unknown;

/**
 * What the editor makes of a validator's answer (editor-client's validateNodeProperty): a string
 * is a refusal with its reason only from a validator of two parameters (Node-RED's 3.x form); any
 * other answer is coerced to a boolean, so a one-parameter validator that returns a reason is
 * taken as valid.
 */
function verdictOf(validate: Validate, node: unknown, value: unknown): boolean | string {
  const answer = validate.call(node, value, {});
  if ((validate.length === 2 && typeof answer === 'string') || Array.isArray(answer)) return answer as string;
  return Boolean(answer);
}

interface EditorDefinition {
  defaults: Record<string, { value?: unknown; validate?: Validate }>;
  oneditprepare?: (this: unknown) => void;
}

/**
 * Runs an editor .html's scripts against a stand-in RED and returns each type's definition. `built`:
 * the file as the package ships it (dist/, after the build inlined shared rules into it). `$` is a
 * stand-in jQuery that records the values the dialog code sets (`$('#x').val(v)` → vals['#x']).
 */
function editorDefinitions(node: string, built = false, vals: Record<string, unknown> = {}): Record<string, EditorDefinition> {
  const html = readFileSync(path.resolve(__dirname, '../..', built ? 'dist/nodes' : 'nodes', node, `${node}.html`), 'utf8');
  const types: Record<string, EditorDefinition> = {};
  // Node-RED's own validators, as the editor defines them (editor-client/src/js/validators.js).
  const validators = {
    number: (blankAllowed?: boolean) => (v: unknown) => (blankAllowed && (v === '' || v === undefined)) || (v !== '' && !Number.isNaN(Number(v))),
    regex: (re: RegExp) => (v: unknown) => re.test(String(v)),
  };
  const RED = {
    nodes: {
      registerType: (type: string, def: EditorDefinition) => {
        types[type] = def;
      },
    },
    validators,
    settings: {},
    _: (k: string) => k,
  };
  const $ = (selector: string) => {
    const element = {
      on: () => element,
      toggle: () => element,
      is: () => false,
      attr: () => element,
      map: () => ({ get: () => [] }),
      val: (value?: unknown) => {
        if (value === undefined) return vals[selector];
        vals[selector] = value;
        return element;
      },
    };
    return element;
  };
  for (const [, code] of html.matchAll(/<script[^>]*type=["']text\/javascript["'][^>]*>([\s\S]*?)<\/script>/g)) {
    vm.runInNewContext(code, { RED, URL, $ });
  }
  return types;
}

/** Each type's defaults, as editorDefinitions runs them. */
function editorDefaults(node: string, built = false): Record<string, Record<string, { value?: unknown; validate?: Validate }>> {
  return Object.fromEntries(Object.entries(editorDefinitions(node, built)).map(([type, def]) => [type, def.defaults]));
}

type Rules = Record<string, { field: string; fallback: number; min: number; max: number; integer?: boolean }>;
/** [folder, type, the runtime's rules, where the rules file is that the build inlines into the .html (none: a copy in the .html)] */
const cases: Array<[string, string, Rules, string?]> = [
  ['r2-upload', 'relaycast-r2-upload', R2_UPLOAD_NUMBERS, 'nodes/r2-upload/number-fields.ts'],
  ['hls-watch', 'relaycast-hls-watch', HLS_WATCH_NUMBERS, 'nodes/hls-watch/number-fields.ts'],
  ['ingest', 'relaycast-ingest', INGEST_NUMBERS, 'nodes/ingest/number-fields.ts'],
  ['manifest', 'relaycast-manifest', MANIFEST_NUMBERS, 'nodes/manifest/number-fields.ts'],
  ['redis', 'relaycast-redis', REDIS_NUMBERS, 'nodes/redis/number-fields.ts'],
  ['postgres', 'relaycast-postgres', POSTGRES_NUMBERS, 'lib/postgres/number-fields.ts'],
  ['signaling', 'relaycast-signaling', SIGNALING_NUMBERS, 'nodes/signaling/number-fields.ts'],
  ['supporter', 'relaycast-supporter', SUPPORTER_NUMBERS, 'lib/supporter/number-fields.ts'],
  ['payout', 'relaycast-payout', PAYOUT_NUMBERS, 'nodes/payout/number-fields.ts'],
];

describe('editor validators follow the runtime rules for number fields', () => {
  for (const [node, type, rules, inlined] of cases) {
    it(`${type}: every number field accepts exactly what the runtime accepts`, () => {
      const defaults = editorDefaults(node, inlined !== undefined)[type];
      assert.ok(defaults, `${type} not registered`);
      for (const [name, rule] of Object.entries(rules)) {
        const validate = defaults[name]?.validate;
        assert.equal(typeof validate, 'function', `${type}.${name} has no validator`);
        const step = rule.integer ? 1 : rule.min > 0 && rule.min < 1 ? rule.min / 2 : 0.5;
        const samples: unknown[] = [rule.min, rule.max, rule.fallback, rule.min - step, rule.max + step, -3, 'abc', '4x', String(rule.max)];
        if (rule.integer) samples.push(rule.min + 0.5, 2.5, '2.5');
        for (const sample of samples) {
          let runtime: true | string;
          try {
            configNumber(sample, { ...rule, code: 'E_X' });
            runtime = true;
          } catch (err) {
            runtime = (err as Error).message;
          }
          const verdict = verdictOf(validate!, {}, sample);
          const accepts = runtime === true;
          assert.equal(
            verdict === true,
            accepts,
            `${type}.${name} = ${JSON.stringify(sample)}: editor ${accepts ? 'refuses' : 'accepts'} what the runtime ${accepts ? 'accepts' : 'refuses'}`,
          );
          // A refusal the editor explains is the deploy's own message.
          if (typeof verdict === 'string') assert.equal(verdict, runtime, `${type}.${name} = ${JSON.stringify(sample)}`);
        }
        assert.equal(verdictOf(validate!, {}, defaults[name]!.value), true, `${type}.${name}: its own default is valid`);
        assert.equal(verdictOf(validate!, {}, String(rule.fallback)), true, `${type}.${name}: the runtime's default is valid`);
      }
    });
    if (inlined === undefined) continue;
    it(`${type}: the rules come from ${inlined}, inlined by the build: no copy in the source, every field says why`, () => {
      const source = readFileSync(path.resolve(__dirname, '../../nodes', node, `${node}.html`), 'utf8');
      assert.match(source, /relaycast:inline lib\/config\/number-rule\.ts as RelaycastNumberRule/);
      assert.ok(source.includes(`relaycast:inline ${inlined} as `), `${node}.html inlines ${inlined}`);
      assert.doesNotMatch(source, /RED\.validators\.number\(/, 'no bare number validator is left');
      const defaults = editorDefaults(node, true)[type]!;
      for (const [name, rule] of Object.entries(rules)) {
        assert.equal(
          verdictOf(defaults[name]!.validate!, {}, -3),
          `${rule.field} must be ${rule.integer ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}, got -3`,
        );
      }
    });
  }
});

describe('editor validators follow the runtime rules for r2-bucket fields', () => {
  const valid = {
    provider: 's3',
    accountId: '',
    endpoint: 'http://127.0.0.1:9000',
    bucket: 'media',
    publicBaseUrl: 'https://media.example.com',
    keyPrefix: 'live',
  };
  const samples: Record<string, unknown[]> = {
    provider: ['r2', 'r2-eu', 's3', 'gcs'],
    accountId: ['0123456789abcdef0123456789abcdef', '', 'has space', 'a'.repeat(65), 'dash-ed'],
    endpoint: ['http://127.0.0.1:9000', 'https://s3.example.com/', 'ftp://x', 'not a url', ''],
    bucket: ['media', 'my.bucket-1', 'ab', 'Upper', '-lead', 'a'.repeat(64), ''],
    publicBaseUrl: ['https://media.example.com', 'http://127.0.0.1:9000/media/', 'media.example.com', ''],
    keyPrefix: ['live', '', 'a/b/', 'a/../b', './x'],
  };

  it('the rules come from lib/upload/bucket-fields.ts, inlined by the build: no copy in the source', () => {
    const source = readFileSync(path.resolve(__dirname, '../../nodes/r2-bucket/r2-bucket.html'), 'utf8');
    assert.match(source, /relaycast:inline lib\/upload\/bucket-fields\.ts as RelaycastBucketFields/);
    assert.doesNotMatch(source, /a-z0-9\]\[a-z0-9\.-\]/, 'the bucket-name pattern lives in one place');
  });

  /** The node as the editor judges it: each field's validator in turn (the first refusal is shown). */
  function editorVerdict(config: Record<string, unknown>): string | true {
    const defaults = editorDefaults('r2-bucket', true)['relaycast-r2-bucket']!;
    for (const [field, property] of Object.entries(defaults)) {
      if (!property.validate) continue;
      const verdict = verdictOf(property.validate, config, config[field]);
      if (verdict !== true) return verdict as string;
    }
    return true;
  }

  it('a ${NAME} field is left to the deploy (Node-RED expands it there); every bucket in flows/ and demo/ is valid in the editor', () => {
    assert.equal(editorVerdict({ ...valid, endpoint: '${RELAYCAST_S3_ENDPOINT}', bucket: '${BUCKET}' }), true);
    assert.notEqual(editorVerdict({ ...valid, bucket: 'has ${BUCKET} inside' }), true, 'only a whole-field reference');
    const root = path.resolve(__dirname, '../..');
    const files = [...readdirSync(path.join(root, 'flows')).map((f) => path.join(root, 'flows', f)), path.join(root, 'demo', 'flows.json')];
    let buckets = 0;
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      for (const node of JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>) {
        if (node.type !== 'relaycast-r2-bucket') continue;
        assert.equal(editorVerdict(node), true, `${path.basename(file)}: ${String(node.id)}`);
        buckets += 1;
      }
    }
    assert.ok(buckets >= 3, `${buckets} buckets`);
  });

  for (const provider of ['r2', 's3']) {
    it(`provider ${provider}: every field accepts exactly what resolveBucketSettings accepts, and says why not`, () => {
      const defaults = editorDefaults('r2-bucket', true)['relaycast-r2-bucket'];
      assert.ok(defaults, 'relaycast-r2-bucket not registered');
      const base = { ...valid, provider, accountId: provider === 's3' ? '' : '0123456789abcdef0123456789abcdef' };
      let compared = 0;
      for (const [field, values] of Object.entries(samples)) {
        assert.equal(typeof defaults[field]?.validate, 'function', `${field} has no validator`);
        for (const value of values) {
          const config = { ...base, [field]: value };
          let runtime: string | true;
          try {
            resolveBucketSettings(config);
            runtime = true;
          } catch (err) {
            runtime = (err as Error).message;
          }
          assert.equal(editorVerdict(config), runtime, `${field} = ${JSON.stringify(value)} (provider ${provider})`);
          compared += 1;
        }
      }
      assert.ok(compared > 25);
    });
  }
});

describe('editor validators follow the runtime rules for the signaling ICE fields', () => {
  /** What the deploy makes of a config: its value, or the message it refuses with. */
  function runtime<T>(apply: () => T): T | { refused: string } {
    try {
      return apply();
    } catch (err) {
      return { refused: (err as Error).message };
    }
  }

  it('the rules come from lib/signaling/ice-mode.ts and stun-host.ts, inlined by the build: no copy in the source', () => {
    const source = readFileSync(path.resolve(__dirname, '../../nodes/signaling/signaling.html'), 'utf8');
    assert.ok(source.includes('relaycast:inline lib/signaling/ice-mode.ts as RelaycastIceMode'));
    assert.ok(source.includes('relaycast:inline lib/signaling/stun-host.ts as RelaycastStunHost'));
    assert.doesNotMatch(source, /v === 'relaycast'|'\[\]'/, 'no hand-written mode rule is left in the dialog');
  });

  it('ICE mode: the editor accepts exactly the modes the deploy accepts, and the dialog preselects the mode the runtime runs', () => {
    const modes: unknown[] = ['', undefined, 'relaycast', 'custom', 'none', ' custom ', 'google', 'Relaycast', 3];
    const lists = ['', '   ', '[]', ' [ \n ] ', '[{"urls":"stun:stun.example.org:3478"}]', '[{"urls":["turn:relay.example.org"]}]'];
    let compared = 0;
    for (const iceMode of modes) {
      for (const iceServers of lists) {
        const config = { iceMode: iceMode as string, iceServers };
        const deploy = runtime(() => {
          iceServersFromConfig(config, {});
          return iceModeFromConfig(config);
        });
        const vals: Record<string, unknown> = {};
        const def = editorDefinitions('signaling', true, vals)['relaycast-signaling']!;
        const verdict = verdictOf(def.defaults.iceMode!.validate!, config, iceMode);
        const what = `iceMode ${JSON.stringify(iceMode)}, iceServers ${JSON.stringify(iceServers)}`;
        if (typeof deploy === 'object') {
          assert.equal(verdict, deploy.refused, `${what}: the editor refuses with the deploy's message`);
        } else {
          assert.equal(verdict, true, `${what}: the editor accepts what the deploy runs as ${deploy}`);
          def.oneditprepare!.call({ ...config, _def: def });
          assert.equal(vals['#node-input-iceMode'], deploy, `${what}: the dialog shows the mode the runtime runs`);
        }
        compared += 1;
      }
    }
    assert.equal(compared, modes.length * lists.length);
  });

  it('a flow saved with an ICE list and no mode keeps its list, in the dialog as at deploy', () => {
    const config = { iceMode: '', iceServers: '[{"urls":"turn:relay.example.org"}]' };
    assert.equal(iceModeFromConfig(config), 'custom');
    const vals: Record<string, unknown> = {};
    const def = editorDefinitions('signaling', true, vals)['relaycast-signaling']!;
    def.oneditprepare!.call({ ...config, _def: def });
    assert.equal(vals['#node-input-iceMode'], 'custom');
  });

  it('Public host: the editor accepts exactly what the deploy accepts (a host name, IPv4 or IPv6 literal, no scheme, no port), and says why not', () => {
    const def = editorDefinitions('signaling', true)['relaycast-signaling']!;
    const validate = def.defaults.publicHost?.validate;
    assert.equal(typeof validate, 'function', 'publicHost has a validator');
    const samples: unknown[] = [
      '',
      '  ',
      undefined,
      'stun.example.org',
      'Media.Example.ORG.',
      'localhost',
      '192.0.2.10',
      '2001:db8::1',
      '[2001:db8::1]',
      '::ffff:192.0.2.1',
      'stun.example.org:3478',
      '192.0.2.10:3478',
      '[2001:db8::1]:3478',
      'stun:stun.example.org',
      'https://stun.example.org',
      'stun.example.org/path',
      'not a host',
      'fe80::1%eth0',
      '999.1.1.1',
      '01.2.3.4',
      '1.2.3',
      '-bad.example',
      'a'.repeat(64) + '.example',
      '2001:db8::1::2',
      '[2001:db8::g]',
      42,
    ];
    for (const publicHost of samples) {
      const deploy = runtime(() => publicHostFromConfig({ publicHost: publicHost as string }));
      const verdict = verdictOf(validate!, { publicHost }, publicHost);
      if (typeof deploy === 'object') assert.equal(verdict, deploy.refused, `publicHost ${JSON.stringify(publicHost)}`);
      else assert.equal(verdict, true, `publicHost ${JSON.stringify(publicHost)}: the deploy runs it as ${String(deploy)}`);
    }
    assert.match(String(verdictOf(validate!, {}, 'stun.example.org:3478')), /without a port/);
    assert.match(String(verdictOf(validate!, {}, 'https://stun.example.org')), /DNS name, an IPv4 or an IPv6 address/);
  });
});
