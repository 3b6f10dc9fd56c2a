import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/open.js';
import { isAppError } from '../../server/errors.js';
import { createWebhookIngest } from '../../server/webhooks/ingest.js';
import type { WebhookAnswer } from '../../server/webhooks/ingest.js';
import { polarOrder, webhookEvent } from '../helpers/polar-payloads.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';
import { createMemoryLogger, startWebhookApp } from '../helpers/webhook-app.js';
import type { WebhookTestApp } from '../helpers/webhook-app.js';

const SECRET = generateWebhookSecret();
const SCRIPT = fileURLToPath(new URL('../helpers/webhook-kit-process.ts', import.meta.url));
const dirs: string[] = [];
const apps: WebhookTestApp[] = [];

afterEach(async () => {
  while (apps.length > 0) await apps.pop()!.close();
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kit-group-commit-'));
  dirs.push(dir);
  return dir;
}

function orderDelivery(i: number, id = `msg_batch_${i}`, secret = SECRET) {
  const order = polarOrder({
    id: `order-${i}`,
    created_at: `2026-01-15T10:00:${String(i % 60).padStart(2, '0')}Z`,
  });
  return signedDelivery(webhookEvent('order.paid', order), secret, { id });
}

type Settled = { status: number; answer?: WebhookAnswer; error?: unknown };

/** Settles every promise into the HTTP status it maps to (AppErrors carry theirs). */
async function settle(promises: Array<Promise<WebhookAnswer>>): Promise<Settled[]> {
  return Promise.all(
    promises.map((p) =>
      p.then(
        (answer) => ({ status: answer.status, answer }),
        (error: unknown) => ({ status: isAppError(error) ? error.status : -1, error }),
      ),
    ),
  );
}

function setup(dbPath = ':memory:') {
  const db = openDatabase({ path: dbPath });
  const batches: Array<{ size: number; failed: number }> = [];
  const logger = createMemoryLogger();
  const ingest = createWebhookIngest({
    db,
    secret: SECRET,
    logger,
    onBatch: ({ size, failed }) => batches.push({ size, failed }),
  });
  const row = (webhookId: string) =>
    db.prepare(`SELECT status, attempts, error FROM webhook_events WHERE webhook_id = ?`).get(webhookId) as
      { status: string; attempts: number; error: string | null } | undefined;
  const orders = () =>
    (db.prepare(`SELECT id FROM orders ORDER BY id`).all() as Array<{ id: string }>).map((o) => o.id);
  return { db, ingest, batches, logger, row, orders };
}

describe('group commit of webhook deliveries', () => {
  it('applies deliveries that arrive in one turn in one transaction, and answers after its commit', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'kit.sqlite');
    const s = setup(dbPath);
    // Another connection sees only what is committed.
    const reader = new Database(dbPath, { readonly: true });
    const storedNow = () =>
      (reader.prepare(`SELECT count(*) AS n FROM webhook_events`).get() as { n: number }).n;
    try {
      const deliveries = Array.from({ length: 20 }, (_, i) => orderDelivery(i));
      const promises = deliveries.map((d) => s.ingest.handle(Buffer.from(d.body), d.headers));
      // Nothing is written before the turn ends.
      expect(storedNow()).toBe(0);
      const seenAtAnswer: number[] = [];
      for (const p of promises) void p.then(() => seenAtAnswer.push(storedNow()));
      const results = await settle(promises);
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(202));
      expect(s.batches).toEqual([{ size: 20, failed: 0 }]);
      // Every answer came after the one COMMIT: each saw all 20 rows from another connection.
      expect(seenAtAnswer).toEqual(Array(20).fill(20));
      expect(s.orders()).toHaveLength(20);
    } finally {
      reader.close();
      s.db.close();
    }
  });

  it('rolls back only the failing delivery of a batch: 500 and recorded failed, the others 202 and stored', async () => {
    const s = setup();
    // A real database failure for one order only, in the middle of the batch.
    s.db.exec(
      `CREATE TEMP TRIGGER fail_one BEFORE INSERT ON orders WHEN NEW.id = 'order-3'
       BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
    );
    const deliveries = Array.from({ length: 7 }, (_, i) => orderDelivery(i));
    const results = await settle(deliveries.map((d) => s.ingest.handle(Buffer.from(d.body), d.headers)));
    expect(s.batches).toEqual([{ size: 7, failed: 1 }]);
    expect(results.map((r) => r.status)).toEqual([202, 202, 202, 500, 202, 202, 202]);
    expect(isAppError(results[3]!.error) && results[3]!.error.code).toBe('INTERNAL');
    expect(s.orders()).toEqual(['order-0', 'order-1', 'order-2', 'order-4', 'order-5', 'order-6']);
    expect(s.row('msg_batch_3')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(s.row('msg_batch_3')?.error).toMatch(/disk trouble/);
    for (const i of [0, 1, 2, 4, 5, 6])
      expect(s.row(`msg_batch_${i}`)).toMatchObject({ status: 'processed' });
    expect(s.logger.entries.filter((e) => e.msg === 'webhook event failed')).toHaveLength(1);

    // Polar's retry, once the cause is gone, applies it.
    s.db.exec(`DROP TRIGGER fail_one`);
    const retry = await s.ingest.handle(Buffer.from(deliveries[3]!.body), deliveries[3]!.headers);
    expect(retry.status).toBe(202);
    expect(s.row('msg_batch_3')).toMatchObject({ status: 'processed', attempts: 2, error: null });
    expect(s.orders()).toHaveLength(7);
    s.db.close();
  });

  it('answers data the kit cannot store with 400 inside a batch, without touching the rest', async () => {
    const s = setup();
    const good = orderDelivery(1);
    const bad = signedDelivery(webhookEvent('order.paid', { id: 'order-bad', status: 'paid' }), SECRET, {
      id: 'msg_bad',
    });
    const results = await settle([
      s.ingest.handle(Buffer.from(bad.body), bad.headers),
      s.ingest.handle(Buffer.from(good.body), good.headers),
    ]);
    expect(results.map((r) => r.status)).toEqual([400, 202]);
    expect(s.batches).toEqual([{ size: 2, failed: 1 }]);
    expect(s.row('msg_bad')).toMatchObject({ status: 'failed' });
    expect(s.orders()).toEqual(['order-1']);
    s.db.close();
  });

  it('makes the second copy of a webhook-id in one batch a duplicate (200), applied once', async () => {
    const s = setup();
    const d = orderDelivery(1, 'msg_twice');
    const other = orderDelivery(2);
    const results = await settle([
      s.ingest.handle(Buffer.from(d.body), d.headers),
      s.ingest.handle(Buffer.from(other.body), other.headers),
      s.ingest.handle(Buffer.from(d.body), d.headers),
      s.ingest.handle(Buffer.from(d.body), d.headers),
    ]);
    expect(s.batches).toEqual([{ size: 4, failed: 0 }]);
    expect(results.map((r) => r.answer?.body)).toEqual([
      { received: true },
      { received: true },
      { received: true, duplicate: true },
      { received: true, duplicate: true },
    ]);
    expect(results.map((r) => r.status)).toEqual([202, 202, 200, 200]);
    expect(s.row('msg_twice')).toMatchObject({ status: 'processed', attempts: 1 });
    expect(s.orders()).toEqual(['order-1', 'order-2']);
    s.db.close();
  });

  it('with a failing delivery after them, still applies the others once and answers copies as duplicates', async () => {
    const s = setup();
    s.db.exec(
      `CREATE TEMP TRIGGER fail_last BEFORE INSERT ON orders WHEN NEW.id = 'order-9'
       BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
    );
    const d = orderDelivery(1, 'msg_twice');
    const failing = orderDelivery(9);
    const results = await settle([
      s.ingest.handle(Buffer.from(d.body), d.headers),
      s.ingest.handle(Buffer.from(d.body), d.headers),
      s.ingest.handle(Buffer.from(failing.body), failing.headers),
    ]);
    expect(s.batches).toEqual([{ size: 3, failed: 1 }]);
    expect(results.map((r) => r.status)).toEqual([202, 200, 500]);
    expect(results[1]!.answer?.body).toEqual({ received: true, duplicate: true });
    expect(s.row('msg_twice')).toMatchObject({ status: 'processed', attempts: 1 });
    expect(s.row('msg_batch_9')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(s.orders()).toEqual(['order-1']);
    s.db.close();
  });

  it('rejects a bad signature at once, outside any batch', async () => {
    const s = setup();
    const d = orderDelivery(1);
    const results = await settle([
      s.ingest.handle(Buffer.from(d.body), { ...d.headers, 'webhook-signature': 'v1,AAAA' }),
      s.ingest.handle(Buffer.from(d.body), d.headers),
    ]);
    expect(results.map((r) => r.status)).toEqual([403, 202]);
    expect(s.batches).toEqual([{ size: 1, failed: 0 }]);
    s.db.close();
  });

  it('splits a burst larger than the bound over several transactions', async () => {
    const db = openDatabase({ path: ':memory:' });
    const sizes: number[] = [];
    const ingest = createWebhookIngest({
      db,
      secret: SECRET,
      logger: createMemoryLogger(),
      maxBatch: 8,
      onBatch: ({ size }) => sizes.push(size),
    });
    const deliveries = Array.from({ length: 20 }, (_, i) => orderDelivery(i));
    const results = await settle(deliveries.map((d) => ingest.handle(Buffer.from(d.body), d.headers)));
    expect(results.every((r) => r.status === 202)).toBe(true);
    expect(sizes).toEqual([8, 8, 4]);
    db.close();
  });

  it('fails the whole batch with 500 when the transaction cannot start, storing nothing', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'kit.sqlite');
    const s = setup(dbPath);
    s.db.pragma('busy_timeout = 50');
    // Another process holds the write lock.
    const other = new Database(dbPath);
    other.exec('BEGIN IMMEDIATE');
    try {
      const deliveries = [orderDelivery(1), orderDelivery(2)];
      const results = await settle(deliveries.map((d) => s.ingest.handle(Buffer.from(d.body), d.headers)));
      expect(results.map((r) => r.status)).toEqual([500, 500]);
      expect(s.batches).toEqual([]);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(s.orders()).toEqual([]);
    // Even the failure record needed the lock: nothing at all was stored, so Polar's retry starts afresh.
    expect(s.row('msg_batch_1')).toBeUndefined();
    s.db.close();
  });

  it('over HTTP, answers each of many concurrent deliveries with its own status', async () => {
    const batches: number[] = [];
    const app = await startWebhookApp({ secret: SECRET, onBatch: ({ size }) => batches.push(size) });
    apps.push(app);
    app.db.exec(
      `CREATE TEMP TRIGGER fail_some BEFORE INSERT ON orders WHEN NEW.id IN ('order-5', 'order-17')
       BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
    );
    const deliveries = Array.from({ length: 30 }, (_, i) => orderDelivery(i));
    const statuses = await Promise.all(
      [...deliveries, deliveries[9]!].map(async (d) => (await app.post(d.body, d.headers)).status),
    );
    expect(statuses.filter((status) => status === 500)).toHaveLength(2);
    expect(statuses[5]).toBe(500);
    expect(statuses[17]).toBe(500);
    expect([statuses[9], statuses[30]].sort()).toEqual([200, 202]);
    expect(statuses.filter((status) => status === 202)).toHaveLength(28);
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(31);
    expect((app.db.prepare(`SELECT count(*) AS n FROM orders`).get() as { n: number }).n).toBe(28);
  });
});

describe('kill -9 during batched load', () => {
  it('finds every acknowledged delivery in the database, with batches of several deliveries committed', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'kit.sqlite');
    const secret = generateWebhookSecret();
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dbPath, secret, '--report-batches'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    const batchSizes: number[] = [];
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        let newline: number;
        while ((newline = out.indexOf('\n')) >= 0) {
          const line = JSON.parse(out.slice(0, newline)) as { url?: string; batch?: number };
          out = out.slice(newline + 1);
          if (line.url) resolve(line.url);
          if (line.batch !== undefined) batchSizes.push(line.batch);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      void exited.then((code) => reject(new Error(`kit process exited (${String(code)}): ${err}`)));
    });

    const acknowledged: string[] = [];
    let killed = false;
    let next = 0;
    const sender = async () => {
      while (!killed) {
        const i = next++;
        const id = `msg_load_${i}`;
        const { body, headers } = orderDelivery(i, id, secret);
        try {
          const res = await fetch(`${url}/api/webhooks/polar`, { method: 'POST', body, headers });
          if (res.status === 202) acknowledged.push(id);
          if (acknowledged.length >= 400 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        } catch {
          // Refused or cut by the kill: not acknowledged.
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, sender));
    expect(await exited).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(400);
    // The load was batched: several deliveries shared a COMMIT.
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    expect(batchSizes.filter((size) => size > 1).length).toBeGreaterThan(5);

    const db = openDatabase({ path: dbPath });
    try {
      const stored = new Set(
        (
          db.prepare(`SELECT webhook_id FROM webhook_events WHERE status = 'processed'`).all() as Array<{
            webhook_id: string;
          }>
        ).map((r) => r.webhook_id),
      );
      const lost = acknowledged.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
    } finally {
      db.close();
    }
  }, 60_000);
});
