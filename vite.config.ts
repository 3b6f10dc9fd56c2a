import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin, type Rollup, type UserConfig } from 'vite';
import { defineConfig } from 'vitest/config';

// ---------------------------------------------------------------------------------------------------------
// Widget library build (`vite build --mode widget`). The plugin emits the checkout dialog and the official
// checkout embed as separate, content-hashed files next to the widget (loaded on the first checkout, so they do
// not count toward the budget), minifies Lit's templates, then checks the gzipped size of the script-tag file
// and prints an SRI hash of every file.
// ---------------------------------------------------------------------------------------------------------

/**
 * The script-tag file may not exceed this many bytes once gzipped. `WIDGET_GZIP_BUDGET` overrides it, so that a
 * test can watch the check fail.
 */
const WIDGET_GZIP_BUDGET = Number(process.env.WIDGET_GZIP_BUDGET) || 12 * 1024;

/** The two entry files; their names are part of the public contract. */
const WIDGET_ENTRY_FILES = { iife: 'polar-checkout.js', es: 'polar-checkout.mjs' } as const;

/** The SRI manifest written next to the files: `{ [fileName]: 'sha384-…' }`. */
const WIDGET_SRI_MANIFEST = 'sri.json';

const require = createRequire(import.meta.url);

/** Reads `@polar-sh/checkout`'s ES build of the embed and names it after its content. */
function embedAsset(): { fileName: string; source: string } {
  const source = readFileSync(require.resolve('@polar-sh/checkout/embed'), 'utf8');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 10);
  return { fileName: `polar-checkout-embed-${hash}.js`, source };
}

/**
 * Builds the checkout dialog (`widget/checkout-dialog.ts`, Lit-free) into one ES module, named after its content.
 * Both the classic script and the ES module import it by URL on the first checkout.
 */
async function dialogAsset(entry: string, embedFile: string): Promise<{ fileName: string; source: string }> {
  const result = (await build({
    configFile: false,
    logLevel: 'silent',
    publicDir: false,
    define: { __POLAR_EMBED_FILE__: JSON.stringify(embedFile), __POLAR_DIALOG_FILE__: '""' },
    build: {
      write: false,
      minify: true,
      target: 'es2021',
      modulePreload: false,
      rollupOptions: { input: entry, preserveEntrySignatures: 'exports-only', output: { format: 'es' } },
    },
  })) as Rollup.RollupOutput;
  const chunk = result.output.find(
    (item): item is Rollup.OutputChunk => item.type === 'chunk' && item.isEntry,
  );
  if (!chunk || result.output.some((item) => item.type === 'chunk' && item !== chunk)) {
    throw new Error(
      'The checkout dialog must build into exactly one file; it may not import Lit or another entry.',
    );
  }
  const hash = createHash('sha256').update(chunk.code).digest('hex').slice(0, 10);
  return { fileName: `polar-checkout-dialog-${hash}.js`, source: chunk.code };
}

/**
 * Collapses the whitespace inside Lit's `html` and `css` tagged templates (HTML and CSS ignore it there), the job
 * minify-html-literals does for Lit projects. Expressions, strings and untagged templates are left as they are.
 */
