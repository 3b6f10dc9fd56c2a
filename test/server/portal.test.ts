import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PortalResponse } from '../../contract/contract.js';
import { TEST_CARD, createCheckout, payCheckout, postJson } from '../helpers/purchase.js';
import { startTestKit } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';
const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';
const CARD = { ...TEST_CARD, name: 'Portal Buyer' };

let t: TestKit;
beforeEach(async () => {
  t = await startTestKit({ kit: { identify: (req) => req.get('x-user') ?? null } });
});
afterEach(async () => {
  await t.close();
});

function portal(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return postJson(t, '/api/portal', body, headers);
}

function checkout(productId: string, email: string, user?: string): Promise<string> {
  return createCheckout(t, productId, email, user ? { 'x-user': user } : {});
}

async function buy(
  productId: string,
  email: string,
  user?: string,
): Promise<{ checkoutId: string; orderId: string }> {
  const checkoutId = await checkout(productId, email, user);
  const status = await payCheckout(t, checkoutId, { email, card: CARD });
  return { checkoutId, orderId: status.order.id };
}

/** Opens the portal link the way the portal page does: its token against the customer-portal API. */
async function portalView(response: Response): Promise<{ email: string; orderIds: string[] }> {
  expect(response.status).toBe(200);
  const { portal_url } = (await response.json()) as PortalResponse;
  const url = new URL(portal_url);
  expect(url.origin).toBe(new URL(t.emulator.url).origin);
  const page = await fetch(portal_url);
  expect(page.status).toBe(200);
  const token = url.searchParams.get('customer_session_token');
  expect(token).toMatch(/^polar_cst_/);
  const auth = { authorization: `Bearer ${token}` };
  const me = (await (
    await fetch(`${t.emulator.url}/v1/customer-portal/customers/me`, { headers: auth })
  ).json()) as {
    email: string;
  };
  const orders = (await (
    await fetch(`${t.emulator.url}/v1/customer-portal/orders/?limit=100`, { headers: auth })
  ).json()) as { items: Array<{ id: string }> };
  return { email: me.email, orderIds: orders.items.map((order) => order.id).sort() };
}

describe('POST /api/portal opens the portal of the right customer only', () => {
  it("shows each buyer their own orders and no one else's, whichever way the link was asked for", async () => {
    const alice1 = await buy(LIFETIME, 'alice@example.com', 'user_alice');
    const alice2 = await buy(MONTHLY, 'alice@example.com', 'user_alice');
    const bob = await buy(LIFETIME, 'bob@example.com', 'user_bob');
    const alicesOrders = [alice1.orderId, alice2.orderId].sort();

    // The success page's link: the paid checkout id is the capability.
    expect(await portalView(await portal({ checkout_id: alice1.checkoutId }))).toEqual({
      email: 'alice@example.com',
      orderIds: alicesOrders,
    });
    expect(await portalView(await portal({ checkout_id: bob.checkoutId }))).toEqual({
      email: 'bob@example.com',
      orderIds: [bob.orderId],
    });
    // The host app's signed-in customer.
    expect(await portalView(await portal({}, { 'x-user': 'user_bob' }))).toEqual({
      email: 'bob@example.com',
      orderIds: [bob.orderId],
    });
    // The admin, naming a customer by email or external id.
    const admin = { authorization: `Bearer ${t.adminToken}` };
    expect(await portalView(await portal({ customer_key: 'alice@example.com' }, admin))).toEqual({
      email: 'alice@example.com',
      orderIds: alicesOrders,
    });
    expect((await portalView(await portal({ customer_key: 'user_bob' }, admin))).orderIds).toEqual([
      bob.orderId,
    ]);
  });

  it('opens nothing for an unknown or unpaid checkout, a customer key without the admin token, or nobody', async () => {
    await buy(LIFETIME, 'carol@example.com', 'user_carol');
    const unpaid = await checkout(LIFETIME, 'dave@example.com');

    const cases: Array<[Response, number, string]> = [
      [await portal({ checkout_id: randomUUID() }), 404, 'CHECKOUT_NOT_FOUND'],
      [await portal({ checkout_id: unpaid }), 409, 'CHECKOUT_NOT_PAID'],
      [await portal({ checkout_id: 'not-a-uuid' }), 400, 'VALIDATION_FAILED'],
      [await portal({ customer_key: 'carol@example.com' }), 403, 'FORBIDDEN'],
      [
        await portal(
          { customer_key: 'carol@example.com' },
          { authorization: 'Bearer wrong-token-0123456789' },
        ),
        403,
        'FORBIDDEN',
      ],
      [await portal({}), 400, 'VALIDATION_FAILED'],
      [await portal({ email: 'carol@example.com' }), 400, 'VALIDATION_FAILED'],
      [await portal({}, { 'x-user': 'user_nobody' }), 404, 'CUSTOMER_NOT_FOUND'],
    ];
    for (const [response, status, code] of cases) {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(await response.json()).toMatchObject({ code });
    }
  });
});
