import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessResponse } from '../../contract/contract.js';
import { freePort, startKitProcess, stopKitProcess } from '../helpers/kit-process.js';
import type { KitProcess } from '../helpers/kit-process.js';
import { polarCustomer, webhookEvent } from '../helpers/polar-payloads.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';

const ADMIN = 'crash-test-admin-token-0123456789';

const running: KitProcess[] = [];
let dir: string | null = null;
afterEach(async () => {
  while (running.length > 0) await stopKitProcess(running.pop()!);
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('a webhook answered 2xx survives kill -9', () => {
  it('is in the database after the process is killed right after the answer and restarted', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-crash-'));
    const secret = generateWebhookSecret();
    const port = await freePort();
    const env = {
      PORT: String(port),
      POLAR_EMULATOR_PORT: String(await freePort()),
      POLAR_WEBHOOK_SECRET: secret,
    };
    // The admin token comes from the working directory's .env file.
    writeFileSync(path.join(dir, '.env'), `# test\nKIT_ADMIN_TOKEN="${ADMIN}"\n`);
    const base = `http://127.0.0.1:${port}`;
    const kit = await startKitProcess(dir, env);
    running.push(kit);

    const email = 'crash@example.com';
    const customer = polarCustomer({ email, external_id: 'crash_user', modified_at: '2026-01-15T10:00:01Z' });
    const delivery = signedDelivery(webhookEvent('customer.created', customer), secret);
    const response = await fetch(`${base}/api/webhooks/polar`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    // Killed the moment the answer is in: no graceful shutdown, no chance to flush anything later.
    kit.child.kill('SIGKILL');
    expect(response.status).toBe(202);
    expect(await kit.exited).toBe('SIGKILL');
    running.pop();

    const restarted = await startKitProcess(dir, env);
    running.push(restarted);
    const again = await fetch(`${base}/api/webhooks/polar`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    const access = await fetch(`${base}/api/customers/crash_user/access`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(access.status).toBe(200);
    expect(((await access.json()) as AccessResponse).email).toBe(email);
  });
});
