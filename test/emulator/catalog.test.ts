/** The catalogue format: validation with every problem listed, file loading, and what a catalogue produces. */
import { createPolar } from '@polar-sh/sdk/2026-10';
import { Polar } from 'polar-sdk-strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogError, DEFAULT_CATALOG, loadCatalogFile, parseCatalog } from '../../emulator/catalog.js';
import { startEmulator } from '../helpers/emulator.js';

describe('parseCatalog', () => {
  it('accepts the demo catalogue and applies defaults', () => {
    const catalog = parseCatalog(DEFAULT_CATALOG);
    expect(catalog.products.map((p) => p.name)).toEqual([
      'Free Plan',
      'Monthly Plan',
      'Yearly Plan',
      'Lifetime License',
      'Tip Jar',
    ]);
    expect(catalog.products.every((p) => p.currency === 'usd')).toBe(true);
  });

  it('lists every problem with its path', () => {
    let error: unknown;
    try {
      parseCatalog({
        products: [
          { name: '', price: { type: 'metered_tiers' } },
          { name: 'x', price: { type: 'fixed', amount: 1.5 } },
        ],
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CatalogError);
    const issues = (error as CatalogError).issues.join('\n');
    expect(issues).toContain('products.0.name');
    expect(issues).toContain('products.0.price');
    expect(issues).toContain('products.1.price.amount');
    expect(() => parseCatalog({ products: [] })).toThrow(/products/);
  });

  it('reports a missing file and invalid JSON by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    try {
      expect(() => loadCatalogFile(join(dir, 'nope.json'))).toThrow(/nope\.json[\s\S]*ENOENT/);
      writeFileSync(join(dir, 'bad.json'), '{ products: ');
      expect(() => loadCatalogFile(join(dir, 'bad.json'))).toThrow(/not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a custom catalogue', () => {
  it('serves its products, benefits and license-key rules, parsed by SDK 0.49', async () => {
    const emu = await startEmulator({
      catalog: {
        products: [
          {
            name: 'Weekly Pass',
            recurring_interval: 'week',
            recurring_interval_count: 2,
            price: { type: 'fixed', amount: 300 },
            currency: 'eur',
            benefits: [
              {
                type: 'license_keys',
                description: 'Pass key',
                prefix: 'PASS',
                activation_limit: 1,
                limit_usage: 2,
                expires: { ttl: 1, timeframe: 'day' },
              },
            ],
          },
        ],
      },
    });
    try {
      const strict = new Polar({ accessToken: 'x', serverURL: emu.url });
      const products = await strict.products.list({});
      const pass = products.result.items[0]!;
      expect(pass).toMatchObject({
        name: 'Weekly Pass',
        recurringInterval: 'week',
        recurringIntervalCount: 2,
      });
      expect(pass.prices[0]).toMatchObject({ priceCurrency: 'eur', priceAmount: 300 });
      const polar = createPolar({ accessToken: 'x', baseUrl: emu.url });
      const checkout = await polar.checkouts.create({ products: [pass.id] });
      await fetch(`${emu.url}/_emulator/checkouts/${checkout.id}/pay`, { method: 'POST' });
      const sub = (await strict.subscriptions.list({})).result.items[0]!;
      expect(sub.currentPeriodEnd.getTime() - sub.currentPeriodStart.getTime()).toBe(14 * 86_400_000);
      const key = (await strict.licenseKeys.list({})).result.items[0]!;
      expect(key.key).toMatch(/^PASS-/);
      expect(key).toMatchObject({ limitActivations: 1, limitUsage: 2 });
      expect(key.expiresAt).toBeInstanceOf(Date);
      const organizationId = key.organizationId;
      await strict.customerPortal.licenseKeys.validate({ key: key.key, organizationId, incrementUsage: 2 });
      const over = await polar.customerPortal.licenseKeys
        .validate({ key: key.key, organization_id: organizationId, increment_usage: 1 })
        .catch((e: unknown) => e);
      expect((over as { statusCode?: number }).statusCode).toBe(400);
      await fetch(`${emu.url}/_emulator/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance_seconds: 2 * 86_400 }),
      });
      const expired = await fetch(`${emu.url}/v1/customer-portal/license-keys/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: key.key, organization_id: organizationId }),
      });
      expect(expired.status).toBe(404);
      const activate = await fetch(`${emu.url}/v1/customer-portal/license-keys/activate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: key.key, organization_id: organizationId, label: 'late' }),
      });
      expect(activate.status).toBe(403);
    } finally {
      await emu.close();
    }
  });
});
