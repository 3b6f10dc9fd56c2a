import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckoutResponse, CheckoutStatusResponse } from '../../contract/contract.js';
import { createCheckoutStore } from '../../server/db/checkouts.js';
import { openDatabase } from '../../server/db/open.js';
import { startEmulator } from '../helpers/emulator.js';
import type { StartedEmulator } from '../helpers/emulator.js';
import { freePort, startKitProcess, stopKitProcess } from '../helpers/kit-process.js';
import type { KitProcess } from '../helpers/kit-process.js';
import { polarCheckout } from '../helpers/polar-payloads.js';

const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-checkout-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('recording a created checkout', () => {
  it('commits without a sync and leaves the connection at its own synchronous level', () => {
    const db = openDatabase({ path: path.join(tempDir(), 'kit.sqlite') });
    cleanups.push(() => db.close());
    const store = createCheckoutStore(db);
    const FULL = 2;
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    const first = polarCheckout({ id: '11111111-1111-4111-8111-111111111111' });
    expect(store.insert(first, { idempotencyKey: 'key-1', requestHash: 'h1' }).id).toBe(first.id);
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    // Also when the transaction fails: the key belongs to another checkout.
    const second = polarCheckout({ id: '22222222-2222-4222-8222-222222222222' });
    expect(() => store.insert(second, { idempotencyKey: 'key-1', requestHash: 'h2' })).toThrow(
      expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' }),
    );
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(store.get(second.id as string)).toBeNull();
  });
});

describe('a created checkout survives kill -9', () => {
  it('answers status polls and Idempotency-Key retries from the database after a restart', async () => {
    let emulator: StartedEmulator | null = await startEmulator();
    cleanups.push(() => emulator?.close());
    const dir = tempDir();
    const port = await freePort();
    const env = {
      PORT: String(port),
      POLAR_API_URL: emulator.url.replace(/\/+$/, ''),
      DATABASE_PATH: path.join(dir, 'kit.sqlite'),
      DEMO_EMBED_PORT: 'off',
      LOG_LEVEL: 'silent',
    };
    const base = `http://127.0.0.1:${port}`;
    const running: KitProcess[] = [];
    cleanups.push(async () => {
      for (const kit of running) await stopKitProcess(kit);
    });
    const kit = await startKitProcess(dir, env);
    running.push(kit);
    const request = {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'kill-9' },
      body: JSON.stringify({ product_id: MONTHLY }),
    };
    const response = await fetch(`${base}/api/checkout`, request);
    // Killed the moment the answer is in: no graceful shutdown, no later chance to write anything.
    kit.child.kill('SIGKILL');
    expect(response.status).toBe(201);
    const created = (await response.json()) as CheckoutResponse;
    expect(await kit.exited).toBe('SIGKILL');

    // Polar cannot be asked any more: whatever the restarted kit answers comes from its database.
    await emulator.close();
    emulator = null;
    running.push(await startKitProcess(dir, env));
    const status = await fetch(`${base}/api/checkout/${created.checkout_id}`);
    expect(status.status).toBe(200);
    expect(((await status.json()) as CheckoutStatusResponse).status).toBe('open');
    const retried = await fetch(`${base}/api/checkout`, request);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await retried.json()).toEqual(created);
  });
});
