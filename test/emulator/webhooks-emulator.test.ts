import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhooks as polarWebhooks } from '@polar-sh/sdk/2026-10';
import { Polar as StrictPolar } from 'polar-sdk-strict';
import { validateEvent as validateEvent049 } from 'polar-sdk-strict/webhooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryRecord } from '../../emulator/webhooks.js';
import { startEmulator } from '../helpers/emulator.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('webhooks inside the emulator app', () => {
  it('registers the start-up endpoint with its secret and scheme, and delivers to it', async () => {
    const r = await startWebhookReceiver();
    cleanups.push(() => r.close());
    const secret = 'kit-local-secret';
    const emulator = await startEmulator({
      timeScale: 0.001,
      webhook: { url: r.url, secret, standardSignature: false },
    });
    cleanups.push(() => emulator.close());

    const [endpoint] = emulator.webhooks.listEndpoints();
    expect(endpoint).toMatchObject({
      url: r.url,
      secret,
      uses_standard_webhook_signature: false,
      enabled: true,
    });

    const res = await fetch(`${emulator.url}/_emulator/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'order.paid' }),
    });
    expect(res.ok).toBe(true);
    await emulator.webhooks.drain();
    expect(r.received.length).toBeGreaterThan(0);
    for (const got of r.received) {
      await expect(polarWebhooks.validateEvent(got.body, got.headers, secret)).resolves.toBeTruthy();
      expect(validateEvent049(got.body, got.headers, secret).type).toBe(JSON.parse(got.body).type);
    }
    expect(r.received.map((g) => JSON.parse(g.body).type)).toContain('order.paid');

    const log = (await (await fetch(`${emulator.url}/_emulator/deliveries?type=order.paid`)).json()) as {
      items: DeliveryRecord[];
    };
    expect(log.items.length).toBeGreaterThan(0);
    expect(log.items.every((x) => x.type === 'order.paid' && x.status === 'succeeded')).toBe(true);
  });

  it('serves /v1/webhooks/endpoints behind the bearer check, parsed by SDK 0.49', async () => {
    const emulator = await startEmulator({ accessTokens: ['polar_oat_good'] });
    cleanups.push(() => emulator.close());
    expect((await fetch(`${emulator.url}/v1/webhooks/endpoints`)).status).toBe(401);
    expect(
      (await fetch(`${emulator.url}/v1/webhooks/endpoints`, { headers: { authorization: 'Bearer wrong' } }))
        .status,
    ).toBe(401);

    const polar = new StrictPolar({ accessToken: 'polar_oat_good', serverURL: emulator.url });
    const created = await polar.webhooks.createWebhookEndpoint({
      url: 'http://127.0.0.1:9/unused',
      format: 'raw',
      events: ['order.paid'],
    });
    const page = await polar.webhooks.listWebhookEndpoints({});
    expect(page.result.items.map((e) => e.id)).toEqual([created.id]);
    await polar.webhooks.deleteWebhookEndpoint({ id: created.id });
    expect(emulator.webhooks.listEndpoints()).toEqual([]);
  });

  it('keeps endpoints and the delivery log across restarts with a data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polar-kit-webhooks-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dataFile = join(dir, 'emulator.sqlite');
    const r = await startWebhookReceiver();
    cleanups.push(() => r.close());

    const first = await startEmulator({ timeScale: 0.001, dataFile });
    const endpoint = first.webhooks.createEndpoint({ url: r.url });
    first.webhooks.emit('product.updated', { id: 'p1' });
    await first.webhooks.drain();
    const before = first.webhooks.deliveries();
    await first.close();

    const second = await startEmulator({ timeScale: 0.001, dataFile });
    cleanups.push(() => second.close());
    expect(second.webhooks.listEndpoints()).toEqual([endpoint]);
    expect(second.webhooks.deliveries()).toEqual(before);

    second.webhooks.emit('product.updated', { id: 'p2' });
    await second.webhooks.drain();
    const last = r.received.at(-1);
    await expect(
      polarWebhooks.validateEvent(last?.body ?? '', last?.headers ?? {}, endpoint.secret),
    ).resolves.toMatchObject({ type: 'product.updated' });
  });

  it('forgets endpoints and deliveries on /_emulator/reset but keeps the start-up endpoint', async () => {
    const r = await startWebhookReceiver();
    cleanups.push(() => r.close());
    const emulator = await startEmulator({ timeScale: 0.001, webhook: { url: r.url } });
    cleanups.push(() => emulator.close());
    emulator.webhooks.createEndpoint({ url: `${r.url}?extra` });
    emulator.webhooks.emit('product.updated', { id: 'p' });
    await emulator.webhooks.drain();
    expect((await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' })).ok).toBe(true);
    expect(emulator.webhooks.listEndpoints().map((e) => e.url)).toEqual([r.url]);
    expect(emulator.webhooks.listEndpoints()[0]?.uses_standard_webhook_signature).toBe(true);
    expect(
      emulator.webhooks.deliveries().filter((x) => x.type === 'product.updated' && x.payload.includes('"p"')),
    ).toEqual([]);
  });
});
