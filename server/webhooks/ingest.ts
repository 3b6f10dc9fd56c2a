import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { WebhookReceipt } from '../../contract/contract.js';
import { AppError } from '../errors.js';
import { PolarDataError } from '../db/polar-shapes.js';
import { normalizeTimestamp } from '../db/timestamps.js';
import { createWebhookEventStore } from '../db/webhook-events.js';
import { createWebhookVerifier } from '../polar/verify-webhook.js';
import type { PolarWebhookEvent } from '../polar/verify-webhook.js';
import { changesCatalog, isKnownEventType } from './apply-event.js';
import { createBatchWriter } from './ingest-batch.js';
import type { BatchResult, Delivery, DeliveryResult } from './ingest-batch.js';
import { fromWireError } from './ingest-protocol.js';
import type { BatchReply, BatchRequest, IngestWorkerData, WireResult } from './ingest-protocol.js';
import { INGEST_WORKER_URL } from './ingest-worker-url.js';

export type { PolarWebhookEvent } from '../polar/verify-webhook.js';

/** A callback for verified, committed events; it receives the whole envelope (`type`, `timestamp`, `data`). */
export type WebhookHook = (event: PolarWebhookEvent) => void | Promise<void>;

/**
 * Callbacks in the spirit of `@polar-sh/express`. They run after the event is committed; one that throws (or
 * rejects) is logged and does not lose or fail the event. `onEvent` receives every new event, unknown types
 * included; each specific callback receives its type only.
 */
export type WebhookHooks = {
  onEvent?: WebhookHook;
  onCheckoutCreated?: WebhookHook;
  onCheckoutUpdated?: WebhookHook;
  onCheckoutExpired?: WebhookHook;
  onCustomerCreated?: WebhookHook;
  onCustomerUpdated?: WebhookHook;
  onCustomerDeleted?: WebhookHook;
  onCustomerStateChanged?: WebhookHook;
  onOrderCreated?: WebhookHook;
  onOrderPaid?: WebhookHook;
  onOrderUpdated?: WebhookHook;
  onOrderRefunded?: WebhookHook;
  onSubscriptionCreated?: WebhookHook;
  onSubscriptionUpdated?: WebhookHook;
  onSubscriptionActive?: WebhookHook;
  onSubscriptionCanceled?: WebhookHook;
  onSubscriptionUncanceled?: WebhookHook;
  onSubscriptionRevoked?: WebhookHook;
  onSubscriptionPastDue?: WebhookHook;
  onSubscriptionCycled?: WebhookHook;
  onRefundCreated?: WebhookHook;
  onRefundUpdated?: WebhookHook;
  onBenefitCreated?: WebhookHook;
  onBenefitUpdated?: WebhookHook;
  onBenefitGrantCreated?: WebhookHook;
  onBenefitGrantUpdated?: WebhookHook;
  onBenefitGrantRevoked?: WebhookHook;
  onBenefitGrantCycled?: WebhookHook;
  onProductCreated?: WebhookHook;
  onProductUpdated?: WebhookHook;
  onOrganizationUpdated?: WebhookHook;
};

/** The smallest logger surface the ingest needs; pino satisfies it. */
export type IngestLogger = {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
};

export type WebhookIngestOptions = {
  db: Database;
  /** The endpoint's secret (`POLAR_WEBHOOK_SECRET`), either key scheme. */
  secret: string;
  logger: IngestLogger;
  hooks?: WebhookHooks;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * The most deliveries applied in one transaction. Deliveries verified during the same few turns of the event
   * loop are committed together (one COMMIT, one fsync); a burst larger than this is split over the following
   * turns.
   * @default 256
   */
  maxBatch?: number;
  /** Called after each committed transaction of deliveries, before they are answered (for metrics). */
  onBatch?: (batch: { size: number; failed: number; ms: number }) => void;
  /**
   * Where the transactions run. `'worker'`: on a `node:worker_threads` thread with its own connection to the
   * database file (opened with `db`'s `synchronous` level and busy timeout), so that the event loop only
   * reads, verifies and answers deliveries while the statements, the COMMIT and its fsync run beside it
   * (batches with `product.*` or `benefit.*` events excepted, see `dispatch`).
   * `'inline'`: on `db`, on the event loop. A `:memory:` database cannot be opened by a second connection:
   * its ingest is always inline. Either way the same code applies a batch (`createBatchWriter`).
   * @default 'worker' for a database file
   */
  thread?: 'worker' | 'inline';
};

/** The answer to one delivery, sent only once the transaction that recorded it has committed. */
export type WebhookAnswer = { status: 200 | 202; body: WebhookReceipt };

