/**
 * Polar outage: the emulator's fault switches make every `/v1` call fail for 30 s (15 s of 503s, then 15 s of
 * requests that never answer). Meanwhile checkout creation answers 502 POLAR_UNAVAILABLE within the kit's Polar
 * timeout, and everything that does not need Polar keeps working: health (reporting Polar unreachable), the
 * cached catalogue, checkout status polls and webhook ingestion. Once the switches are off, checkouts sell again.
 * Usage events posted while Polar's events ingest fails are kept in the kit's outbox and each reaches Polar
 * exactly once after it recovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutResponse } from '../../contract/contract.js';
import { polarCustomer, webhookEvent } from '../helpers/polar-payloads.js';
import { signedDelivery } from '../helpers/sign-webhook.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';
import { recordFigures } from './figures.js';

const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';
const POLAR_TIMEOUT_S = 2;
const PHASE_MS = 15_000;
/** What the client may wait beyond the Polar timeout (the kit's own work, a loaded CI machine). */
const SLACK_MS = 1_500;

let t: TestKit;
beforeAll(async () => {
  t = await startTestKit({ kit: { polarTimeoutSeconds: POLAR_TIMEOUT_S } });
});
afterAll(async () => {
  await t?.close();
});

type Tally = {
  count: number;
  statuses: Record<number, number>;
  codes: Record<string, number>;
  maxMs: number;
};
const tally = (): Tally => ({ count: 0, statuses: {}, codes: {}, maxMs: 0 });

async function timed(
  into: Tally,
  request: () => Promise<Response>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const started = performance.now();
  const response = await request();
  const text = await response.text();
  const elapsed = performance.now() - started;
  const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  into.count++;
  into.statuses[response.status] = (into.statuses[response.status] ?? 0) + 1;
  if (typeof body.code === 'string') into.codes[body.code] = (into.codes[body.code] ?? 0) + 1;
  into.maxMs = Math.max(into.maxMs, elapsed);
  return { status: response.status, body };
}

const createCheckout = () =>
  t.fetch('/api/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ product_id: MONTHLY }),
  });

