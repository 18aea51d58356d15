/**
 * Builds the web console (DESIGN §5, issue 6) into static assets: the browser code in `src/`
 * bundled by `Bun.build` (lightweight-charts included, so no CDN), `style.css` and `index.html`.
 *
 * The server calls {@link loadConsoleBundle} on the first `/console` request: when the cached
 * build in `data-plane/dist/console/` (gitignored) was made from the same sources it is read back,
 * otherwise the bundle is rebuilt (about half a second) and written there for the next start.
 * So a fresh clone needs no build step, and an edited source is picked up at the next start.
 * `bun data-plane/console/build.ts` builds ahead of time (container images, read-only installs).
 *
 * Concurrency: several processes may build at once (parallel tests); every file is written to a
 * temp name and renamed, and the manifest last, so a reader sees old or new files, never a torn
 * one. Identical sources give identical bytes, so mixing two writers' files is harmless.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The console's source folder (this file's folder). */
export const CONSOLE_SOURCE_DIR = dirname(fileURLToPath(import.meta.url));
/** Where built assets are cached (gitignored with the rest of data-plane/dist). */
export const CONSOLE_OUT_DIR = resolve(CONSOLE_SOURCE_DIR, '../dist/console');

/** One built file, served as is. */
export interface ConsoleAsset {
  body: Uint8Array;
  contentType: string;
}

/** The built console: `index.html` plus assets by file name; `hash` names the sources. */
export interface ConsoleBundle {
  /** hex SHA-256 prefix of the sources, the bundler version and the chart library version */
  readonly hash: string;
  readonly index: ConsoleAsset;
  /** by file name, e.g. "app.js", "style.css" */
  readonly assets: ReadonlyMap<string, ConsoleAsset>;
  /** true when this call built the bundle, false when it was read from the cache */
  readonly built: boolean;
}

/** Options of {@link loadConsoleBundle}. */
export interface LoadOptions {
  sourceDir?: string;
  outDir?: string;
  /** told about a cache that cannot be written (the bundle is still served from memory) */
  warn?: (msg: string, fields: Record<string, unknown>) => void;
}

const MANIFEST = 'manifest.json';
const ASSET_TYPES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const HTML_TYPE = 'text/html; charset=utf-8';

/**
 * The console bundle: read from `outDir` when it was built from the current sources, else built
 * now (needs Bun: the server runs on it) and cached in `outDir` when that is writable.
 * @throws Error with the bundler's messages when the sources do not build
 */
export async function loadConsoleBundle(opts: LoadOptions = {}): Promise<ConsoleBundle> {
  const sourceDir = opts.sourceDir ?? CONSOLE_SOURCE_DIR;
  const outDir = opts.outDir ?? CONSOLE_OUT_DIR;
  const hash = sourceHash(sourceDir);
  const cached = readCached(outDir, hash);
  if (cached) return cached;
  const bundle = await buildBundle(sourceDir, hash);
  try {
    writeCache(outDir, bundle);
  } catch (err) {
    opts.warn?.('console: cannot cache the built bundle; serving it from memory', { dir: outDir, err: (err as Error).message });
  }
  return bundle;
}

/** Hash of every source file (path and bytes), the bundler's version and lightweight-charts'. */
export function sourceHash(sourceDir: string): string {
  const h = createHash('sha256');
  for (const file of sourceFiles(sourceDir)) {
    h.update(relative(sourceDir, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  h.update(`bun ${bunVersion()}\0`);
  h.update(`lightweight-charts ${chartLibraryVersion()}`);
  return h.digest('hex').slice(0, 16);
}

/** The files the bundle is made of: `src/**` (not tests), `index.html`, `style.css` and this script. */
function sourceFiles(sourceDir: string): string[] {
  const out = ['index.html', 'style.css', 'build.ts'].map((f) => join(sourceDir, f));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !e.name.endsWith('.test.ts')) out.push(p);
    }
  };
  walk(join(sourceDir, 'src'));
  return out;
}

function bunVersion(): string {
  const bun = (globalThis as { Bun?: { version: string } }).Bun;
  return bun ? bun.version : 'none';
}

function chartLibraryVersion(): string {
  try {
    const pkgPath = fileURLToPath(import.meta.resolve('lightweight-charts/package.json'));
    return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Bundles `src/main.mts` for browsers and fills the asset references into index.html. */
async function buildBundle(sourceDir: string, hash: string): Promise<ConsoleBundle> {
  const bun = (globalThis as { Bun?: typeof Bun }).Bun;
  if (!bun) throw new Error('console: building the bundle needs Bun (run the server with bun, or `bun data-plane/console/build.ts` first)');
  const result = await bun.build({
    entrypoints: [join(sourceDir, 'src/main.mts')],
    target: 'browser',
    format: 'esm',
    minify: true,
    sourcemap: 'none',
    // lightweight-charts exports a development build (asserts, 4× larger) under "development".
    conditions: ['production'],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  if (!result.success || result.outputs.length !== 1) {
    const messages = result.logs.map((l) => String(l)).join('\n');
    throw new Error(`console: bundle failed:\n${messages || `${result.outputs.length} outputs`}`);
  }
  const js = new Uint8Array(await result.outputs[0]!.arrayBuffer());
  const css = new Uint8Array(readFileSync(join(sourceDir, 'style.css')));
  const html = readFileSync(join(sourceDir, 'index.html'), 'utf8').replaceAll('{{VERSION}}', hash);
  return {
    hash,
    index: { body: new TextEncoder().encode(html), contentType: HTML_TYPE },
    assets: new Map([
      ['app.js', { body: js, contentType: ASSET_TYPES['app.js']! }],
      ['style.css', { body: css, contentType: ASSET_TYPES['style.css']! }],
    ]),
    built: true,
  };
}

function readCached(outDir: string, hash: string): ConsoleBundle | null {
  try {
    const manifest = JSON.parse(readFileSync(join(outDir, MANIFEST), 'utf8')) as { hash?: string };
    if (manifest.hash !== hash) return null;
    const assets = new Map<string, ConsoleAsset>();
    for (const [name, contentType] of Object.entries(ASSET_TYPES)) {
      assets.set(name, { body: new Uint8Array(readFileSync(join(outDir, name))), contentType });
    }
    const index = { body: new Uint8Array(readFileSync(join(outDir, 'index.html'))), contentType: HTML_TYPE };
    return { hash, index, assets, built: false };
  } catch {
    return null; // missing or unreadable: build again
  }
}

function writeCache(outDir: string, b: ConsoleBundle): void {
  mkdirSync(outDir, { recursive: true });
  const put = (name: string, body: Uint8Array | string): void => {
    const tmp = join(outDir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(tmp, body);
    renameSync(tmp, join(outDir, name));
  };
  for (const [name, a] of b.assets) put(name, a.body);
  put('index.html', b.index.body);
  put(MANIFEST, JSON.stringify({ hash: b.hash, built_at: new Date().toISOString() }) + '\n');
}

// `bun data-plane/console/build.ts`: build ahead of time (e.g. in a container image).
if (import.meta.main) {
  const t0 = performance.now();
  const b = await loadConsoleBundle({ warn: (msg, f) => console.warn(msg, f) });
  const kb = [...b.assets.values()].reduce((n, a) => n + a.body.length, b.index.body.length) / 1024;
  console.log(`console ${b.hash}: ${b.built ? 'built' : 'up to date'} in ${CONSOLE_OUT_DIR} (${kb.toFixed(0)} KB, ${(performance.now() - t0).toFixed(0)} ms)`);
}
