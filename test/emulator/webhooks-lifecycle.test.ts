import { createPolar, webhooks as polarWebhooks } from '@polar-sh/sdk/2026-10';
import { validateEvent as validateEvent049 } from 'polar-sdk-strict/webhooks';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../helpers/emulator.js';
import { startWebhookReceiver, type ReceivedDelivery } from '../helpers/webhook-receiver.js';

/** Event types SDK 0.49 knows (polar-reference.md 6.3); it rejects the others as unknown. */
const KNOWN_TO_049 = new Set([
  'benefit.created',
  'benefit.updated',
  'benefit_grant.created',
  'benefit_grant.cycled',
  'benefit_grant.revoked',
  'benefit_grant.updated',
  'checkout.created',
  'checkout.expired',
  'checkout.updated',
  'customer.created',
  'customer.deleted',
  'customer.state_changed',
  'customer.updated',
  'order.created',
  'order.paid',
  'order.refunded',
  'order.updated',
  'organization.updated',
  'product.created',
  'product.updated',
  'refund.created',
  'refund.updated',
  'subscription.active',
  'subscription.canceled',
  'subscription.created',
  'subscription.past_due',
  'subscription.revoked',
  'subscription.uncanceled',
  'subscription.updated',
]);

type Envelope = { type: string; timestamp: string; data: Record<string, unknown> };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** True when `expected` appears in `actual` in this order (other events may come between). */
function isSubsequence(expected: string[], actual: string[]): boolean {
  let i = 0;
  for (const type of actual) if (type === expected[i]) i += 1;
  return i === expected.length;
}

