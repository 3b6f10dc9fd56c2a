import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { openDatabase } from '../../server/db/open.js';
import { notFound, problemHandler } from '../../server/http/problem-handler.js';
import { webhooksRouter } from '../../server/http/routes/webhooks.js';
import { createWebhookIngest } from '../../server/webhooks/ingest.js';
import type { WebhookHooks, WebhookIngest, WebhookIngestOptions } from '../../server/webhooks/ingest.js';
import type { Database } from 'better-sqlite3';

/** A logger that keeps what it is given, so tests stay quiet and can look at it. */
export function createMemoryLogger() {
  const entries: Array<{ level: 'error' | 'warn'; obj: object; msg: string | undefined }> = [];
  return {
    entries,
    error(obj: object, msg?: string) {
      entries.push({ level: 'error', obj, msg });
    },
    warn(obj: object, msg?: string) {
      entries.push({ level: 'warn', obj, msg });
    },
  };
}

export type WebhookTestApp = {
  url: string;
  db: Database;
  ingest: WebhookIngest;
  logger: ReturnType<typeof createMemoryLogger>;
  post(body: string | Buffer, headers: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
};

/**
 * The webhook route of the kit in a small Express app on an ephemeral loopback port, with the kit's problem
 * handler, over a real SQLite database (`:memory:` unless a path is given).
 */
export async function startWebhookApp(options: {
  secret: string;
  hooks?: WebhookHooks;
  dbPath?: string;
  onBatch?: WebhookIngestOptions['onBatch'];
}): Promise<WebhookTestApp> {
  const db = openDatabase({ path: options.dbPath ?? ':memory:' });
  const logger = createMemoryLogger();
  const ingest = createWebhookIngest({
    db,
    secret: options.secret,
    logger,
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  });
  const app = express();
  app.use('/api', webhooksRouter({ ingest }));
  app.use(notFound);
  app.use(problemHandler(logger));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    db,
    ingest,
    logger,
    post: (body, headers) =>
      fetch(`${url}/api/webhooks/polar`, {
        method: 'POST',
        body: typeof body === 'string' ? body : new Uint8Array(body),
        headers,
      }),
    async close() {
      await ingest.drain();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.close();
    },
  };
}
