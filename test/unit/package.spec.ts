// What package.json promises the Flow Library and the palette manager.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

// semver ships without types (the scorecard uses it from plain JS); these two calls are all we need.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as { minVersion(range: string): { version: string } | null; satisfies(version: string, range: string): boolean };

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  'node-red': { version: string };
  exports: Record<string, string | { types: string; default: string }>;
};

describe('package.json', () => {
  it('declares node-red >= 4.1.0: Catch nodes get msg.error.code (which every Relaycast error sets) only from 4.1 on', () => {
    const range = pkg['node-red'].version;
    assert.equal(semver.minVersion(range)?.version, '4.1.0', range);
    assert.ok(!semver.satisfies('4.0.9', range), 'a 4.0 runtime would drop msg.error.code');
    assert.ok(semver.satisfies('5.0.0', range), 'node-red 5 stays supported');
  });

  it('exports only the documented entry points, each viewer build with its declarations', () => {
    assert.deepEqual(Object.keys(pkg.exports).sort(), ['./package.json', './viewer', './viewer/classic']);
    assert.deepEqual(pkg.exports['./viewer'], { types: './dist/viewer/relaycast-hls.d.mts', default: './dist/viewer/relaycast-hls.mjs' });
    assert.deepEqual(pkg.exports['./viewer/classic'], { types: './dist/viewer/relaycast-hls.d.ts', default: './dist/viewer/relaycast-hls.js' });
  });

  // What a page's TypeScript sees through the package name: the built declarations resolve through
  // "exports", take and give hls.js's own config type, hide the engine's internals and deep paths.
  describe('the viewer declarations, compiled in a consumer (needs npm run build)', () => {
    let dir: string;
    before(function () {
      for (const entry of Object.values(pkg.exports)) {
        if (typeof entry === 'object') assert.ok(existsSync(path.join(root, entry.types)), `${entry.types} is missing: run npm run build`);
      }
      dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-types-'));
      mkdirSync(path.join(dir, 'node_modules', path.dirname(pkg.name)), { recursive: true });
      symlinkSync(root, path.join(dir, 'node_modules', pkg.name), 'dir');
      symlinkSync(path.join(root, 'node_modules', 'hls.js'), path.join(dir, 'node_modules', 'hls.js'), 'dir');
      writeFileSync(
        path.join(dir, 'page.mts'),
        [
          "import Hls from 'hls.js';",
          `import { relaycastHlsConfig, type RelaycastStats } from '${pkg.name}/viewer';`,
          "const { config, session } = relaycastHlsConfig({ signalingUrl: '/relaycast/signal', maxPeers: 4 }, { lowLatencyMode: true });",
          'const hls = new Hls(config);',
          'session.attach(hls);',
          "const off = session.engine?.on('segment', (sequence: number, source: 'peer' | 'http' | 'mixed') => console.log(sequence, source));",
          'off?.();',
          'const stats: RelaycastStats | undefined = session.stats();',
          'console.log(stats?.p2pShare, config.liveSyncDurationCount);',
          "// @ts-expect-error the engine's internal callbacks are not part of the API",
          "session.engine?.countBytes('http', 1);",
          '// @ts-expect-error hls.js config keys are type-checked',
          "relaycastHlsConfig({ signalingUrl: '/s' }, { lowLatencyMode: 'yes' });",
          '// @ts-expect-error deep imports are not exported',
          `await import('${pkg.name}/dist/lib/errors.js');`,
          '',
        ].join('\n'),
      );
      writeFileSync(
        path.join(dir, 'classic.ts'),
        [
          `import '${pkg.name}/viewer/classic';`,
          "const { config, session } = window.Relaycast.relaycastHlsConfig({ signalingUrl: '/relaycast/signal' });",
          'console.log(config.fLoader, session.stats()?.peers);',
          '',
        ].join('\n'),
      );
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const resolution of ['NodeNext', 'Bundler'] as const) {
      it(`compiles with moduleResolution ${resolution}, library declarations checked too`, () => {
        const program = ts.createProgram([path.join(dir, 'page.mts'), path.join(dir, 'classic.ts')], {
          module: ts.ModuleKind[resolution === 'NodeNext' ? 'NodeNext' : 'ESNext'],
          moduleResolution: ts.ModuleResolutionKind[resolution],
          target: ts.ScriptTarget.ES2022,
          lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          preserveSymlinks: true,
        });
        const problems = ts
          .getPreEmitDiagnostics(program)
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file ? ` (${path.basename(d.file.fileName)})` : ''));
        assert.deepEqual(problems, []);
      });
    }
  });
});
