// Offline Flow Library scorecard: the checks `node-red-dev validate` makes that need no network
// (P01 license, P03 repository, P04 scoped name, P05 keyword, P06 node-red.version, P07 engines.node,
// N02 examples cover every non-config node, D01 runtime dependency count) plus the parse the
// Flow Library does of each node's .html: a literal RED.nodes.registerType('<type>', {…}).
// Run after `npm run build` (it reads dist/ and examples/, i.e. what the package ships).
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import semver from 'semver';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const failures = [];
const passes = [];
const check = (id, ok, text) => (ok ? passes : failures).push(`${id} ${text}`);

check('P01', typeof pkg.license === 'string' && pkg.license.length > 0 && existsSync(path.join(root, 'LICENSE')), 'license declared and LICENSE file present');
check('P03', Boolean(pkg.repository?.url || pkg.bugs?.url), 'repository or bugs url');
check('P04', /^@[a-z0-9-]+\/node-red-/.test(pkg.name), 'scoped package name @scope/node-red-…');
check('P05', Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red'), "keywords contain 'node-red'");
for (const kw of ['hls', 'r2', 's3', 'webrtc', 'p2p', 'live-streaming']) {
  check('P05', pkg.keywords?.includes(kw), `keywords contain '${kw}'`);
}
const nrVersion = pkg['node-red']?.version;
check(
  'P06',
  Boolean(nrVersion) && semver.satisfies('4.1.0', nrVersion) && semver.satisfies('5.0.0', nrVersion),
  `node-red.version ${nrVersion} covers 4.x and 5.x`,
);
const enginesNode = pkg.engines?.node;
check(
  'P07',
  Boolean(enginesNode) && semver.satisfies('22.9.0', enginesNode) && semver.satisfies('20.20.0', enginesNode),
  `engines.node ${enginesNode} admits Node 20.20 and 22.9`,
);
const deps = Object.keys(pkg.dependencies ?? {});
check('D01', deps.length <= 6, `${deps.length} runtime dependencies (≤ 6)`);
check('D01', !deps.includes('node-red'), 'node-red is not a runtime dependency');

function registeredTypes(htmlFile) {
  const html = readFileSync(htmlFile, 'utf8');
  const types = [];
  const scriptBlocks = [...html.matchAll(/<script[^>]*type=["']text\/javascript["'][^>]*>([\s\S]*?)<\/script>/g)];
  for (const [, code] of scriptBlocks) {
    const ast = acorn.parse(code, { ecmaVersion: 'latest' });
    walk.simple(ast, {
      CallExpression(node) {
        const callee = node.callee;
        const isRegister =
          callee.type === 'MemberExpression' &&
          callee.property.name === 'registerType' &&
          callee.object.type === 'MemberExpression' &&
          callee.object.property.name === 'nodes';
        if (!isRegister) return;
        const [typeArg, defArg] = node.arguments;
        if (typeArg?.type !== 'Literal' || defArg?.type !== 'ObjectExpression') {
          failures.push(`N00 ${path.relative(root, htmlFile)}: registerType needs a literal type and an object literal`);
          return;
        }
        const category = defArg.properties.find((p) => p.key?.name === 'category');
        types.push({ type: typeArg.value, isConfig: category?.value?.value === 'config' });
      },
    });
  }
  const templates = [...html.matchAll(/data-template-name=["']([^"']+)["']/g)].map((m) => m[1]);
  const helps = [...html.matchAll(/data-help-name=["']([^"']+)["']/g)].map((m) => m[1]);
  for (const t of types) {
    check('N00', templates.includes(t.type), `${t.type}: edit template present`);
    const localeHelp = path.join(path.dirname(htmlFile), 'locales', 'en-US', path.basename(htmlFile));
    check('N00', helps.includes(t.type) || existsSync(localeHelp), `${t.type}: help text present`);
  }
  return types;
}

const allTypes = [];
for (const [set, jsPath] of Object.entries(pkg['node-red']?.nodes ?? {})) {
  const js = path.join(root, jsPath);
  const html = js.replace(/\.c?js$/, '.html');
  check('N00', existsSync(js), `${set}: ${jsPath} built`);
  if (!existsSync(html)) {
    check('N00', false, `${set}: sibling .html of ${jsPath}`);
    continue;
  }
  const types = registeredTypes(html);
  check('N00', types.length > 0, `${set}: .html registers at least one type`);
  for (const t of types) {
    check('N01', t.type.startsWith('relaycast-'), `${t.type}: prefixed type name`);
    allTypes.push(t);
  }
}

function exampleFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? exampleFiles(full) : name.endsWith('.json') ? [full] : [];
  });
}
const exampleTypes = new Set();
for (const file of exampleFiles(path.join(root, 'examples'))) {
  const flow = JSON.parse(readFileSync(file, 'utf8'));
  check('N02', Array.isArray(flow), `${path.relative(root, file)} is a JSON array`);
  if (Array.isArray(flow)) flow.forEach((n) => exampleTypes.add(n.type));
}
for (const t of allTypes.filter((x) => !x.isConfig)) {
  check('N02', exampleTypes.has(t.type), `${t.type} appears in an example flow`);
}

for (const line of passes) console.log(`  ok   ${line}`);
for (const line of failures) console.log(`  FAIL ${line}`);
console.log(`scorecard: ${passes.length} passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
