import { afterEach, describe, expect, it } from 'vitest';
import { createAccessQueries } from '../../server/db/access.js';
import { hookName } from '../../server/webhooks/ingest.js';
import type { PolarWebhookEvent } from '../../server/webhooks/ingest.js';
import { generateWebhookSecret, signedDelivery, signWebhook } from '../helpers/sign-webhook.js';
import { orderSubscription, polarOrder, polarSubscription, webhookEvent } from '../helpers/polar-payloads.js';
import { startWebhookApp } from '../helpers/webhook-app.js';
import type { WebhookTestApp } from '../helpers/webhook-app.js';

const SECRET = generateWebhookSecret();
const apps: WebhookTestApp[] = [];

async function start(options: Parameters<typeof startWebhookApp>[0] = { secret: SECRET }) {
  const app = await startWebhookApp(options);
  apps.push(app);
  return app;
}

afterEach(async () => {
  while (apps.length > 0) await apps.pop()!.close();
});

function count(app: WebhookTestApp, table: string): number {
  return (app.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

function eventRow(app: WebhookTestApp, webhookId: string) {
  return app.db.prepare(`SELECT * FROM webhook_events WHERE webhook_id = ?`).get(webhookId) as
    { status: string; attempts: number; error: string | null; payload: string; type: string } | undefined;
}

describe('POST /api/webhooks/polar', () => {
  it('applies a signed order.paid, answers 202 after the commit, and stores the raw payload', async () => {
    const app = await start();
    const { body, headers } = signedDelivery(webhookEvent('order.paid', polarOrder()), SECRET, {
      id: 'msg_paid',
    });
    const res = await app.post(body, headers);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ received: true });
    expect(eventRow(app, 'msg_paid')).toMatchObject({
      status: 'processed',
      attempts: 1,
      error: null,
      payload: body,
      type: 'order.paid',
    });
    expect(createAccessQueries(app.db).access('user_123')).toMatchObject({
      active: true,
      product_ids: ['d8dd2de1-21b7-4a41-8bc3-ce909c0cfe23'],
    });
  });

  it('answers a repeated webhook-id with 200 duplicate and changes nothing', async () => {
    const app = await start();
    const { body, headers } = signedDelivery(webhookEvent('order.paid', polarOrder()), SECRET, {
      id: 'msg_dup',
    });
    expect((await app.post(body, headers)).status).toBe(202);
    // A retry is re-signed with a new timestamp but keeps its webhook-id.
    const again = signWebhook(body, SECRET, { id: 'msg_dup', timestamp: Math.floor(Date.now() / 1000) + 5 });
    const res = await app.post(body, { ...headers, ...again });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: true });
    expect(eventRow(app, 'msg_dup')).toMatchObject({ attempts: 1 });
    expect(count(app, 'orders')).toBe(1);
  });

  it('turns 50 concurrent repeats of one delivery into one order', async () => {
    const app = await start();
    const { body, headers } = signedDelivery(webhookEvent('order.paid', polarOrder()), SECRET, {
      id: 'msg_storm',
    });
    const responses = await Promise.all(Array.from({ length: 50 }, () => app.post(body, headers)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect(count(app, 'orders')).toBe(1);
    expect(count(app, 'webhook_events')).toBe(1);
    expect(eventRow(app, 'msg_storm')).toMatchObject({ status: 'processed', attempts: 1 });
  });

  it('stores an unknown event type as ignored and answers 202', async () => {
    const app = await start();
    const { body, headers } = signedDelivery(
      { type: 'wallet.topped_up', timestamp: '2026-01-15T10:00:00Z', data: { id: 'x' } },
      SECRET,
      {
        id: 'msg_unknown',
      },
    );
    const res = await app.post(body, headers);
    expect(res.status).toBe(202);
    expect(eventRow(app, 'msg_unknown')).toMatchObject({ status: 'ignored', payload: body });
    expect((await app.post(body, headers)).status).toBe(200);
  });

  it('answers 400 problem+json for a signed body that is not an event', async () => {
    const app = await start();
    for (const body of ['{"type":', '[]', '{"data":{}}']) {
      const res = await app.post(body, { 'content-type': 'application/json', ...signWebhook(body, SECRET) });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code: 'WEBHOOK_PAYLOAD_INVALID', status: 400 });
    }
    expect(count(app, 'webhook_events')).toBe(0);
  });

  it('answers 403 for a bad or missing signature and stores nothing', async () => {
    const app = await start();
    const { body, headers } = signedDelivery(
      webhookEvent('order.paid', polarOrder()),
      generateWebhookSecret(),
    );
    const wrong = await app.post(body, headers);
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    const missing = await app.post(body, { 'content-type': 'application/json' });
    expect(missing.status).toBe(403);
    expect(count(app, 'webhook_events')).toBe(0);
    expect(count(app, 'orders')).toBe(0);
  });

  it('verifies the exact bytes whatever the content type says', async () => {
    const app = await start();
    const body = `{"type":"order.paid",  "timestamp":"2026-01-15T10:00:05Z","data":${JSON.stringify(polarOrder())}}`;
    const res = await app.post(body, {
      'content-type': 'text/plain; charset=latin1',
      ...signWebhook(body, SECRET),
    });
    expect(res.status).toBe(202);
  });

  it('answers 413 for a body over 1 MB', async () => {
    const app = await start();
    const body = JSON.stringify(
      webhookEvent('order.paid', { ...polarOrder(), padding: 'x'.repeat(1_100_000) }),
    );
    const res = await app.post(body, { 'content-type': 'application/json', ...signWebhook(body, SECRET) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('records data the kit cannot store as failed and answers 400', async () => {
    const app = await start();
    const order = { ...polarOrder(), total_amount: 10.5 };
    const { body, headers } = signedDelivery(webhookEvent('order.paid', order), SECRET, {
      id: 'msg_bad_data',
    });
    const res = await app.post(body, headers);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'WEBHOOK_PAYLOAD_INVALID' });
    expect(eventRow(app, 'msg_bad_data')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(eventRow(app, 'msg_bad_data')?.error).toMatch(/total_amount/);
  });

  it('rolls back a processing error, answers 500, records the failure, and applies the retry', async () => {
    const app = await start();
    const subscription = polarSubscription({ checkout_id: polarOrder().checkout_id });
    const order = polarOrder({
      billing_reason: 'subscription_create',
      subscription_id: subscription.id,
      subscription: orderSubscription(subscription),
    });
    // A real database failure in the middle of the transaction: the order row is written first, then this fires.
    app.db.exec(
      `CREATE TEMP TRIGGER fail_subscriptions BEFORE INSERT ON subscriptions BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
    );
    const { body, headers } = signedDelivery(webhookEvent('order.paid', order), SECRET, { id: 'msg_retry' });
    const failed = await app.post(body, headers);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ code: 'INTERNAL' });
    expect(count(app, 'orders')).toBe(0);
    expect(eventRow(app, 'msg_retry')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(eventRow(app, 'msg_retry')?.error).toMatch(/disk trouble/);
    expect(app.logger.entries.some((e) => e.msg === 'webhook event failed')).toBe(true);

    app.db.exec(`DROP TRIGGER fail_subscriptions`);
    const retry = await app.post(body, { ...headers, ...signWebhook(body, SECRET, { id: 'msg_retry' }) });
    expect(retry.status).toBe(202);
    expect(eventRow(app, 'msg_retry')).toMatchObject({ status: 'processed', attempts: 2, error: null });
    expect(count(app, 'orders')).toBe(1);
    expect(count(app, 'subscriptions')).toBe(1);
  });

  it('replays a stored failed event once the cause is fixed', async () => {
    const app = await start();
    app.db.exec(
      `CREATE TEMP TRIGGER fail_orders BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'locked'); END`,
    );
    const { body, headers } = signedDelivery(webhookEvent('order.paid', polarOrder()), SECRET, {
      id: 'msg_replay',
    });
    expect((await app.post(body, headers)).status).toBe(500);
    expect(app.ingest.replay('msg_replay')).toEqual({ status: 'failed' });
    expect(eventRow(app, 'msg_replay')).toMatchObject({ status: 'failed', attempts: 2 });
    app.db.exec(`DROP TRIGGER fail_orders`);
    expect(app.ingest.replay('msg_replay')).toEqual({ status: 'processed' });
    expect(eventRow(app, 'msg_replay')).toMatchObject({ status: 'processed', attempts: 3 });
    expect(count(app, 'orders')).toBe(1);
    expect(() => app.ingest.replay('nope')).toThrow(
      expect.objectContaining({ code: 'WEBHOOK_EVENT_NOT_FOUND' }),
    );
  });
});

describe('webhook callbacks', () => {
  it('runs onEvent and the specific callback after the commit, once per event', async () => {
    const seen: string[] = [];
    let committedOrders = -1;
    const app = await start({
      secret: SECRET,
      hooks: {
        onEvent: (event) => void seen.push(`event:${event.type}`),
        onOrderPaid: (event: PolarWebhookEvent) => {
          seen.push(`paid:${(event.data as { id: string }).id}`);
          committedOrders = (app.db.prepare(`SELECT count(*) AS n FROM orders`).get() as { n: number }).n;
        },
      },
    });
    const { body, headers } = signedDelivery(webhookEvent('order.paid', polarOrder()), SECRET, {
      id: 'msg_hooks',
    });
    await app.post(body, headers);
    await app.post(body, headers);
    await app.ingest.drain();
    expect(seen.sort()).toEqual(['event:order.paid', `paid:${polarOrder().id}`]);
    expect(committedOrders).toBe(1);
  });

  it('logs a failing callback and keeps the event', async () => {
    const app = await start({
      secret: SECRET,
      hooks: {
        onOrderPaid: () => {
          throw new Error('mailer down');
        },
        onEvent: async () => Promise.reject(new Error('analytics down')),
      },
    });
    const { body, headers } = signedDelivery(webhookEvent('order.paid', polarOrder()), SECRET, {
      id: 'msg_hook_fail',
    });
    expect((await app.post(body, headers)).status).toBe(202);
    await app.ingest.drain();
    expect(eventRow(app, 'msg_hook_fail')).toMatchObject({ status: 'processed' });
    expect(app.logger.entries.filter((e) => e.msg === 'webhook callback failed')).toHaveLength(2);
  });

  it('names callbacks after event types', () => {
    expect(hookName('order.paid')).toBe('onOrderPaid');
    expect(hookName('subscription.past_due')).toBe('onSubscriptionPastDue');
    expect(hookName('benefit_grant.revoked')).toBe('onBenefitGrantRevoked');
    expect(hookName('customer.state_changed')).toBe('onCustomerStateChanged');
  });
});
