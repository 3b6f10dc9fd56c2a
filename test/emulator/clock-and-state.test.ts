/**
 * The emulator stamps every change with a later timestamp than the one before (as Polar's microsecond
 * timestamps are), so receivers can order the states of an object by `modified_at`; and `--data` writes the
 * state file only when something changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addInterval, addMilliseconds, createClock } from '../../emulator/clock.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Envelope = { type: string; timestamp: string; data: Record<string, unknown> };

async function control<T>(emulator: StartedEmulator, path: string, body: object = {}): Promise<T> {
  const response = await fetch(`${emulator.url}/_emulator${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

describe('the emulator clock', () => {
  it('never gives the same timestamp twice, even many times within one millisecond', () => {
    const clock = createClock();
    const stamps = Array.from({ length: 5000 }, () => clock.timestamp());
    for (const stamp of stamps) expect(stamp).toMatch(MICROS);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true);
    expect(new Set(stamps).size).toBe(stamps.length);
    // now() is never earlier than the last timestamp handed out.
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(Date.parse(stamps.at(-1)!));
  });

  it('moves forward with the offset, and starts again from real time after a reset', () => {
    const clock = createClock();
    const before = clock.timestamp();
    clock.advance(86_400);
    const later = clock.timestamp();
    expect(Date.parse(later) - Date.parse(before)).toBeGreaterThanOrEqual(86_400_000);
    clock.setOffsetMs(0);
    expect(Math.abs(Date.parse(clock.timestamp()) - Date.now())).toBeLessThan(1000);
  });

  it('keeps microseconds when adding a period or a duration', () => {
    expect(addInterval('2026-01-31T10:00:05.123456Z', 'month')).toBe('2026-02-28T10:00:05.123456Z');
    expect(addInterval('2026-01-31T10:00:05.123Z', 'year')).toBe('2027-01-31T10:00:05.123Z');
    expect(addMilliseconds('2026-01-15T10:00:05.123456Z', 3_600_000)).toBe('2026-01-15T11:00:05.123456Z');
  });
});

describe('timestamps of the objects the emulator sends', () => {
  it('a failed renewal: the order embeds the subscription as it was then, and past due comes later', async () => {
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const emulator = await startEmulator({ timeScale: 0.001, webhook: { url: receiver.url } });
    cleanups.push(() => emulator.close());

    const checkout = emulator.store.createCheckout({
      products: [MONTHLY],
      customer_email: 'dunning@example.com',
    });
    const paid = emulator.store.payCheckout(checkout.id, { card: '4000000000000341' });
    const subscriptionId = paid.subscription_id!;
    await control(emulator, `/subscriptions/${subscriptionId}/renew`);
    await emulator.webhooks.drain();

    const events = emulator.webhooks.deliveries().map((d) => JSON.parse(d.payload) as Envelope);
    const renewal = events.find(
      (e) => e.type === 'order.created' && e.data.billing_reason === 'subscription_cycle',
    )!;
    const embedded = renewal.data.subscription as { status: string; modified_at: string };
    expect(embedded.status).toBe('active');
    const pastDue = events.find((e) => e.type === 'subscription.updated' && e.data.status === 'past_due')!
      .data as { modified_at: string; past_due_at: string };
    expect(pastDue.modified_at).toMatch(MICROS);
    expect(pastDue.modified_at > embedded.modified_at).toBe(true);
    expect(pastDue.past_due_at).toBe(pastDue.modified_at);

    // Across every event: one modified_at (or created_at) is one state of the object, never two.
    const states = new Map<string, string>();
    for (const e of events) {
      const objects = [e.data, e.data.subscription, e.data.customer].filter(
        (o): o is Record<string, unknown> => typeof o === 'object' && o !== null && 'id' in o,
      );
      for (const o of objects) {
        if (typeof o.created_at !== 'string' || !('status' in o)) continue;
        const key = `${String(o.id)}@${String(o.modified_at ?? o.created_at)}`;
        const state = `${String(o.status)}|${String(o.current_period_end ?? '')}`;
        expect(states.get(key) ?? state, `${e.type} ${key}`).toBe(state);
        states.set(key, state);
      }
    }
  });

  it('a renewal paid after past due: active again, stamped later than the past-due copy in its order', async () => {
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const emulator = await startEmulator({ timeScale: 0.001, webhook: { url: receiver.url } });
    cleanups.push(() => emulator.close());
    const checkout = emulator.store.createCheckout({
      products: [MONTHLY],
      customer_email: 'late@example.com',
    });
    const subscriptionId = emulator.store.payCheckout(checkout.id, {}).subscription_id!;
    await control(emulator, `/subscriptions/${subscriptionId}/past_due`);
    await control(emulator, `/subscriptions/${subscriptionId}/renew`);
    await emulator.webhooks.drain();

    const events = emulator.webhooks.deliveries().map((d) => JSON.parse(d.payload) as Envelope);
    const paid = events.find(
      (e) => e.type === 'order.paid' && e.data.billing_reason === 'subscription_cycle',
    )!;
    const embedded = paid.data.subscription as { status: string; modified_at: string };
    expect(embedded.status).toBe('past_due');
    const active = events.filter((e) => e.type === 'subscription.active').at(-1)!.data as {
      status: string;
      modified_at: string;
      past_due_at: string | null;
    };
    expect(active).toMatchObject({ status: 'active', past_due_at: null });
    expect(active.modified_at > embedded.modified_at).toBe(true);
  });

  it('stamps successive objects with increasing created_at', async () => {
    const emulator = await startEmulator();
    cleanups.push(() => emulator.close());
    const created = Array.from({ length: 50 }, (_, i) =>
      emulator.store.createCustomer({ email: `c${i}@example.com` }),
    );
    for (let i = 1; i < created.length; i++)
      expect(created[i]!.created_at > created[i - 1]!.created_at).toBe(true);
  });
});

describe('--data FILE', () => {
  it('does not copy or write the state while nothing changes, and saves a change within a second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polar-emulator-state-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const emulator = await startEmulator({ dataFile: join(dir, 'state.sqlite') });
    cleanups.push(() => emulator.close());
    const exportState = emulator.store.exportState.bind(emulator.store);
    let exports = 0;
    emulator.store.exportState = () => {
      exports += 1;
      return exportState();
    };
    // The first save happens within a second of start; after it, an idle emulator saves nothing.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const afterStart = exports;
    expect(afterStart).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect(exports).toBe(afterStart);
    // Reads do not change anything either.
    await fetch(`${emulator.url}/v1/products/`, { headers: { authorization: 'Bearer x' } });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(exports).toBe(afterStart);
    // A change made in-process (no request) is saved by the next tick of the saver.
    emulator.store.createCustomer({ email: 'saved@example.com' });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(exports).toBe(afterStart + 1);
  });
});
