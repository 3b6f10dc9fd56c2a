import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  CheckoutResponse,
  CheckoutStatusResponse,
  HealthResponse,
  Product,
} from '../../contract/contract.js';
import { freePort, startKitProcess, stopKitProcess } from '../helpers/kit-process.js';
import type { KitProcess } from '../helpers/kit-process.js';
import { waitFor } from '../helpers/test-kit.js';

const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';

const running: KitProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  while (running.length > 0) await stopKitProcess(running.pop()!);
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-start-'));
  dirs.push(dir);
  return dir;
}

describe('polar-kit start', () => {
  it('with no configuration: serves health and the emulator catalogue, prints and keeps the admin token', async () => {
    const cwd = tempDir();
    const port = await freePort();
    const emulatorPort = await freePort();
    const env = { PORT: String(port), POLAR_EMULATOR_PORT: String(emulatorPort) };
    const kit = await startKitProcess(cwd, env);
    running.push(kit);

    const health = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(health.status).toBe(200);
    expect((await health.json()) as HealthResponse).toMatchObject({
      status: 'ok',
      polar: 'ok',
      database: 'ok',
    });
    const products = (await (await fetch(`http://127.0.0.1:${port}/api/products`)).json()) as Product[];
    expect(products.map((p) => p.name)).toEqual(
      expect.arrayContaining(['Monthly Plan', 'Yearly Plan', 'Lifetime License']),
    );
    // The emulator it started answers on its own port.
    expect(
      (
        await fetch(`http://127.0.0.1:${emulatorPort}/v1/products/`, {
          headers: { authorization: 'Bearer x' },
        })
      ).status,
    ).toBe(200);

    const token = /Admin token\s+(\S+)/.exec(kit.output())?.[1];
    expect(token).toBeDefined();

    // The emulator it started sends its webhooks to the kit, signed with the generated secret.
    const created = await fetch(`http://127.0.0.1:${port}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:5173' },
      body: JSON.stringify({ product_id: LIFETIME, email: 'start@example.com' }),
    });
    expect(created.status).toBe(201);
    const { checkout_id } = (await created.json()) as CheckoutResponse;
    const paid = await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/checkouts/${checkout_id}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123', name: 'S' },
        customer_email: 'start@example.com',
        customer_name: 'S',
      }),
    });
    expect(paid.status).toBe(200);
    const status = await waitFor(
      async () => {
        const body = (await (
          await fetch(`http://127.0.0.1:${port}/api/checkout/${checkout_id}`)
        ).json()) as CheckoutStatusResponse;
        return body.order ? body : null;
      },
      'the order webhook',
      { timeoutMs: 10_000 },
    );
    expect(status.order).toMatchObject({ paid: true, product_id: LIFETIME });
    const orders = await fetch(`http://127.0.0.1:${port}/api/orders/a%40example.com`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(orders.status).toBe(200);
    // Data lands in ./data of the working directory; the generated secrets are private to the user.
    expect(statSync(path.join(cwd, 'data', 'kit.sqlite')).isFile()).toBe(true);
    expect(statSync(path.join(cwd, 'data', 'secrets.json')).mode & 0o077).toBe(0);
    expect(kit.output()).not.toMatch(/whsec_/);

    expect(await stopKitProcess(running.pop()!)).toBe(0);
    const again = await startKitProcess(cwd, env);
    running.push(again);
    expect(/Admin token\s+(\S+)/.exec(again.output())?.[1]).toBe(token);
    // Kit and emulator both remember the purchase across the restart.
    const after = (await (
      await fetch(`http://127.0.0.1:${port}/api/checkout/${checkout_id}`)
    ).json()) as CheckoutStatusResponse;
    expect(after.order?.id).toBe(status.order!.id);
    const atEmulator = await fetch(`http://127.0.0.1:${emulatorPort}/v1/checkouts/${checkout_id}`, {
      headers: { authorization: 'Bearer x' },
    });
    expect(atEmulator.status).toBe(200);
  });

  it('stops with one message listing every bad variable', async () => {
    const cwd = tempDir();
    const failure = await startKitProcess(
      cwd,
      { PORT: 'x', LOG_LEVEL: 'loud', POLAR_SERVER: 'production' },
      15_000,
    ).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/exited \(2\)/);
    for (const variable of ['PORT', 'LOG_LEVEL', 'POLAR_ACCESS_TOKEN', 'POLAR_WEBHOOK_SECRET'])
      expect(failure).toContain(`- ${variable}:`);
  });

  it('fails with a clear message when its port is taken', async () => {
    const cwd = tempDir();
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const failure = await startKitProcess(cwd, {
        PORT: String(port),
        POLAR_EMULATOR_PORT: String(await freePort()),
      }).then(
        () => null,
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/exited \(1\)/);
      expect(failure).toContain('already in use');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
