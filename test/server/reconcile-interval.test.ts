/**
 * `KIT_RECONCILE_INTERVAL`: the standalone kit (`polar-kit start`) reconciles with Polar on its own, so an
 * order whose webhooks never arrived still grants access.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckoutResponse, Product } from '../../contract/contract.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { startStandaloneKit } from '../helpers/standalone-kit.js';
import { TEST_ADMIN_TOKEN, waitFor } from '../helpers/test-kit.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('KIT_RECONCILE_INTERVAL in loadConfig', () => {
  it('is off when unset or 0, and is read in seconds', () => {
    expect(loadConfig({}).reconcile.intervalMs).toBeNull();
    expect(loadConfig({ KIT_RECONCILE_INTERVAL: '0' }).reconcile.intervalMs).toBeNull();
    expect(loadConfig({ KIT_RECONCILE_INTERVAL: '900' }).reconcile.intervalMs).toBe(900_000);
  });

  it('refuses anything but whole seconds within what a timer can wait', () => {
    for (const value of ['-5', '1.5', '15m', '3000000']) {
      let error: unknown;
      try {
        loadConfig({ KIT_RECONCILE_INTERVAL: value });
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(['KIT_RECONCILE_INTERVAL']);
    }
  });
});

describe('polar-kit start with KIT_RECONCILE_INTERVAL', () => {
  async function startKit(env: Record<string, string>): Promise<{ url: string; pay(id: string): void }> {
    // No webhook endpoint at the emulator: every webhook of the purchase is lost.
    const { url, emulator } = await startStandaloneKit(
      { KIT_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env },
      cleanups,
    );
    return { url, pay: (id) => void emulator.store.payCheckout(id, {}) };
  }

  async function buyLifetime(url: string, externalId: string): Promise<CheckoutResponse> {
    const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const products = (await (await fetch(`${url}/api/products`)).json()) as Product[];
    const lifetime = products.find((p) => p.name === 'Lifetime License')!;
    const response = await fetch(`${url}/api/checkout`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        product_id: lifetime.id,
        email: `${externalId}@example.com`,
        external_customer_id: externalId,
      }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as CheckoutResponse;
  }

  function accessStatus(url: string, externalId: string): Promise<number> {
    return fetch(`${url}/api/customers/${externalId}/access`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    }).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    });
  }

  it('heals an order whose webhooks were all dropped, without anyone running reconcile', async () => {
    const kit = await startKit({ KIT_RECONCILE_INTERVAL: '1' });
    const checkout = await buyLifetime(kit.url, 'healed');
    kit.pay(checkout.checkout_id);

    await waitFor(async () => (await accessStatus(kit.url, 'healed')) === 200, 'the reconciled access', {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    const status = (await (await fetch(`${kit.url}/api/checkout/${checkout.checkout_id}`)).json()) as {
      order: { paid: boolean } | null;
    };
    expect(status.order?.paid).toBe(true);
  }, 60_000);

  it('leaves a lost order alone when the interval is off', async () => {
    const kit = await startKit({ KIT_RECONCILE_INTERVAL: '0' });
    const checkout = await buyLifetime(kit.url, 'left');
    kit.pay(checkout.checkout_id);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await accessStatus(kit.url, 'left')).toBe(404);
  }, 60_000);
});
