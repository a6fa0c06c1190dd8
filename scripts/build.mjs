// Build: transpile every TypeScript file of the core (lib/) and the node shells (nodes/) to
// CommonJS in dist/, one output file per input (no bundling, so a stack trace names the real file),
// then copy each node's editor .html (with shared rules inlined), locales and icons beside its
// compiled .js, bundle the viewer and the supporter summary page, and publish flows/ as examples/ (Node-RED's Import ▸ Examples reads examples/ at the package root).
// Type checking is `npm run typecheck`; transpiling per file keeps one broken file from blocking the rest.
import { build } from 'esbuild';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

async function listFiles(dir, accept) {
  const out = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full, accept)));
    else if (accept(full)) out.push(full);
  }
  return out;
}

const isTs = (f) => f.endsWith('.ts') && !f.endsWith('.d.ts');

async function transpileServerCode() {
  const entryPoints = [...(await listFiles(path.join(root, 'lib'), isTs)), ...(await listFiles(path.join(root, 'nodes'), isTs))];
  await build({
    entryPoints,
    outdir: dist,
    outbase: root,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

// In an editor .html, `/* relaycast:inline lib/x.ts as GlobalName */` becomes that module bundled
// for the browser as `var GlobalName = …`: the editor then validates with the very rule the runtime
// applies, instead of a copy of it (the editor cannot load the package's own modules).
const INLINE_MARKER = /\/\* relaycast:inline (\S+\.ts) as ([A-Za-z_$][\w$]*) \*\//g;

async function inlineEditorCode(html, file) {
  let out = '';
  let last = 0;
  for (const match of html.matchAll(INLINE_MARKER)) {
    const [marker, source, globalName] = match;
    // A marker naming a file that moved (lib/ is organised in area folders) stops the build here, by name.
    try {
      await stat(path.join(root, source));
    } catch {
      throw new Error(`${path.relative(root, file)} inlines ${source}, which does not exist (moved? lib/config/number-rule.ts is the number rule)`);
    }
    const result = await build({
      entryPoints: [path.join(root, source)],
      bundle: true,
      write: false,
      format: 'iife',
      globalName,
      platform: 'browser',
      target: 'es2017',
      logLevel: 'warning',
    });
    // Without its "use strict": that would turn the rest of the editor's <script> strict too.
    out += html.slice(last, match.index) + `// ${source}, inlined by scripts/build.mjs\n` + result.outputFiles[0].text.replace(/^"use strict";\n/, '').trim();
    last = match.index + marker.length;
  }
  return out + html.slice(last);
}

async function copyNodeAssets() {
  const assets = await listFiles(path.join(root, 'nodes'), (f) => !isTs(f) && !f.endsWith('.d.ts'));
  for (const file of assets) {
    const target = path.join(dist, path.relative(root, file));
    await mkdir(path.dirname(target), { recursive: true });
    if (file.endsWith('.html')) await writeFile(target, await inlineEditorCode(await readFile(file, 'utf8'), file));
    else await cp(file, target);
  }
}

async function bundleViewer() {
  const entries = await listFiles(path.join(root, 'viewer'), (f) => /[\\/]entries[\\/][^\\/]+\.ts$/.test(f));
  const common = { bundle: true, platform: 'browser', target: 'es2020', sourcemap: true, logLevel: 'warning', minify: true };
  if (entries.length > 0) {
    // Classic scripts: the viewer page (hls.js + uPlot + loader; its imported CSS lands beside it)
    // and the loader alone (window.Relaycast) for any hls.js page.
    await build({ ...common, entryPoints: entries, outdir: path.join(dist, 'viewer'), format: 'iife' });
    // The loader as an ES module for bundlers and <script type=module>; hls.js stays the page's own.
    await build({
      ...common,
      entryPoints: [path.join(root, 'viewer', 'loader', 'index.ts')],
      outfile: path.join(dist, 'viewer', 'relaycast-hls.mjs'),
      format: 'esm',
    });
    // The published declarations (hand-written, checked against the code by viewer/types/check.ts):
    // .d.mts beside the module build, .d.ts (window.Relaycast) beside the classic one.
    for (const file of ['relaycast-hls.d.mts', 'relaycast-hls.d.ts']) await cp(path.join(root, 'viewer', 'types', file), path.join(dist, 'viewer', file));
  }
  const statics = await listFiles(path.join(root, 'viewer', 'public'), () => true);
  for (const file of statics) {
    const target = path.join(dist, 'viewer', path.relative(path.join(root, 'viewer', 'public'), file));
    await mkdir(path.dirname(target), { recursive: true });
    await cp(file, target);
  }
}

/**
 * The editor plugin's sidebar code (editor/sidebar, uPlot included) bundled into its .html, the way
 * Node-RED loads a plugin's editor side: one <style> and one <script type="text/javascript">.
 */
async function bundleEditorSidebar() {
  const entry = path.join(root, 'editor', 'sidebar', 'index.ts');
  try {
    await stat(entry);
  } catch {
    return;
  }
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    format: 'iife',
    minify: true,
    write: false,
    outdir: path.join(dist, 'editor'),
    logLevel: 'warning',
  });
  const file = (ext) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  // A literal "</script" or "</style" inside the code would end the element early.
  const js = file('.js').replace(/<\/(script)/gi, '<\\/$1');
  const css = file('.css').replace(/<\/(style)/gi, '<\\/$1');
  const html = path.join(dist, 'nodes', 'relaycast-sidebar', 'relaycast-sidebar.html');
  const template = await readFile(html, 'utf8');
  // A function replacement: a string one would read "$&", "$'" … in the minified code as patterns.
  await writeFile(
    html,
    template.replace('<!-- relaycast-sidebar-bundle -->', () => `<style>${css}</style>\n<script type="text/javascript">${js}</script>`),
  );
}

/**
 * The supporter summary page that relaycast-payout serves (viewer/summary): its .html copied, its
 * script bundled beside it (served as `me.js`, since the page's CSP allows scripts from itself only).
 */
async function bundleSupporterSummary() {
  const source = path.join(root, 'viewer', 'summary');
  try {
    await stat(source);
  } catch {
    return;
  }
  const out = path.join(dist, 'viewer', 'summary');
  await build({
    entryPoints: [path.join(source, 'summary.ts')],
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    format: 'iife',
    minify: true,
    outfile: path.join(out, 'summary.js'),
    logLevel: 'warning',
  });
  await cp(path.join(source, 'summary.html'), path.join(out, 'summary.html'));
}

/**
 * Valibot (lib/protocol's schemas) and jsdiff (lib/signaling/playlist-delta.ts) ship inside dist/
 * rather than as runtime dependencies: the Flow Library's scorecard (D01, scripts/scorecard.mjs)
 * allows six and the package already has six. Each one's own CommonJS build is copied with its
 * licence, and the transpiled files that require it are pointed at the copy. The viewer bundles
 * what it imports like any other import.
 */
const VENDORED = {
  valibot: { file: path.join('node_modules', 'valibot', 'dist', 'index.cjs'), licence: path.join('node_modules', 'valibot', 'LICENSE.md') },
  // jsdiff's one-file UMD build (it loads as CommonJS): the line diff behind signaling's playlist deltas.
  diff: { file: path.join('node_modules', 'diff', 'dist', 'diff.js'), licence: path.join('node_modules', 'diff', 'LICENSE') },
};

async function vendorDependencies() {
  const vendor = path.join(dist, 'vendor');
  await mkdir(vendor, { recursive: true });
  for (const [name, { file, licence }] of Object.entries(VENDORED)) {
    await cp(path.join(root, file), path.join(vendor, `${name}.cjs`));
    await cp(path.join(root, licence), path.join(vendor, `${name}.LICENSE.md`));
  }
  const compiled = [
    ...(await listFiles(path.join(dist, 'lib'), (f) => f.endsWith('.js'))),
    ...(await listFiles(path.join(dist, 'nodes'), (f) => f.endsWith('.js'))),
  ];
  for (const file of compiled) {
    const code = await readFile(file, 'utf8');
    let out = code;
    for (const name of Object.keys(VENDORED)) {
      const target = path
        .relative(path.dirname(file), path.join(vendor, `${name}.cjs`))
        .split(path.sep)
        .join('/');
      out = out.split(`require("${name}")`).join(`require(${JSON.stringify(target.startsWith('.') ? target : `./${target}`)})`);
    }
    if (out !== code) await writeFile(file, out);
  }
}

async function publishExamples() {
  const examples = path.join(root, 'examples');
  await rm(examples, { recursive: true, force: true });
  try {
    await stat(path.join(root, 'flows'));
  } catch {
    return;
  }
  await cp(path.join(root, 'flows'), examples, { recursive: true });
}

await transpileServerCode();
await vendorDependencies();
await copyNodeAssets();
await bundleViewer();
await bundleEditorSidebar();
await bundleSupporterSummary();
await publishExamples();
