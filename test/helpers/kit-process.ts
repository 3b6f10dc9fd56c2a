import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/polar-kit.js', import.meta.url));

/** A free loopback TCP port (listen on 0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export type KitProcess = {
  child: ChildProcess;
  /** Everything printed so far. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
};

/**
 * Runs `node bin/polar-kit.js start` in `cwd` with exactly `env` (plus PATH and HOME), and resolves once it
 * printed its URLs (or rejects with its output when it exits first or takes longer than `timeoutMs`).
 */
export async function startKitProcess(
  cwd: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<KitProcess> {
  const child = spawn(process.execPath, [BIN, 'start'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kit did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      if (output.includes('Database ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`kit exited (${code}) before starting:\n${output}`));
    });
  });
  return { child, output: () => output, exited };
}

/** Stops a kit process: SIGTERM, then SIGKILL after `graceMs`. Resolves with its exit code or signal. */
export async function stopKitProcess(kit: KitProcess, graceMs = 10_000): Promise<number | string> {
  if (kit.child.exitCode !== null || kit.child.signalCode !== null) return kit.exited;
  kit.child.kill('SIGTERM');
  const timer = setTimeout(() => kit.child.kill('SIGKILL'), graceMs);
  const code = await kit.exited;
  clearTimeout(timer);
  return code;
}
