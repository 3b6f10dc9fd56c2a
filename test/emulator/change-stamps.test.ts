/**
 * Every change the emulator makes is stamped by one strictly increasing microsecond clock: a license key
 * edited through the API, and the envelope of every webhook event, as Polar stamps them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookDispatcher } from '../../emulator/webhooks.js';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Envelope = {
  type: string;
  timestamp: string;
  data: { created_at?: string; modified_at?: string | null };
};

async function emulatorWithReceiver(): Promise<StartedEmulator> {
  const receiver = await startWebhookReceiver();
  cleanups.push(() => receiver.close());
  const emulator = await startEmulator({ timeScale: 0.001, webhook: { url: receiver.url } });
  cleanups.push(() => emulator.close());
  return emulator;
}

describe('PATCH /v1/license-keys/:id', () => {
  it('stamps modified_at later than every stamp before it, in microseconds, and marks the state changed', async () => {
    const emulator = await startEmulator();
    cleanups.push(() => emulator.close());
    const checkout = emulator.store.createCheckout({ products: [LIFETIME], customer_email: 'k@example.com' });
    emulator.store.payCheckout(checkout.id, {});
    const key = emulator.store.state.licenseKeys[0]!;
    expect(key.created_at).toMatch(MICROS);

    const stamps: string[] = [key.created_at];
    for (let i = 0; i < 20; i++) {
      const revision = emulator.store.revision();
      const response = await fetch(`${emulator.url}/v1/license-keys/${key.id}`, {
        method: 'PATCH',
        headers: { authorization: 'Bearer polar_oat_test', 'content-type': 'application/json' },
        body: JSON.stringify({ usage: i }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { usage: number; modified_at: string };
      expect(body.usage).toBe(i);
      expect(body.modified_at).toMatch(MICROS);
      expect(emulator.store.revision()).toBeGreaterThan(revision);
      stamps.push(body.modified_at);
      // A store action right after stamps later still.
      stamps.push(emulator.store.createCustomer({ email: `after${i}@example.com` }).created_at);
    }
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!, stamps[i]).toBe(true);
  });
});

describe('webhook envelope timestamps', () => {
  it('are unique, increasing and in microseconds, never earlier than the object they carry', async () => {
    const emulator = await emulatorWithReceiver();
    for (let i = 0; i < 40; i++) emulator.store.createCustomer({ email: `burst${i}@example.com` });
    await emulator.webhooks.drain();

    const envelopes = emulator.webhooks
      .deliveries()
      .map((d) => JSON.parse(d.payload) as Envelope)
      .filter((e) => e.type === 'customer.created');
    expect(envelopes).toHaveLength(40);
    const stamps = envelopes.map((e) => e.timestamp);
    stamps.sort();
    expect(new Set(stamps).size).toBe(stamps.length);
    for (const e of envelopes) {
      expect(e.timestamp).toMatch(MICROS);
      expect(e.timestamp > (e.data.modified_at ?? e.data.created_at!)).toBe(true);
    }
    for (const d of emulator.webhooks.deliveries())
      expect(d.created_at).toBe(JSON.parse(d.payload).timestamp);
  });

  it('a dispatcher created on its own keeps stamping with its now() clock', async () => {
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const fixed = new Date('2026-03-01T12:00:00.000Z');
    const dispatcher = createWebhookDispatcher({ organizationId: 'org', timeScale: 0.001, now: () => fixed });
    cleanups.push(() => dispatcher.close());
    dispatcher.createEndpoint({ url: receiver.url });
    dispatcher.emit('customer.created', { id: 'c1' });
    await dispatcher.drain();
    expect((JSON.parse(dispatcher.deliveries()[0]!.payload) as Envelope).timestamp).toBe(fixed.toISOString());
  });
});
