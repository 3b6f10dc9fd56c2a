/**
 * `discount_code` on `POST /api/checkout`: looked up at Polar (the emulator's `GET /v1/discounts/`), applied
 * to the checkout and so to the order; an unknown code, or a Polar server without discounts, is a clear 400.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckoutResponse, CheckoutStatusResponse, OrderSummary } from '../../contract/contract.js';
import { AppError } from '../../server/errors.js';
import { createPolarGateway } from '../../server/polar/gateway.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';
const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';
/** The emulator's demo discount: 25% off, once. */
const LAUNCH25 = '9d3e5f7a-1b2c-4d3e-8f4a-5b6c7d8e9f01';

let t: TestKit;
beforeEach(async () => {
  t = await startTestKit();
});
afterEach(async () => {
  await t.close();
});

function post(body: unknown): Promise<Response> {
  return t.admin('/api/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function atPolar(path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${t.emulator.url.replace(/\/+$/, '')}/v1${path}`, {
    headers: { authorization: 'Bearer polar_oat_test_token' },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** Pays the checkout at the emulator and waits until the kit has its paid order. */
async function pay(checkoutId: string, email: string): Promise<CheckoutStatusResponse> {
  await t.control(`/_emulator/checkouts/${checkoutId}/pay`, { customer_email: email });
  return waitFor(async () => {
    const body = (await (await t.fetch(`/api/checkout/${checkoutId}`)).json()) as CheckoutStatusResponse;
    return body.status === 'succeeded' && body.order?.paid === true ? body : null;
  }, `checkout ${checkoutId} to be paid`);
}

describe('POST /api/checkout with discount_code', () => {
  it('applies a known code (any case) to the checkout and the paid order', async () => {
    const response = await post({
      product_id: LIFETIME,
      email: 'launch@example.com',
      discount_code: 'launch25',
    });
    expect(response.status).toBe(201);
    const { checkout_id } = (await response.json()) as CheckoutResponse;
    expect(await atPolar(`/checkouts/${checkout_id}`)).toMatchObject({
      discount_id: LAUNCH25,
      discount: { code: 'LAUNCH25' },
      amount: 14900,
      discount_amount: 3725,
      total_amount: 11175,
    });

    const status = await pay(checkout_id, 'launch@example.com');
    expect(status.order).toMatchObject({ paid: true, total_amount: 11175, currency: 'usd' });
    expect(await atPolar(`/orders/${status.order!.id}`)).toMatchObject({
      subtotal_amount: 14900,
      discount_amount: 3725,
      total_amount: 11175,
      discount_id: LAUNCH25,
    });
    const orders = (await (await t.admin('/api/orders/launch@example.com')).json()) as OrderSummary[];
    expect(orders).toMatchObject([{ id: status.order!.id, total_amount: 11175 }]);
  });

  it('takes a once-only discount off the first payment of a subscription, not the renewal', async () => {
    const response = await post({
      product_id: MONTHLY,
      email: 'monthly@example.com',
      discount_code: 'LAUNCH25',
    });
    expect(response.status).toBe(201);
    const { checkout_id } = (await response.json()) as CheckoutResponse;
    const status = await pay(checkout_id, 'monthly@example.com');
    // 1999 less 25% (499.75, rounded down to whole cents).
    expect(status.order).toMatchObject({ total_amount: 1500, billing_reason: 'subscription_create' });
    const subscriptionId = status.order!.subscription_id!;
    await t.control(`/_emulator/subscriptions/${subscriptionId}/renew`);
    const orders = await waitFor(async () => {
      const list = (await (await t.admin('/api/orders/monthly@example.com')).json()) as OrderSummary[];
      return list.length === 2 && list[0]!.paid ? list : null;
    }, 'the renewal order');
    expect(orders.map((o) => [o.billing_reason, o.total_amount])).toEqual([
      ['subscription_cycle', 1999],
      ['subscription_create', 1500],
    ]);
  });

  it('answers 400 UNKNOWN_DISCOUNT_CODE for a code Polar does not know, and creates nothing', async () => {
    const before = (await atPolar('/checkouts/?limit=100')) as { pagination: { total_count: number } };
    const response = await post({ product_id: LIFETIME, discount_code: 'NOPE' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'That discount code does not exist.',
      errors: [{ path: 'discount_code', code: 'UNKNOWN_DISCOUNT_CODE' }],
    });
    const after = (await atPolar('/checkouts/?limit=100')) as { pagination: { total_count: number } };
    expect(after.pagination.total_count).toBe(before.pagination.total_count);
  });
});

describe('a Polar server without the discounts API', () => {
  it('makes the gateway answer DISCOUNTS_UNAVAILABLE instead of dropping the code', async () => {
    // A Polar-compatible server that has no /v1/discounts (every path is 404, as FastAPI answers).
    const server = http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"detail":"Not Found"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const gateway = createPolarGateway({
        accessToken: 'polar_oat_test_token',
        server: 'local',
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
      const error = await gateway.findDiscountIdByCode('LAUNCH25').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ path: 'discount_code', code: 'DISCOUNTS_UNAVAILABLE' }],
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
