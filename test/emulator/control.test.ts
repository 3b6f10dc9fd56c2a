/**
 * The control API (`/_emulator`): fault switches seen through the SDKs, triggered events, reset, catalogue
 * replacement, the clock and the event sequences the domain actions emit.
 */
import { PolarNetworkError, PolarRateLimitError, PolarServerError } from '@polar-sh/sdk';
import { createPolar } from '@polar-sh/sdk/2026-10';
import { validateEvent as validateEvent049 } from 'polar-sdk-strict/webhooks';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are inspected freely in assertions
type Json = any;

let emu: StartedEmulator;
let polar: ReturnType<typeof createPolar>;

beforeEach(async () => {
  emu = await startEmulator({ timeScale: 0.001 });
  polar = createPolar({ accessToken: 'polar_oat_test', baseUrl: emu.url, timeout: 1 });
});
afterEach(async () => {
  await emu.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: 'Bearer polar_oat_test' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('fault switches', () => {
  it('answers 5xx for the next N matching requests, then recovers', async () => {
    const added = await call('POST', '/_emulator/faults', { path: '/v1/products', status: 503, count: 2 });
    expect(added.status).toBe(201);
    await expect(polar.products.list({})).rejects.toBeInstanceOf(PolarServerError);
    await expect(polar.products.list({})).rejects.toBeInstanceOf(PolarServerError);
    expect((await polar.products.list({})).items).toHaveLength(5);
  });

  it('answers 429 with Retry-After, only for the given method', async () => {
    await call('POST', '/_emulator/faults', {
      path: '/v1/checkouts',
      method: 'POST',
      status: 429,
      retry_after: 7,
    });
    const products = await polar.products.list({});
    const err = await polar.checkouts.create({ products: [products.items[0]!.id] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolarRateLimitError);
    expect((err as PolarRateLimitError).retryAfter).toBe(7);
    expect((await polar.checkouts.create({ products: [products.items[0]!.id] })).status).toBe('open');
  });

  it('hangs until the client gives up', async () => {
    await call('POST', '/_emulator/faults', { path: '/v1/orders', hang: true });
    const started = Date.now();
    await expect(polar.orders.list({})).rejects.toBeInstanceOf(PolarNetworkError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await polar.orders.list({})).items).toEqual([]);
  });

  it('lists and clears the switches', async () => {
    await call('POST', '/_emulator/faults', { path: '/v1/products', status: 500, count: 5 });
    expect((await call('GET', '/_emulator/faults')).body.items).toHaveLength(1);
    expect((await call('DELETE', '/_emulator/faults')).status).toBe(204);
    expect((await call('GET', '/_emulator/faults')).body.items).toHaveLength(0);
    expect((await polar.products.list({})).items).toHaveLength(5);
    expect((await call('POST', '/_emulator/faults', { path: '/v1/products', status: 404 })).status).toBe(422);
  });
});

describe('control actions', () => {
  it('triggers one event of a type, creating what it needs', async () => {
    const received: { type: string; data: Json }[] = [];
    const receiver = await listen((body) => received.push(JSON.parse(body)));
    try {
      emu.webhooks.createEndpoint({ url: receiver.url, events: ['order.paid', 'subscription.canceled'] });
      const paid = await call('POST', '/_emulator/trigger', { type: 'order.paid' });
      expect(paid.status).toBe(200);
      expect(paid.body.data).toMatchObject({ status: 'paid', billing_reason: 'purchase' });
      const canceled = await call('POST', '/_emulator/trigger', { type: 'subscription.canceled' });
      expect(canceled.body.data).toMatchObject({ cancel_at_period_end: true });
      await emu.webhooks.drain();
      expect(received.map((e) => e.type)).toEqual(['order.paid', 'subscription.canceled']);
      const order = await polar.orders.get(paid.body.data.id);
      expect(order.status).toBe('paid');
      expect((await call('POST', '/_emulator/trigger', { type: 'no.such_event' })).status).toBe(422);
    } finally {
      await receiver.close();
    }
  });

  it('triggers every supported type with a payload that SDK 0.49 parses', async () => {
    const bodies: { body: string; headers: Record<string, string> }[] = [];
    const receiver = await listen((body, headers) => bodies.push({ body, headers }));
    try {
      const endpoint = emu.webhooks.createEndpoint({
        url: receiver.url,
        secret: 'polar_whs_legacy',
        standard_signature: false,
      });
      const { types } = (await call('GET', '/_emulator/trigger')).body as { types: string[] };
      expect(types.length).toBeGreaterThan(20);
      for (const type of types) {
        bodies.length = 0;
        emu.webhooks.updateEndpoint(endpoint.id, { events: [type] });
        expect((await call('POST', '/_emulator/trigger', { type })).status).toBe(200);
        await emu.webhooks.drain();
        expect(bodies, type).toHaveLength(1);
        const event = validateEvent049(bodies[0]!.body, bodies[0]!.headers, endpoint.secret);
        expect(event.type).toBe(type);
      }
    } finally {
      await receiver.close();
    }
  });

  it('emits the purchase and subscription sequences of Polar', async () => {
    const received: string[] = [];
    const receiver = await listen((body) => received.push(JSON.parse(body).type));
    try {
      emu.webhooks.createEndpoint({ url: receiver.url });
      const products = await polar.products.list({ limit: 100 });
      const monthly = products.items.find((p) => p.name === 'Monthly Plan')!;
      const checkout = await polar.checkouts.create({
        products: [monthly.id],
        customer_email: 'seq@example.com',
      });
      await call('POST', `/_emulator/checkouts/${checkout.client_secret}/pay`, {});
      await emu.webhooks.drain();
      expect(received).toEqual([
        'checkout.created',
        'checkout.updated',
        'customer.created',
        'subscription.created',
        'order.created',
        'order.paid',
        'order.updated',
        'subscription.active',
        'subscription.updated',
        'checkout.updated',
        'benefit_grant.created',
        'benefit_grant.created',
        'customer.state_changed',
      ]);
      const subscriptionId = (await polar.subscriptions.list({})).items[0]!.id;
      received.length = 0;
      await call('POST', `/_emulator/subscriptions/${subscriptionId}/cancel`);
      await call('POST', `/_emulator/subscriptions/${subscriptionId}/uncancel`);
      await call('POST', `/_emulator/subscriptions/${subscriptionId}/renew`);
      await call('POST', `/_emulator/subscriptions/${subscriptionId}/revoke`);
      await emu.webhooks.drain();
      expect(received).toEqual([
        'subscription.updated',
        'subscription.canceled',
        'customer.state_changed',
        'subscription.updated',
        'subscription.uncanceled',
        'customer.state_changed',
        'order.created',
        'order.paid',
        'order.updated',
        'subscription.updated',
        'customer.state_changed',
        'subscription.updated',
        'subscription.canceled',
        'subscription.revoked',
        'benefit_grant.revoked',
        'benefit_grant.revoked',
        'customer.state_changed',
      ]);
      expect((await call('POST', `/_emulator/subscriptions/${subscriptionId}/revoke`)).status).toBe(403);
      expect((await call('POST', `/_emulator/subscriptions/${subscriptionId}/explode`)).status).toBe(422);
    } finally {
      await receiver.close();
    }
  });

  it('pays with any test card through the control API, answering the authentication step as asked', async () => {
    const products = await polar.products.list({ limit: 100 });
    const lifetime = products.items.find((p) => p.name === 'Lifetime License')!;
    const a = await polar.checkouts.create({ products: [lifetime.id] });
    const failed = await call('POST', `/_emulator/checkouts/${a.id}/pay`, {
      card: '4000 0025 0000 3155',
      authentication: 'fail',
    });
    expect(failed).toMatchObject({ status: 400, body: { error: 'PaymentError' } });
    expect((await polar.checkouts.get(a.id)).status).toBe('open');
    const declined = await call('POST', `/_emulator/checkouts/${a.id}/pay`, {
      card: { number: '4000000000000002' },
    });
    expect(declined).toMatchObject({ status: 400, body: { detail: 'Your card was declined.' } });
    const ok = await call('POST', `/_emulator/checkouts/${a.client_secret}/pay`, {
      card: '4000002500003155',
      customer_email: 'auth@example.com',
    });
    expect(ok.body).toMatchObject({ status: 'succeeded', customer_email: 'auth@example.com' });
    expect((await call('POST', `/_emulator/checkouts/${a.id}/pay`, {})).status).toBe(403);
  });

  it('replaces the catalogue (archiving products that are gone) and rejects an invalid one with every problem', async () => {
    const replaced = await call('POST', '/_emulator/catalog', {
      products: [{ name: 'Team Plan', recurring_interval: 'month', price: { type: 'fixed', amount: 9900 } }],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.products.map((p: { name: string }) => p.name)).toEqual(['Team Plan']);
    expect((await polar.products.list({ is_archived: false })).items.map((p) => p.name)).toEqual([
      'Team Plan',
    ]);
    expect((await polar.products.list({ is_archived: true })).items).toHaveLength(5);
    const withBenefit = {
      products: [
        {
          name: 'Team Plan',
          recurring_interval: 'month',
          price: { type: 'fixed', amount: 9900 },
          benefits: [{ type: 'custom', description: 'Team seats' }],
        },
      ],
    };
    const once = (await call('POST', '/_emulator/catalog', withBenefit)).body.products[0];
    const twice = (await call('POST', '/_emulator/catalog', withBenefit)).body.products[0];
    expect(twice.id).toBe(once.id);
    expect(twice.benefits.map((b: { id: string }) => b.id)).toEqual(
      once.benefits.map((b: { id: string }) => b.id),
    );
    const bad = await call('POST', '/_emulator/catalog', {
      products: [{ name: '', price: { type: 'fixed', amount: -1 } }],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail.length).toBeGreaterThanOrEqual(2);
  });

  it('resets to the catalogue with no customers, orders or faults', async () => {
    await call('POST', '/_emulator/trigger', { type: 'order.paid' });
    await call('POST', '/_emulator/faults', { path: '/v1/x', status: 500 });
    await call('POST', '/_emulator/clock', { advance_seconds: 100 });
    expect((await call('GET', '/_emulator/state')).body.counts.orders).toBe(1);
    await call('POST', '/_emulator/reset');
    const state = (await call('GET', '/_emulator/state')).body;
    expect(state.counts).toMatchObject({ orders: 0, customers: 0, products: 5 });
    expect(state.clock_offset_seconds).toBe(0);
    expect((await call('GET', '/_emulator/faults')).body.items).toEqual([]);
  });

  it('moves the clock forward only', async () => {
    const before = Date.parse((await call('GET', '/_emulator/clock')).body.now);
    const after = (await call('POST', '/_emulator/clock', { advance_seconds: 86_400 })).body;
    expect(Date.parse(after.now) - before).toBeGreaterThanOrEqual(86_400_000);
    expect((await call('POST', '/_emulator/clock', { advance_seconds: -5 })).status).toBe(422);
  });
});

/** A webhook receiver on an ephemeral port that answers 200 and hands each raw body to `onBody`. */
async function listen(
  onBody: (body: string, headers: Record<string, string>) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      onBody(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
