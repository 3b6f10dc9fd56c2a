// The compiled form of the `polar-kit` command: cli/main.ts and everything it imports from cli/, server/,
// emulator/ and contract/, bundled by esbuild into dist/server/ (packages stay in node_modules). Running it
// spares each process the on-the-fly TypeScript loader (tsx), about 38 MB of memory and its start-up work.
//
// `node bin/server-bundle.js` builds it when missing or older than its sources (`--force`: always);
// `bin/polar-kit.js` runs it only while it is fresh, and the sources through tsx otherwise.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT_DIR = path.join(ROOT, 'dist', 'server');
/** The bundle's entry file. */
export const BUNDLE = path.join(OUT_DIR, 'polar-kit.mjs');
/** What the bundle is built from: a change to any of these makes it stale. */
const SOURCES = ['cli', 'server', 'emulator', 'contract', 'package-lock.json', 'bin/server-bundle.js'];

/** Whether the bundle exists and is newer than every file it is built from. */
export function bundleIsFresh() {
  if (!existsSync(BUNDLE)) return false;
  const built = statSync(BUNDLE).mtimeMs;
  for (const source of SOURCES) {
    if (newestMtime(path.join(ROOT, source)) >= built) return false;
  }
  return true;
}

/** Builds the bundle (unless it is fresh and `force` is false). Resolves to whether it built. */
export async function buildServerBundle({ force = false } = {}) {
  if (!force && bundleIsFresh()) return false;
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { 'polar-kit': path.join(ROOT, 'cli', 'main.ts') },
    outdir: OUT_DIR,
    outExtension: { '.js': '.mjs' },
    // Chunks sit beside the entry: the source-relative URLs below are written from this folder.
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [sourceRelativeUrls],
    metafile: true,
  });
  // Chunks of earlier builds (their names carry a hash) are no longer referenced.
  const current = new Set(Object.keys(result.metafile.outputs).map((file) => path.resolve(ROOT, file)));
  for (const name of readdirSync(OUT_DIR)) {
    const file = path.join(OUT_DIR, name);
    if (!current.has(file)) rmSync(file, { force: true });
  }
  return true;
}

/**
 * Files that find their neighbours through `import.meta.url` (migrations, the emulator's assets, package.json,
 * dist/) keep finding them in the source tree: each such `import.meta.url` becomes the URL of its own source
 * file, written relative to the bundle so the folder may move.
 */
const sourceRelativeUrls = {
  name: 'source-relative-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const code = await readFile(args.path, 'utf8');
      if (!code.includes('import.meta.url')) return { contents: code, loader: 'ts' };
      const relative = path.relative(OUT_DIR, args.path).split(path.sep).join('/');
      return {
        contents: code.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(relative)}, import.meta.url).href`,
        ),
        loader: 'ts',
      };
    });
  },
};

function newestMtime(file) {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
  return newest;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const built = await buildServerBundle({ force: process.argv.includes('--force') });
  if (built) process.stderr.write(`built ${path.relative(ROOT, BUNDLE)}\n`);
}
