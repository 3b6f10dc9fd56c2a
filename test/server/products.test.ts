import { afterEach, describe, expect, it } from 'vitest';
import type { Product } from '../../contract/contract.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';
const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';
const NEW_PRODUCT = '33333333-3333-4333-8333-333333333333';

let t: TestKit | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const CATALOG = {
  products: [
    {
      id: MONTHLY,
      name: 'Monthly Plan v2',
      recurring_interval: 'month',
      price: { type: 'fixed', amount: 2499 },
    },
    { id: LIFETIME, name: 'Lifetime License', price: { type: 'fixed', amount: 14900 }, is_archived: true },
    {
      id: NEW_PRODUCT,
      name: 'Team Plan',
      recurring_interval: 'year',
      price: { type: 'fixed', amount: 99000 },
      metadata: { tier: 'team' },
    },
  ],
};

async function list(kit: TestKit): Promise<{ etag: string | null; products: Product[] }> {
  const response = await kit.fetch('/api/products');
  expect(response.status).toBe(200);
  return { etag: response.headers.get('etag'), products: (await response.json()) as Product[] };
}

describe('GET /api/products', () => {
  it('maps Polar products to the contract shape', async () => {
    t = await startTestKit();
    const { products } = await list(t);
    const monthly = products.find((p) => p.id === MONTHLY);
    expect(monthly).toEqual({
      id: MONTHLY,
      name: 'Monthly Plan',
      description: 'Everything in Pro, billed monthly.',
      is_recurring: true,
      recurring_interval: 'month',
      price_amount: 1999,
      price_currency: 'usd',
      prices: [{ id: expect.any(String), amount_type: 'fixed', price_amount: 1999, price_currency: 'usd' }],
      benefits: [
        { id: '2c1d4f6a-7b8e-4c9d-8a1b-3e5f7a9c0b02', type: 'custom', description: 'Unlimited projects' },
        { id: '2c1d4f6a-7b8e-4c9d-8a1b-3e5f7a9c0b03', type: 'custom', description: 'Priority support' },
      ],
      metadata: { tier: 'pro' },
    });
    const tip = products.find((p) => p.name === 'Tip Jar');
    expect(tip).toMatchObject({
      price_amount: null,
      prices: [{ amount_type: 'custom', minimum_amount: 100, maximum_amount: 100_000, preset_amount: 500 }],
    });
  });

  it('follows product.* webhooks at once: renamed, archived and new products, with a new ETag', async () => {
    t = await startTestKit();
    const before = await list(t);
    await t.control('/_emulator/catalog', CATALOG);
    const kit = t;
    const after = await waitFor(async () => {
      const current = await list(kit);
      return current.products.some((p) => p.name === 'Monthly Plan v2') &&
        current.products.some((p) => p.id === NEW_PRODUCT)
        ? current
        : null;
    }, 'the product webhooks to reach the kit');
    expect(after.etag).not.toBe(before.etag);
    expect(after.products.find((p) => p.id === MONTHLY)?.price_amount).toBe(2499);
    expect(after.products.map((p) => p.id)).not.toContain(LIFETIME);
    const stale = await t.fetch('/api/products', { headers: { 'if-none-match': before.etag! } });
    expect(stale.status).toBe(200);
  });

  it('answers 304 to a list of tags or a weak tag that names the current body, and HEAD without a body', async () => {
    t = await startTestKit({ registerWebhook: false });
    const full = await t.fetch('/api/products');
    const etag = full.headers.get('etag')!;
    const bytes = (await full.arrayBuffer()).byteLength;
    expect(full.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(full.headers.get('content-length'))).toBe(bytes);
    for (const header of [etag, `"old", ${etag}`, `W/${etag}`, '*']) {
      const again = await t.fetch('/api/products', { headers: { 'if-none-match': header } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
    }
    const head = await t.fetch('/api/products', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(bytes);
    expect(await head.text()).toBe('');
  });

  it('refetches from Polar after the TTL even when no webhook arrives', async () => {
    t = await startTestKit({ registerWebhook: false, kit: { productsTtlMs: 100 } });
    await list(t);
    await t.control('/_emulator/catalog', CATALOG);
    // Within the TTL the cached catalogue is served.
    expect((await list(t)).products.map((p) => p.name)).toContain('Monthly Plan');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await list(t)).products.map((p) => p.name)).toContain('Monthly Plan v2');
  });

  it('sells a product Polar has but the cache does not know yet, and refuses one archived meanwhile', async () => {
    t = await startTestKit({ registerWebhook: false });
    await list(t);
    await t.control('/_emulator/catalog', CATALOG);
    const post = (productId: string) =>
      t!.fetch('/api/checkout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ product_id: productId }),
      });
    expect((await post(NEW_PRODUCT)).status).toBe(201);
    // Lifetime is still in the stale cache as public; Polar archived it. Polar's refusal decides.
    const archived = await post(LIFETIME);
    expect(archived.status).toBeGreaterThanOrEqual(400);
    expect(archived.status).toBeLessThan(500);
  });
});
