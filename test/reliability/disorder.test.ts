/**
 * Disorder: the deliveries of a subscription's whole life, as the emulator sends them (purchase, cancel,
 * uncancel, renewals, past due, refund, revoke), replayed over HTTP to a fresh kit webhook route in 200 random
 * orders with random repeats, always end in one and the same final state: the state of the in-order delivery.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../helpers/emulator.js';
import { shuffledWithRepeats, snapshotKitState } from '../helpers/kit-state.js';
import type { StartedEmulator } from '../helpers/emulator.js';
import { generateWebhookSecret, signWebhook } from '../helpers/sign-webhook.js';
import { startWebhookApp } from '../helpers/webhook-app.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import type { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { recordFigures } from './figures.js';

const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';
const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123', name: 'Jane Doe' };
const RUNS = 200;
const SECRET = generateWebhookSecret();

let emulator: StartedEmulator;
let receiver: WebhookReceiver;
/** The life's deliveries in the order the emulator sent them: `webhook-id` and exact body. */
let deliveries: Array<{ id: string; type: string; body: string }> = [];

async function call(method: string, pathname: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${emulator.url.replace(/\/+$/, '')}${pathname}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: 'Bearer polar_oat_disorder' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${pathname} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  emulator = await startEmulator({
    timeScale: 0.001,
    webhook: { url: receiver.url + '/webhooks/polar', secret: SECRET },
  });
  const checkout = await call('POST', '/v1/checkouts/', {
    products: [MONTHLY],
    success_url: 'http://localhost:3000/ok',
  });
  await call('POST', `/_emulator/checkouts/${String(checkout.id)}/pay`, {
    card: CARD,
    customer_email: 'life@example.com',
    customer_name: 'Life Long',
  });
  await emulator.webhooks.drain();
  const created = receiver.received
    .map((d) => JSON.parse(d.body) as { type: string; data: { id: string } })
    .find((e) => e.type === 'subscription.created');
  expect(created, 'the purchase created a subscription').toBeDefined();
  const subscription = created!.data.id;
  for (const action of ['cancel', 'uncancel', 'renew', 'past_due', 'renew', 'cancel', 'uncancel', 'renew']) {
    await call('POST', `/_emulator/subscriptions/${subscription}/${action}`);
  }
  await emulator.webhooks.drain();
  const orders = receiver.received
    .map((d) => JSON.parse(d.body) as { type: string; data: { id: string } })
    .filter((e) => e.type === 'order.paid');
  await call('POST', `/_emulator/orders/${orders[1]!.data.id}/refund`, { reason: 'customer_request' });
  await call('POST', `/_emulator/subscriptions/${subscription}/revoke`);
  await emulator.webhooks.drain();
  deliveries = receiver.received.map((d) => ({
    id: d.headers['webhook-id']!,
    type: (JSON.parse(d.body) as { type: string }).type,
    body: d.body,
  }));
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  await receiver?.close();
});

/** Delivers `sequence` (indexes into `deliveries`) one after the other to a fresh kit, over HTTP, freshly signed. */
async function deliver(
  sequence: number[],
): Promise<{ state: Record<string, unknown[]>; statuses: number[] }> {
  const app = await startWebhookApp({ secret: SECRET });
  try {
    const statuses: number[] = [];
    for (const i of sequence) {
      const d = deliveries[i]!;
      const response = await app.post(d.body, {
        'content-type': 'application/json',
        ...signWebhook(d.body, SECRET, { id: d.id }),
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    return {
      state: snapshotKitState(app.db, { webhookEvents: ['webhook_id', 'type', 'status', 'payload'] }),
      statuses,
    };
  } finally {
    await app.close();
  }
}

describe('disorder', () => {
  it('ends a subscription life delivered in 200 random orders, with repeats, in the state of the ordered delivery', async () => {
    const types = new Set(deliveries.map((d) => d.type));
    for (const type of [
      'subscription.created',
      'subscription.active',
      'subscription.canceled',
      'subscription.uncanceled',
      'subscription.past_due',
      'subscription.revoked',
      'order.paid',
      'order.refunded',
      'refund.created',
      'checkout.updated',
      'customer.created',
    ]) {
      expect(types, `the life includes ${type}`).toContain(type);
    }
    const inOrder = deliveries.map((_, i) => i);
    const expected = await deliver(inOrder);
    expect(expected.statuses.every((s) => s === 202)).toBe(true);
    expect((expected.state.subscriptions as Array<{ status: string }>).map((s) => s.status)).toEqual([
      'canceled',
    ]);
    expect((expected.state.orders as Array<{ status: string }>).map((o) => o.status).sort()).toContain(
      'refunded',
    );

    let runs = 0;
    let requests = 0;
    let differing = 0;
    let serverErrors = 0;
    const n = deliveries.length;
    await fc.assert(
      fc.asyncProperty(shuffledWithRepeats(n, 10), async (sequence) => {
        const got = await deliver(sequence);
        runs++;
        requests += sequence.length;
        serverErrors += got.statuses.filter((s) => s >= 500).length;
        try {
          expect(got.statuses.every((s) => s === 200 || s === 202)).toBe(true);
          expect(got.state).toEqual(expected.state);
        } catch (error) {
          differing++;
          throw error;
        }
      }),
      { numRuns: RUNS, seed: 20261123, endOnFailure: true },
    );
    recordFigures('disorder', {
      eventsInLife: n,
      eventTypes: [...types].sort(),
      orders: RUNS,
      runs,
      requests,
      differingFinalStates: differing,
      serverErrors,
    });
    expect(runs).toBe(RUNS);
  });
});
