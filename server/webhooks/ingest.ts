import type { IncomingHttpHeaders } from 'node:http';
import type { Database } from 'better-sqlite3';
import type { WebhookReceipt } from '../../contract/contract.js';
import { AppError } from '../errors.js';
import { PolarDataError } from '../db/polar-shapes.js';
import { normalizeTimestamp } from '../db/timestamps.js';
import { createWebhookEventStore } from '../db/webhook-events.js';
import { createWebhookVerifier } from '../polar/verify-webhook.js';
import type { PolarWebhookEvent } from '../polar/verify-webhook.js';
import { createEventApplier, isKnownEventType } from './apply-event.js';
import type { KnownEventType } from './apply-event.js';

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
};

/** The answer to one delivery, sent only once the transaction that recorded it has committed. */
export type WebhookAnswer = { status: 200 | 202; body: WebhookReceipt };

export type WebhookIngest = {
  /**
   * Verifies a delivery and, in one transaction, records its `webhook-id`, stores the raw payload and applies
   * the change. Deliveries that arrive while a commit is being prepared share that transaction (if one of them
   * fails, the batch is run again with a savepoint each, so it rolls back only itself); the promise settles only
   * after the shared COMMIT:
   * 202 for a new event (applied, or stored and ignored when its type is unknown), 200 `duplicate` for a
   * `webhook-id` already processed or ignored (also earlier in the same transaction).
   * @throws {AppError} (as a rejection) WEBHOOK_SIGNATURE_INVALID (403), WEBHOOK_PAYLOAD_INVALID (400, also for
   * data the kit cannot store; the event is recorded `failed`), INTERNAL (500: nothing applied, the event is
   * recorded `failed` and a retry re-applies it)
   */
  handle(raw: Buffer, headers: IncomingHttpHeaders): Promise<WebhookAnswer>;
  /**
   * Applies a stored payload again (for a failed event, or after a fix).
   * @throws {AppError} WEBHOOK_EVENT_NOT_FOUND
   */
  replay(webhookId: string): { status: 'processed' | 'failed' | 'ignored' };
  /** Resolves when every callback started so far has settled. */
  drain(): Promise<void>;
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
  const applier = createEventApplier(db);
  const pending = new Set<Promise<void>>();

  type Outcome = 'processed' | 'ignored' | 'duplicate';
  type Delivery = {
    webhookId: string;
    event: PolarWebhookEvent;
    body: string;
    at: string;
    receivedAt: string;
  };
  type Queued = {
    delivery: Delivery;
    resolve(answer: WebhookAnswer): void;
    reject(error: unknown): void;
    outcome?: Outcome;
    error?: unknown;
    /** The failure was recorded inside the batch's transaction (committed with it). */
    failureRecorded?: boolean;
  };

  function applyOne(d: Delivery, processedAt: string): Outcome {
    const known = isKnownEventType(d.event.type);
    // The insert itself finds a duplicate (a `webhook-id` already processed or ignored): nothing is written.
    const recorded = events.recordDelivery({
      webhookId: d.webhookId,
      type: d.event.type,
      eventTimestamp: d.at,
      payload: d.body,
      status: known ? 'processed' : 'ignored',
      receivedAt: d.receivedAt,
      processedAt,
    });
    if (!recorded) return 'duplicate';
    if (known) applier.apply(d.event as PolarWebhookEvent & { type: KnownEventType }, d.at);
    return known ? 'processed' : 'ignored';
  }

  // Called inside `guarded`, this is a savepoint: a throw rolls back this delivery only.
  const ingestOne = db.transaction(applyOne);

  /** Thrown out of `optimistic` when a delivery failed, so that the batch is rolled back and run again. */
  const deliveryFailed = new Error('a delivery of the batch failed');

  // The usual batch, where every delivery succeeds, without a savepoint per delivery: the first delivery that
  // throws rolls the whole batch back and `guarded` runs it again, so each outcome is the one `guarded` gives.
  const optimistic = db.transaction((items: Queued[]): void => {
    const processedAt = now().toISOString();
    for (const item of items) {
      try {
        item.outcome = applyOne(item.delivery, processedAt);
      } catch {
        throw deliveryFailed;
      }
    }
  });

  // Every delivery in its own savepoint: a failing one rolls back only itself.
  const guarded = db.transaction((items: Queued[]): void => {
    const processedAt = now().toISOString();
    for (const item of items) {
      try {
        item.outcome = ingestOne(item.delivery, processedAt);
      } catch (error) {
        // SQLite itself may have ended the whole transaction (a full disk, an I/O error): then nothing of
        // this batch is applied, and carrying on would commit the rest one statement at a time.
        if (!db.inTransaction) throw error;
        item.error = error;
        item.failureRecorded = recordFailure(item.delivery, error);
      }
    }
  });

  /** Applies and commits a batch; throws when nothing of it could be stored (BEGIN, COMMIT, SQLite ended it). */
  function commitBatch(items: Queued[]): void {
    try {
      optimistic.immediate(items);
      return;
    } catch (error) {
      if (error !== deliveryFailed) throw error;
    }
    for (const item of items) item.outcome = undefined;
    guarded.immediate(items);
  }

  const reapply = db.transaction((d: Delivery): void => {
    applier.apply(d.event as PolarWebhookEvent & { type: KnownEventType }, d.at);
    events.recordOutcome({
      webhookId: d.webhookId,
      type: d.event.type,
      eventTimestamp: d.at,
      payload: d.body,
      status: 'processed',
      receivedAt: d.receivedAt,
      processedAt: now().toISOString(),
    });
  });

  function describe(error: unknown): string {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }

  /** Records a failed delivery (with the error) so a retry or a replay re-applies it; false if it could not. */
  function recordFailure(d: Delivery, error: unknown): boolean {
    try {
      events.recordFailure({
        webhookId: d.webhookId,
        type: d.event.type,
        eventTimestamp: d.at,
        payload: d.body,
        error: describe(error),
        receivedAt: d.receivedAt,
      });
      return true;
    } catch (recordError) {
      logger.error({ err: recordError, webhookId: d.webhookId }, 'could not record the webhook failure');
      return false;
    }
  }

  function fail(d: Delivery, error: unknown, recorded = false): void {
    if (!recorded) recordFailure(d, error);
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

  // Group commit: verified deliveries wait in `queue`, and the check phase of the event loop (`setImmediate`,
  // no timer) commits them in one transaction. While deliveries keep arriving, the commit waits up to
  // `GATHER_TURNS` more turns: each polls without waiting and reads the requests that came in while the
  // queued ones were being verified (under load, from the senders the previous commit just answered), so
  // they share the COMMIT and its fsync. A turn that adds nothing, a full batch, or the last of those turns
  // commits; a lone delivery on an idle kit waits one empty turn.
  let queue: Queued[] = [];
  let scheduled = false;
  let gatherTurns = 0;
  let gathered = 0;

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  function flush(): void {
    scheduled = false;
    if (gatherTurns < GATHER_TURNS && queue.length > gathered && queue.length < maxBatch) {
      gatherTurns++;
      gathered = queue.length;
      schedule();
      return;
    }
    gatherTurns = 0;
    gathered = 0;
    const items = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    // The rest waits for the next turn, so the answers of this batch go out first.
    if (queue.length > 0) schedule();
    if (items.length === 0) return;
    const started = performance.now();
    try {
      commitBatch(items);
    } catch (error) {
      // BEGIN or COMMIT failed, or SQLite ended the transaction: nothing of this batch is stored.
      for (const item of items) {
        fail(item.delivery, error);
        item.reject(new AppError('INTERNAL', { cause: error }));
      }
      return;
    }
    // Committed: now, and only now, answer and run the callbacks.
    if (options.onBatch) {
      const failed = items.filter((item) => item.error !== undefined).length;
      try {
        options.onBatch({ size: items.length, failed, ms: performance.now() - started });
      } catch (error) {
        logger.error({ err: error }, 'webhook batch callback failed');
      }
    }
    for (const item of items) {
      if (item.error !== undefined) {
        fail(item.delivery, item.error, item.failureRecorded);
        item.reject(failure(item.error));
      } else if (item.outcome === 'duplicate') {
        item.resolve({ status: 200, body: { received: true, duplicate: true } });
      } else {
        item.resolve({ status: 202, body: { received: true } });
        runHooks(item.delivery.event);
      }
    }
  }

  return {
    handle(raw, headers) {
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
        reapply.immediate(delivery);
      } catch (error) {
        fail(delivery, error);
        return { status: 'failed' };
      }
      // Callbacks already ran for an event that was processed before; a failed one never reached them.
      if (stored.status === 'failed') runHooks(event);
      return { status: 'processed' };
    },

    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
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
