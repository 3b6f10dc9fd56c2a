import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { polarOrder, webhookEvent } from '../helpers/polar-payloads.js';
import { signedDelivery } from '../helpers/sign-webhook.js';
import { startTestKit } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

type Page = {
  items: Array<{ webhook_id: string; type: string; status: string; error: string | null; attempts: number }>;
  next_cursor: string | null;
};

let t: TestKit;
beforeEach(async () => {
  t = await startTestKit({ registerWebhook: false });
});
afterEach(async () => {
  await t.close();
});

async function deliver(event: unknown, id: string): Promise<Response> {
  const { body, headers } = signedDelivery(event, t.webhookSecret, { id });
  return t.fetch('/api/webhooks/polar', { method: 'POST', headers, body });
}

async function page(query = ''): Promise<Page> {
  const response = await t.admin(`/api/webhook-events${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}

describe('GET /api/webhook-events', () => {
  it('lists deliveries newest first, by status, page by page', async () => {
    for (let i = 0; i < 5; i++) {
      expect(
        (
          await deliver(
            webhookEvent('order.paid', polarOrder({ id: `0000000${i}-0000-4000-8000-000000000000` })),
            `msg_${i}`,
          )
        ).status,
      ).toBe(202);
    }
    expect((await deliver(webhookEvent('something.new', { id: 'x' }), 'msg_unknown')).status).toBe(202);

    const all = await page();
    expect(all.items.map((item) => item.webhook_id)).toEqual([
      'msg_unknown',
      'msg_4',
      'msg_3',
      'msg_2',
      'msg_1',
      'msg_0',
    ]);
    expect(all.next_cursor).toBeNull();
    expect((await page('?status=ignored')).items.map((item) => item.webhook_id)).toEqual(['msg_unknown']);

    const first = await page('?status=processed&limit=2');
    expect(first.items.map((item) => item.webhook_id)).toEqual(['msg_4', 'msg_3']);
    const second = await page(`?status=processed&limit=2&cursor=${first.next_cursor}`);
    expect(second.items.map((item) => item.webhook_id)).toEqual(['msg_2', 'msg_1']);
    const third = await page(`?status=processed&limit=2&cursor=${second.next_cursor}`);
    expect(third.items.map((item) => item.webhook_id)).toEqual(['msg_0']);
    expect(third.next_cursor).toBeNull();
    expect(JSON.stringify(all)).not.toContain('payload');
  });

  it('needs the admin token and a known status', async () => {
    expect((await t.fetch('/api/webhook-events')).status).toBe(401);
    const bad = await t.admin('/api/webhook-events?status=lost');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await t.admin('/api/webhook-events?limit=0')).status).toBe(400);
  });
});

describe('POST /api/webhook-events/:webhook_id/replay', () => {
  it('re-applies a failed delivery once the cause is fixed', async () => {
    // A database failure seen by the kit's own connection: a trigger on the shared file.
    const other = new Database(t.dbPath);
    try {
      other.exec(
        `CREATE TRIGGER fail_orders BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
      );
      const order = polarOrder();
      expect((await deliver(webhookEvent('order.paid', order), 'msg_fail')).status).toBe(500);
      const failed = await page('?status=failed');
      expect(failed.items).toMatchObject([{ webhook_id: 'msg_fail', type: 'order.paid', status: 'failed' }]);
      expect(failed.items[0]!.error).toMatch(/disk trouble/);

      const again = await t.admin('/api/webhook-events/msg_fail/replay', { method: 'POST' });
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ webhook_id: 'msg_fail', status: 'failed' });

      other.exec(`DROP TRIGGER fail_orders`);
      const replayed = await t.admin('/api/webhook-events/msg_fail/replay', { method: 'POST' });
      expect(await replayed.json()).toEqual({ webhook_id: 'msg_fail', status: 'processed' });
      expect((await page('?status=failed')).items).toEqual([]);
      expect((await page('?status=processed')).items).toMatchObject([
        { webhook_id: 'msg_fail', attempts: 3 },
      ]);
      expect(other.prepare('SELECT COUNT(*) AS n FROM orders WHERE id = ?').get(order.id)).toEqual({ n: 1 });
    } finally {
      other.close();
    }
  });

  it('answers 404 WEBHOOK_EVENT_NOT_FOUND for an unknown id, and 401 without the admin token', async () => {
    const unknown = await t.admin('/api/webhook-events/msg_nope/replay', { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'WEBHOOK_EVENT_NOT_FOUND' });
    expect((await t.fetch('/api/webhook-events/msg_nope/replay', { method: 'POST' })).status).toBe(401);
  });
});
