import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createPolar, errors as polarErrors } from '@polar-sh/sdk/2026-10';
import express from 'express';
import { Polar as StrictPolar } from 'polar-sdk-strict';
import { HTTPValidationError } from 'polar-sdk-strict/models/errors/httpvalidationerror.js';
import { ResourceNotFound } from 'polar-sdk-strict/models/errors/resourcenotfound.js';
import { validateEvent as validateEvent049 } from 'polar-sdk-strict/webhooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createWebhookDispatcher,
  deliveriesRouter,
  webhookEndpointsRouter,
  type DeliveryRecord,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
} from '../../emulator/webhooks.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const ORG_ID = '1dbfc517-0bbf-4301-9ba8-555ca42b9737';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

type Harness = { url: string; dispatcher: WebhookDispatcher; receiver: WebhookReceiver };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The two routers mounted the way the emulator app mounts them, behind a bearer check like its own. */
async function start(options: Partial<WebhookDispatcherOptions> = {}): Promise<Harness> {
  const receiver = await startWebhookReceiver();
  cleanups.push(() => receiver.close());
  const dispatcher = createWebhookDispatcher({ organizationId: ORG_ID, timeScale: 0.001, ...options });
  cleanups.push(() => dispatcher.close());
  const app = express();
  app.use('/v1', (req, res, next) => {
    if (!/^Bearer \S+$/.test(req.get('authorization') ?? '')) {
      res.status(401).json({ error: 'Unauthorized', detail: 'Unauthorized' });
      return;
    }
    next();
  });
  app.use('/v1/webhooks', webhookEndpointsRouter(dispatcher));
  app.use('/_emulator/deliveries', deliveriesRouter(dispatcher));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, dispatcher, receiver };
}

function sdk1(url: string) {
  return createPolar({ accessToken: 'polar_oat_test', baseUrl: url });
}

function sdk049(url: string) {
  return new StrictPolar({ accessToken: 'polar_oat_test', serverURL: url });
}

