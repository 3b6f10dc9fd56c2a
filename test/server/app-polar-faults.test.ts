import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckoutResponse, CheckoutStatusResponse } from '../../contract/contract.js';
import { startTestKit } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';

let t: TestKit;
beforeEach(async () => {
  t = await startTestKit({ kit: { polarTimeoutSeconds: 1 } });
});
afterEach(async () => {
  await t.close();
});

/** Arms one of the emulator's fault switches (the next `count` matching requests fail). */
async function fault(input: {
  path: string;
  method?: string;
  status?: number;
  retry_after?: number;
  hang?: boolean;
  count?: number;
}) {
  await t.control('/_emulator/faults', input);
}

function createCheckout(): Promise<Response> {
  return t.fetch('/api/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ product_id: MONTHLY }),
  });
}

async function problem(response: Response): Promise<{ code: string; status: number; detail?: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as { code: string; status: number; detail?: string };
}

describe('when Polar fails', () => {
  beforeEach(async () => {
    // Fill the product cache first, so the faults below hit the checkout call itself.
    expect((await t.fetch('/api/products')).status).toBe(200);
  });

  it("a 5xx from Polar becomes 502 POLAR_UNAVAILABLE, without Polar's body", async () => {
    await fault({ path: '/v1/checkouts', method: 'POST', status: 503 });
    const response = await createCheckout();
    expect(response.status).toBe(502);
    const body = await problem(response);
    expect(body.code).toBe('POLAR_UNAVAILABLE');
    expect(JSON.stringify(body)).not.toMatch(/polar_oat|Bearer/);
    // The fault was used up: the next try goes through.
    expect((await createCheckout()).status).toBe(201);
  });

  it("a 429 is passed on as 429 POLAR_RATE_LIMITED with Polar's Retry-After", async () => {
    await fault({ path: '/v1/checkouts', method: 'POST', status: 429, retry_after: 7 });
    const response = await createCheckout();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect((await problem(response)).code).toBe('POLAR_RATE_LIMITED');
  });

  it('a Polar that does not answer times out into 502 POLAR_UNAVAILABLE', async () => {
    await fault({ path: '/v1/checkouts', method: 'POST', hang: true });
    const started = Date.now();
    const response = await createCheckout();
    expect(response.status).toBe(502);
    expect((await problem(response)).code).toBe('POLAR_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a 422 becomes 400 POLAR_REJECTED with Polar's detail", async () => {
    const response = await t.fetch('/api/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ product_id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f05', amount: 100_000_000 }),
    });
    expect(response.status).toBe(400);
    const body = await problem(response);
    expect(body.code).toBe('POLAR_REJECTED');
    expect(body.detail).toBeTruthy();
  });

  it('a checkout status poll still answers from the database while Polar is down', async () => {
    const created = (await (await createCheckout()).json()) as CheckoutResponse;
    await fault({ path: `/v1/checkouts/${created.checkout_id}`, method: 'GET', status: 500, count: 5 });
    const response = await t.fetch(`/api/checkout/${created.checkout_id}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as CheckoutStatusResponse).status).toBe('open');
  });

  it('health reports Polar unreachable when it hangs, within the probe timeout', async () => {
    await fault({ path: '/v1/products', method: 'GET', hang: true });
    const response = await t.fetch('/api/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'degraded', polar: 'unreachable', database: 'ok' });
  });
});

describe('when Polar fails before the catalogue was ever fetched', () => {
  it('products answer 502, then recover once Polar does', async () => {
    await fault({ path: '/v1/products', method: 'GET', status: 500 });
    const failed = await t.fetch('/api/products');
    expect(failed.status).toBe(502);
    expect((await problem(failed)).code).toBe('POLAR_UNAVAILABLE');
    expect((await t.fetch('/api/products')).status).toBe(200);
  });

  it('a checkout for an uncached product answers 502 rather than guessing', async () => {
    await fault({ path: '/v1/products', method: 'GET', status: 500, count: 2 });
    const response = await createCheckout();
    expect(response.status).toBe(502);
    expect((await problem(response)).code).toBe('POLAR_UNAVAILABLE');
  });
});

describe("when Polar refuses the shop's access token", () => {
  it('answers 502 POLAR_UNAVAILABLE (the buyer cannot fix it) and says so in the detail', async () => {
    const locked = await startTestKit({ emulator: { accessTokens: ['polar_oat_the_real_one'] } });
    try {
      const response = await locked.fetch('/api/products');
      expect(response.status).toBe(502);
      const body = (await response.json()) as { code: string; detail: string };
      expect(body.code).toBe('POLAR_UNAVAILABLE');
      expect(body.detail).toMatch(/credentials/);
      expect(JSON.stringify(body)).not.toContain('polar_oat');
      expect(await (await locked.fetch('/api/health')).json()).toMatchObject({ polar: 'unreachable' });
    } finally {
      await locked.close();
    }
  });
});
