import { readFileSync } from 'node:fs';
import { webhooks as polarWebhooks } from '@polar-sh/sdk/2026-10';
import { validateEvent as validateEvent049, WebhookVerificationError } from 'polar-sdk-strict/webhooks';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  backoffMs,
  createWebhookDispatcher,
  ENDPOINT_FAILURE_THRESHOLD,
  WebhookInputError,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
} from '../../emulator/webhooks.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const FIXTURE_URL = new URL('../fixtures/polar/webhook-order-paid.json', import.meta.url);
const orderPaidFixture = JSON.parse(readFileSync(FIXTURE_URL, 'utf8')) as { type: string; data: object };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  cleanups.push(() => r.close());
  return r;
}

function dispatcher(options: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
  const d = createWebhookDispatcher({
    organizationId: 'a5a0f5ee-4f2b-4a52-9d5c-0d9e5f8b1c11',
    timeScale: 0.001,
    ...options,
  });
  cleanups.push(() => d.close());
  return d;
}

function legacyKey(secret: string): string {
  return Buffer.from(secret, 'utf8').toString('base64');
}

describe('webhook delivery', () => {
  it('posts the compact envelope with Polar’s headers', async () => {
    const r = await receiver();
    const d = dispatcher();
    const endpoint = d.createEndpoint({ url: r.url });
    d.emit('order.paid', orderPaidFixture.data);
    await d.drain();

    expect(r.received).toHaveLength(1);
    const [got] = r.received;
    expect(got?.method).toBe('POST');
    expect(got?.path).toBe('/webhooks/polar');
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['user-agent']).toBe('polar.sh webhooks');
    expect(got?.headers['webhook-id']).toMatch(UUID);
    expect(got?.headers['webhook-api-version']).toBe('2026-10');
    expect(Math.abs(Number(got?.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(got?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);

    const body = got?.body ?? '';
    const envelope = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(envelope)).toEqual(['type', 'timestamp', 'api_version', 'data']);
    expect(envelope.type).toBe('order.paid');
    expect(envelope.api_version).toBe('2026-10');
    expect(envelope.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(envelope.data).toEqual(orderPaidFixture.data);
    expect(body).toBe(JSON.stringify(envelope)); // compact, no whitespace

    const [record] = d.deliveries();
    expect(record).toMatchObject({
      webhook_id: got?.headers['webhook-id'],
      type: 'order.paid',
      endpoint_id: endpoint.id,
      url: r.url,
      status: 'succeeded',
      payload: body,
    });
    expect(record?.attempts).toEqual([
      expect.objectContaining({ status_code: 200, error: null, response: '{"ok":true}' }),
    ]);
  });

  it('signs generated whsec_ secrets with the standard scheme, which SDK 1.x and standardwebhooks accept', async () => {
    const r = await receiver();
    const d = dispatcher();
    const endpoint = d.createEndpoint({ url: r.url });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(endpoint.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(endpoint.uses_standard_webhook_signature).toBe(true);

    d.emit('order.paid', orderPaidFixture.data);
    await d.drain();
    const [got] = r.received;
    if (!got) throw new Error('nothing delivered');

    const event = await polarWebhooks.validateEvent(got.body, got.headers, endpoint.secret);
    expect(event.type).toBe('order.paid');
    expect(new Webhook(endpoint.secret).verify(got.body, got.headers)).toEqual(JSON.parse(got.body));
    // The legacy key derived from the same secret must not match: the schemes really differ.
    expect(() => new Webhook(legacyKey(endpoint.secret)).verify(got.body, got.headers)).toThrow();
    // SDK 0.49 only knows the legacy scheme (polar-reference.md 6.4).
    expect(() => validateEvent049(got.body, got.headers, endpoint.secret)).toThrow(WebhookVerificationError);
    await expect(
      polarWebhooks.validateEvent(got.body, got.headers, 'whsec_' + 'A'.repeat(43) + '='),
    ).rejects.toThrow(polarWebhooks.PolarWebhookVerificationError);
  });

  it('signs with the legacy scheme when asked, which SDK 1.x and SDK 0.49 accept, and 0.49 parses the payload', async () => {
    const r = await receiver();
    const d = dispatcher();
    const legacy = d.createEndpoint({ url: r.url, secret: 'polar_whs_merchant-chosen-secret' });
    expect(legacy.uses_standard_webhook_signature).toBe(false);
    const forced = d.createEndpoint({
      url: r.url,
      secret: 'whsec_' + 'Zm9v'.repeat(8),
      standard_signature: false,
    });
    expect(forced.uses_standard_webhook_signature).toBe(false);

    d.emit('order.paid', orderPaidFixture.data);
    await d.drain();
    expect(r.received).toHaveLength(2);

    for (const endpoint of [legacy, forced]) {
      const record = d.deliveries({ endpointId: endpoint.id })[0];
      const got = r.received.find((x) => x.headers['webhook-id'] === record?.webhook_id);
      if (!got) throw new Error(`nothing delivered for ${endpoint.id}`);

      const event = await polarWebhooks.validateEvent(got.body, got.headers, endpoint.secret);
      expect(event.type).toBe('order.paid');
      expect(new Webhook(legacyKey(endpoint.secret)).verify(got.body, got.headers)).toEqual(
        JSON.parse(got.body),
      );

      // 0.49 zod-parses the envelope (api_version included) into its camelCase model.
      const parsed = validateEvent049(got.body, got.headers, endpoint.secret);
      expect(parsed.type).toBe('order.paid');
      expect(parsed.timestamp).toBeInstanceOf(Date);
      if (parsed.type !== 'order.paid') throw new Error('unexpected type');
      expect(parsed.data.totalAmount).toBe(1000);
      expect(parsed.data.billingReason).toBe('purchase');
      expect(parsed.data.customer.email).toBe('jane@example.com');
    }
  });

  it('sends envelopes that SDK 0.49 parses for every event type the kit handles', async () => {
    const fixture = (name: string) =>
      JSON.parse(readFileSync(new URL(`../fixtures/polar/${name}.json`, import.meta.url), 'utf8')) as object;
    const cases: Array<[string, object]> = [
      ...['checkout.created', 'checkout.updated'].map((t): [string, object] => [t, fixture('checkout')]),
      ...['customer.created', 'customer.updated'].map((t): [string, object] => [t, fixture('customer')]),
      ['customer.state_changed', fixture('customer-state')],
      ...['order.created', 'order.paid', 'order.updated', 'order.refunded'].map((t): [string, object] => [
        t,
        fixture('order'),
      ]),
      ...['product.created', 'product.updated'].map((t): [string, object] => [
        t,
        fixture('product-recurring'),
      ]),
      ...[
        'subscription.created',
        'subscription.active',
        'subscription.updated',
        'subscription.canceled',
        'subscription.uncanceled',
        'subscription.past_due',
        'subscription.revoked',
      ].map((t): [string, object] => [t, fixture('subscription')]),
    ];
    const r = await receiver();
    const d = dispatcher();
    const endpoint = d.createEndpoint({
      url: r.url,
      secret: 'polar_whs_legacy',
      events: cases.map(([t]) => t),
    });
    for (const [type, data] of cases) d.emit(type, data);
    await d.drain();
    expect(r.received).toHaveLength(cases.length);
    for (const [i, got] of r.received.entries()) {
      const parsed = validateEvent049(got.body, got.headers, endpoint.secret);
      expect(parsed.type).toBe(cases[i]?.[0]);
    }
  });

  it('signs the exact bytes it sends, whatever the data holds', async () => {
    const r = await receiver();
    const d = dispatcher();
    const endpoint = d.createEndpoint({ url: r.url, secret: 'legacy-secret', standard_signature: false });
    const data = {
      z: 1,
      a: 'ünïcödé ✓ \u2028 "quoted" \\ </script>',
      nested: { b: [1.5, 2, null], a: true },
    };
    d.emit('customer.updated', data);
    await d.drain();
    const [got] = r.received;
    if (!got) throw new Error('nothing delivered');
    expect((JSON.parse(got.body) as { data: unknown }).data).toEqual(data);
    expect(Buffer.byteLength(got.body)).toBe(Number(got.headers['content-length']));
    await expect(
      polarWebhooks.validateEvent(Buffer.from(got.body), got.headers, endpoint.secret),
    ).resolves.toBeTruthy();
    // One changed byte fails verification.
    await expect(
      polarWebhooks.validateEvent(got.body.replace('"z":1', '"z":2'), got.headers, endpoint.secret),
    ).rejects.toThrow();
  });

  it('sends each event only to enabled endpoints subscribed to its type', async () => {
    const r = await receiver();
    const d = dispatcher();
    const paidOnly = d.createEndpoint({ url: r.url + '?paid', events: ['order.paid'] });
    const all = d.createEndpoint({ url: r.url + '?all' });
    const off = d.createEndpoint({ url: r.url + '?off' });
    d.updateEndpoint(off.id, { enabled: false });

    d.emit('order.created', { id: 'o1' });
    d.emit('order.paid', { id: 'o1' });
    await d.drain();

    expect(r.received.map((x) => x.path).sort()).toEqual([
      '/webhooks/polar?all',
      '/webhooks/polar?all',
      '/webhooks/polar?paid',
    ]);
    expect(d.deliveries({ endpointId: paidOnly.id }).map((x) => x.type)).toEqual(['order.paid']);
    expect(d.deliveries({ endpointId: all.id }).map((x) => x.type)).toEqual(['order.created', 'order.paid']);
    expect(d.deliveries({ endpointId: off.id })).toEqual([]);
    expect(d.deliveries({ type: 'order.paid' })).toHaveLength(2);
  });

  it('gives each endpoint its own webhook-id for the same event', async () => {
    const r = await receiver();
    const d = dispatcher();
    d.createEndpoint({ url: r.url });
    d.createEndpoint({ url: r.url });
    d.emit('product.updated', { id: 'p' });
    await d.drain();
    const ids = r.received.map((x) => x.headers['webhook-id']);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('webhook retries', () => {
  it('retries after a 500 with the same webhook-id and a fresh timestamp and signature', async () => {
    const r = await receiver();
    r.respondWith((_, i) => ({ status: i === 0 ? 500 : 204 }));
    // 2–4 s after the first failure at Polar's pace; scaled so the retry lands in a later second.
    const d = dispatcher({ timeScale: 0.6 });
    const endpoint = d.createEndpoint({ url: r.url });
    d.emit('subscription.active', { id: 's1' });
    await d.drain();

    expect(r.received).toHaveLength(2);
    const [first, second] = r.received;
    if (!first || !second) throw new Error('expected two attempts');
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body).toBe(first.body);
    expect(Number(second.headers['webhook-timestamp'])).toBeGreaterThan(
      Number(first.headers['webhook-timestamp']),
    );
    expect(second.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1_200 - 50);
    for (const got of [first, second]) {
      await expect(
        polarWebhooks.validateEvent(got.body, got.headers, endpoint.secret),
      ).resolves.toMatchObject({
        type: 'subscription.active',
      });
    }
    const [record] = d.deliveries();
    expect(record?.status).toBe('succeeded');
    expect(record?.attempts.map((a) => [a.status_code, a.error])).toEqual([
      [500, 'HTTP 500'],
      [204, null],
    ]);
  });

  it('counts an answer slower than the attempt timeout as a failure', async () => {
    const r = await receiver();
    r.respondWith((_, i) => ({ status: 200, delayMs: i === 0 ? 3_000 : 0 }));
    const d = dispatcher({ attemptTimeoutMs: 400 });
    d.createEndpoint({ url: r.url });
    d.emit('order.created', { id: 'o' });
    await d.drain();
    const [record] = d.deliveries();
    expect(record?.status).toBe('succeeded');
    expect(record?.attempts).toHaveLength(2);
    expect(record?.attempts[0]).toMatchObject({ status_code: null, error: 'Timed out after 400 ms' });
    expect(record?.attempts[0]?.duration_ms).toBeGreaterThanOrEqual(390);
    expect(record?.attempts[1]).toMatchObject({ status_code: 200, error: null });
  });

  it('counts a redirect as a failure and does not follow it', async () => {
    const r = await receiver();
    r.respondWith((got, i) =>
      got.path.startsWith('/elsewhere')
        ? { status: 200 }
        : { status: i === 0 ? 307 : 200, headers: { location: '/elsewhere' } },
    );
    const d = dispatcher();
    d.createEndpoint({ url: r.url });
    d.emit('order.created', { id: 'o' });
    await d.drain();
    expect(r.received.map((x) => x.path)).toEqual(['/webhooks/polar', '/webhooks/polar']);
    expect(d.deliveries()[0]?.attempts.map((a) => a.status_code)).toEqual([307, 200]);
  });

  it('sends a retry to the endpoint’s current URL and secret', async () => {
    const r = await receiver();
    r.respondWith((got) => ({ status: got.path.includes('new') ? 200 : 500 }));
    const d = dispatcher({ timeScale: 0.1 }); // first retry after 200–400 ms
    const endpoint = d.createEndpoint({ url: r.url });
    d.emit('order.paid', { id: 1 });
    await r.waitFor(1);
    d.updateEndpoint(endpoint.id, { url: `${r.url}?new` });
    const rotated = d.resetEndpointSecret(endpoint.id);
    await d.drain();
    expect(r.received.map((x) => x.path)).toEqual(['/webhooks/polar', '/webhooks/polar?new']);
    const last = r.received[1];
    await expect(
      polarWebhooks.validateEvent(last?.body ?? '', last?.headers ?? {}, rotated?.secret ?? ''),
    ).resolves.toBeTruthy();
    expect(d.deliveries()[0]?.url).toBe(`${r.url}?new`);
  });

  it('counts a refused connection as a failure', async () => {
    const r = await receiver();
    const url = r.url;
    await r.close();
    const d = dispatcher({ maxAttempts: 2 });
    d.createEndpoint({ url });
    d.emit('order.created', { id: 'o' });
    await d.drain();
    const [record] = d.deliveries();
    expect(record?.status).toBe('failed');
    expect(record?.attempts.map((a) => a.status_code)).toEqual([null, null]);
    expect(record?.attempts[0]?.error).toMatch(/ECONNREFUSED/);
  });

  it('gives up after maxAttempts and marks the event failed', async () => {
    const r = await receiver();
    r.respondWith(() => ({ status: 503, body: 'down' }));
    const d = dispatcher({ maxAttempts: 4 });
    d.createEndpoint({ url: r.url });
    d.emit('order.created', { id: 'o' });
    await d.drain();
    expect(r.received).toHaveLength(4);
    expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(1);
    const [record] = d.deliveries();
    expect(record?.status).toBe('failed');
    expect(record?.attempts).toHaveLength(4);
    expect(record?.attempts.every((a) => a.status_code === 503 && a.response === 'down')).toBe(true);
    expect(d.deliveries({ status: 'failed' })).toHaveLength(1);
  });

  it('waits Polar’s backoff between attempts: 2–4 s, 4–8 s, … at most 20 min, times timeScale', async () => {
    for (let n = 1; n <= 12; n++) {
      const cap = Math.min(2_000 * 2 ** n, 20 * 60_000);
      expect(backoffMs(n, () => 0)).toBe(cap / 2);
      expect(backoffMs(n, () => 0.999999)).toBeLessThan(cap);
      expect(backoffMs(n, () => 0.999999)).toBeGreaterThan(cap * 0.99);
    }
    expect(backoffMs(1, () => 0)).toBe(2_000);
    expect(backoffMs(9, () => 0)).toBe(512_000);
    expect(backoffMs(30, () => 0.5)).toBe(900_000);

    const r = await receiver();
    r.respondWith(() => ({ status: 500 }));
    const d = dispatcher({ maxAttempts: 3, timeScale: 0.05 }); // 100–200 ms, then 200–400 ms
    d.createEndpoint({ url: r.url });
    d.emit('order.created', { id: 'o' });
    await d.drain();
    const gaps = r.received.slice(1).map((x, i) => x.receivedAt - (r.received[i]?.receivedAt ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(100 - 5);
    expect(gaps[0]).toBeLessThan(200 + 250);
    expect(gaps[1]).toBeGreaterThanOrEqual(200 - 5);
    expect(gaps[1]).toBeLessThan(400 + 250);
  });
});

describe('webhook ordering', () => {
  it('delivers an endpoint’s events in creation order while an earlier one is being retried', async () => {
    const r = await receiver();
    r.respondWith((got, i) => ({ status: i < 2 && got.body.includes('"order.created"') ? 500 : 200 }));
    const d = dispatcher({ orderingTimeoutMs: 10_000 });
    d.createEndpoint({ url: r.url });
    const types = [
      'order.created',
      'order.paid',
      'order.updated',
      'subscription.created',
      'subscription.active',
    ];
    for (const type of types) d.emit(type, { id: type });
    await d.drain();

    const seen = r.received.map((x) => (JSON.parse(x.body) as { type: string }).type);
    expect(seen).toEqual(['order.created', 'order.created', ...types]);
    expect(d.deliveries().map((x) => x.status)).toEqual(types.map(() => 'succeeded'));
  });

  it('delivers in creation order, one event at a time, for any pattern of transient failures', async () => {
    const r = await receiver();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
        async (failures) => {
          const seen = new Map<number, number>();
          r.respondWith((got) => {
            const i = (JSON.parse(got.body) as { data: { i: number } }).data.i;
            const n = seen.get(i) ?? 0;
            seen.set(i, n + 1);
            return { status: n < (failures[i] ?? 0) ? 500 : 200 };
          });
          const start = r.received.length;
          const d = createWebhookDispatcher({
            organizationId: 'o',
            timeScale: 0.0005,
            orderingTimeoutMs: 60_000,
          });
          try {
            d.createEndpoint({ url: r.url });
            failures.forEach((_, i) => d.emit('order.updated', { i }));
            await d.drain();
          } finally {
            await d.close();
          }
          const order = r.received
            .slice(start)
            .map((x) => (JSON.parse(x.body) as { data: { i: number } }).data.i);
          const expected = failures.flatMap((k, i) => Array.from({ length: k + 1 }, () => i));
          expect(order).toEqual(expected);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('never overtakes an event still on the wire, however slow the receiver', async () => {
    const r = await receiver();
    r.respondWith(() => ({ status: 200, delayMs: 80 }));
    const d = dispatcher({ orderingTimeoutMs: 1 });
    d.createEndpoint({ url: r.url });
    for (let i = 0; i < 4; i++) d.emit('order.updated', { i });
    await d.drain();
    expect(r.received.map((x) => (JSON.parse(x.body) as { data: { i: number } }).data.i)).toEqual([
      0, 1, 2, 3,
    ]);
    const gaps = r.received.slice(1).map((x, i) => x.receivedAt - (r.received[i]?.receivedAt ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(75); // one request at a time
  });

  it('keeps order per endpoint, not across endpoints: a failing endpoint does not hold back another', async () => {
    const good = await receiver();
    const bad = await receiver();
    bad.respondWith(() => ({ status: 500 }));
    const d = dispatcher({ timeScale: 1, orderingTimeoutMs: 10_000 });
    d.createEndpoint({ url: good.url });
    d.createEndpoint({ url: bad.url });
    d.emit('order.created', { id: 1 });
    d.emit('order.paid', { id: 1 });
    await good.waitFor(2);
    await vi.waitFor(() => expect(d.deliveries({ status: 'succeeded' })).toHaveLength(2));
    expect(bad.received).toHaveLength(1); // the second event waits behind the first one's retry
    expect(d.deliveries({ status: 'pending' })).toHaveLength(2);
  });

  it('sends a later event anyway once it has waited orderingTimeoutMs for a stuck one', async () => {
    const r = await receiver();
    r.respondWith((got) => ({ status: got.body.includes('"stuck"') ? 500 : 200 }));
    const d = dispatcher({ timeScale: 1, orderingTimeoutMs: 200 }); // first retry of "stuck" only after 2–4 s
    d.createEndpoint({ url: r.url });
    const t0 = Date.now();
    d.emit('order.created', { id: 'stuck' });
    d.emit('order.paid', { id: 'next' });
    const [, next] = await r.waitFor(2);
    expect(next?.body).toContain('"next"');
    expect((next?.receivedAt ?? 0) - t0).toBeGreaterThanOrEqual(190);
    expect((next?.receivedAt ?? 0) - t0).toBeLessThan(1_500);
    await vi.waitFor(() => expect(d.deliveries().map((x) => x.status)).toEqual(['pending', 'succeeded']));
  });
});

describe('endpoint health', () => {
  it(`disables an endpoint after ${ENDPOINT_FAILURE_THRESHOLD} consecutive failed events`, async () => {
    const r = await receiver();
    r.respondWith(() => ({ status: 500 }));
    const d = dispatcher({ maxAttempts: 1 });
    const endpoint = d.createEndpoint({ url: r.url });
    for (let i = 0; i < ENDPOINT_FAILURE_THRESHOLD - 1; i++) d.emit('order.created', { i });
    await d.drain();
    expect(d.getEndpoint(endpoint.id)?.enabled).toBe(true);

    d.emit('order.created', { i: 'last straw' });
    await d.drain();
    const after = d.getEndpoint(endpoint.id);
    expect(after?.enabled).toBe(false);
    expect(after?.modified_at).not.toBeNull();

    d.emit('order.created', { i: 'ignored' });
    await d.drain();
    expect(r.received).toHaveLength(ENDPOINT_FAILURE_THRESHOLD);
    expect(d.deliveries()).toHaveLength(ENDPOINT_FAILURE_THRESHOLD);
    expect(d.redeliver(d.deliveries()[0]?.webhook_id ?? '')).toBe(false);

    // Re-enabling starts a fresh count.
    d.updateEndpoint(endpoint.id, { enabled: true });
    d.emit('order.created', { i: 'again' });
    await d.drain();
    expect(d.getEndpoint(endpoint.id)?.enabled).toBe(true);
  });

  it('resets the failure count when an event succeeds', async () => {
    const r = await receiver();
    r.respondWith((got) => ({ status: got.body.includes('"ok"') ? 200 : 500 }));
    const d = dispatcher({ maxAttempts: 1 });
    const endpoint = d.createEndpoint({ url: r.url });
    for (let i = 0; i < ENDPOINT_FAILURE_THRESHOLD - 1; i++) d.emit('order.created', { i });
    d.emit('order.created', { i: 'ok' });
    for (let i = 0; i < ENDPOINT_FAILURE_THRESHOLD - 1; i++) d.emit('order.created', { i });
    await d.drain();
    expect(d.getEndpoint(endpoint.id)?.enabled).toBe(true);
    expect(d.deliveries({ status: 'failed' })).toHaveLength(2 * (ENDPOINT_FAILURE_THRESHOLD - 1));
  });

  it('fails what is still queued for an endpoint when it is deleted', async () => {
    const r = await receiver();
    r.respondWith(() => ({ status: 500 }));
    const d = dispatcher({ timeScale: 1 });
    const endpoint = d.createEndpoint({ url: r.url });
    d.emit('order.created', { id: 1 });
    await r.waitFor(1);
    expect(d.deleteEndpoint(endpoint.id)).toBe(true);
    await d.drain();
    const [record] = d.deliveries();
    expect(record?.status).toBe('failed');
    expect(record?.attempts.at(-1)?.error).toBe('Endpoint deleted');
    expect(d.deleteEndpoint(endpoint.id)).toBe(false);
  });
});

describe('redelivery', () => {
  it('sends a delivered event again with the same webhook-id and a fresh signature', async () => {
    const r = await receiver();
    const d = dispatcher();
    const endpoint = d.createEndpoint({ url: r.url });
    d.emit('order.paid', orderPaidFixture.data);
    await d.drain();
    const id = d.deliveries()[0]?.webhook_id ?? '';

    await new Promise((resolve) => setTimeout(resolve, 1_000)); // so the timestamp moves on
    expect(d.redeliver(id)).toBe(true);
    await d.drain();
    expect(r.received).toHaveLength(2);
    const [first, again] = r.received;
    expect(again?.headers['webhook-id']).toBe(id);
    expect(again?.body).toBe(first?.body);
    expect(again?.headers['webhook-signature']).not.toBe(first?.headers['webhook-signature']);
    await expect(
      polarWebhooks.validateEvent(again?.body ?? '', again?.headers ?? {}, endpoint.secret),
    ).resolves.toBeTruthy();
    expect(d.delivery(id)?.attempts).toHaveLength(2);
    expect(d.delivery(id)?.status).toBe('succeeded');
  });

  it('gives a failed event a new round of attempts', async () => {
    const r = await receiver();
    r.respondWith(() => ({ status: 500 }));
    const d = dispatcher({ maxAttempts: 2 });
    d.createEndpoint({ url: r.url });
    d.emit('order.paid', { id: 1 });
    await d.drain();
    const id = d.deliveries()[0]?.webhook_id ?? '';
    expect(d.delivery(id)?.status).toBe('failed');

    r.respondWith(() => ({ status: 200 }));
    expect(d.redeliver(id)).toBe(true);
    await d.drain();
    expect(d.delivery(id)?.status).toBe('succeeded');
    expect(d.delivery(id)?.attempts.map((a) => a.status_code)).toEqual([500, 500, 200]);
  });

  it('answers false for an unknown webhook id', () => {
    const d = dispatcher();
    expect(d.redeliver('4b0c0a31-7a0e-4f7b-9b7f-2f4f9c3f0c55')).toBe(false);
    expect(d.delivery('nope')).toBeUndefined();
  });
});

describe('endpoint input', () => {
  it('rejects what Polar rejects, with its 422 detail shape', () => {
    const d = dispatcher();
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ url: 'not a url' }, ['body', 'url']],
      [{ url: 'ftp://example.com/x' }, ['body', 'url']],
      [{ url: 'http://127.0.0.1/x', events: ['order.shipped'] }, ['body', 'events', '0']],
      [{ url: 'http://127.0.0.1/x', format: 'slack' }, ['body', 'format']],
      [{ url: 'http://127.0.0.1/x', secret: 'whsec_not*base64' }, ['body', 'secret']],
    ];
    for (const [input, loc] of cases) {
      let error: unknown;
      try {
        d.createEndpoint(input as never);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(input)).toBeInstanceOf(WebhookInputError);
      expect((error as WebhookInputError).detail[0]?.loc.map(String)).toEqual(loc);
    }
    expect(d.listEndpoints()).toEqual([]);
  });

  it('updates url, events, name and enabled, and resets the secret to a standard one', () => {
    const d = dispatcher();
    const endpoint = d.createEndpoint({ url: 'http://127.0.0.1:1/a', secret: 'old-legacy' });
    const updated = d.updateEndpoint(endpoint.id, {
      url: 'http://127.0.0.1:1/b',
      events: ['order.paid'],
      name: 'kit',
    });
    expect(updated).toMatchObject({
      url: 'http://127.0.0.1:1/b',
      events: ['order.paid'],
      name: 'kit',
      secret: 'old-legacy',
    });
    expect(updated?.modified_at).not.toBeNull();
    const reset = d.resetEndpointSecret(endpoint.id);
    expect(reset?.secret).toMatch(/^whsec_/);
    expect(reset?.uses_standard_webhook_signature).toBe(true);
    expect(d.updateEndpoint('missing', { enabled: false })).toBeUndefined();
    expect(() => d.updateEndpoint(endpoint.id, { url: 'nope' })).toThrow(WebhookInputError);
  });
});

describe('state', () => {
  it('round-trips endpoints and the log through exportState/importState', async () => {
    const r = await receiver();
    const before = dispatcher();
    const standard = before.createEndpoint({ url: r.url, events: ['order.paid', 'order.created'] });
    const legacy = before.createEndpoint({ url: r.url, secret: 'legacy-secret' });
    before.emit('order.paid', orderPaidFixture.data);
    await before.drain();
    const exported = JSON.parse(JSON.stringify(before.exportState())) as unknown;
    await before.close();

    const after = dispatcher();
    after.importState(exported);
    expect(after.listEndpoints()).toEqual(before.listEndpoints());
    expect(after.deliveries()).toEqual(before.deliveries());

    after.emit('order.created', { id: 'o2' });
    await after.drain();
    const fresh = r.received.slice(2);
    expect(fresh).toHaveLength(2);
    for (const got of fresh) {
      const id = got.headers['webhook-id'];
      const endpointId = after.delivery(id ?? '')?.endpoint_id;
      const secret = endpointId === standard.id ? standard.secret : legacy.secret;
      await expect(polarWebhooks.validateEvent(got.body, got.headers, secret)).resolves.toMatchObject({
        type: 'order.created',
      });
    }
  });

  it('resumes pending deliveries after importState', async () => {
    const r = await receiver();
    r.respondWith(() => ({ status: 500 }));
    const before = dispatcher({ timeScale: 1 });
    before.createEndpoint({ url: r.url });
    before.emit('subscription.created', { id: 's' });
    await r.waitFor(1);
    const exported = before.exportState();
    await before.close();

    r.respondWith(() => ({ status: 200 }));
    const after = dispatcher();
    after.importState(exported);
    await after.drain();
    expect(r.received).toHaveLength(2);
    expect(r.received[1]?.headers['webhook-id']).toBe(r.received[0]?.headers['webhook-id']);
    expect(after.deliveries()[0]?.status).toBe('succeeded');
  });

  it('keeps the newest maxLogEntries events in the log', async () => {
    const r = await receiver();
    const d = dispatcher({ maxLogEntries: 3 });
    d.createEndpoint({ url: r.url });
    for (let i = 0; i < 5; i++) {
      d.emit('order.updated', { i });
      await d.drain();
    }
    const kept = d.deliveries().map((x) => (JSON.parse(x.payload) as { data: { i: number } }).data.i);
    expect(kept).toEqual([2, 3, 4]);
    expect(() => createWebhookDispatcher({ organizationId: 'o', maxLogEntries: 0 })).toThrow(RangeError);
  });

  it('moves its revision on every change of the exported state, and only then', async () => {
    const r = await receiver();
    const d = dispatcher();
    const states: string[] = [];
    const revisions: number[] = [];
    const sample = () => {
      states.push(JSON.stringify(d.exportState()));
      revisions.push(d.revision());
    };
    sample();
    d.createEndpoint({ url: r.url });
    sample();
    d.emit('order.paid', { id: 1 });
    sample();
    await d.drain();
    sample();
    await new Promise((resolve) => setTimeout(resolve, 20));
    sample();
    for (let i = 1; i < states.length; i++) {
      if (states[i] !== states[i - 1]) expect(revisions[i]).not.toBe(revisions[i - 1]);
    }
    expect(revisions.at(-1)).toBe(revisions.at(-2)); // idle: nothing moved
    expect(new Set(revisions).size).toBe(4);
  });

  it('rejects a state it did not write', () => {
    const d = dispatcher();
    expect(() => d.importState({ version: 99 })).toThrow(TypeError);
    expect(() => d.importState(null)).toThrow(TypeError);
  });

  it('forgets everything on reset and stops in-flight work on close', async () => {
    const r = await receiver();
    r.respondWith(() => ({ status: 200, delayMs: 5_000 }));
    const d = dispatcher();
    d.createEndpoint({ url: r.url });
    d.emit('order.created', { id: 1 });
    await r.waitFor(1);
    d.reset();
    expect(d.listEndpoints()).toEqual([]);
    expect(d.deliveries()).toEqual([]);
    await d.drain();

    d.createEndpoint({ url: r.url });
    d.emit('order.created', { id: 2 });
    await r.waitFor(2);
    const started = Date.now();
    await d.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    d.emit('order.created', { id: 3 });
    await d.drain(); // resolves at once after close
    expect(r.received).toHaveLength(2);
    expect(d.deliveries().map((x) => x.status)).toEqual(['pending']); // kept, to resume after importState
  });
});
