import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator } from './emulator.js';
import type { StartedEmulator } from './emulator.js';
import { startKitOnFreePorts, stopKitProcess } from './kit-process.js';

/**
 * Starts an emulator (with no webhook endpoint registered) and `polar-kit start` pointed at it, on a free port
 * with a temp data folder, the demo's second origin off and a silent log; `env` adds or overrides variables.
 * Their teardown is pushed onto `cleanups` (run them in reverse order).
 */
export async function startStandaloneKit(
  env: Record<string, string>,
  cleanups: Array<() => Promise<unknown> | void>,
): Promise<{ url: string; emulator: StartedEmulator }> {
  const emulator = await startEmulator();
  cleanups.push(() => emulator.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-standalone-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const {
    kit,
    ports: { PORT: port },
  } = await startKitOnFreePorts(dir, ['PORT'], {
    POLAR_API_URL: emulator.url.replace(/\/+$/, ''),
    DATABASE_PATH: path.join(dir, 'kit.sqlite'),
    DEMO_EMBED_PORT: 'off',
    LOG_LEVEL: 'silent',
    ...env,
  });
  cleanups.push(() => stopKitProcess(kit));
  return { url: `http://127.0.0.1:${port}`, emulator };
}
