import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ORGANIZATION_ID } from '../../emulator/app.js';
import { createApp } from '../../server/http/app.js';
import { createKit } from '../../server/index.js';
import { createSilentLogger } from '../../server/logger.js';
import type { CheckoutResponse, CheckoutStatusResponse } from '../../contract/contract.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';
const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123', name: 'Key Buyer' };

let t: TestKit;
beforeEach(async () => {
  t = await startTestKit({
    kit: { licenseKeyLimitPerKeyPerMinute: 1000, licenseKeyLimitPerIpPerMinute: 1000 },
  });
});
afterEach(async () => {
  await t.close();
});

function post(action: string, body: unknown): Promise<Response> {
  return t.fetch(`/api/license-keys/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Buys the Lifetime License through the kit and the emulator; returns the key Polar granted. */
async function buyLicense(email = 'keys@example.com'): Promise<{ key: string; id: string }> {
  const created = await t.fetch('/api/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ product_id: LIFETIME, email }),
  });
  const { checkout_id } = (await created.json()) as CheckoutResponse;
  await t.control(`/_emulator/checkouts/${checkout_id}/pay`, { card: CARD, customer_email: email });
  await waitFor(async () => {
    const body = (await (await t.fetch(`/api/checkout/${checkout_id}`)).json()) as CheckoutStatusResponse;
    return body.order?.paid === true;
  }, 'the paid order');
  const keys = (await (
    await fetch(`${t.emulator.url}/v1/license-keys/?limit=100`, {
      headers: { authorization: 'Bearer polar_oat_test_token' },
    })
  ).json()) as { items: Array<{ id: string; key: string; customer: { email: string } }> };
  const mine = keys.items.find((item) => item.customer.email === email);
  if (!mine) throw new Error('the emulator granted no license key');
  return { key: mine.key, id: mine.id };
}

async function patchKey(id: string, body: unknown): Promise<void> {
  const response = await fetch(`${t.emulator.url}/v1/license-keys/${id}`, {
    method: 'PATCH',
    headers: { authorization: 'Bearer polar_oat_test_token', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

describe('POST /api/license-keys/*', () => {
  it('validates a bought key, activates it up to its limit of 3, refuses the 4th, and frees a slot on deactivate', async () => {
    const { key } = await buyLicense();

    const valid = await post('validate', { key });
    expect(valid.status).toBe(200);
    expect(await valid.json()).toMatchObject({ key, status: 'granted', limit_activations: 3 });

    const activations: string[] = [];
    for (const label of ['laptop', 'desktop', 'tablet']) {
      const response = await post('activate', { key, label });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { id: string; label: string };
      expect(body.label).toBe(label);
      activations.push(body.id);
    }
    const fourth = await post('activate', { key, label: 'phone' });
    expect(fourth.status).toBe(403);
    expect(fourth.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await fourth.json()).toMatchObject({ code: 'LICENSE_KEY_ACTIVATION_LIMIT' });

    const withActivation = await post('validate', { key, activation_id: activations[1] });
    expect(withActivation.status).toBe(200);
    expect(await withActivation.json()).toMatchObject({
      activation: { id: activations[1], label: 'desktop' },
    });

    const deactivated = await post('deactivate', { key, activation_id: activations[0] });
    expect(deactivated.status).toBe(204);
    expect((await post('activate', { key, label: 'phone' })).status).toBe(200);

    const gone = await post('deactivate', { key, activation_id: activations[0] });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: 'LICENSE_KEY_NOT_FOUND' });
  });

  it('fills in the organization: the same key checked directly without it is refused by Polar', async () => {
    const { key } = await buyLicense();
    const direct = await fetch(`${t.emulator.url}/v1/customer-portal/license-keys/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    expect(direct.status).toBe(422);
    expect((await post('validate', { key })).status).toBe(200);
  });

  it('answers 404 LICENSE_KEY_NOT_FOUND for an unknown key', async () => {
    const response = await post('validate', { key: 'POLARKIT-NOPE-NOPE-NOPE' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'LICENSE_KEY_NOT_FOUND' });
  });

  it('answers LICENSE_KEY_EXPIRED for an expired key and LICENSE_KEY_REVOKED when activating a revoked one', async () => {
    const { key, id } = await buyLicense();
    await patchKey(id, { expires_at: '2020-01-01T00:00:00Z' });
    const expired = await post('validate', { key });
    expect(expired.status).toBe(403);
    expect(await expired.json()).toMatchObject({ code: 'LICENSE_KEY_EXPIRED' });

    await patchKey(id, { expires_at: null, status: 'revoked' });
    const revoked = await post('activate', { key, label: 'laptop' });
    expect(revoked.status).toBe(403);
    expect(await revoked.json()).toMatchObject({ code: 'LICENSE_KEY_REVOKED' });
  });

  it('rejects a body without a key or with unknown fields before calling Polar', async () => {
    const noKey = await post('validate', {});
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    const extra = await post('activate', { key: 'x', label: 'a', organization_id: 'someone-else' });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ code: 'UNKNOWN_FIELD' }],
    });
  });
});

describe('the organization sent to Polar', () => {
  /** A second kit on the same emulator, configured with `POLAR_ORGANIZATION_ID`. */
  async function validateWithOrganization(organizationId: string, key: string): Promise<Response> {
    const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-org-'));
    const logger = createSilentLogger();
    const kit = createKit({
      accessToken: 'polar_oat_test_token',
      webhookSecret: t.webhookSecret,
      server: 'local',
      apiUrl: t.emulator.url,
      databasePath: path.join(dir, 'kit.sqlite'),
      organizationId,
      logger,
    });
    const server = createServer(createApp({ api: kit.router, logger }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      return await fetch(`http://127.0.0.1:${port}/api/license-keys/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key }),
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kit.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('is POLAR_ORGANIZATION_ID when configured: the right one validates, another one knows no such key', async () => {
    const { key } = await buyLicense();
    expect((await validateWithOrganization(ORGANIZATION_ID, key)).status).toBe(200);
    const other = await validateWithOrganization('00000000-0000-4000-8000-000000000000', key);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: 'LICENSE_KEY_NOT_FOUND' });
  });
});

describe('license-key rate limits', () => {
  it('limits one key from any address, and one address over all keys', async () => {
    await t.close();
    t = await startTestKit({ kit: { licenseKeyLimitPerKeyPerMinute: 3, licenseKeyLimitPerIpPerMinute: 6 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post('validate', { key: 'POLARKIT-SAME-KEY' })).status);
    expect(statuses).toEqual([404, 404, 404, 429]);
    const limited = await post('validate', { key: 'POLARKIT-SAME-KEY' });
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED' });

    // Other keys still pass until the address's own limit (6 requests in all) is used up.
    expect((await post('validate', { key: 'POLARKIT-OTHER-1' })).status).toBe(404);
    expect((await post('validate', { key: 'POLARKIT-OTHER-2' })).status).toBe(429);
  });
});