describe('/v1/webhooks/endpoints through SDK 1.x', () => {
  it('creates (201), gets, lists, updates, resets the secret of and deletes an endpoint', async () => {
    const h = await start();
    const polar = sdk1(h.url);
    const created = await polar.webhooks.createWebhookEndpoint({
      url: h.receiver.url,
      format: 'raw',
      events: ['order.paid', 'subscription.active'],
      name: 'kit',
    });
    expect(created).toMatchObject({
      url: h.receiver.url,
      format: 'raw',
      events: ['order.paid', 'subscription.active'],
      enabled: true,
      name: 'kit',
      api_version: '2026-10',
      organization_id: ORG_ID,
      uses_standard_webhook_signature: true,
      modified_at: null,
    });
    expect(created.secret).toMatch(/^whsec_/);

    await expect(polar.webhooks.getWebhookEndpoint(created.id)).resolves.toEqual(created);
    const list = await polar.webhooks.listWebhookEndpoints({ organization_id: ORG_ID });
    expect(list).toEqual({ items: [created], pagination: { total_count: 1, max_page: 1 } });

    const updated = await polar.webhooks.updateWebhookEndpoint(created.id, {
      events: ['order.refunded'],
      enabled: false,
    });
    expect(updated).toMatchObject({
      id: created.id,
      events: ['order.refunded'],
      enabled: false,
      secret: created.secret,
    });
    const reset = await polar.webhooks.resetWebhookEndpointSecret(created.id);
    expect(reset.secret).not.toBe(created.secret);

    await expect(polar.webhooks.deleteWebhookEndpoint(created.id)).resolves.toBeUndefined();
    // The statuses themselves, which 1.x does not check.
    const auth = { authorization: 'Bearer t', 'content-type': 'application/json' };
    const raw = await fetch(`${h.url}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: h.receiver.url, format: 'raw', events: [] }),
    });
    expect(raw.status).toBe(201);
    const rawId = ((await raw.json()) as { id: string }).id;
    const deleted = await fetch(`${h.url}/v1/webhooks/endpoints/${rawId}`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(deleted.status).toBe(204);
    await expect(polar.webhooks.getWebhookEndpoint(created.id)).rejects.toBeInstanceOf(
      polarErrors.ResourceNotFound,
    );
    await expect(polar.webhooks.deleteWebhookEndpoint(created.id)).rejects.toBeInstanceOf(
      polarErrors.ResourceNotFound,
    );
  });

  it('pages the list with page and limit', async () => {
    const h = await start();
    const polar = sdk1(h.url);
    for (let i = 0; i < 3; i++)
      await polar.webhooks.createWebhookEndpoint({
        url: `${h.receiver.url}?n=${i}`,
        format: 'raw',
        events: [],
      });
    const first = await polar.webhooks.listWebhookEndpoints({ page: 1, limit: 2 });
    const second = await polar.webhooks.listWebhookEndpoints({ page: 2, limit: 2 });
    expect(first.pagination).toEqual({ total_count: 3, max_page: 2 });
    expect(first.items.map((e) => e.url)).toEqual([`${h.receiver.url}?n=0`, `${h.receiver.url}?n=1`]);
    expect(second.items.map((e) => e.url)).toEqual([`${h.receiver.url}?n=2`]);
    const other = await polar.webhooks.listWebhookEndpoints({ organization_id: MISSING_ID });
    expect(other).toEqual({ items: [], pagination: { total_count: 0, max_page: 0 } });
  });

  it('answers 422 with Polar’s detail for a bad URL or an unknown event type', async () => {
    const h = await start();
    const polar = sdk1(h.url);
    const err = await polar.webhooks
      .createWebhookEndpoint({ url: 'not-a-url', format: 'raw', events: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(polarErrors.HTTPValidationError);
    const res = await fetch(`${h.url}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:1/x', format: 'raw', events: ['order.shipped'] }),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: Array<{ loc: unknown[]; msg: string; type: string }> };
    expect(body.detail[0]?.loc).toEqual(['body', 'events', 0]);

    const bad = await fetch(`${h.url}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{"url": ',
    });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { detail: Array<{ type: string }> }).detail[0]?.type).toBe('json_invalid');

    const incomplete = await fetch(`${h.url}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:1/x' }),
    });
    expect(incomplete.status).toBe(422);
    expect(
      ((await incomplete.json()) as { detail: Array<{ loc: unknown[] }> }).detail.map((x) => x.loc),
    ).toEqual([
      ['body', 'format'],
      ['body', 'events'],
    ]);

    const paging = await fetch(`${h.url}/v1/webhooks/endpoints?limit=101`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(paging.status).toBe(422);
  });

  it('answers 401 without a bearer token (the app’s check runs first)', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/v1/webhooks/endpoints`);
    expect(res.status).toBe(401);
  });

  it('lists deliveries and redelivers an event (202)', async () => {
    const h = await start();
    const polar = sdk1(h.url);
    const endpoint = await polar.webhooks.createWebhookEndpoint({
      url: h.receiver.url,
      format: 'raw',
      events: ['order.paid'],
    });
    h.dispatcher.emit('order.paid', { id: 'o1' });
    await h.dispatcher.drain();
    const deliveries = await polar.webhooks.listWebhookDeliveries({ endpoint_id: endpoint.id });
    expect(deliveries.pagination.total_count).toBe(1);
    const [delivery] = deliveries.items;
    expect(delivery).toMatchObject({ succeeded: true, http_code: 200 });
    expect(delivery?.webhook_event.type).toBe('order.paid');

    await polar.webhooks.redeliverWebhookEvent(delivery?.webhook_event.id ?? '');
    await h.dispatcher.drain();
    expect(h.receiver.received.map((r) => r.headers['webhook-id'])).toEqual([
      delivery?.webhook_event.id,
      delivery?.webhook_event.id,
    ]);
    await expect(polar.webhooks.redeliverWebhookEvent(MISSING_ID)).rejects.toBeInstanceOf(
      polarErrors.ResourceNotFound,
    );
  });
});

describe('/v1/webhooks/endpoints through SDK 0.49 (strict schemas)', () => {
  it('parses every answer without a validation error', async () => {
    const h = await start();
    const polar = sdk049(h.url);
    const created = await polar.webhooks.createWebhookEndpoint({
      url: h.receiver.url,
      format: 'raw',
      events: ['order.paid', 'subscription.active'],
    });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.organizationId).toBe(ORG_ID);
    expect(created.secret).toMatch(/^whsec_/);

    await expect(polar.webhooks.getWebhookEndpoint({ id: created.id })).resolves.toMatchObject({
      id: created.id,
    });
    const page = await polar.webhooks.listWebhookEndpoints({});
    expect(page.result.items.map((e) => e.id)).toEqual([created.id]);
    expect(page.result.pagination).toEqual({ totalCount: 1, maxPage: 1 });

    const updated = await polar.webhooks.updateWebhookEndpoint({
      id: created.id,
      webhookEndpointUpdate: { url: `${h.receiver.url}?v=2`, events: ['order.paid'] },
    });
    expect(updated.modifiedAt).toBeInstanceOf(Date);
    expect(updated.url).toBe(`${h.receiver.url}?v=2`);

    h.dispatcher.emit('order.paid', { id: 'o1' });
    await h.dispatcher.drain();
    const deliveries = await polar.webhooks.listWebhookDeliveries({ endpointId: created.id });
    expect(deliveries.result.items[0]?.webhookEvent.type).toBe('order.paid');
    expect(deliveries.result.items[0]?.succeeded).toBe(true);
    await polar.webhooks.redeliverWebhookEvent({ id: deliveries.result.items[0]?.webhookEvent.id ?? '' });

    const reset = await polar.webhooks.resetWebhookEndpointSecret({ id: created.id });
    expect(reset.secret).not.toBe(created.secret);
    await expect(polar.webhooks.deleteWebhookEndpoint({ id: created.id })).resolves.toBeUndefined();
  });

  it('raises ResourceNotFound for a missing endpoint and HTTPValidationError for bad input', async () => {
    const h = await start();
    const polar = sdk049(h.url);
    await expect(polar.webhooks.getWebhookEndpoint({ id: MISSING_ID })).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
    await expect(polar.webhooks.deleteWebhookEndpoint({ id: MISSING_ID })).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
    await expect(
      polar.webhooks.updateWebhookEndpoint({ id: MISSING_ID, webhookEndpointUpdate: { enabled: true } }),
    ).rejects.toBeInstanceOf(ResourceNotFound);
    await expect(
      polar.webhooks.createWebhookEndpoint({ url: 'ftp://example.com', format: 'raw', events: [] }),
    ).rejects.toBeInstanceOf(HTTPValidationError);
  });

  it('verifies deliveries to an endpoint created with a legacy secret', async () => {
    const h = await start();
    const endpoint = h.dispatcher.createEndpoint({
      url: h.receiver.url,
      secret: 'polar_whs_legacy',
      events: ['checkout.created'],
    });
    const checkout = JSON.parse(
      readFileSync(new URL('../fixtures/polar/checkout.json', import.meta.url), 'utf8'),
    ) as object;
    h.dispatcher.emit('checkout.created', checkout);
    await h.dispatcher.drain();
    const [got] = h.receiver.received;
    const event = validateEvent049(got?.body ?? '', got?.headers ?? {}, endpoint.secret);
    expect(event.type).toBe('checkout.created');
  });
});

describe('/_emulator/deliveries', () => {
  it('lists the log with filters and redelivers by webhook id', async () => {
    const h = await start({ maxAttempts: 1 });
    h.receiver.respondWith((got) => ({ status: got.body.includes('"order.created"') ? 500 : 200 }));
    h.dispatcher.createEndpoint({ url: h.receiver.url });
    h.dispatcher.emit('order.created', { id: 'o' });
    h.dispatcher.emit('order.paid', { id: 'o' });
    await h.dispatcher.drain();

    const all = (await (await fetch(`${h.url}/_emulator/deliveries`)).json()) as { items: DeliveryRecord[] };
    expect(all.items.map((r) => r.type)).toEqual(['order.created', 'order.paid']);
    const paid = (await (await fetch(`${h.url}/_emulator/deliveries?type=order.paid`)).json()) as {
      items: DeliveryRecord[];
    };
    expect(paid.items).toHaveLength(1);
    expect(paid.items[0]).toMatchObject({ type: 'order.paid', status: 'succeeded' });
    const failed = (await (await fetch(`${h.url}/_emulator/deliveries?status=failed`)).json()) as {
      items: DeliveryRecord[];
    };
    expect(failed.items.map((r) => r.type)).toEqual(['order.created']);
    expect((await fetch(`${h.url}/_emulator/deliveries?status=bogus`)).status).toBe(422);

    const id = paid.items[0]?.webhook_id ?? '';
    const one = await fetch(`${h.url}/_emulator/deliveries/${id}`);
    expect(((await one.json()) as DeliveryRecord).payload).toBe(
      h.receiver.received.find((r) => r.headers['webhook-id'] === id)?.body,
    );

    const redeliver = await fetch(`${h.url}/_emulator/deliveries/${id}/redeliver`, { method: 'POST' });
    expect(redeliver.status).toBe(202);
    await h.dispatcher.drain();
    expect(h.receiver.received.filter((r) => r.headers['webhook-id'] === id)).toHaveLength(2);

    const missing = await fetch(`${h.url}/_emulator/deliveries/${MISSING_ID}/redeliver`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'ResourceNotFound', detail: 'Not found' });
  });
});
