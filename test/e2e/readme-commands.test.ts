/**
 * The commands the README tells a developer to run, run as written: `npm start`, `npm run dev`, and the emulator's.
 * (`npm test` is what runs this; `npm install` is CI's first step.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthResponse } from '../../contract/contract.js';
import { freePort } from '../helpers/kit-process.js';
import { waitFor } from '../helpers/test-kit.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

type Running = { child: ChildProcess; output(): string; exited: Promise<number | null> };
const running: Running[] = [];
const dirs: string[] = [];

/** Runs a shell command line from the repository root in its own process group. */
function run(commandLine: string, env: Record<string, string> = {}): Running {
  const child = spawn('sh', ['-c', commandLine], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle = { child, output: () => output, exited };
  running.push(handle);
  return handle;
}

async function stop(handle: Running): Promise<void> {
  if (handle.child.exitCode !== null || handle.child.signalCode !== null) return;
  try {
    process.kill(-handle.child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-handle.child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  }, 10_000);
  await handle.exited;
  clearTimeout(timer);
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-readme-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map(stop));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sh = (line: string) => README.includes(line);

describe('the README commands', () => {
  it('shows them as written', () => {
    for (const line of [
      'npm install && npm start',
      'npm test',
      'npm run dev',
      'npx polar-kit emulator --help',
      'npx polar-kit emulator --port 8001 --webhook-url http://127.0.0.1:8000/api/webhooks/polar',
      '<script src="https://shop.example.com/widget/polar-checkout.js"></script>',
      '<polar-pricing-table api-base="https://shop.example.com"></polar-pricing-table>',
    ]) {
      expect(sh(line), line).toBe(true);
    }
  });

  it('npm start builds what is stale and serves the demo, the widget, the API and the any-website page', async () => {
    const dir = tempDir();
    const [port, emulatorPort, embedPort] = [await freePort(), await freePort(), await freePort()];
    const start = run('npm start', {
      PORT: String(port),
      POLAR_EMULATOR_PORT: String(emulatorPort),
      DEMO_EMBED_PORT: String(embedPort),
      DATABASE_PATH: path.join(dir, 'kit.sqlite'),
    });
    await waitFor(() => start.output().includes('Admin token'), 'npm start to print its URLs', {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    expect(start.output()).toContain(`Demo         http://localhost:${port}/`);
    expect(start.output()).toContain(`any website: http://localhost:${embedPort}/`);
    expect(start.output()).toContain(`http://127.0.0.1:${emulatorPort} (local emulator)`);

    const kit = `http://127.0.0.1:${port}`;
    const home = await fetch(`${kit}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<polar-pricing-table id="pricing">');
    for (const page of ['/success.html', '/account.html', '/widget/polar-checkout.js']) {
      expect((await fetch(`${kit}${page}`)).status, page).toBe(200);
    }
    const health = (await (await fetch(`${kit}/api/health`)).json()) as HealthResponse;
    expect(health).toMatchObject({ status: 'ok', mode: 'local' });
    const anyWebsite = await (await fetch(`http://127.0.0.1:${embedPort}/`)).text();
    expect(anyWebsite).toContain(`<script src="http://localhost:${port}/widget/polar-checkout.js"></script>`);
    expect(anyWebsite).toContain(
      `<polar-pricing-table api-base="http://localhost:${port}"></polar-pricing-table>`,
    );
    expect((await fetch(`http://127.0.0.1:${embedPort}/other`)).status).toBe(404);
  }, 90_000);

  it('npm run dev serves the demo pages live with /api proxied to the kit', async () => {
    const dir = tempDir();
    const [port, emulatorPort, embedPort, devPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const dev = run('npm run dev', {
      PORT: String(port),
      POLAR_EMULATOR_PORT: String(emulatorPort),
      DEMO_EMBED_PORT: String(embedPort),
      DEMO_DEV_PORT: String(devPort),
      DATABASE_PATH: path.join(dir, 'kit.sqlite'),
    });
    await waitFor(
      () => dev.output().includes('Demo (live)') && dev.output().includes('Admin token'),
      'npm run dev to start the kit and Vite',
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const url = `http://localhost:${devPort}`;
    const home = await (await fetch(`${url}/`)).text();
    expect(home).toContain('Simple pricing for your notes');
    expect(home).toContain('/@vite/client');
    const health = (await (await fetch(`${url}/api/health`)).json()) as HealthResponse;
    expect(health).toMatchObject({ status: 'ok', mode: 'local' });
    expect((await fetch(`${url}/widget/polar-checkout.js`)).status).toBe(200);
  }, 90_000);

  it('npx polar-kit emulator --help lists the options and the test cards', async () => {
    const help = run('npx polar-kit emulator --help');
    expect(await help.exited).toBe(0);
    for (const text of [
      '--webhook-url URL',
      '--catalog FILE',
      '--time-scale N',
      '4242 4242 4242 4242',
      '4000 0025 0000 3155',
    ])
      expect(help.output()).toContain(text);
  }, 60_000);

  it('npx polar-kit emulator --port … --webhook-url … runs the emulator with its control API', async () => {
    const port = await freePort();
    const emulator = run(
      `npx polar-kit emulator --port ${port} --webhook-url http://127.0.0.1:8000/api/webhooks/polar`,
    );
    await waitFor(() => emulator.output().includes('Press Ctrl+C'), 'the emulator to start', {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    expect(emulator.output()).toMatch(
      /webhook\s+http:\/\/127\.0\.0\.1:8000\/api\/webhooks\/polar\s+secret whsec_/,
    );
    const control = (await (await fetch(`http://127.0.0.1:${port}/_emulator`)).json()) as {
      endpoints: string[];
    };
    expect(control.endpoints).toContain('POST /_emulator/reset');
    const products = await fetch(`http://127.0.0.1:${port}/v1/products/`, {
      headers: { Authorization: 'Bearer any' },
    });
    expect(products.status).toBe(200);
  }, 60_000);
});
