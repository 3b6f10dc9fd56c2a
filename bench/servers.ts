/**
 * One server under test per process, so the load generator (the bench runner) never shares an event loop with
 * it: `node --import tsx bench/servers.ts '<json ServerSpec>'`. Prints `{"url": ...}` on one line once it listens.
 *
 * - `kit`: the kit as `polar-kit start` runs it (`createKit` + `createKitListener`: webhook deliveries dispatched
 *   to the kit's webhook handler ahead of the browser middleware, info-level request log written to /dev/null,
 *   SQLite WAL with the default `synchronous=FULL`), against an emulator URL.
 * - `kit-db`: the same webhook stack (`createKitListener` dispatching to the kit's webhook handler, request id,
 *   request log, ingest) over `openDatabase({ synchronous })`, to compare `FULL` and `NORMAL` on one code path.
 * - `bare`: `node:http` that only verifies with `standardwebhooks` and stores nothing (the ceiling).
 * - `polar-express`: `@polar-sh/express`'s `Webhooks` handler, as Polar documents it, storing nothing.
 * - `express-products`: a bare Express handler answering `GET /api/products` with a fixed JSON file.
 * - `emulator`: the local Polar emulator.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router } from 'express';
import { Webhook } from 'standardwebhooks';

export type ServerSpec =
  | { kind: 'kit'; dbPath: string; secret: string; apiUrl: string; distDir?: string }
  | { kind: 'kit-db'; dbPath: string; secret: string; synchronous: 'FULL' | 'NORMAL' }
  | { kind: 'bare'; secret: string }
  | { kind: 'polar-express'; secret: string }
  | { kind: 'express-products'; file: string }
  | { kind: 'emulator' };

/** The kit's production logger (info level, one line per request, its own stream), writing to /dev/null. */
async function kitLogger() {
  const { createLogger, logDestination } = await import('../server/logger.js');
  return createLogger({ level: 'info', destination: logDestination('/dev/null') });
}

async function listen(handler: RequestListener | express.Express): Promise<string> {
  const server = createServer(handler as RequestListener);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function start(spec: ServerSpec): Promise<string> {
  switch (spec.kind) {
    case 'kit': {
      const { createKit } = await import('../server/index.js');
      const { createKitListener } = await import('../server/http/app.js');
      const logger = await kitLogger();
      const kit = createKit({
        accessToken: 'polar_oat_bench_token',
        webhookSecret: spec.secret,
        server: 'local',
        apiUrl: spec.apiUrl,
        databasePath: spec.dbPath,
        publicUrl: 'http://127.0.0.1:8000',
        adminToken: 'bench-admin-token-0123456789abcdef',
        logger,
        checkoutLimitPerMinute: 1_000_000,
      });
      return listen(
        createKitListener({
          api: kit.router,
          webhooks: kit.webhookHandler,
          logger,
          ...(spec.distDir ? { distDir: spec.distDir } : {}),
        }),
      );
    }
    case 'kit-db': {
      const { openDatabase } = await import('../server/db/open.js');
      const { createWebhookIngest } = await import('../server/webhooks/ingest.js');
      const { webhookListener, webhooksRouter } = await import('../server/http/routes/webhooks.js');
      const { createKitListener } = await import('../server/http/app.js');
      const { requestId } = await import('../server/http/request-id.js');
      const { notFound, problemHandler } = await import('../server/http/problem-handler.js');
      const logger = await kitLogger();
      const db = openDatabase({ path: spec.dbPath, synchronous: spec.synchronous });
      // How many deliveries share each COMMIT, read by the runner from GET /_bench/batches.
      const batches = { transactions: 0, events: 0, max: 0 };
      const ingest = createWebhookIngest({
        db,
        secret: spec.secret,
        logger,
        onBatch: ({ size }) => {
          batches.transactions++;
          batches.events += size;
          batches.max = Math.max(batches.max, size);
        },
      });
      const webhooks = webhookListener({ ingest });
      const api = Router();
      api.get('/_bench/batches', (_req, res) => {
        res.json(batches);
      });
      api.use(requestId);
      api.use(webhooksRouter({ listener: webhooks }));
      api.use(notFound);
      api.use(problemHandler(logger));
      return listen(createKitListener({ api, webhooks, logger }));
    }
    case 'bare': {
      const verifier = new Webhook(spec.secret.replace(/^whsec_/, ''));
      return listen((req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          try {
            verifier.verify(Buffer.concat(chunks), req.headers as Record<string, string>);
            res.writeHead(202, { 'content-type': 'application/json' }).end('{"received":true}');
          } catch {
            res.writeHead(403, { 'content-type': 'application/json' }).end('{"received":false}');
          }
        });
      });
    }
    case 'polar-express': {
      const { Webhooks } = await import('@polar-sh/express');
      const app = express();
      app.use(express.json());
      app.post('/api/webhooks/polar', Webhooks({ webhookSecret: spec.secret, onPayload: async () => {} }));
      return listen(app);
    }
    case 'express-products': {
      const products = JSON.parse(readFileSync(spec.file, 'utf8')) as unknown;
      const app = express();
      app.get('/api/products', (_req, res) => {
        res.json(products);
      });
      return listen(app);
    }
    case 'emulator': {
      const { createEmulator } = await import('../emulator/app.js');
      const emulator = createEmulator({});
      return (await emulator.listen(0, '127.0.0.1')).url.replace(/\/+$/, '');
    }
  }
}

const spec = JSON.parse(process.argv[2] ?? 'null') as ServerSpec | null;
if (!spec) {
  process.stderr.write("usage: bench/servers.ts '<json spec>'\n");
  process.exit(2);
}
const url = await start(spec);
process.stdout.write(`${JSON.stringify({ url })}\n`);
// Exit normally on SIGTERM/SIGINT, so `--cpu-prof` and similar tools can write their files.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