function minifyTemplates(code: string): string {
  let out = '';
  let i = 0;
  const copyTemplate = (tag: string | undefined) => {
    // `i` is just after the opening backtick.
    let text = '';
    const flush = () => {
      const collapsed = tag ? text.replace(/\s+/g, ' ') : text;
      out +=
        tag === 'css'
          ? collapsed
              .replace(/ ?([{};,>+]) ?/g, '$1')
              .replace(/: /g, ':')
              .replace(/\b0\./g, '.')
          : collapsed;
      text = '';
    };
    while (i < code.length) {
      const c = code[i]!;
      if (c === '\\') {
        text += c + code[i + 1];
        i += 2;
      } else if (c === '`') {
        flush();
        out += '`';
        i++;
        return;
      } else if (c === '$' && code[i + 1] === '{') {
        flush();
        out += '${';
        i += 2;
        copyCode(true);
      } else {
        text += c;
        i++;
      }
    }
  };
  const copyCode = (inExpression: boolean) => {
    let depth = 0;
    while (i < code.length) {
      const c = code[i]!;
      if (c === '`') {
        out += c;
        i++;
        copyTemplate(/\b(html|css)\s*`$/.exec(out.slice(-8))?.[1]);
      } else if (c === "'" || c === '"') {
        const end = findQuoteEnd(code, i);
        out += code.slice(i, end);
        i = end;
      } else if (c === '/' && code[i + 1] === '/') {
        const end = code.indexOf('\n', i);
        out += code.slice(i, end < 0 ? code.length : end);
        i = end < 0 ? code.length : end;
      } else if (c === '/' && code[i + 1] === '*') {
        const end = code.indexOf('*/', i + 2) + 2;
        out += code.slice(i, end);
        i = end;
      } else {
        if (c === '{') depth++;
        if (c === '}' && depth-- === 0 && inExpression) {
          out += '}';
          i++;
          return;
        }
        out += c;
        i++;
      }
    }
  };
  copyCode(false);
  return out;
}

function findQuoteEnd(code: string, start: number): number {
  const quote = code[start];
  let i = start + 1;
  while (i < code.length && code[i] !== quote && code[i] !== '\n') i += code[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** `sha384-<base64>` of some bytes, as `<script integrity>` wants it. */
function sriHash(bytes: Uint8Array): string {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
}

/**
 * The widget build plugin.
 * @param options.budget the most bytes `polar-checkout.js` may take gzipped.
 * @param options.log where the report goes; defaults to `console.log`.
 */
function widgetBuild(options: { dialogEntry: string; budget: number; log?: (line: string) => void }): Plugin {
  const embed = embedAsset();
  let dialog: { fileName: string; source: string };
  let outDir = '';
  const log = options.log ?? ((line: string) => console.log(line));
  return {
    name: 'polar-widget-build',
    apply: 'build',
    async config() {
      dialog = await dialogAsset(options.dialogEntry, embed.fileName);
      return {
        define: {
          __POLAR_EMBED_FILE__: JSON.stringify(embed.fileName),
          __POLAR_DIALOG_FILE__: JSON.stringify(dialog.fileName),
        },
      };
    },
    configResolved(config) {
      outDir = config.build.outDir;
    },
    transform(code, id) {
      return /[\\/]widget[\\/].*\.ts$/.test(id) && /\b(html|css)`/.test(code)
        ? { code: minifyTemplates(code), map: null }
        : null;
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: embed.fileName, source: embed.source });
      this.emitFile({ type: 'asset', fileName: dialog.fileName, source: dialog.source });
    },
    closeBundle() {
      const files = readdirSync(outDir)
        .filter((name) => /\.m?js$/.test(name))
        .sort();
      const manifest: Record<string, string> = {};
      const lines: string[] = [];
      for (const name of files) {
        const bytes = readFileSync(join(outDir, name));
        const gzipped = gzipSync(bytes).length;
        manifest[name] = sriHash(bytes);
        lines.push(
          `  ${name.padEnd(44)} ${String(bytes.length).padStart(7)} B  gzip ${String(gzipped).padStart(6)} B  ${manifest[name]}`,
        );
      }
      writeFileSync(join(outDir, WIDGET_SRI_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      log(`widget files (SRI sha384):\n${lines.join('\n')}`);
      const script = join(outDir, WIDGET_ENTRY_FILES.iife);
      const size = gzipSync(readFileSync(script)).length;
      if (size > options.budget) {
        throw new Error(
          `${WIDGET_ENTRY_FILES.iife} is ${size} bytes gzipped, over the budget of ${options.budget} bytes. ` +
            'Move rarely used code behind a dynamic import or drop a dependency.',
        );
      }
      log(`${WIDGET_ENTRY_FILES.iife}: ${size} of ${options.budget} bytes gzipped.`);
    },
  };
}

const WIDGET_OUT_DIR = fileURLToPath(new URL('./dist/widget/', import.meta.url));

/**
 * The widget library (`vite build --mode widget`): `dist/widget/polar-checkout.js`, a classic script with Lit
 * bundled, and `dist/widget/polar-checkout.mjs`, plus the lazily loaded dialog and embed, and `sri.json`.
 * `--outDir` moves all of it.
 */
function widgetConfig(): UserConfig {
  return {
    publicDir: false,
    plugins: [
      widgetBuild({
        budget: WIDGET_GZIP_BUDGET,
        dialogEntry: fileURLToPath(new URL('./widget/checkout-dialog.ts', import.meta.url)),
      }),
    ],
    // Lit's production build whatever NODE_ENV says (a test runner sets it to `test`).
    resolve: { conditions: ['module', 'browser', 'production'] },
    build: {
      outDir: WIDGET_OUT_DIR,
      emptyOutDir: true,
      // `import.meta.url` is empty in the classic script on purpose: there the script's own URL is read instead.
      rollupOptions: { checks: { emptyImportMeta: false } },
      target: 'es2021',
      minify: true,
      sourcemap: false,
      reportCompressedSize: false,
      lib: {
        entry: fileURLToPath(new URL('./widget/index.ts', import.meta.url)),
        name: 'PolarCheckout',
        formats: ['iife', 'es'],
        fileName: (format: string) => (format === 'es' ? WIDGET_ENTRY_FILES.es : WIDGET_ENTRY_FILES.iife),
      },
    },
  };
}

/**
 * What the widget's source needs when a page imports `widget/index.ts` through the dev server instead of the
 * build: the dialog module beside it, and the official embed straight from `node_modules`.
 */
function widgetSourceDefines(): Record<string, string> {
  return {
    __POLAR_DIALOG_FILE__: JSON.stringify('../checkout-dialog.ts'),
    __POLAR_EMBED_FILE__: JSON.stringify(`/@fs${require.resolve('@polar-sh/checkout/embed')}`),
  };
}

const DEMO_ROOT = fileURLToPath(new URL('./demo/', import.meta.url));

/**
 * The demo site (default `vite build` → `dist/demo`, which `polar-kit start` serves at `/`; `vite` = dev server).
 * Its pages load the built widget from the kit's `/widget/` with a script tag, as a merchant's pages do, so the dev
 * server proxies `/api` and `/widget` to the kit on `PORT` (8000).
 */
function demoConfig(): UserConfig {
  const kitPort = Number(process.env.PORT) || 8000;
  const kit = `http://127.0.0.1:${kitPort}`;
  return {
    root: DEMO_ROOT,
    publicDir: false,
    envPrefix: 'VITE_',
    define: { ...widgetSourceDefines(), 'import.meta.env.VITE_KIT_PORT': JSON.stringify(String(kitPort)) },
    server: {
      port: Number(process.env.DEMO_DEV_PORT) || 5173,
      strictPort: false,
      proxy: { '/api': kit, '/widget': kit },
    },
    build: {
      outDir: fileURLToPath(new URL('./dist/demo/', import.meta.url)),
      emptyOutDir: true,
      target: 'es2021',
      rollupOptions: {
        input: {
          index: join(DEMO_ROOT, 'index.html'),
          success: join(DEMO_ROOT, 'success.html'),
          account: join(DEMO_ROOT, 'account.html'),
        },
      },
    },
  };
}

/**
 * One config for the demo site (default build), the widget library (`--mode widget`) and Vitest.
 * The demo and widget blocks are filled in by the widget and demo work.
 */
export default defineConfig(({ mode }) => ({
  ...(mode === 'widget'
    ? widgetConfig()
    : mode === 'test'
      ? { define: widgetSourceDefines() }
      : demoConfig()),
  test: {
    root: '.',
    include: ['test/**/*.test.ts'],
    exclude: ['test/reliability/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
}));