export type WebhookIngest = {
  /**
   * Verifies a delivery and, in one transaction, records its `webhook-id`, stores the raw payload and applies
   * the change. Deliveries that arrive while a commit is being prepared share that transaction (each in its own
   * savepoint, so a failing one rolls back only itself); the promise settles only after the shared COMMIT:
   * 202 for a new event (applied, or stored and ignored when its type is unknown), 200 `duplicate` for a
   * `webhook-id` already processed or ignored (also earlier in the same transaction).
   * @throws {AppError} (as a rejection) WEBHOOK_SIGNATURE_INVALID (403), WEBHOOK_PAYLOAD_INVALID (400, also for
   * data the kit cannot store; the event is recorded `failed`), INTERNAL (500: nothing applied, the event is
   * recorded `failed` and a retry re-applies it; also when the ingest worker exits before answering, or after
   * `close`)
   */
  handle(raw: Buffer, headers: IncomingHttpHeaders): Promise<WebhookAnswer>;
  /**
   * Applies a stored payload again (for a failed event, or after a fix), on `db` itself.
   * @throws {AppError} WEBHOOK_EVENT_NOT_FOUND
   */
  replay(webhookId: string): { status: 'processed' | 'failed' | 'ignored' };
  /** Resolves when every callback started so far has settled. */
  drain(): Promise<void>;
  /**
   * Stops taking deliveries (later ones are answered 500, so Polar retries them), waits until those already
   * taken are answered, and stops the worker. Callbacks may still be running: see `drain`.
   */
  close(): Promise<void>;
  /** Where the transactions run (see `WebhookIngestOptions.thread`). */
  readonly thread: 'worker' | 'inline';
  /**
   * The worker thread running the transactions, if one is running (it starts with the first delivery and
   * again after one exited); `null` inline. For monitoring: its exit fails only the batch it was committing.
   */
  worker(): Worker | null;
};

const DEFAULT_MAX_BATCH = 256;
/** How many more turns of the event loop a commit may wait for deliveries still arriving (see `flush`). */
const GATHER_TURNS = 2;

