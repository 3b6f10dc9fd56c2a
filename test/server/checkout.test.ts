import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckoutResponse, CheckoutStatusResponse } from '../../contract/contract.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';
const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';
const TIP_JAR = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f05';
const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123', name: 'Jane Doe' };

let t: TestKit;
beforeEach(async () => {
  t = await startTestKit();
});
afterEach(async () => {
  await t.close();
});

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return t.fetch('/api/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The checkout as the emulator (Polar) holds it. */
async function atPolar(id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${t.emulator.url.replace(/\/+$/, '')}/v1/checkouts/${id}`, {
    headers: { authorization: 'Bearer polar_oat_test_token' },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('POST /api/checkout', () => {
  it('creates an open checkout at Polar and answers 201 with its url and client secret', async () => {
    const response = await post(
      { product_id: MONTHLY, email: 'jane@example.com', metadata: { plan: 'pro', seats: 3 } },
      { origin: 'http://localhost:5173' },
    );
    expect(response.status).toBe(201);
    const body = (await response.json()) as CheckoutResponse;
    expect(body).toEqual({
      checkout_id: expect.any(String),
      checkout_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/checkout\/polar_c_/),
      client_secret: expect.stringMatching(/^polar_c_/),
      expires_at: expect.any(String),
      status: 'open',
    });
    const checkout = await atPolar(body.checkout_id);
    expect(checkout).toMatchObject({
      customer_email: 'jane@example.com',
      metadata: { plan: 'pro', seats: 3 },
      // The page that asked is the page that embeds: its Origin became embed_origin.
      embed_origin: 'http://localhost:5173',
      external_customer_id: null,
      success_url: `${t.url}/success.html?checkout_id=${body.checkout_id}`,
    });
  });

  it('passes an allowed success_url and embed_origin through', async () => {
    const response = await post({
      product_id: LIFETIME,
      success_url: 'http://127.0.0.1:3000/thanks?checkout_id={CHECKOUT_ID}',
      embed_origin: 'http://127.0.0.1:3000',
    });
    expect(response.status).toBe(201);
    const { checkout_id } = (await response.json()) as CheckoutResponse;
    expect(await atPolar(checkout_id)).toMatchObject({
      success_url: `http://127.0.0.1:3000/thanks?checkout_id=${checkout_id}`,
      embed_origin: 'http://127.0.0.1:3000',
    });
  });

  it.each([
    ['a foreign success_url', { success_url: 'https://evil.example/steal?c={CHECKOUT_ID}' }],
    ['a javascript: success_url', { success_url: 'javascript:alert(document.cookie)' }],
    ['a data: success_url', { success_url: 'data:text/html,<script>alert(1)</script>' }],
    ['a success_url with credentials', { success_url: 'http://user:pw@localhost:3000/ok' }],
    ['a foreign embed_origin', { embed_origin: 'https://evil.example' }],
    ['an embed_origin with a path', { embed_origin: 'http://localhost:3000/page' }],
    ['a javascript: embed_origin', { embed_origin: 'javascript:alert(1)' }],
  ])('refuses %s with 400 ORIGIN_NOT_ALLOWED', async (_name, extra) => {
    const response = await post({ product_id: MONTHLY, ...extra });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
  });

  it('never takes external_customer_id from the browser', async () => {
    const response = await post({ product_id: MONTHLY, external_customer_id: 'someone_else' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('takes external_customer_id from the admin token', async () => {
    const response = await post(
      { product_id: MONTHLY, external_customer_id: 'user_9' },
      { authorization: `Bearer ${t.adminToken}` },
    );
    expect(response.status).toBe(201);
    const { checkout_id } = (await response.json()) as CheckoutResponse;
    expect((await atPolar(checkout_id)).external_customer_id).toBe('user_9');
  });

  it('answers 404 PRODUCT_NOT_FOUND for an unknown product', async () => {
    const response = await post({ product_id: '00000000-0000-4000-8000-000000000000' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'PRODUCT_NOT_FOUND' });
  });

  it('answers 409 PRODUCT_ARCHIVED for an archived product', async () => {
    await t.control('/_emulator/catalog', {
      products: [
        {
          id: '11111111-1111-4111-8111-111111111111',
          name: 'Old Plan',
          price: { type: 'fixed', amount: 500 },
          is_archived: true,
        },
        {
          id: '22222222-2222-4222-8222-222222222222',
          name: 'New Plan',
          price: { type: 'fixed', amount: 900 },
        },
      ],
    });
    const response = await post({ product_id: '11111111-1111-4111-8111-111111111111' });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'PRODUCT_ARCHIVED' });
    expect((await post({ product_id: '22222222-2222-4222-8222-222222222222' })).status).toBe(201);
  });

  it('looks a discount code up at Polar: applied when found, a clear 400 otherwise', async () => {
    // (A Polar server without the discounts API: test/server/checkout-discounts.test.ts.)
    const ok = await post({ product_id: LIFETIME, discount_code: 'launch25' });
    expect(ok.status).toBe(201);
    const { checkout_id } = (await ok.json()) as CheckoutResponse;
    expect(await atPolar(checkout_id)).toMatchObject({ discount_id: '9d3e5f7a-1b2c-4d3e-8f4a-5b6c7d8e9f01' });
    const unknown = await post({ product_id: LIFETIME, discount_code: 'NOPE' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'discount_code', code: 'UNKNOWN_DISCOUNT_CODE' }],
    });
  });

  it("passes Polar's refusal of a bad pay-what-you-want amount on as 400 POLAR_REJECTED", async () => {
    const response = await post({ product_id: TIP_JAR, amount: 5 });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toBe('POLAR_REJECTED');
    expect(problem.detail).toMatch(/amount/i);
  });
});

