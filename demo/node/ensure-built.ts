/**
 * Builds the widget (`dist/widget/`) and the demo (`dist/demo/`) when they are missing or older than their sources,
 * so that `npm start` and the browser tests always serve what the sources say. Fast when both are up to date.
 * Run as `node --import tsx demo/node/ensure-built.ts`; safe to run from several processes at once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Target = {
  name: string;
  /** The file whose age stands for the build. */
  output: string;
  sources: string[];
  args: string[];
  lock: string;
};

const TARGETS: Target[] = [
  {
    name: 'widget',
    output: 'dist/widget/sri.json',
    sources: ['widget', 'contract', 'vite.config.ts', 'package-lock.json'],
    args: ['build', '--mode', 'widget', '--logLevel', 'error'],
    lock: 'dist/.widget-build-lock',
  },
  {
    name: 'demo',
    output: 'dist/demo/index.html',
    sources: [
      'demo/index.html',
      'demo/success.html',
      'demo/account.html',
      'demo/styles.css',
      'demo/src',
      'contract',
      'vite.config.ts',
    ],
    args: ['build', '--logLevel', 'error'],
    lock: 'dist/.demo-build-lock',
  },
];

function newest(file: string): number {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(file).map((name) => newest(path.join(file, name))));
}

function isStale(target: Target): boolean {
  const output = path.join(ROOT, target.output);
  return (
    !existsSync(output) ||
    statSync(output).mtimeMs < Math.max(...target.sources.map((source) => newest(path.join(ROOT, source))))
  );
}

function withLock(lock: string, run: () => void): void {
  const dir = path.join(ROOT, lock);
  mkdirSync(path.dirname(dir), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(dir);
      break;
    } catch {
      // A build takes seconds; a lock older than two minutes was left by a killed run.
      const stat = statSync(dir, { throwIfNoEntry: false });
      if (stat && Date.now() - stat.mtimeMs > 120_000) rmdirSync(dir);
      if (waited > 120_000)
        throw new Error(`${dir} is held for over two minutes; remove it if no build is running.`);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    run();
  } finally {
    rmdirSync(dir);
  }
}

/** Builds whatever is stale. Returns the names of the builds it ran. */
export function ensureBuilt(): string[] {
  const built: string[] = [];
  for (const target of TARGETS) {
    if (!isStale(target)) continue;
    withLock(target.lock, () => {
      // Another process may have built it while this one waited.
      if (!isStale(target)) return;
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), ...target.args], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      built.push(target.name);
    });
  }
  return built;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const built = ensureBuilt();
  if (built.length > 0) console.log(`built ${built.join(' and ')} in ${Date.now() - started} ms`);
}
