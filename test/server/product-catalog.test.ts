import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/open.js';
import { createProductStore } from '../../server/db/products.js';
import { createSilentLogger } from '../../server/logger.js';
import { createPolarGateway } from '../../server/polar/gateway.js';
import { createProductCatalog } from '../../server/product-catalog.js';
import { createWebhookIngest } from '../../server/webhooks/ingest.js';
import { startEmulator } from '../helpers/emulator.js';
import type { StartedEmulator } from '../helpers/emulator.js';
import { polarProduct, webhookEvent } from '../helpers/polar-payloads.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';

const SECRET = generateWebhookSecret();
let emulator: StartedEmulator | null = null;
afterEach(async () => {
  await emulator?.close();
  emulator = null;
});

async function setup(ttlMs = 60_000) {
  emulator = await startEmulator();
  const db = openDatabase({ path: ':memory:' });
  const logger = createSilentLogger();
  const gateway = createPolarGateway({
    accessToken: 'polar_oat_test_token',
    server: 'local',
    baseUrl: emulator.url,
    organizationId: null,
  });
  const catalog = createProductCatalog({ store: createProductStore(db), gateway, logger, ttlMs });
  // Webhooks write through their own store over the same database, as in the kit.
  const ingest = createWebhookIngest({ db, secret: SECRET, logger });
  let n = 0;
  const send = (type: string, data: unknown) => {
    n++;
    const at = `2030-01-01T00:00:${String(n).padStart(2, '0')}Z`;
    const { body, headers } = signedDelivery(webhookEvent(type, data, at), SECRET);
    return ingest.handle(Buffer.from(body), headers);
  };
  return { catalog, send };
}

describe('createProductCatalog', () => {
  it('serialises and tags the list once, and serves that same body until the cache changes', async () => {
    const { catalog } = await setup();
    const first = await catalog.list();
    const second = await catalog.list();
    expect(first.products.length).toBeGreaterThan(0);
    expect(second.bytes).toBe(first.bytes);
    expect(second.body).toBe(first.body);
    expect(first.bytes.toString('utf8')).toBe(JSON.stringify(first.products));
    expect(catalog.fresh()?.bytes).toBe(first.bytes);
  });

  it('rebuilds the body and its ETag when a product webhook or a benefit webhook changes the cache', async () => {
    const { catalog, send } = await setup();
    const before = await catalog.list();
    const benefit = { id: 'ben-cache-1', type: 'custom', description: 'Old text' };
    await send(
      'product.created',
      polarProduct({ id: 'e1b1c2d3-0000-4000-8000-000000000001', benefits: [benefit] }),
    );
    const added = await catalog.list();
    expect(added.etag).not.toBe(before.etag);
    expect(added.products.map((p) => p.id)).toContain('e1b1c2d3-0000-4000-8000-000000000001');
    expect(JSON.parse(added.body)).toEqual(added.products);

    await send('benefit.updated', {
      ...benefit,
      description: 'New text',
      created_at: '2026-01-15T00:00:00Z',
      modified_at: '2026-01-19T00:00:00Z',
    });
    const described = await catalog.list();
    expect(described.etag).not.toBe(added.etag);
    expect(described.products.find((p) => p.id === 'e1b1c2d3-0000-4000-8000-000000000001')?.benefits).toEqual(
      [{ id: 'ben-cache-1', type: 'custom', description: 'New text' }],
    );
    // The product the checkout route asks for comes from the same copy.
    expect(await catalog.requirePurchasable('e1b1c2d3-0000-4000-8000-000000000001')).toBe(
      described.products.find((p) => p.id === 'e1b1c2d3-0000-4000-8000-000000000001'),
    );
  });

  it('is not fresh before the first fetch nor after the TTL', async () => {
    const { catalog } = await setup(50);
    expect(catalog.fresh()).toBeNull();
    await catalog.list();
    expect(catalog.fresh()).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(catalog.fresh()).toBeNull();
  });
});