describe('Polar outage', () => {
  it('answers 502 POLAR_UNAVAILABLE for checkouts within the timeout for 30 s and keeps serving everything else', async () => {
    expect((await t.fetch('/api/products')).status).toBe(200);
    const before = (await (await createCheckout()).json()) as CheckoutResponse;

    const figures = {
      checkout: tally(),
      health: tally(),
      products: tally(),
      status: tally(),
      webhooks: tally(),
    };
    const healthStates: Record<string, number> = {};
    let webhookN = 0;
    const runFor = async (ms: number) => {
      const until = Date.now() + ms;
      const loop = async (step: () => Promise<void>) => {
        while (Date.now() < until) await step();
      };
      await Promise.all([
        loop(async () => void (await timed(figures.checkout, createCheckout))),
        loop(async () => void (await timed(figures.checkout, createCheckout))),
        loop(async () => {
          const { body } = await timed(figures.health, () => t.fetch('/api/health'));
          const key = `${String(body.status)}/${String(body.polar)}`;
          healthStates[key] = (healthStates[key] ?? 0) + 1;
        }),
        loop(async () => void (await timed(figures.products, () => t.fetch('/api/products')))),
        loop(
          async () =>
            void (await timed(figures.status, () => t.fetch(`/api/checkout/${before.checkout_id}`))),
        ),
        loop(async () => {
          const n = webhookN++;
          const customer = polarCustomer({
            id: `e0000004-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
            email: `outage${n}@example.com`,
            external_id: `outage_${n}`,
          });
          const delivery = signedDelivery(webhookEvent('customer.created', customer), t.webhookSecret, {
            id: `msg_outage_${n}`,
          });
          await timed(figures.webhooks, () =>
            t.fetch('/api/webhooks/polar', {
              method: 'POST',
              headers: delivery.headers,
              body: delivery.body,
            }),
          );
        }),
      ]);
    };

    await t.control('/_emulator/faults', { path: '/v1', status: 503, count: 1_000_000 });
    await runFor(PHASE_MS);
    await fetch(`${t.emulator.url.replace(/\/+$/, '')}/_emulator/faults`, { method: 'DELETE' });
    await t.control('/_emulator/faults', { path: '/v1', hang: true, count: 1_000_000 });
    await runFor(PHASE_MS);
    await fetch(`${t.emulator.url.replace(/\/+$/, '')}/_emulator/faults`, { method: 'DELETE' });

    // Recovery: the next checkout sells.
    const recovered = await waitFor(
      async () => ((await createCheckout()).status === 201 ? true : null),
      'checkout creation to recover',
      {
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    // Health reuses a Polar probe for up to 15 s, so one taken during the hangs may still answer for a while.
    const health = await waitFor(
      async () => {
        const body = (await (await t.fetch('/api/health')).json()) as { status: string; polar: string };
        return body.polar === 'ok' ? body : null;
      },
      'health to see Polar again',
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const stored = webhookN;

    recordFigures('outage', {
      outageSeconds: (2 * PHASE_MS) / 1000,
      polarTimeoutSeconds: POLAR_TIMEOUT_S,
      ...figures,
      healthStates,
      webhooksSent: stored,
      recovered,
      healthAfter: health,
    });
    expect(figures.checkout.count).toBeGreaterThan(10);
    expect(figures.checkout.statuses).toEqual({ 502: figures.checkout.count });
    expect(figures.checkout.codes).toEqual({ POLAR_UNAVAILABLE: figures.checkout.count });
    expect(figures.checkout.maxMs).toBeLessThan(POLAR_TIMEOUT_S * 1000 + SLACK_MS);
    expect(figures.health.statuses).toEqual({ 200: figures.health.count });
    expect(figures.health.maxMs).toBeLessThan(POLAR_TIMEOUT_S * 1000 + SLACK_MS);
    expect(figures.products.statuses).toEqual({ 200: figures.products.count });
    expect(figures.status.statuses).toEqual({ 200: figures.status.count });
    expect(figures.webhooks.statuses).toEqual({ 202: figures.webhooks.count });
    expect(Object.keys(healthStates).every((state) => state !== 'ok/ok')).toBe(true);
    expect(health).toMatchObject({ status: 'ok', polar: 'ok' });
    // Webhooks received during the outage are in the database.
    expect(t.kit.access(`outage_${stored - 1}`)?.email).toBe(`outage${stored - 1}@example.com`);
  }, 120_000);

  it("keeps usage events posted while Polar's events ingest is down and delivers each exactly once after", async () => {
    // Its own kit: retries capped at 1 s, so recovery is seen within a few seconds of the switch going off.
    const u = await startTestKit({
      kit: {
        polarTimeoutSeconds: POLAR_TIMEOUT_S,
        usageFlush: { intervalMs: 50, retryBaseMs: 100, retryMaxMs: 1_000, batchSize: 250 },
      },
    });
    try {
      const ingestUrl = `${u.emulator.url.replace(/\/+$/, '')}/_emulator/faults`;
      const usage: Tally = tally();
      const posted = new Set<string>();
      let n = 0;
      const postFor = async (ms: number) => {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          const events = Array.from({ length: 20 }, () => {
            const i = n++;
            return {
              name: 'api_call',
              external_customer_id: `outage_user_${i % 11}`,
              external_id: `outage_evt_${i}`,
              metadata: { tokens: i },
            };
          });
          // Every fifth batch is sent twice, as a client that timed out and retried would.
          const times = events[0]!.metadata.tokens % 100 === 0 ? 2 : 1;
          for (let k = 0; k < times; k++) {
            const { status, body } = await timed(usage, () =>
              u.admin('/api/usage', {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ events }),
              }),
            );
            expect(status).toBe(202);
            expect(body).toEqual({ accepted: k === 0 ? events.length : 0 });
          }
          for (const event of events) posted.add(event.external_id);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      };
      const received = async () =>
        (
          (await (await fetch(`${u.emulator.url.replace(/\/+$/, '')}/_emulator/events`)).json()) as {
            items: Array<{ external_id: string | null }>;
          }
        ).items.filter((event) => event.external_id?.startsWith('outage_evt_'));

      // The ingest endpoint answers 503, then never answers, while usage keeps coming in.
      await u.control('/_emulator/faults', { path: '/v1/events/ingest', status: 503, count: 1_000_000 });
      await postFor(PHASE_MS);
      const duringOutage = (await received()).length;
      await fetch(ingestUrl, { method: 'DELETE' });
      await u.control('/_emulator/faults', { path: '/v1/events/ingest', hang: true, count: 1_000_000 });
      await postFor(PHASE_MS);
      const duringHang = (await received()).length;
      await fetch(ingestUrl, { method: 'DELETE' });
      const recoveredAt = Date.now();

      const delivered = await waitFor(
        async () => {
          const events = await received();
          return events.length >= posted.size ? events : null;
        },
        'every usage event to reach Polar',
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      const deliveredMs = Date.now() - recoveredAt;
      // A little longer: nothing arrives a second time.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const final = await received();
      const ids = final.map((event) => event.external_id);

      recordFigures('outage-usage', {
        outageSeconds: (2 * PHASE_MS) / 1000,
        usagePosts: usage,
        eventsPosted: posted.size,
        receivedDuringOutage: duringOutage + duringHang,
        eventsReceived: final.length,
        distinctReceived: new Set(ids).size,
        deliveredAllMsAfterRecovery: deliveredMs,
      });
      expect(posted.size).toBeGreaterThan(100);
      expect(duringOutage + duringHang).toBe(0);
      expect(usage.statuses).toEqual({ 202: usage.count });
      expect(delivered.length).toBe(posted.size);
      expect(final.length).toBe(posted.size);
      expect(new Set(ids)).toEqual(posted);
    } finally {
      await u.close();
    }
  }, 90_000);
});
