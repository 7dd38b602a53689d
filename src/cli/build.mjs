// The compiled `modernpos`: esbuild bundles src/, edge/ and cloud/ (and the pure-JS packages zod, hono
// and drizzle-orm) into .build/<id>/, split at the dynamic imports so the edge never loads the cloud's
// code. `.build/current` names the build in use; its modification time is the build stamp. A build
// is stale when any file under src/, edge/ or cloud/, package.json or package-lock.json is newer.
// Plain JavaScript: it runs before anything is compiled. `npm run build` runs it; the bin
// (src/cli/bin.mjs) calls ensureBuilt() on every start, which costs a few hundred stat calls.
//
// Builds are written to a fresh directory and published by renaming the pointer file, so processes
// starting at once (tests, a fleet of tills on one host) may each build without a lock: every
// directory is complete before it is named, and a running process keeps the one it started from.
// Migrations and page assets are read from the source tree: each `import.meta.url` in a source file
// becomes that file's own URL, so `new URL('../../migrations/', import.meta.url)` still means the
// repository's migrations/.
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUILD_DIR = join(ROOT, '.build');
const POINTER = join(BUILD_DIR, 'current');
const SOURCE_DIRS = ['src', 'edge', 'cloud'];
const SOURCE_FILES = ['package.json', 'package-lock.json'];
/** Bundled into the build: pure ESM, loaded by every command, hundreds of small modules between them. */
const BUNDLED = new Set(['zod', 'hono', '@hono/node-server', 'drizzle-orm']);
/**
 * CommonJS packages loaded with require() rather than import: importing CommonJS from ESM runs Node's
 * export-name lexer, which costs the edge ~9 MiB of resident memory for nothing it uses.
 */
const REQUIRED = new Set(['pino', 'ws', 'better-sqlite3', 'prom-client', 'pg']);
/** Builds kept besides the current one, and the age under which none is removed (a process started
 * from one may still import its chunks; another process may be writing one). */
const KEEP_PREVIOUS = 2;
const KEEP_YOUNGER_THAN_MS = 10 * 60_000;

/** The newest modification time (ms) of the sources a build is made from. */
export function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) visit(join(ROOT, dir));
  for (const file of SOURCE_FILES) {
    if (existsSync(join(ROOT, file))) newest = Math.max(newest, statSync(join(ROOT, file)).mtimeMs);
  }
  return newest;
}

/** The entry file of the current build, or undefined when there is none or it is stale. */
export function currentBuild() {
  let stamp;
  let id;
  try {
    stamp = statSync(POINTER).mtimeMs;
    id = readFileSync(POINTER, 'utf8').trim();
  } catch {
    return undefined;
  }
  const entry = join(BUILD_DIR, id, 'main.js');
  if (!existsSync(entry) || newestSource() > stamp) return undefined;
  return entry;
}

/** Rewrites each `import.meta.url` of a source file to that file's own URL, as seen from `outdir`. */
function sourceUrlPlugin(outdir) {
  return {
    name: 'source-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        let contents = await readFile(args.path, 'utf8');
        if (contents.includes('import.meta.url')) {
          const own = `new URL(${JSON.stringify(relative(outdir, args.path))}, import.meta.url).href`;
          contents = contents.replaceAll('import.meta.url', own);
        }
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Serves each REQUIRED package as `module.exports = require(name)`, the require left to Node. */
function requirePlugin() {
  return {
    name: 'require-commonjs-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const name = args.path.startsWith('@')
          ? args.path.split('/').slice(0, 2).join('/')
          : args.path.split('/')[0];
        if (!REQUIRED.has(name)) return undefined;
        if (args.kind === 'require-call') return { path: args.path, external: true };
        return { path: args.path, namespace: 'required' };
      });
      build.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

/** Builds now and publishes the build; returns its entry file. */
export async function build() {
  const { build: esbuild } = await import('esbuild');
  const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const external = Object.keys(packageJson.dependencies ?? {})
    .filter((name) => !BUNDLED.has(name))
    .flatMap((name) => [name, `${name}/*`]);
  // Read before building: a source saved during the build leaves this build stale.
  const started = Date.now();
  const id = `${started.toString(36)}-${randomBytes(3).toString('hex')}`;
  const outdir = join(BUILD_DIR, id);
  mkdirSync(outdir, { recursive: true });
  try {
    await esbuild({
      entryPoints: [join(ROOT, 'src/cli/main.ts')],
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external,
      // The require() the REQUIRED packages are loaded with.
      banner: {
        js: "import { createRequire as __mpCreateRequire } from 'node:module';\nconst require = __mpCreateRequire(import.meta.url);",
      },
      logLevel: 'warning',
      plugins: [requirePlugin(), sourceUrlPlugin(outdir)],
    });
  } catch (err) {
    rmSync(outdir, { recursive: true, force: true });
    throw err;
  }
  const tmp = `${POINTER}.${id}`;
  writeFileSync(tmp, `${id}\n`);
  // The stamp is the build's start: a source edited while it ran is newer, so the next start rebuilds.
  const at = new Date(started);
  utimesSync(tmp, at, at);
  renameSync(tmp, POINTER);
  prune(id);
  return join(outdir, 'main.js');
}

/** Removes the builds beyond the current one and the KEEP_PREVIOUS newest others, unless recent. */
function prune(current) {
  const builds = readdirSync(BUILD_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== current)
    .map((e) => ({ name: e.name, at: statSync(join(BUILD_DIR, e.name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of builds.slice(KEEP_PREVIOUS)) {
    if (Date.now() - old.at < KEEP_YOUNGER_THAN_MS) continue;
    rmSync(join(BUILD_DIR, old.name), { recursive: true, force: true });
  }
}

/** The current build's entry file, building first when it is missing or stale. */
export async function ensureBuilt() {
  return currentBuild() ?? (await build());
}

/** The entry as a URL to import(). */
export const entryUrl = (entry) => pathToFileURL(entry).href;

// `npm run build` (`node src/cli/build.mjs`): always builds.
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const started = Date.now();
  const entry = await build();
  console.log(`built ${relative(ROOT, dirname(entry))} in ${Date.now() - started} ms`);
}
