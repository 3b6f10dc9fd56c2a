import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/polar-kit.js', import.meta.url));

/** Ports this process has handed out, so two calls never return the same one. */
const handedOut = new Set<number>();

/**
 * A free loopback TCP port for another process to listen on. It is drawn from 20000–32767, below Linux's
 * ephemeral range (32768–60999): a port the kernel picked for `listen(0)` is, once closed, free for the kernel to
 * give to the next outgoing connection (browsers and `fetch` open many), and the process it was meant for then
 * finds it in use.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port in 20000-32767 after 200 tries');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Starts `polar-kit start` like {@link startKitProcess}, with a fresh free port in each of the `ports` variables
 * (e.g. `PORT`). Another test process can take a port between the check and the kit's listen; when the kit says a
 * port is in use, it is started again on new ports (three tries).
 */
export async function startKitOnFreePorts(
  cwd: string,
  ports: readonly string[],
  env: Record<string, string>,
): Promise<{ kit: KitProcess; ports: Record<string, number> }> {
  for (let attempt = 1; ; attempt++) {
    const chosen: Record<string, number> = {};
    for (const name of ports) chosen[name] = await freePort();
    const portEnv = Object.fromEntries(Object.entries(chosen).map(([name, port]) => [name, String(port)]));
    try {
      return { kit: await startKitProcess(cwd, { ...env, ...portEnv }), ports: chosen };
    } catch (error) {
      if (attempt >= 3 || !String((error as Error).message).includes('already in use')) throw error;
    }
  }
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
