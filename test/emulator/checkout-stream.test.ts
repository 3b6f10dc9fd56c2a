import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCheckoutStream } from '../../emulator/checkout-stream.js';
import { errorHandler } from '../../emulator/errors.js';
import { checkoutsRouter } from '../../emulator/routes/checkouts.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { emulatorRest, type Json } from '../helpers/emulator-rest.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

type StreamMessage = { key: string; payload: Json; at: number };

/** A server-sent-event reader over `fetch` (Node has no EventSource): messages and comments as they come. */
type StreamReader = {
  response: Response;
  messages: StreamMessage[];
  comments: string[];
  close(): void;
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function openStream(url: string): Promise<StreamReader> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader: StreamReader = { response, messages: [], comments: [], close: () => controller.abort() };
  cleanups.push(() => reader.close());
  if (!response.ok || !response.body) return reader;
  const body = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    for (;;) {
      const chunk = await body.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return;
      buffer += chunk.value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of block.split('\n')) {
          if (line.startsWith('data: ')) {
            const message = JSON.parse(line.slice(6)) as { key: string; payload: Json };
            reader.messages.push({ ...message, at: Date.now() });
          } else if (line.startsWith(':')) {
            reader.comments.push(line);
          }
        }
      }
    }
  })();
  return reader;
}

async function emulatorWith(options: Parameters<typeof startEmulator>[0] = {}): Promise<StartedEmulator> {
  const emulator = await startEmulator(options);
  cleanups.push(() => emulator.close());
  return emulator;
}

async function createCheckout(emulator: StartedEmulator, recurring: boolean): Promise<Json> {
  const { body: products } = await emulatorRest(emulator.url, 'GET', '/v1/products/?limit=100');
  const product = (products.items as Json[]).find(
    (p) =>
      p.is_recurring === recurring && p.prices[0]?.amount_type === 'fixed' && p.prices[0].price_amount > 0,
  );
  if (!product) throw new Error('the default catalog lacks a paid product this test needs');
  const { status, body } = await emulatorRest(emulator.url, 'POST', '/v1/checkouts/', {
    products: [product.id],
  });
  expect(status).toBe(201);
  return body;
}

async function pay(emulator: StartedEmulator, checkout: Json): Promise<void> {
  const { status } = await emulatorRest(emulator.url, 'POST', `/_emulator/checkouts/${checkout.id}/pay`, {
    customer_email: 'buyer@example.com',
  });
  expect(status).toBe(200);
}

const streamUrl = (emulator: StartedEmulator, checkout: Json) =>
  `${emulator.url}/v1/checkouts/client/${checkout.client_secret}/stream`;

const keys = (messages: StreamMessage[]) =>
  messages.map((m) => (m.payload.status ? `${m.key}:${m.payload.status}` : m.key));

