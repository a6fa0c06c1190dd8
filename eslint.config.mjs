// Lint: correctness rules without type information (so `npm run lint` stays fast enough to run first
// in `npm test`; tsc does the type checking) plus the layering rules of docs/ARCHITECTURE.md.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

// Code that runs in the browser besides viewer/ itself: the neutral peer core, the wire protocol
// and the few lib/ files the viewer page uses. None of it may reach for Node.
const BROWSER_SAFE_LIB = ['lib/peer/**/*.ts', 'lib/protocol/**/*.ts', 'lib/costs/prices.ts', 'lib/costs/format.ts', 'lib/hls/playlist-query.ts'];

const nodeRedImports = {
  patterns: [{ regex: '^(node-red|@node-red/)', message: 'lib/ and viewer/ never load Node-RED: it belongs in nodes/.' }],
};

export default defineConfig(
  { ignores: ['dist/', 'examples/', 'node_modules/', 'test/fixtures/', '.ci/', 'coverage/', 'bench/.baselines/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { 'import-x': importX },
    settings: {
      // Without these the cycle check skips .ts files when it follows an import.
      'import-x/extensions': ['.ts', '.mjs', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Relative imports name .ts files without an extension (moduleResolution "node").
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.d.ts', '.mjs', '.js', '.json'] })],
    },
    rules: {
      // The cycle check walks only our own files (node_modules cannot take part in a cycle of ours).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Unused catch bindings and `_`-prefixed parameters say "deliberately ignored".
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A Node-RED shell names its node `const node = this` (the runtime calls handlers with another `this`).
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
      // Optional dependencies are loaded lazily with require() so a missing one fails only the node using it.
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^pg$', '^ioredis$'] }],
      // Input validation rejects control characters with /[\x00-\x1f]/ on purpose.
      'no-control-regex': 'off',
      // `let x; … closure reads x …; x = …` is how a callback refers to the object it is handed to.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Node's own EventEmitter.listeners() is typed Function[]; the manifest dispatcher swaps those.
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  {
    files: ['lib/**/*.ts', 'viewer/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', nodeRedImports],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='require'][arguments.0.value=/^(node-red|@node-red\\u002F)/]",
          message: 'lib/ and viewer/ never load Node-RED: it belongs in nodes/.',
        },
      ],
    },
  },
  {
    files: [...BROWSER_SAFE_LIB, 'editor/**/*.ts'],
    rules: {
      // The peer core gets WebSocket, RTCPeerConnection, fetch and crypto through PeerPlatform.
      'import-x/no-nodejs-modules': 'error',
    },
  },
  {
    files: ['viewer/**/*.ts'],
    rules: {
      'import-x/no-nodejs-modules': 'error',
      // The viewer is bundled for the browser: from lib/ it may take only the browser-safe files.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './viewer',
              from: './lib',
              except: ['./peer', './protocol', './costs/prices.ts', './costs/format.ts'],
              message: 'viewer/ is browser code: import only lib/peer, lib/protocol and the browser-safe lib/ files.',
            },
            { target: './viewer', from: ['./nodes', './devtools', './demo'], message: 'viewer/ is browser code: no server code.' },
          ],
        },
      ],
    },
  },
  {
    // Specs and benches poke at loosely typed things (page.evaluate, Node-RED internals, flow JSON).
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
);
