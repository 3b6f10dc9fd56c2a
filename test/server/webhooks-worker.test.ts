import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/open.js';
import { isAppError } from '../../server/errors.js';
import { createWebhookIngest } from '../../server/webhooks/ingest.js';
import { polarOrder, webhookEvent } from '../helpers/polar-payloads.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';
import { createMemoryLogger, startWebhookApp } from '../helpers/webhook-app.js';
import type { WebhookTestApp } from '../helpers/webhook-app.js';

const SECRET = generateWebhookSecret();
const dirs: string[] = [];
const apps: WebhookTestApp[] = [];

afterEach(async () => {
  while (apps.length > 0) await apps.pop()!.close();
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function dbFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kit-ingest-worker-'));
  dirs.push(dir);
  return path.join(dir, 'kit.sqlite');
}

function orderDelivery(i: number) {
  const order = polarOrder({
    id: `order-${i}`,
    created_at: `2026-01-15T10:00:${String(i % 60).padStart(2, '0')}Z`,
  });
  return signedDelivery(webhookEvent('order.paid', order), SECRET, { id: `msg_worker_${i}` });
}

/** The `webhook-id`s stored `processed`, read through a connection of their own. */
function processedIds(dbPath: string): Set<string> {
  const reader = new Database(dbPath, { readonly: true });
  try {
    const rows = reader
      .prepare(`SELECT webhook_id FROM webhook_events WHERE status = 'processed'`)
      .all() as Array<{
      webhook_id: string;
    }>;
    return new Set(rows.map((row) => row.webhook_id));
  } finally {
    reader.close();
  }
}

async function startApp(dbPath: string): Promise<WebhookTestApp> {
  const app = await startWebhookApp({ secret: SECRET, dbPath });
  apps.push(app);
  return app;
}

describe('webhook ingest on a worker thread', () => {
  it('commits on a worker for a database file, inline for :memory:', async () => {
    const dbPath = dbFile();
    const app = await startApp(dbPath);
    expect(app.ingest.thread).toBe('worker');
    expect(app.ingest.worker()).toBeNull();
    const d = orderDelivery(1);
    expect((await app.post(d.body, d.headers)).status).toBe(202);
    expect(app.ingest.worker()).not.toBeNull();
    expect(processedIds(dbPath)).toEqual(new Set(['msg_worker_1']));
    // The main connection reads what the worker committed.
    expect(app.db.prepare(`SELECT id FROM orders`).all()).toEqual([{ id: 'order-1' }]);

    const memory = await startWebhookApp({ secret: SECRET });
    apps.push(memory);
    expect(memory.ingest.thread).toBe('inline');
    expect((await memory.post(d.body, d.headers)).status).toBe(202);
    expect(memory.ingest.worker()).toBeNull();
  });

  it('answers 500 for the batch a dying worker held, restarts it, and loses nothing it acknowledged', async () => {
    const dbPath = dbFile();
    const app = await startApp(dbPath);
    // The worker opens its connection with this busy timeout: it waits for the lock below, then gives up.
    app.db.pragma('busy_timeout = 200');
    const other = new Database(dbPath);
    other.exec('BEGIN IMMEDIATE');
    const first = Array.from({ length: 5 }, (_, i) => orderDelivery(i));
    const firstAnswers = first.map((d) => app.post(d.body, d.headers).then((r) => r.status));
    // The batch is with the worker, which waits for the write lock.
    while (app.ingest.worker() === null) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const dying = app.ingest.worker()!;
    await dying.terminate();
    other.exec('ROLLBACK');
    other.close();
    // The batch the worker held is answered 500; deliveries that came after it go to a new worker.
    const firstStatuses = await Promise.all(firstAnswers);
    expect(firstStatuses[0]).toBe(500);
    for (const status of firstStatuses) expect([202, 500]).toContain(status);
    const stored = processedIds(dbPath);
    firstStatuses.forEach((status, i) => expect(stored.has(`msg_worker_${i}`)).toBe(status === 202));
    expect(app.logger.entries.some((e) => e.msg === 'webhook event failed')).toBe(true);

    // A new worker takes the next deliveries, and Polar's retries of the failed ones.
    const second = Array.from({ length: 5 }, (_, i) => orderDelivery(5 + i));
    const statuses = await Promise.all(
      [...second, ...first].map(async (d) => (await app.post(d.body, d.headers)).status),
    );
    expect(statuses).toEqual([...Array(5).fill(202), ...firstStatuses.map((s) => (s === 500 ? 202 : 200))]);
    expect(app.ingest.worker()).not.toBe(dying);
    expect(processedIds(dbPath).size).toBe(10);
  });

  it('under load, answers every delivery 202 or 500 while the worker is killed, and has every 202 on disk', async () => {
    const dbPath = dbFile();
    const app = await startApp(dbPath);
    const total = 300;
    const statuses = new Map<string, number>();
    let next = 0;
    let kills = 0;
    const sender = async () => {
      while (next < total) {
        const d = orderDelivery(next++);
        statuses.set(d.headers['webhook-id']!, (await app.post(d.body, d.headers)).status);
      }
    };
    const killer = async () => {
      while (next < total) {
        await new Promise((resolve) => setTimeout(resolve, 15));
        const worker = app.ingest.worker();
        if (worker && next < total) {
          kills++;
          await worker.terminate();
        }
      }
    };
    await Promise.all([...Array.from({ length: 10 }, sender), killer()]);
    expect(kills).toBeGreaterThan(0);
    expect(statuses.size).toBe(total);
    const stored = processedIds(dbPath);
    for (const [id, status] of statuses) {
      expect([202, 500]).toContain(status);
      if (status === 202) expect(stored.has(id)).toBe(true);
    }
  });

  it('close() answers the deliveries it holds before stopping the worker, and refuses later ones with 500', async () => {
    const dbPath = dbFile();
    const db = openDatabase({ path: dbPath });
    const ingest = createWebhookIngest({ db, secret: SECRET, logger: createMemoryLogger() });
    try {
      const deliveries = Array.from({ length: 20 }, (_, i) => orderDelivery(i));
      const answers = deliveries.map((d) => ingest.handle(Buffer.from(d.body), d.headers));
      await ingest.close();
      expect((await Promise.all(answers)).map((a) => a.status)).toEqual(Array(20).fill(202));
      expect(ingest.worker()).toBeNull();
      const late = orderDelivery(99);
      const refused = await ingest
        .handle(Buffer.from(late.body), late.headers)
        .catch((error: unknown) => error);
      expect(isAppError(refused) && refused.status).toBe(500);
      expect(processedIds(dbPath).size).toBe(20);
    } finally {
      db.close();
    }
  });

  it("gives the worker the kit connection's busy timeout", async () => {
    const dbPath = dbFile();
    const db = openDatabase({ path: dbPath });
    db.pragma('busy_timeout = 100');
    const ingest = createWebhookIngest({ db, secret: SECRET, logger: createMemoryLogger() });
    const other = new Database(dbPath);
    other.exec('BEGIN IMMEDIATE');
    try {
      const d = orderDelivery(1);
      const started = Date.now();
      const refused = await ingest.handle(Buffer.from(d.body), d.headers).catch((error: unknown) => error);
      expect(isAppError(refused) && refused.status).toBe(500);
      // 100 ms for BEGIN and 100 ms for recording the failure, not the default 5 s each.
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      other.exec('ROLLBACK');
      other.close();
      await ingest.close();
      db.close();
    }
  });
  it('keeps the process alive while the worker commits a batch, and lets it exit when idle', () => {
    const dbPath = dbFile();
    const d = orderDelivery(1);
    const script = path.join(path.dirname(dbPath), 'one-delivery.mts');
    const module = (relative: string) =>
      JSON.stringify(fileURLToPath(new URL(relative, import.meta.url)).replace(/\.ts$/, '.js'));
    // Nothing but the worker's answer is left to wait for once the delivery is handed over.
    writeFileSync(
      script,
      `import { openDatabase } from ${module('../../server/db/open.ts')};
       import { createWebhookIngest } from ${module('../../server/webhooks/ingest.ts')};
       const db = openDatabase({ path: ${JSON.stringify(dbPath)} });
       const ingest = createWebhookIngest({ db, secret: ${JSON.stringify(SECRET)}, logger: console });
       ingest.handle(Buffer.from(${JSON.stringify(d.body)}), ${JSON.stringify(d.headers)})
         .then((answer) => console.log('answered', answer.status));`,
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('answered 202');
    expect(run.status).toBe(0);
    expect(processedIds(dbPath)).toEqual(new Set(['msg_worker_1']));
  });
});