describe('GET /v1/checkouts/client/:client_secret/stream', () => {
  it('opens at once without an access token, as an uncached event stream', async () => {
    // emulatorRest's token is the only one accepted; the stream is opened with none.
    const emulator = await emulatorWith({ accessTokens: ['polar_oat_test'] });
    const checkout = await createCheckout(emulator, false);
    const stream = await openStream(streamUrl(emulator, checkout));
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.response.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 404 ResourceNotFound for an unknown client secret', async () => {
    const emulator = await emulatorWith();
    const response = await fetch(`${emulator.url}/v1/checkouts/client/polar_c_unknown/stream`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: 'ResourceNotFound', detail: 'Checkout not found.' });
  });

  it('reports a paid one-time checkout in order, delivered at once when no endpoint exists', async () => {
    const emulator = await emulatorWith();
    const checkout = await createCheckout(emulator, false);
    const stream = await openStream(streamUrl(emulator, checkout));
    await pay(emulator, checkout);
    await vi.waitFor(() => expect(stream.messages).toHaveLength(5));
    expect(keys(stream.messages)).toEqual([
      'checkout.updated:confirmed',
      'checkout.webhook_event_delivered:confirmed',
      'checkout.order_created',
      'checkout.updated:succeeded',
      'checkout.webhook_event_delivered:succeeded',
    ]);
  });

  it('reports the subscription of a recurring checkout before its order', async () => {
    const emulator = await emulatorWith();
    const checkout = await createCheckout(emulator, true);
    const stream = await openStream(streamUrl(emulator, checkout));
    await pay(emulator, checkout);
    await vi.waitFor(() => expect(stream.messages).toHaveLength(6));
    expect(keys(stream.messages)).toEqual([
      'checkout.updated:confirmed',
      'checkout.webhook_event_delivered:confirmed',
      'checkout.subscription_created',
      'checkout.order_created',
      'checkout.updated:succeeded',
      'checkout.webhook_event_delivered:succeeded',
    ]);
  });

  it('reports delivery at once when no enabled endpoint subscribes to checkout.updated', async () => {
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const emulator = await emulatorWith({ timeScale: 0.001 });
    emulator.webhooks.createEndpoint({ url: receiver.url, events: ['order.paid'] });
    const disabled = emulator.webhooks.createEndpoint({ url: receiver.url });
    emulator.webhooks.updateEndpoint(disabled.id, { enabled: false });
    const checkout = await createCheckout(emulator, false);
    const stream = await openStream(streamUrl(emulator, checkout));
    await pay(emulator, checkout);
    await vi.waitFor(() => expect(stream.messages).toHaveLength(5));
    expect(keys(stream.messages).slice(-2)).toEqual([
      'checkout.updated:succeeded',
      'checkout.webhook_event_delivered:succeeded',
    ]);
  });

  it('reports delivery only once the checkout.updated webhook got its 2xx, after a failed attempt', async () => {
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    let accept = false;
    const isPaidUpdate = (body: string) => {
      const event = JSON.parse(body) as Json;
      return event.type === 'checkout.updated' && event.data.status === 'succeeded';
    };
    receiver.respondWith((delivery) =>
      isPaidUpdate(delivery.body) && !accept ? { status: 500 } : { status: 200 },
    );
    // Retries in tens of milliseconds.
    const emulator = await emulatorWith({ timeScale: 0.01 });
    emulator.webhooks.createEndpoint({ url: receiver.url });
    const checkout = await createCheckout(emulator, false);
    const stream = await openStream(streamUrl(emulator, checkout));
    await pay(emulator, checkout);

    await vi.waitFor(() =>
      expect(receiver.received.filter((d) => isPaidUpdate(d.body)).length).toBeGreaterThan(0),
    );
    const failed = emulator.webhooks.deliveries({ type: 'checkout.updated' }).at(-1);
    await vi.waitFor(() =>
      expect(emulator.webhooks.delivery(failed!.webhook_id)?.attempts[0]?.status_code).toBe(500),
    );
    expect(keys(stream.messages)).toContain('checkout.updated:succeeded');
    expect(keys(stream.messages)).toContain('checkout.webhook_event_delivered:confirmed');
    expect(keys(stream.messages)).not.toContain('checkout.webhook_event_delivered:succeeded');

    accept = true;
    await vi.waitFor(
      () => expect(keys(stream.messages)).toContain('checkout.webhook_event_delivered:succeeded'),
      {
        timeout: 5_000,
      },
    );
    const record = emulator.webhooks.delivery(failed!.webhook_id)!;
    const statuses = record.attempts.map((a) => a.status_code);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.slice(0, -1)).toEqual(statuses.slice(0, -1).map(() => 500));
    expect(statuses.length).toBeGreaterThan(1);
    const accepted = receiver.received.filter((d) => isPaidUpdate(d.body)).at(-1)!;
    const delivered = stream.messages.find(
      (m) => m.key === 'checkout.webhook_event_delivered' && m.payload.status === 'succeeded',
    )!;
    expect(delivered.at).toBeGreaterThanOrEqual(accepted.receivedAt);
  });

  it('is hit only by faults whose path names the stream, so broader faults stay for the API calls', async () => {
    const emulator = await emulatorWith();
    const checkout = await createCheckout(emulator, false);
    const client = `/v1/checkouts/client/${checkout.client_secret}`;
    await emulatorRest(emulator.url, 'POST', '/_emulator/faults', { path: '/v1/checkouts', status: 503 });

    const stream = await openStream(streamUrl(emulator, checkout));
    expect(stream.response.status).toBe(200);
    expect((await emulatorRest(emulator.url, 'GET', client)).status).toBe(503);
    expect((await emulatorRest(emulator.url, 'GET', client)).status).toBe(200);

    await emulatorRest(emulator.url, 'POST', '/_emulator/faults', { path: `${client}/stream`, status: 503 });
    expect((await openStream(streamUrl(emulator, checkout))).response.status).toBe(503);
    expect((await openStream(streamUrl(emulator, checkout))).response.status).toBe(200);
  });

  it('sends only what is published after the listener connected', async () => {
    const emulator = await emulatorWith();
    const checkout = await createCheckout(emulator, false);
    await emulatorRest(emulator.url, 'PATCH', `/v1/checkouts/client/${checkout.client_secret}`, {
      customer_email: 'early@example.com',
    });
    const stream = await openStream(streamUrl(emulator, checkout));
    await emulatorRest(emulator.url, 'PATCH', `/v1/checkouts/client/${checkout.client_secret}`, {
      customer_email: 'late@example.com',
    });
    await vi.waitFor(() => expect(stream.messages.length).toBeGreaterThan(0));
    expect(keys(stream.messages)).toEqual(['checkout.updated:open', 'checkout.webhook_event_delivered:open']);
  });
});

describe('checkoutsRouter stream', () => {
  it('sends a comment heartbeat and stops listening when the client goes away', async () => {
    const emulator = await emulatorWith();
    const checkout = await createCheckout(emulator, false);
    const stream = createCheckoutStream({ clientSecretOf: () => undefined });
    const app = express().use('/v1/checkouts', checkoutsRouter(emulator.store, { stream, heartbeatMs: 20 }));
    app.use(errorHandler);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const reader = await openStream(`${url}/v1/checkouts/client/${checkout.client_secret}/stream`);
    expect(stream.listenerCount(checkout.client_secret)).toBe(1);
    await vi.waitFor(() => expect(reader.comments.length).toBeGreaterThanOrEqual(2));
    expect(reader.comments[0]).toMatch(/^: ping/);
    stream.publish(checkout.client_secret, 'checkout.order_created');
    await vi.waitFor(() => expect(keys(reader.messages)).toEqual(['checkout.order_created']));

    reader.close();
    await vi.waitFor(() => expect(stream.listenerCount()).toBe(0));
  });
});
