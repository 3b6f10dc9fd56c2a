import { expect } from 'vitest';
import type { CheckoutResponse, CheckoutStatusResponse } from '../../contract/contract.js';
import { waitFor } from './test-kit.js';
import type { TestKit } from './test-kit.js';

/** A card the emulator's checkout accepts (its renewals succeed too). */
export const TEST_CARD = {
  number: '4242424242424242',
  exp_month: 12,
  exp_year: 2040,
  cvc: '123',
  name: 'Jane Doe',
};

/** `POST` a JSON body to the kit. */
export function postJson(
  t: Pick<TestKit, 'fetch'>,
  pathname: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return t.fetch(pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Creates a checkout through the kit's `POST /api/checkout` (201 expected); answers its id. */
export async function createCheckout(
  t: Pick<TestKit, 'fetch'>,
  productId: string,
  email: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const created = await postJson(t, '/api/checkout', { product_id: productId, email }, headers);
  expect(created.status).toBe(201);
  return ((await created.json()) as CheckoutResponse).checkout_id;
}

/**
 * Pays a checkout on the emulator as the buyer would, then waits until the kit's `GET /api/checkout/:id`
 * shows it succeeded with its paid order (the emulator's webhooks have reached the kit); answers that status.
 */
export async function payCheckout(
  t: Pick<TestKit, 'fetch' | 'control'>,
  checkoutId: string,
  payer: { email: string; name?: string; card?: typeof TEST_CARD },
): Promise<CheckoutStatusResponse & { order: NonNullable<CheckoutStatusResponse['order']> }> {
  await t.control(`/_emulator/checkouts/${checkoutId}/pay`, {
    card: payer.card ?? TEST_CARD,
    customer_email: payer.email,
    ...(payer.name !== undefined ? { customer_name: payer.name } : {}),
  });
  return waitFor(async () => {
    const body = (await (await t.fetch(`/api/checkout/${checkoutId}`)).json()) as CheckoutStatusResponse;
    return body.status === 'succeeded' && body.order?.paid ? { ...body, order: body.order } : null;
  }, `the paid order of checkout ${checkoutId}`);
}
