import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKit } from '../../server/index.js';
import { TEST_WEBHOOK_SECRET, startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

type EmulatorEvent = { name: string; external_id: string | null; external_customer_id: string | null };

let t: TestKit | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const FAST = { intervalMs: 20, retryBaseMs: 20, retryMaxMs: 200 };

async function emulatorEvents(kit: TestKit): Promise<EmulatorEvent[]> {
  const response = await fetch(`${kit.emulator.url}/_emulator/events`);
  return ((await response.json()) as { items: EmulatorEvent[] }).items;
}

function postUsage(kit: TestKit, events: unknown[], admin = true): Promise<Response> {
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  };
  return admin ? kit.admin('/api/usage', init) : kit.fetch('/api/usage', init);
}

function usageEvent(i: number) {
  return {
    name: 'api_call',
    external_customer_id: `user_${i % 7}`,
    external_id: `evt_${i}`,
    metadata: { tokens: i },
  };
}

describe('usage-based billing', () => {
  it('delivers 1,000 events exactly once through a Polar outage (503s, then 429 with Retry-After)', async () => {
    t = await startTestKit({ kit: { usageFlush: FAST } });
    // The events ingest fails for a while: eight 503s, then two 429s asking to wait a second.
    await t.control('/_emulator/faults', { path: '/v1/events/ingest', status: 503, count: 8 });
    await t.control('/_emulator/faults', {
      path: '/v1/events/ingest',
      status: 429,
      retry_after: 1,
      count: 2,
    });

    const events = Array.from({ length: 1000 }, (_, i) => usageEvent(i));
    const startedAt = Date.now();
    // 600 over HTTP in batches of 100 (one batch sent twice), 400 from the host app.
    for (let i = 0; i < 600; i += 100) {
      const response = await postUsage(t, events.slice(i, i + 100));
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ accepted: 100 });
    }
    expect(await (await postUsage(t, events.slice(0, 100))).json()).toEqual({ accepted: 0 });
    expect(t.kit.ingest(events.slice(600))).toBe(400);

    await waitFor(
      async () => {
        const counts = (await (await t!.admin('/api/usage/outbox')).json()) as Record<string, number>;
        return counts.sent === 1000 && counts.pending === 0 ? counts : null;
      },
      'every event sent',
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    // Each 429's Retry-After (1 s) was honoured, although the retry delays are capped at 200 ms. (Timers run on
    // the monotonic clock and may look a millisecond or two early against Date.now, hence the small margin.)
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_950);

    const faults = (await (await fetch(`${t.emulator.url}/_emulator/faults`)).json()) as { items: unknown[] };
    expect(faults.items).toEqual([]);
    const stored = await emulatorEvents(t);
    expect(stored).toHaveLength(1000);
    expect(new Set(stored.map((event) => event.external_id)).size).toBe(1000);
    expect(stored.map((event) => event.external_id).sort()).toEqual(
      events.map((event) => event.external_id).sort(),
    );
    expect(await (await t.admin('/api/usage/outbox')).json()).toEqual({ pending: 0, failed: 0, sent: 1000 });
  }, 30_000);

  it('gives events without an external_id one each, and stores an event sent twice once', async () => {
    t = await startTestKit({ kit: { usageFlush: FAST } });
    expect(t.kit.ingest([{ name: 'export', customer_id: undefined, external_customer_id: 'user_1' }])).toBe(
      1,
    );
    expect(t.kit.ingest([{ name: 'export', external_customer_id: 'user_1' }])).toBe(1);
    expect(t.kit.ingest([{ name: 'export', external_customer_id: 'user_1', external_id: 'same' }])).toBe(1);
    expect(t.kit.ingest([{ name: 'export', external_customer_id: 'user_1', external_id: 'same' }])).toBe(0);
    await waitFor(() => t!.kit.usageOutbox().sent === 3, 'three events sent');
    const stored = await emulatorEvents(t);
    expect(stored).toHaveLength(3);
    expect(
      stored.every((event) => typeof event.external_id === 'string' && event.external_id.length > 0),
    ).toBe(true);
  });

  it('marks only the event Polar rejects as failed; the rest of its batch goes through', async () => {
    t = await startTestKit({ kit: { usageFlushing: false } });
    const events = Array.from({ length: 9 }, (_, i) => usageEvent(i));
    t.kit.ingest([
      ...events.slice(0, 4),
      { name: 'api_call', customer_id: 'no-such-customer', external_id: 'bad' },
      ...events.slice(4),
    ]);
    const outcome = await t.kit.flushUsage();
    expect(outcome).toEqual({ sent: 9, failed: 1, retrying: 0 });
    expect(await (await t.admin('/api/usage/outbox')).json()).toEqual({ pending: 0, failed: 1, sent: 9 });
    expect((await emulatorEvents(t)).map((event) => event.external_id)).not.toContain('bad');
  });

  it('sends what a stopped kit left in the outbox after a restart', async () => {
    t = await startTestKit({ registerWebhook: false });
    const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-usage-'));
    const options = {
      accessToken: 'polar_oat_test_token',
      webhookSecret: TEST_WEBHOOK_SECRET,
      server: 'local' as const,
      apiUrl: t.emulator.url,
      databasePath: path.join(dir, 'kit.sqlite'),
      usageFlush: FAST,
    };
    try {
      // Polar is down for the first kit's whole life.
      await t.control('/_emulator/faults', { path: '/v1/events/ingest', status: 503, count: 1_000_000 });
      const first = createKit(options);
      expect(first.ingest(Array.from({ length: 50 }, (_, i) => usageEvent(i)))).toBe(50);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(first.usageOutbox()).toEqual({ pending: 50, failed: 0, sent: 0 });
      await first.close();

      await fetch(`${t.emulator.url}/_emulator/faults`, { method: 'DELETE' });
      const second = createKit(options);
      try {
        await waitFor(() => second.usageOutbox().sent === 50, 'the left-over events sent');
      } finally {
        await second.close();
      }
      expect(await emulatorEvents(t)).toHaveLength(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs the admin token and validates each event', async () => {
    t = await startTestKit({ kit: { usageFlushing: false } });
    const anonymous = await postUsage(t, [usageEvent(1)], false);
    expect(anonymous.status).toBe(401);
    expect((await t.fetch('/api/usage/outbox')).status).toBe(401);

    const noCustomer = await postUsage(t, [{ name: 'api_call' }]);
    expect(noCustomer.status).toBe(400);
    expect(await noCustomer.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    const both = await postUsage(t, [{ name: 'x', customer_id: 'a', external_customer_id: 'b' }]);
    expect(both.status).toBe(400);
    const tooMany = await postUsage(
      t,
      Array.from({ length: 1001 }, (_, i) => usageEvent(i)),
    );
    expect(tooMany.status).toBe(400);
    expect(() => t!.kit.ingest([{ name: '', external_customer_id: 'u' }])).toThrow(/name/);
    expect(t.kit.usageOutbox()).toEqual({ pending: 0, failed: 0, sent: 0 });
  });
});