/** Creates the webhook ingestion for one database and endpoint secret. */
export function createWebhookIngest(options: WebhookIngestOptions): WebhookIngest {
  const { db, logger } = options;
  const hooks = options.hooks ?? {};
  const now = options.now ?? (() => new Date());
  const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? DEFAULT_MAX_BATCH));
  const verifier = createWebhookVerifier(options.secret, { now: () => now().getTime() });
  const events = createWebhookEventStore(db);
  const writer = createBatchWriter(db);
  const thread: 'worker' | 'inline' = options.thread === 'inline' || db.memory ? 'inline' : 'worker';
  const pending = new Set<Promise<void>>();

  type Queued = {
    delivery: Delivery;
    resolve(answer: WebhookAnswer): void;
    reject(error: unknown): void;
  };

  function fail(d: Delivery, error: unknown, recordError?: unknown): void {
    if (recordError !== undefined)
      logger.error({ err: recordError, webhookId: d.webhookId }, 'could not record the webhook failure');
    logger.error({ err: error, webhookId: d.webhookId, type: d.event.type }, 'webhook event failed');
  }

  function failure(error: unknown): AppError {
    if (error instanceof PolarDataError)
      return new AppError('WEBHOOK_PAYLOAD_INVALID', { detail: error.message, cause: error });
    return new AppError('INTERNAL', { cause: error });
  }

  const anyHook = Object.values(hooks).some((hook) => typeof hook === 'function');

  function runHooks(event: PolarWebhookEvent): void {
    if (!anyHook) return;
    const selected: Array<[string, WebhookHook]> = [];
    if (hooks.onEvent) selected.push(['onEvent', hooks.onEvent]);
    const name = hookName(event.type);
    const specific = (hooks as Record<string, WebhookHook | undefined>)[name];
    if (specific && name !== 'onEvent') selected.push([name, specific]);
    for (const [hook, fn] of selected) {
      const run = (async () => {
        try {
          await fn(event);
        } catch (error) {
          logger.error({ err: error, hook, type: event.type }, 'webhook callback failed');
        }
      })();
      pending.add(run);
      void run.finally(() => pending.delete(run));
    }
  }

  /** Answers a batch's deliveries once its transaction is over, and runs the callbacks of the committed ones. */
  function settle(items: readonly Queued[], batch: BatchResult, ms: number): void {
    const { committed, results } = batch;
    if (!committed) {
      // BEGIN or COMMIT failed, or SQLite ended the transaction: nothing of this batch is stored.
      items.forEach((item, i) => {
        const result = results[i] as Extract<DeliveryResult, { error: unknown }>;
        fail(item.delivery, result.error, result.recordError);
        item.reject(new AppError('INTERNAL', { cause: result.error }));
      });
      return;
    }
    // Committed: now, and only now, answer and run the callbacks.
    if (options.onBatch) {
      const failed = results.filter((result) => 'error' in result).length;
      try {
        options.onBatch({ size: items.length, failed, ms });
      } catch (error) {
        logger.error({ err: error }, 'webhook batch callback failed');
      }
    }
    items.forEach((item, i) => {
      const result = results[i]!;
      if ('error' in result) {
        fail(item.delivery, result.error, result.recordError);
        item.reject(failure(result.error));
      } else if (result.outcome === 'duplicate') {
        item.resolve({ status: 200, body: { received: true, duplicate: true } });
      } else {
        item.resolve({ status: 202, body: { received: true } });
        runHooks(item.delivery.event);
      }
    });
  }

  // Group commit: verified deliveries wait in `queue`, and the check phase of the event loop (`setImmediate`,
  // no timer) commits them in one transaction. While deliveries keep arriving, the commit waits up to
  // `GATHER_TURNS` more turns: each polls without waiting and reads the requests that came in while the
  // queued ones were being verified (under load, from the senders the previous commit just answered), so
  // they share the COMMIT and its fsync. A turn that adds nothing, a full batch, or the last of those turns
  // commits; a lone delivery on an idle kit waits one empty turn. With the worker, one batch is committed at
  // a time: the deliveries verified meanwhile start the next one, which is answered first and then gathers
  // like any other (the senders just answered send again: 6-7 deliveries per COMMIT instead of 5 under the
  // benchmark's load of 10 connections, and less CPU per event).
  let queue: Queued[] = [];
  let scheduled = false;
  let gatherTurns = 0;
  let gathered = 0;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  /** Takes the next batch off the queue; the rest waits for the next turn (or the worker's next answer). */
  function take(): Queued[] {
    const items = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    return items;
  }

  function flush(): void {
    scheduled = false;
    // The worker's answer sends the next batch.
    if (inFlight) return;
    if (gatherTurns < GATHER_TURNS && queue.length > gathered && queue.length < maxBatch) {
      gatherTurns++;
      gathered = queue.length;
      schedule();
      return;
    }
    gatherTurns = 0;
    gathered = 0;
    dispatch(take());
  }

  /**
   * Commits a batch on the worker, or on `db` when the ingest is inline or the batch changes the product
   * catalogue: the catalogue's cache in this thread learns of product writes made through `db` only, and
   * product and benefit events are rare. Called only while the worker holds no batch, so batches stay in order.
   */
  function dispatch(items: Queued[]): void {
    if (
      items.length > 0 &&
      thread === 'worker' &&
      !items.some((item) => changesCatalog(item.delivery.event.type))
    ) {
      send(items);
      return;
    }
    // The rest waits for the next turn, so the answers of this batch go out first.
    if (queue.length > 0) schedule();
    if (items.length > 0) {
      const started = performance.now();
      const result = writer.commit(
        items.map((item) => item.delivery),
        now().toISOString(),
      );
      settle(items, result, performance.now() - started);
    }
    notifyIdle();
  }

  function notifyIdle(): void {
    if (queue.length > 0 || inFlight || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // The worker: started on demand, and again after one exited. It answers each batch after its COMMIT.
  let worker: Worker | null = null;
  let inFlight: { seq: number; items: Queued[]; started: number } | null = null;
  let seq = 0;

  function startWorker(): Worker {
    const workerData: IngestWorkerData = {
      path: path.resolve(db.name),
      synchronous: db.pragma('synchronous', { simple: true }) as number,
      busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
    };
    const started = startIngestWorker(workerData);
    // An idle worker does not keep the process alive; one committing a batch does (see `send`, `onReply`).
    started.unref();
    started.on('message', (reply: BatchReply) => onReply(started, reply));
    started.on('error', (error) => logger.error({ err: error }, 'the webhook ingest worker failed'));
    started.on('exit', (code) => onExit(started, code));
    return started;
  }

  function send(items: Queued[]): void {
    const request: BatchRequest = {
      seq: ++seq,
      processedAt: now().toISOString(),
      deliveries: items.map(({ delivery: d }) => ({
        webhookId: d.webhookId,
        body: d.body,
        at: d.at,
        receivedAt: d.receivedAt,
      })),
    };
    try {
      worker ??= startWorker();
      inFlight = { seq: request.seq, items, started: performance.now() };
      worker.ref();
      worker.postMessage(request);
    } catch (error) {
      inFlight = null;
      for (const item of items) {
        fail(item.delivery, error);
        item.reject(new AppError('INTERNAL', { cause: error }));
      }
      notifyIdle();
    }
  }

  function onReply(from: Worker, reply: BatchReply): void {
    if (from !== worker || !inFlight || reply.seq !== inFlight.seq) return;
    const { items, started } = inFlight;
    inFlight = null;
    from.unref();
    settle(
      items,
      { committed: reply.committed, results: reply.results.map(fromWire) },
      performance.now() - started,
    );
    if (queue.length > 0) schedule();
    notifyIdle();
  }

  function onExit(from: Worker, code: number): void {
    if (from !== worker) return;
    worker = null;
    const lost = inFlight;
    inFlight = null;
    if (lost) {
      // Whether its COMMIT happened is unknown: 500, so Polar retries (a retry of a committed one is a duplicate).
      const error = new Error(`The webhook ingest worker exited (code ${code}) before answering.`);
      for (const item of lost.items) {
        fail(item.delivery, error);
        item.reject(new AppError('INTERNAL', { cause: error }));
      }
    }
    // A new worker takes the deliveries still waiting.
    if (queue.length > 0) dispatch(take());
    notifyIdle();
  }

  return {
    thread,

    handle(raw, headers) {
      if (closed)
        return Promise.reject(new AppError('INTERNAL', { detail: 'The webhook ingest is closed.' }));
      let delivery: Delivery;
      try {
        const verified = verifier.verify(raw, headers);
        delivery = {
          webhookId: verified.webhookId,
          event: verified.event,
          body: verified.body,
          at: eventTime(verified.event, verified.sentAt),
          receivedAt: now().toISOString(),
        };
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<WebhookAnswer>((resolve, reject) => {
        queue.push({ delivery, resolve, reject });
        schedule();
      });
    },

    replay(webhookId) {
      const stored = events.find(webhookId);
      if (!stored)
        throw new AppError('WEBHOOK_EVENT_NOT_FOUND', { detail: 'No stored webhook event with that id.' });
      if (!isKnownEventType(stored.type)) return { status: 'ignored' };
      let event: PolarWebhookEvent;
      try {
        event = JSON.parse(stored.payload) as PolarWebhookEvent;
      } catch {
        return { status: 'failed' };
      }
      const delivery: Delivery = {
        webhookId,
        event,
        body: stored.payload,
        at: stored.eventTimestamp ?? eventTime(event, new Date(stored.receivedAt)),
        receivedAt: stored.receivedAt,
      };
      try {
        writer.reapply(delivery, now().toISOString());
      } catch (error) {
        fail(delivery, error, writer.recordFailure(delivery, error));
        return { status: 'failed' };
      }
      // Callbacks already ran for an event that was processed before; a failed one never reached them.
      if (stored.status === 'failed') runHooks(event);
      return { status: 'processed' };
    },

    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },

    async close() {
      closed = true;
      while (queue.length > 0 || inFlight) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      const stopping = worker;
      worker = null;
      await stopping?.terminate();
    },

    worker: () => worker,
  };
}

function fromWire(result: WireResult): DeliveryResult {
  if ('outcome' in result) return { outcome: result.outcome };
  const error = fromWireError(result.error);
  return result.recordError === undefined
    ? { error }
    : { error, recordError: fromWireError(result.recordError) };
}

/**
 * The worker's young generation: V8's default for a worker (up to 48 MB) fills with the garbage of every batch
 * and stays resident; what a batch allocates is garbage after its COMMIT.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 };

/**
 * Starts the ingest worker. The compiled kit has a compiled worker; from the sources the worker is TypeScript,
 * loaded through tsx's `tsImport` inside the thread: a worker does not inherit a loader registered in-process
 * (`polar-kit` runs its sources that way) or by a test runner, and Node 20 does not apply `--import tsx` in a
 * worker's `execArgv` to the worker's own entry.
 */
function startIngestWorker(workerData: IngestWorkerData): Worker {
  if (!INGEST_WORKER_URL.pathname.endsWith('.ts'))
    return new Worker(INGEST_WORKER_URL, { workerData, resourceLimits: WORKER_LIMITS });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = INGEST_WORKER_URL.href;
  const code = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}));`;
  return new Worker(code, { eval: true, workerData, resourceLimits: WORKER_LIMITS });
}

/** `onOrderPaid` for `order.paid`, `onSubscriptionPastDue` for `subscription.past_due`, … */
export function hookName(type: string): string {
  return `on${type
    .split(/[._]/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('')}`;
}

/** The envelope timestamp when it is a valid ISO time, else the time of this delivery attempt. */
function eventTime(event: PolarWebhookEvent, sentAt: Date): string {
  const stamp = typeof event.timestamp === 'string' ? normalizeTimestamp(event.timestamp) : null;
  return stamp ?? normalizeTimestamp(sentAt.toISOString())!;
}
