import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckoutResponse, PortalResponse } from '../../contract/contract.js';
import { createCheckout, payCheckout, postJson } from '../helpers/purchase.js';
import { startTestKit } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';

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

async function paidCheckout(externalId?: string): Promise<string> {
  const email = 'portal@example.com';
  const checkoutId = await createCheckout(t, LIFETIME, email, externalId ? { 'x-user': externalId } : {});
  await payCheckout(t, checkoutId, { email, name: 'Jane Doe' });
  return checkoutId;
}

async function expectPortalPage(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  const { portal_url } = (await response.json()) as PortalResponse;
  expect(portal_url).toMatch(/\/portal\?customer_session_token=polar_cst_/);
  const page = await fetch(portal_url);
  expect(page.status).toBe(200);
}

describe('POST /api/portal', () => {
  it('opens the customer portal for the buyer of a paid checkout', async () => {
    const checkoutId = await paidCheckout();
    await expectPortalPage(await portal({ checkout_id: checkoutId }));
  });

  it("opens it for the host app's signed-in customer", async () => {
    await paidCheckout('portal_user');
    await expectPortalPage(await portal({}, { 'x-user': 'portal_user' }));
  });

  it('opens it for any customer with the admin token', async () => {
    await paidCheckout();
    await expectPortalPage(
      await portal({ customer_key: 'portal@example.com' }, { authorization: `Bearer ${t.adminToken}` }),
    );
  });

  it('answers 409 CHECKOUT_NOT_PAID before payment', async () => {
    const created = await t.fetch('/api/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ product_id: LIFETIME }),
    });
    const { checkout_id } = (await created.json()) as CheckoutResponse;
    const response = await portal({ checkout_id });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'CHECKOUT_NOT_PAID' });
  });

  it.each([
    [
      'an unknown checkout',
      { checkout_id: '00000000-0000-4000-8000-000000000000' },
      {},
      404,
      'CHECKOUT_NOT_FOUND',
    ],
    ['a malformed checkout id', { checkout_id: 'abc' }, {}, 400, 'VALIDATION_FAILED'],
    ['nothing to go on', {}, {}, 400, 'VALIDATION_FAILED'],
    ['a customer_key from the browser', { customer_key: 'portal@example.com' }, {}, 403, 'FORBIDDEN'],
    [
      'an unknown customer_key',
      { customer_key: 'nobody' },
      { authorization: 'Bearer test-admin-token-0123456789abcdef' },
      404,
      'CUSTOMER_NOT_FOUND',
    ],
    ['an unknown signed-in customer', {}, { 'x-user': 'never_bought' }, 404, 'CUSTOMER_NOT_FOUND'],
    ['an unknown field', { email: 'a@example.com' }, {}, 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (_name, body, headers, status, code) => {
    const response = await portal(body, headers as Record<string, string>);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ code });
  });
});
