/**
 * Duplicate storm: 5,000 distinct deliveries, each sent three times at once, in a shuffled order, to the kit
 * started as `polar-kit start` in its own process. Exactly one copy of each is applied (202), the others are
 * recognised as duplicates (200), and the database holds exactly 5,000 events and the right orders and
 * subscriptions.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startKitProcess, stopKitProcess } from '../helpers/kit-process.js';
import type { KitProcess } from '../helpers/kit-process.js';
import { polarOrder, polarSubscription, webhookEvent } from '../helpers/polar-payloads.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';
import { recordFigures } from './figures.js';
import { pool, readDatabase, seededRandom, shuffle, tempDir, uuid } from './helpers.js';

const ORDERS = 1_500; // order.created + order.paid each
const SUBSCRIPTIONS = 1_000; // subscription.created + subscription.updated each
const COPIES = 3;
const IN_FLIGHT = 16; // deliveries at a time, so 48 requests
const ORDER_PREFIX = 'a0000001';
const SUBSCRIPTION_PREFIX = 'b0000002';

const stamp = (seconds: number) => new Date(Date.UTC(2026, 0, 15, 10) + seconds * 1000).toISOString();

type Event = { id: string; type: string; data: unknown };

function storyEvents(): Event[] {
  const events: Event[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const id = uuid(ORDER_PREFIX, i);
    const base = {
      id,
      created_at: stamp(i),
      billing_reason: 'purchase',
      subscription_id: null,
      subscription: null,
    };
    events.push({
      id: `msg_storm_order_${i}_created`,
      type: 'order.created',
      data: polarOrder({ ...base, status: 'pending', paid: false, modified_at: null }),
    });
    events.push({
      id: `msg_storm_order_${i}_paid`,
      type: 'order.paid',
      data: polarOrder({ ...base, status: 'paid', paid: true, modified_at: stamp(i + 1) }),
    });
  }
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const id = uuid(SUBSCRIPTION_PREFIX, i);
    const base = { id, created_at: stamp(i), checkout_id: null };
    events.push({
      id: `msg_storm_sub_${i}_created`,
      type: 'subscription.created',
      data: polarSubscription({ ...base, status: 'incomplete', modified_at: null }),
    });
    events.push({
      id: `msg_storm_sub_${i}_updated`,
      type: 'subscription.updated',
      data: polarSubscription({
        ...base,
        status: 'active',
        cancel_at_period_end: true,
        canceled_at: stamp(i + 2),
        modified_at: stamp(i + 2),
      }),
    });
  }
  return events;
}

const running: KitProcess[] = [];
const temp = tempDir('polar-kit-storm-');
afterAll(async () => {
  while (running.length > 0) await stopKitProcess(running.pop()!);
  temp.cleanup();
});

describe('duplicate storm', () => {
  it('stores each of 5,000 deliveries sent three times concurrently exactly once, with the right final state', async () => {
    const secret = generateWebhookSecret();
    const port = await freePort();
    const kit = await startKitProcess(temp.dir, {
      PORT: String(port),
      POLAR_EMULATOR_PORT: String(await freePort()),
      POLAR_WEBHOOK_SECRET: secret,
      KIT_ADMIN_TOKEN: 'storm-admin-token-0123456789abcdef',
    });
    running.push(kit);
    const url = `http://127.0.0.1:${port}/api/webhooks/polar`;

    const events = shuffle(storyEvents(), seededRandom(20261123));
    expect(events).toHaveLength(5_000);
    const answers = new Map<number, number>();
    let duplicatesAnswered = 0;
    let sent = 0;
    await pool(events, IN_FLIGHT, async (event) => {
      // One signature per delivery, as Polar sends the same bytes and headers on every attempt.
      const delivery = signedDelivery(webhookEvent(event.type, event.data), secret, { id: event.id });
      const copies = await Promise.all(
        Array.from({ length: COPIES }, async () => {
          sent++;
          const response = await fetch(url, {
            method: 'POST',
            headers: delivery.headers,
            body: delivery.body,
          });
          const body = (await response.json()) as { received?: boolean; duplicate?: boolean };
          answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
          if (response.status === 200 && body.duplicate === true) duplicatesAnswered++;
          return response.status;
        }),
      );
      // Exactly one copy is the one that applied the event.
      expect(copies.filter((status) => status === 202)).toHaveLength(1);
    });

    // Stop gracefully, then read the file as the next start would.
    running.pop();
    expect(await stopKitProcess(kit)).toBe(0);
    const dbPath = path.join(temp.dir, 'data', 'kit.sqlite');
    const found = readDatabase(dbPath, (db) => ({
      events: db
        .prepare(
          `SELECT count(*) AS n, count(DISTINCT webhook_id) AS d, sum(status = 'processed') AS p FROM webhook_events WHERE webhook_id LIKE 'msg_storm_%'`,
        )
        .get() as { n: number; d: number; p: number },
      orders: db
        .prepare(
          `SELECT status, paid, count(*) AS n FROM orders WHERE id LIKE '${ORDER_PREFIX}-%' GROUP BY status, paid`,
        )
        .all(),
      subscriptions: db
        .prepare(
          `SELECT status, cancel_at_period_end, count(*) AS n FROM subscriptions WHERE id LIKE '${SUBSCRIPTION_PREFIX}-%' GROUP BY status, cancel_at_period_end`,
        )
        .all(),
    }));

    recordFigures('duplicate-storm', {
      deliveries: events.length,
      requestsSent: sent,
      answers: Object.fromEntries(answers),
      duplicatesAnswered,
      eventsStored: found.events.n,
      lost: events.length - found.events.d,
      storedTwice: found.events.n - found.events.d,
      ordersStored: found.orders,
      subscriptionsStored: found.subscriptions,
    });
    expect(Object.fromEntries(answers)).toEqual({ 202: 5_000, 200: 10_000 });
    expect(duplicatesAnswered).toBe(10_000);
    expect(found.events).toEqual({ n: 5_000, d: 5_000, p: 5_000 });
    expect(found.orders).toEqual([{ status: 'paid', paid: 1, n: ORDERS }]);
    expect(found.subscriptions).toEqual([{ status: 'active', cancel_at_period_end: 1, n: SUBSCRIPTIONS }]);
  });
});