describe('webhooks over a subscription’s whole life', () => {
  it('delivers every event, verifiable under both key schemes, in Polar’s sequences', async () => {
    const emulator = await startEmulator({ timeScale: 0.001 });
    cleanups.push(() => emulator.close());
    const standardReceiver = await startWebhookReceiver('/standard');
    const legacyReceiver = await startWebhookReceiver('/legacy');
    cleanups.push(
      () => standardReceiver.close(),
      () => legacyReceiver.close(),
    );
    const polar = createPolar({ accessToken: 'polar_oat_lifecycle', baseUrl: emulator.url });

    // One endpoint through the SDK (generated whsec_ secret → standard scheme), one with a legacy secret.
    const standard = await polar.webhooks.createWebhookEndpoint({
      url: standardReceiver.url,
      format: 'raw',
      events: [...KNOWN_TO_049] as never,
    });
    expect(standard.uses_standard_webhook_signature).toBe(true);
    const legacyRes = await fetch(`${emulator.url}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: { authorization: 'Bearer polar_oat_lifecycle', 'content-type': 'application/json' },
      body: JSON.stringify({
        url: legacyReceiver.url,
        format: 'raw',
        events: [...KNOWN_TO_049],
        secret: 'polar_whs_lifecycle-legacy-secret',
      }),
    });
    expect(legacyRes.status).toBe(201);
    const legacy = (await legacyRes.json()) as {
      id: string;
      secret: string;
      uses_standard_webhook_signature: boolean;
    };
    expect(legacy.uses_standard_webhook_signature).toBe(false);

    const seen = { standard: 0, legacy: 0 };
    /** Runs one step, waits for its deliveries, verifies each one, and returns the event types and payloads. */
    async function step(action: () => Promise<unknown>): Promise<Envelope[]> {
      await action();
      await emulator.webhooks.drain();
      const fresh = {
        standard: standardReceiver.received.slice(seen.standard),
        legacy: legacyReceiver.received.slice(seen.legacy),
      };
      seen.standard = standardReceiver.received.length;
      seen.legacy = legacyReceiver.received.length;
      const events: Envelope[] = [];
      for (const got of fresh.standard) {
        const event = await polarWebhooks.validateEvent(got.body, got.headers, standard.secret);
        expect(new Webhook(standard.secret).verify(got.body, got.headers)).toEqual(JSON.parse(got.body));
        await expect(polarWebhooks.validateEvent(got.body, got.headers, legacy.secret)).rejects.toThrow();
        if (!retried(fresh.standard, got)) events.push(event as unknown as Envelope);
      }
      for (const got of fresh.legacy) {
        const event = await polarWebhooks.validateEvent(got.body, got.headers, legacy.secret);
        verify049(got, legacy.secret);
        expect(event.type).toBe((JSON.parse(got.body) as Envelope).type);
      }
      // Same events to both endpoints, each in the order they were emitted; retries repeat the webhook-id.
      const firsts = (list: ReceivedDelivery[]) => list.filter((g) => !retried(list, g));
      const types = (list: ReceivedDelivery[]) =>
        firsts(list).map((g) => (JSON.parse(g.body) as Envelope).type);
      expect(types(fresh.legacy)).toEqual(types(fresh.standard));
      for (const [endpointId, list] of [
        [standard.id, fresh.standard],
        [legacy.id, fresh.legacy],
      ] as const) {
        const ids = firsts(list).map((g) => g.headers['webhook-id']);
        const logged = emulator.webhooks.deliveries({ endpointId }).map((r) => r.webhook_id);
        expect(logged.slice(-ids.length)).toEqual(ids);
      }
      return events;
    }

    // Purchase of a monthly subscription, paid through the control API with the default test card.
    const products = await polar.products.list({ is_archived: false, limit: 100 });
    const monthly = products.items.find((p) => p.name === 'Monthly Plan');
    if (!monthly) throw new Error('the default catalog has no "Monthly Plan"');
    let checkoutId = '';
    const purchase = await step(async () => {
      const checkout = await polar.checkouts.create({
        products: [monthly.id],
        customer_email: 'life@example.com',
      });
      checkoutId = checkout.id;
      await control(`/_emulator/checkouts/${checkout.id}/pay`, {});
    });
    const purchaseTypes = purchase.map((e) => e.type);
    expect(
      isSubsequence(
        [
          'checkout.created',
          'checkout.updated',
          'customer.created',
          'subscription.created',
          'order.created',
          'order.paid',
          'subscription.active',
          'checkout.updated',
          'benefit_grant.created',
          'customer.state_changed',
        ],
        purchaseTypes,
      ),
      purchaseTypes.join(' → '),
    ).toBe(true);
    const firstPaid = purchase.find((e) => e.type === 'order.paid');
    expect(firstPaid?.data).toMatchObject({
      billing_reason: 'subscription_create',
      paid: true,
      checkout_id: checkoutId,
    });
    const subscriptionId = String(purchase.find((e) => e.type === 'subscription.created')?.data.id);
    const firstOrderId = String(firstPaid?.data.id);
    expect(purchase.filter((e) => e.type === 'checkout.updated').map((e) => e.data.status)).toEqual([
      'confirmed',
      'succeeded',
    ]);

    // The standard endpoint's receiver fails the renewal's order.paid once: Polar retries with the same webhook-id.
    let failedOnce = false;
    standardReceiver.respondWith((got) => {
      const failNow = got.body.includes('"type":"order.paid"') && !failedOnce;
      failedOnce ||= failNow;
      return { status: failNow ? 500 : 200 };
    });
    const renewal = await step(() => control(`/_emulator/subscriptions/${subscriptionId}/renew`));
    standardReceiver.respondWith(() => ({ status: 200 }));
    const paidAttempts = standardReceiver.received.filter(
      (g) =>
        (JSON.parse(g.body) as Envelope).type === 'order.paid' && g.body.includes('"subscription_cycle"'),
    );
    expect(paidAttempts).toHaveLength(2);
    expect(paidAttempts[1]?.headers['webhook-id']).toBe(paidAttempts[0]?.headers['webhook-id']);
    expect(paidAttempts[1]?.body).toBe(paidAttempts[0]?.body);
    const paidRecord = emulator.webhooks.delivery(paidAttempts[0]?.headers['webhook-id'] ?? '');
    expect(paidRecord?.attempts.map((a) => a.status_code)).toEqual([500, 200]);
    const renewalTypes = renewal.map((e) => e.type);
    expect(
      isSubsequence(['order.created', 'order.paid', 'subscription.updated'], renewalTypes),
      renewalTypes.join(' → '),
    ).toBe(true);
    expect(renewal.find((e) => e.type === 'order.paid')?.data).toMatchObject({
      billing_reason: 'subscription_cycle',
      subscription_id: subscriptionId,
    });

    const cancel = await step(() => control(`/_emulator/subscriptions/${subscriptionId}/cancel`));
    expect(
      isSubsequence(
        ['subscription.updated', 'subscription.canceled'],
        cancel.map((e) => e.type),
      ),
    ).toBe(true);
    expect(cancel.find((e) => e.type === 'subscription.canceled')?.data).toMatchObject({
      status: 'active',
      cancel_at_period_end: true,
    });

    const uncancel = await step(() => control(`/_emulator/subscriptions/${subscriptionId}/uncancel`));
    expect(
      isSubsequence(
        ['subscription.updated', 'subscription.uncanceled'],
        uncancel.map((e) => e.type),
      ),
    ).toBe(true);
    expect(uncancel.find((e) => e.type === 'subscription.uncanceled')?.data).toMatchObject({
      cancel_at_period_end: false,
    });

    const pastDue = await step(() => control(`/_emulator/subscriptions/${subscriptionId}/past_due`));
    expect(
      isSubsequence(
        ['subscription.updated', 'subscription.past_due'],
        pastDue.map((e) => e.type),
      ),
    ).toBe(true);
    expect(pastDue.find((e) => e.type === 'subscription.past_due')?.data).toMatchObject({
      status: 'past_due',
    });

    const revoke = await step(() => control(`/_emulator/subscriptions/${subscriptionId}/revoke`));
    const revokeTypes = revoke.map((e) => e.type);
    expect(
      isSubsequence(
        ['subscription.updated', 'subscription.revoked', 'benefit_grant.revoked', 'customer.state_changed'],
        revokeTypes,
      ),
    ).toBe(true);
    expect(revoke.find((e) => e.type === 'subscription.revoked')?.data).toMatchObject({ status: 'canceled' });
    expect(revoke.find((e) => e.type === 'subscription.revoked')?.data.ended_at).toEqual(expect.any(String));

    const refund = await step(() => control(`/_emulator/orders/${firstOrderId}/refund`, {}));
    expect(
      isSubsequence(
        ['refund.created', 'order.refunded'],
        refund.map((e) => e.type),
      ),
    ).toBe(true);
    expect(refund.find((e) => e.type === 'order.refunded')?.data).toMatchObject({
      id: firstOrderId,
      status: 'refunded',
    });

    // Everything was delivered, first time but for the one 500, and the log says so.
    const log = emulator.webhooks.deliveries();
    expect(log.length).toBe(standardReceiver.received.length + legacyReceiver.received.length - 1);
    expect(log.every((r) => r.status === 'succeeded')).toBe(true);
    expect(log.filter((r) => r.attempts.length > 1).map((r) => r.webhook_id)).toEqual([
      paidRecord?.webhook_id,
    ]);

    async function control(path: string, body: object = {}): Promise<unknown> {
      const res = await fetch(emulator.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text}`);
      return text ? (JSON.parse(text) as unknown) : undefined;
    }
  });
});

/** Whether an earlier delivery in `list` had the same webhook-id (i.e. this one is a retry). */
function retried(list: ReceivedDelivery[], got: ReceivedDelivery): boolean {
  const i = list.indexOf(got);
  return list.slice(0, i).some((g) => g.headers['webhook-id'] === got.headers['webhook-id']);
}

/** SDK 0.49 verifies legacy signatures and zod-parses the payload into its strict model. */
function verify049(got: ReceivedDelivery, secret: string): void {
  const parsed = validateEvent049(got.body, got.headers, secret);
  expect(parsed.type).toBe((JSON.parse(got.body) as Envelope).type);
  expect(parsed.timestamp).toBeInstanceOf(Date);
}
