/**
 * `--data FILE` keeps the emulator's state across restarts, and `polar-kit emulator` starts, answers and
 * stops cleanly.
 */
import { createPolar } from '@polar-sh/sdk/2026-10';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../helpers/emulator.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'polar-emulator-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('--data FILE', () => {
  it('keeps customers, orders, subscriptions, webhook endpoints and the clock across a restart', async () => {
    const dataFile = join(dir, 'emulator.sqlite');
    const first = await startEmulator({ dataFile });
    const polar = createPolar({ accessToken: 'x', baseUrl: first.url });
    const monthly = (await polar.products.list({ limit: 100 })).items.find((p) => p.name === 'Monthly Plan')!;
    const checkout = await polar.checkouts.create({
      products: [monthly.id],
      customer_email: 'keep@example.com',
    });
    await fetch(`${first.url}/_emulator/checkouts/${checkout.id}/pay`, { method: 'POST' });
    const endpoint = await polar.webhooks.createWebhookEndpoint({
      url: 'http://127.0.0.1:9/hook',
      format: 'raw',
      events: [],
    });
    await fetch(`${first.url}/_emulator/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance_seconds: 3600 }),
    });
    const order = (await polar.orders.list({})).items[0]!;
    await first.close();

    const second = await startEmulator({ dataFile });
    try {
      const again = createPolar({ accessToken: 'x', baseUrl: second.url });
      expect((await again.orders.get(order.id)).customer.email).toBe('keep@example.com');
      expect((await again.checkouts.get(checkout.id)).status).toBe('succeeded');
      expect((await again.subscriptions.list({})).items).toHaveLength(1);
      expect((await again.customers.list({ email: 'keep@example.com' })).items).toHaveLength(1);
      expect((await again.webhooks.listWebhookEndpoints({})).items.map((e) => e.id)).toContain(endpoint.id);
      const clock = (await (await fetch(`${second.url}/_emulator/clock`)).json()) as {
        offset_seconds: number;
      };
      expect(clock.offset_seconds).toBe(3600);
    } finally {
      await second.close();
    }
  });

  it('applies a catalogue given at restart over the saved one', async () => {
    const dataFile = join(dir, 'catalog-change.sqlite');
    const first = await startEmulator({ dataFile });
    await first.close();
    const second = await startEmulator({
      dataFile,
      catalog: { products: [{ name: 'Only Plan', price: { type: 'fixed', amount: 500 } }] },
    });
    try {
      const polar = createPolar({ accessToken: 'x', baseUrl: second.url });
      expect((await polar.products.list({ is_archived: false })).items.map((p) => p.name)).toEqual([
        'Only Plan',
      ]);
    } finally {
      await second.close();
    }
  });

  it('starts empty (with the catalogue) from a new file, and memory-only emulators share nothing', async () => {
    const a = await startEmulator({ dataFile: join(dir, 'new.sqlite') });
    const b = await startEmulator();
    try {
      await fetch(`${a.url}/_emulator/trigger`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'order.paid' }),
      });
      expect(a.store.state.orders).toHaveLength(1);
      expect(b.store.state.orders).toHaveLength(0);
      expect(b.store.state.products).toHaveLength(5);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

/** The URL `polar-kit emulator` prints once it listens (rejects if it exits first or prints none in 20 s). */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
  });
}

describe('polar-kit emulator', () => {
  it('starts on the given port, serves the catalogue from --catalog, and stops on SIGTERM', async () => {
    const catalog = join(dir, 'catalog.json');
    writeFileSync(
      catalog,
      JSON.stringify({
        products: [{ name: 'CLI Plan', recurring_interval: 'year', price: { type: 'fixed', amount: 1200 } }],
      }),
    );
    const child = spawn(
      process.execPath,
      ['bin/polar-kit.js', 'emulator', '--port', '0', '--catalog', catalog],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await listeningUrl(child);
      const polar = createPolar({ accessToken: 'x', baseUrl: url });
      expect((await polar.products.list({})).items.map((p) => p.name)).toEqual(['CLI Plan']);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('gives the checkout page the --fulfilment-timeout, and refuses one that is not whole milliseconds', async () => {
    const child = spawn(
      process.execPath,
      ['bin/polar-kit.js', 'emulator', '--port', '0', '--fulfilment-timeout', '2500'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await listeningUrl(child);
      const polar = createPolar({ accessToken: 'x', baseUrl: url });
      const [product] = (await polar.products.list({})).items;
      const checkout = await polar.checkouts.create({ products: [product!.id] });
      const page = await (await fetch(checkout.url)).text();
      expect(page).toMatch(/<meta name="polar-fulfilment-timeout-ms" content="2500"/);
    } finally {
      child.kill('SIGKILL');
    }
    const bad = spawn(process.execPath, ['bin/polar-kit.js', 'emulator', '--fulfilment-timeout', '1.5s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    bad.stderr.on('data', (c: Buffer) => (err += c.toString()));
    expect(await new Promise((resolve) => bad.once('exit', resolve))).toBe(2);
    expect(err).toContain('--fulfilment-timeout must be a whole number of milliseconds (got "1.5s")');
  });

  it('explains bad options and exits 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ products: [{ name: 'x', price: { type: 'free' } }] }));
    const child = spawn(
      process.execPath,
      ['bin/polar-kit.js', 'emulator', '--port', 'abc', '--catalog', bad],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('--port');
    expect(err).toContain('products.0.price');
  });

  it('prints its help', async () => {
    const child = spawn(process.execPath, ['bin/polar-kit.js', 'emulator', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
    expect(out).toContain('--webhook-secret');
    expect(out).toContain('4000 0025 0000 3155');
  });
});
