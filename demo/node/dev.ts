/**
 * `npm run dev`: the kit and the emulator (`polar-kit start`, restarted when the server code changes) and Vite's
 * dev server for the demo pages, which reload as they are edited; `/api` and `/widget` are proxied to the kit.
 * Stops both on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { ensureBuilt } from './ensure-built.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

ensureBuilt();

const kit = spawn(
  process.execPath,
  [
    ...['server', 'emulator', 'cli', 'contract'].map((dir) => `--watch-path=${path.join(ROOT, dir)}`),
    '--watch-preserve-output',
    path.join(ROOT, 'bin/polar-kit.js'),
    'start',
  ],
  { cwd: process.cwd(), stdio: 'inherit' },
);

const vite = await createServer({ configFile: path.join(ROOT, 'vite.config.ts'), mode: 'development' });
await vite.listen();
console.log(
  '\n  Demo (live)  ' + (vite.resolvedUrls?.local[0] ?? `http://localhost:${vite.config.server.port}/`),
);
console.log('  /api and /widget are proxied to the kit; edit demo/ and the page reloads.\n');

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  kit.kill('SIGTERM');
  await vite.close();
  process.exit(code);
}
kit.on('exit', (code) => void stop(code ?? 0));
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