describe('Idempotency-Key', () => {
  it('returns the same checkout for the same key and body', async () => {
    const first = await post(
      { product_id: MONTHLY, email: 'a@example.com' },
      { 'idempotency-key': 'order-1' },
    );
    const second = await post(
      { email: 'a@example.com', product_id: MONTHLY },
      { 'idempotency-key': 'order-1' },
    );
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body', async () => {
    await post({ product_id: MONTHLY }, { 'idempotency-key': 'order-2' });
    const response = await post({ product_id: LIFETIME }, { 'idempotency-key': 'order-2' });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('creates one checkout for ten concurrent requests with one key', async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post({ product_id: MONTHLY }, { 'idempotency-key': 'order-3' })),
    );
    const ids = new Set(
      await Promise.all(responses.map(async (r) => ((await r.json()) as CheckoutResponse).checkout_id)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(ids.size).toBe(1);
    const list = await fetch(`${t.emulator.url.replace(/\/+$/, '')}/v1/checkouts/?limit=100`, {
      headers: { authorization: 'Bearer polar_oat_test_token' },
    });
    expect(((await list.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it('different keys make different checkouts', async () => {
    const a = (await (
      await post({ product_id: MONTHLY }, { 'idempotency-key': 'k-a' })
    ).json()) as CheckoutResponse;
    const b = (await (
      await post({ product_id: MONTHLY }, { 'idempotency-key': 'k-b' })
    ).json()) as CheckoutResponse;
    expect(a.checkout_id).not.toBe(b.checkout_id);
  });
});

/** The status of a Lifetime License checkout not paid yet. */
const openLifetime = (checkoutId: string) => ({
  checkout_id: checkoutId,
  status: 'open',
  product: { id: LIFETIME, name: 'Lifetime License' },
  amount: 14900,
  currency: 'usd',
  order: null,
  subscription: null,
});

describe('GET /api/checkout/:id', () => {
  it('shows an open checkout, then the paid order once the webhooks arrived', async () => {
    const created = (await (
      await post({ product_id: LIFETIME, email: 'buyer@example.com' })
    ).json()) as CheckoutResponse;
    const open = await t.fetch(`/api/checkout/${created.checkout_id}`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual(openLifetime(created.checkout_id));
    await t.control(`/_emulator/checkouts/${created.checkout_id}/pay`, {
      card: CARD,
      customer_email: 'buyer@example.com',
      customer_name: 'Jane Doe',
    });
    const paid = await waitFor(async () => {
      const body = (await (
        await t.fetch(`/api/checkout/${created.checkout_id}`)
      ).json()) as CheckoutStatusResponse;
      // order.paid may land before the checkout.updated that says succeeded: wait for both.
      return body.order && body.status === 'succeeded' ? body : null;
    }, 'the paid order');
    expect(paid).toMatchObject({
      status: 'succeeded',
      order: { paid: true, status: 'paid', product_id: LIFETIME, checkout_id: created.checkout_id },
    });
  });

  it('refreshes an open checkout from Polar even without webhooks', async () => {
    await t.close();
    t = await startTestKit({ registerWebhook: false });
    const created = (await (
      await post({ product_id: LIFETIME, email: 'x@example.com' })
    ).json()) as CheckoutResponse;
    await t.control(`/_emulator/checkouts/${created.checkout_id}/pay`, {
      card: CARD,
      customer_email: 'x@example.com',
      customer_name: 'X',
    });
    const body = (await (
      await t.fetch(`/api/checkout/${created.checkout_id}`)
    ).json()) as CheckoutStatusResponse;
    expect(body.status).toBe('succeeded');
    expect(body.order).toBeNull();
  });

  it('answers 404 CHECKOUT_NOT_FOUND for ids the kit did not create', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id', '..%2F..%2Fetc']) {
      const response = await t.fetch(`/api/checkout/${id}`);
      expect(response.status, id).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'CHECKOUT_NOT_FOUND' });
    }
  });
});

describe('GET /api/checkout/:id for a checkout the kit has no record of', () => {
  /** Deletes the kit's record, as a power cut before the unsynced commit reached the disk would. */
  function loseRecord(id: string): void {
    const db = new Database(t.dbPath);
    try {
      expect(db.prepare('DELETE FROM checkouts WHERE id = ?').run(id).changes).toBe(1);
    } finally {
      db.close();
    }
  }
  const stored = (id: string): unknown => {
    const db = new Database(t.dbPath, { readonly: true });
    try {
      return db.prepare('SELECT id, status FROM checkouts WHERE id = ?').get(id) ?? null;
    } finally {
      db.close();
    }
  };

  it('reads the checkout back from Polar, records it again, and follows it until paid', async () => {
    await t.close();
    // No webhooks: what the kit knows of the checkout comes from the status polls alone.
    t = await startTestKit({ registerWebhook: false, kit: { checkoutRefreshIntervalMs: 50 } });
    const created = (await (
      await post({ product_id: LIFETIME, email: 'lost@example.com' })
    ).json()) as CheckoutResponse;
    loseRecord(created.checkout_id);

    const open = await t.fetch(`/api/checkout/${created.checkout_id}`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual(openLifetime(created.checkout_id));
    expect(stored(created.checkout_id)).toEqual({ id: created.checkout_id, status: 'open' });

    await t.control(`/_emulator/checkouts/${created.checkout_id}/pay`, {
      card: CARD,
      customer_email: 'lost@example.com',
      customer_name: 'Lost Record',
    });
    const paid = await waitFor(async () => {
      const body = (await (
        await t.fetch(`/api/checkout/${created.checkout_id}`)
      ).json()) as CheckoutStatusResponse;
      return body.status === 'succeeded' ? body : null;
    }, 'the succeeded checkout');
    expect(paid.checkout_id).toBe(created.checkout_id);
    expect(stored(created.checkout_id)).toEqual({ id: created.checkout_id, status: 'succeeded' });
  });

  it('answers 502 POLAR_UNAVAILABLE (which the page retries), not 404, while Polar fails', async () => {
    await t.close();
    t = await startTestKit({ registerWebhook: false });
    const created = (await (await post({ product_id: MONTHLY })).json()) as CheckoutResponse;
    loseRecord(created.checkout_id);
    await t.control('/_emulator/faults', {
      path: `/v1/checkouts/${created.checkout_id}`,
      method: 'GET',
      status: 500,
      count: 1,
    });
    const failed = await t.fetch(`/api/checkout/${created.checkout_id}`);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ code: 'POLAR_UNAVAILABLE' });
    const again = await t.fetch(`/api/checkout/${created.checkout_id}`);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ checkout_id: created.checkout_id, status: 'open' });
  });

  it('asks Polar about at most 30 unknown checkouts per address per minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      statuses.push((await t.fetch(`/api/checkout/${id}`)).status);
    }
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(404));
    expect(statuses[30]).toBe(429);
    // A checkout the kit knows is still answered from its database.
    const created = (await (await post({ product_id: MONTHLY })).json()) as CheckoutResponse;
    expect((await t.fetch(`/api/checkout/${created.checkout_id}`)).status).toBe(200);
  });
});

