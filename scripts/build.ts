/**
 * npm run build: the production build in dist/, started with plain `node` (no tsx, no TypeScript at run time).
 *   1. tsc (tsconfig.build.json) compiles the production code to dist/, one .js per .ts, same layout;
 *   2. relative imports get their file extension (`'../config'` → `'../config/index.js'`), as Node's ESM loader
 *      needs; an import that names no emitted file fails the build;
 *   3. the files the code reads beside itself are copied to the same places (config/default.toml, the SQL
 *      migrations, the Lua scripts, package.json for the API version);
 *   4. the web app (web/) is built by Vite and copied to dist/web/dist, where the API serves it from;
 *   5. the workflow code is bundled once (webpack, as the worker does at start in the source tree), without and
 *      with the tracing interceptors, to dist/workflows/bundle.js and bundle-traced.js: the worker loads those.
 * A dist/ import of a package that is not in package.json's `dependencies` fails the build (the image installs
 * production dependencies only). Tests run from source and do not use dist/.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { bundleWorkflows } from '../worker/worker';
import { buildWeb } from './build-web';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const say = (msg: string) => console.log(`[build] ${msg}`);
const t0 = Date.now();

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path);
    return path.endsWith('.js') ? [path] : [];
  });
}

/** The specifier Node resolves for `spec` imported from `file`: with its .js or /index.js. */
function withExtension(file: string, spec: string): string {
  const target = join(dirname(file), spec);
  if (/\.(js|json)$/.test(spec) && existsSync(target)) return spec;
  if (existsSync(`${target}.js`)) return `${spec}.js`;
  if (existsSync(join(target, 'index.js'))) return `${spec}/index.js`;
  throw new Error(`${relative(root, file)}: import '${spec}' names no compiled file`);
}

/**
 * A deep import of a package without an `exports` map (`@temporalio/interceptors-opentelemetry/lib/client`) names
 * a file or directory, which Node's ESM loader wants spelled out: with its .js or /index.js.
 */
function deepImport(name: string, spec: string): string {
  if (spec === name || builtinModules.includes(name)) return spec;
  const dir = join(root, 'node_modules', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown };
  if (manifest.exports !== undefined) return spec;
  const target = join(root, 'node_modules', spec);
  if (existsSync(target) && statSync(target).isFile()) return spec;
  if (existsSync(`${target}.js`)) return `${spec}.js`;
  if (existsSync(join(target, 'index.js'))) return `${spec}/index.js`;
  throw new Error(`import '${spec}' names no file of ${name}`);
}

// Import and export declarations (one per line in tsc's output) and dynamic imports: never a word in a string.
const IMPORT = /(^\s*(?:import|export)\b[^'";]*?\bfrom\s*|^\s*import\s*|\bimport\s*\(\s*)(['"])([^'"]+)\2/gm;

function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

rmSync(dist, { recursive: true, force: true });
say('compiling TypeScript (tsc -p tsconfig.build.json)');
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
const files = jsFiles(dist);
const foreign = new Set<string>();
for (const file of files) {
  const source = readFileSync(file, 'utf8');
  const rewritten = source.replace(IMPORT, (match, head: string, quote: string, spec: string) => {
    if (spec.startsWith('./') || spec.startsWith('../')) return `${head}${quote}${withExtension(file, spec)}${quote}`;
    const name = packageOf(spec.replace(/^node:/, ''));
    if (!spec.startsWith('node:') && !allowed.has(name)) foreign.add(`${relative(root, file)} imports ${name}`);
    const deep = deepImport(name, spec);
    return deep === spec ? match : `${head}${quote}${deep}${quote}`;
  });
  if (rewritten !== source) writeFileSync(file, rewritten);
}
if (foreign.size > 0) throw new Error(`not production dependencies:\n  ${[...foreign].join('\n  ')}`);
say(`${files.length} modules compiled, relative imports resolved`);

for (const asset of ['config/default.toml', 'db/migrations', 'services/inventory/lua', 'package.json']) {
  cpSync(join(root, asset), join(dist, asset), { recursive: true });
}
say('assets copied (config/default.toml, db/migrations, services/inventory/lua, package.json)');

// The web app the API serves (api/web.ts looks for it at web/dist beside its own folder).
await buildWeb();
cpSync(join(root, 'web/dist'), join(dist, 'web/dist'), { recursive: true });
say('web app built and copied to dist/web/dist');

mkdirSync(join(dist, 'workflows'), { recursive: true });
for (const tracing of [false, true]) {
  const bundle = await bundleWorkflows({ tracing });
  const out = join(dist, 'workflows', tracing ? 'bundle-traced.js' : 'bundle.js');
  writeFileSync(out, bundle.code);
  say(`workflow bundle ${relative(root, out)} (${Math.round(bundle.code.length / 1024)} KiB)`);
}
say(
  `done in ${((Date.now() - t0) / 1000).toFixed(1)} s: node dist/api/main.js, dist/worker/main.js, dist/consumers/main.js`,
);