describe('status polling', () => {
  it('re-reads an open checkout from Polar at most once per interval, however often the page polls', async () => {
    await t.close();
    t = await startTestKit({ kit: { checkoutRefreshIntervalMs: 300 } });
    const created = (await (await post({ product_id: LIFETIME })).json()) as CheckoutResponse;
    // A failing Polar answer per read makes every refresh countable through the fault switch's hit count.
    await t.control('/_emulator/faults', {
      path: `/v1/checkouts/${created.checkout_id}`,
      method: 'GET',
      status: 500,
      count: 100,
    });
    const hits = async () => {
      const response = await fetch(`${t.emulator.url.replace(/\/+$/, '')}/_emulator/faults`);
      return ((await response.json()) as { items: Array<{ hits: number }> }).items[0]?.hits ?? 0;
    };
    const polls = await Promise.all(
      Array.from({ length: 10 }, () => t.fetch(`/api/checkout/${created.checkout_id}`)),
    );
    for (let i = 0; i < 10; i++) polls.push(await t.fetch(`/api/checkout/${created.checkout_id}`));
    expect(polls.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await hits()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await t.fetch(`/api/checkout/${created.checkout_id}`);
    expect(await hits()).toBe(2);
  });
});

describe('Idempotency-Key across restarts', () => {
  it('answers a retried request from the database after the kit restarted', async () => {
    const { createKit } = await import('../../server/index.js');
    const { createApp } = await import('../../server/http/app.js');
    const { createSilentLogger } = await import('../../server/logger.js');
    const { createServer } = await import('node:http');
    const first = await post({ product_id: MONTHLY }, { 'idempotency-key': 'survives-restart' });
    const before = (await first.json()) as CheckoutResponse;
    await t.kit.close();
    const again = createKit({
      accessToken: 'polar_oat_test_token',
      webhookSecret: t.webhookSecret,
      server: 'local',
      apiUrl: t.emulator.url,
      databasePath: t.dbPath,
    });
    const server = createServer(createApp({ api: again.router, logger: createSilentLogger() }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address() as { port: number };
      const retried = await fetch(`http://127.0.0.1:${address.port}/api/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'survives-restart' },
        body: JSON.stringify({ product_id: MONTHLY }),
      });
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(await retried.json()).toEqual(before);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await again.close();
    }
  });
});
