/**
 * Reconciliation: reads orders, subscriptions, customers and refunds from Polar's list endpoints and stores
 * them through the same newest-state-wins upserts the webhook path uses, so a webhook that never arrived
 * (Polar stops retrying after about half an hour) is healed, and nothing newer is ever overwritten: a copy
 * read from the API loses a tie with one carried by an event (see `versionKey`).
 *
 * Polar's list endpoints have no "modified since" filter. A run after a completed one therefore reads new
 * orders (`created_after`, less an overlap) and new customers (newest first, until older than the overlap),
 * and reads subscriptions and refunds whole, since those change long after they are created; an order whose
 * refund is new or changed is fetched again. A full run (`full: true`, and the first run) reads everything.
 */
import type { Database } from 'better-sqlite3';
import { createCustomerStore } from './db/customers.js';
import { createOrderStore } from './db/orders.js';
import { PolarDataError, polarCustomerSchema, polarSubscriptionSchema } from './db/polar-shapes.js';
import { createReconcileRunStore } from './db/reconcile-runs.js';
import type { ReconcileRun, ReconciledTable } from './db/reconcile-runs.js';
import { createRefundStore } from './db/refunds.js';
import { createSubscriptionStore } from './db/subscriptions.js';
import { normalizeTimestamp } from './db/timestamps.js';
import type { PolarGateway, PolarObject } from './polar/gateway.js';
import { retryPolar } from './polar/retry-polar.js';

export type { ReconcileRun } from './db/reconcile-runs.js';

/** The smallest logger surface reconciliation needs; pino satisfies it. */
export type ReconcileLogger = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

export type ReconcilerOptions = {
  db: Database;
  gateway: Pick<PolarGateway, 'listPages' | 'getOrder'>;
  logger: ReconcileLogger;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * How far before the watermark an incremental run starts reading, to cover clock skew between Polar and
   * this machine and objects created while the previous run was reading. @default 3_600_000 (one hour)
   */
  overlapMs?: number;
  /** How often a failed Polar call (rate limit, outage) is retried before the run fails. @default 3 */
  retries?: number;
  /** The first retry's delay after an outage, doubled for each next one. @default 500 */
  retryBaseMs?: number;
};

export type ReconcileRunOptions = {
  /** Read objects changed since this ISO time instead of since the last completed run. */
  since?: string | null;
  /** Read every object, whatever the watermark. */
  full?: boolean;
};

/** What one resource's part of a run did. */
export type ReconcileCounts = {
  /** Objects read from Polar. */
  fetched: number;
  /** Objects the kit had no copy of. */
  created: number;
  /** Objects whose stored state was older and was replaced. */
  updated: number;
  /** Objects already stored in this state or a newer one. */
  unchanged: number;
  /** Objects Polar sent without a field the kit stores (logged, skipped). */
  failed: number;
};

export type ReconcileReport = {
  runId: number;
  /** The time the run read from (`null`: everything). */
  since: string | null;
  startedAt: string;
  finishedAt: string;
  orders: ReconcileCounts;
  subscriptions: ReconcileCounts;
  customers: ReconcileCounts;
  refunds: ReconcileCounts;
  total: ReconcileCounts;
};

export type Reconciler = {
  /**
   * Runs one reconciliation; a call while one is running waits for that run instead of starting another.
   * Polar's rate limits and brief outages are retried (see `retries`).
   * @throws {AppError} POLAR_UNAVAILABLE, POLAR_RATE_LIMITED when Polar fails (the run is recorded `failed`
   * and the watermark does not move; whatever was stored before the failure stays)
   */
  run(options?: ReconcileRunOptions): Promise<ReconcileReport>;
  /** The start of the newest completed run, from which the next incremental run reads. */
  watermark(): string | null;
  /** The newest run, whatever its status. */
  latest(): ReconcileRun | null;
};

const DEFAULT_OVERLAP_MS = 60 * 60 * 1000;

/** Creates the reconciler for one database and gateway. */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { db, gateway, logger } = options;
  const now = options.now ?? (() => new Date());
  const overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS;
  const retries = options.retries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 500;
  if (!Number.isFinite(overlapMs) || overlapMs < 0)
    throw new Error('createReconciler: overlapMs must be a number of milliseconds >= 0.');
  const runs = createReconcileRunStore(db);
  const customers = createCustomerStore(db);
  const orders = createOrderStore(db);
  const subscriptions = createSubscriptionStore(db);
  const refunds = createRefundStore(db);

  type Outcome = 'created' | 'updated' | 'unchanged' | 'failed';
  const upserts: Record<ReconciledTable, (object: PolarObject) => boolean> = {
    customers: (c) => customers.upsert(c, null),
    subscriptions: (s) => {
      const written = subscriptions.upsert(s, null);
      embedded(s.customer, polarCustomerSchema, (c) => customers.upsert(c, null));
      return written;
    },
    orders: (o) => {
      const written = orders.upsert(o, null);
      embedded(o.customer, polarCustomerSchema, (c) => customers.upsert(c, null));
      embedded(o.subscription, polarSubscriptionSchema, (s) => subscriptions.upsert(s, null));
      return written;
    },
    refunds: (r) => refunds.upsert(r, null),
  };

  // One transaction per page: a page is stored whole or not at all, and a long run never holds the lock.
  const applyPage = db.transaction((table: ReconciledTable, items: PolarObject[]): Outcome[] =>
    items.map((item) => {
      const before = runs.versionOf(table, item.id);
      let written: boolean;
      try {
        written = upserts[table](item);
      } catch (error) {
        // Thrown by the shape check before any statement ran, so the transaction is intact.
        if (!(error instanceof PolarDataError)) throw error;
        logger.warn({ err: error, table, id: item.id }, 'reconcile: skipped an object the kit cannot store');
        return 'failed';
      }
      if (before === null) return written ? 'created' : 'unchanged';
      const after = runs.versionOf(table, item.id);
      return written && after !== null && stateOf(after) > stateOf(before) ? 'updated' : 'unchanged';
    }),
  );

  /** Retries a Polar call that failed for a rate limit (after `Retry-After`) or an outage (with backoff). */
  function withRetries<T>(fn: () => Promise<T>): Promise<T> {
    return retryPolar(fn, {
      retries,
      backoffMs: (attempt) => retryBaseMs * 2 ** (attempt - 1),
      maxRetryAfterMs: 60_000,
      onRetry: (error, attempt, delayMs) =>
        logger.warn({ err: error, attempt, delayMs }, 'reconcile: Polar failed, retrying'),
    });
  }

  /**
   * Reads a list endpoint page by page, handing each page to `onPage` (which returns `true` to stop); a failed
   * page is retried where it failed, not from the start.
   */
  async function sweep(
    resource: ReconciledTable,
    listOptions: { createdAfter?: string },
    onPage: (page: PolarObject[]) => boolean,
  ): Promise<void> {
    let nextPage = 1;
    await withRetries(async () => {
      for await (const page of gateway.listPages(resource, { ...listOptions, startPage: nextPage })) {
        nextPage++;
        if (onPage(page)) return;
      }
    });
  }

  async function execute(runOptions: ReconcileRunOptions): Promise<ReconcileReport> {
    const startedAt = now().toISOString();
    const since = runOptions.full ? null : (sinceOf(runOptions.since) ?? runs.watermark());
    const readFrom = since === null ? null : new Date(Date.parse(since) - overlapMs).toISOString();
    const runId = runs.start(startedAt, since);
    const counts = {
      orders: emptyCounts(),
      subscriptions: emptyCounts(),
      customers: emptyCounts(),
      refunds: emptyCounts(),
    };
    const record = (table: ReconciledTable, outcomes: Outcome[]) => {
      counts[table].fetched += outcomes.length;
      for (const outcome of outcomes) counts[table][outcome] += 1;
    };

    try {
      // Customers first, newest first: an incremental run stops at the first page older than `readFrom`.
      await sweep('customers', {}, (page) => {
        record('customers', applyPage.immediate('customers', page));
        return readFrom !== null && page.some((c) => createdBefore(c, readFrom));
      });
      await sweep('subscriptions', {}, (page) => {
        record('subscriptions', applyPage.immediate('subscriptions', page));
        return false;
      });
      await sweep('orders', readFrom ? { createdAfter: readFrom } : {}, (page) => {
        record('orders', applyPage.immediate('orders', page));
        return false;
      });
      // A refund changes its order (status, refunded amount) long after the order was created.
      const refundedOrders = new Set<string>();
      await sweep('refunds', {}, (page) => {
        const outcomes = applyPage.immediate('refunds', page);
        record('refunds', outcomes);
        page.forEach((refund, index) => {
          const outcome = outcomes[index];
          if ((outcome === 'created' || outcome === 'updated') && typeof refund.order_id === 'string')
            refundedOrders.add(refund.order_id);
        });
        return false;
      });
      for (const orderId of refundedOrders) {
        const order = await withRetries(() => gateway.getOrder(orderId));
        if (order) record('orders', applyPage.immediate('orders', [order]));
      }
    } catch (error) {
      const total = sum(Object.values(counts));
      runs.finish(runId, {
        status: 'failed',
        finishedAt: now().toISOString(),
        ...total,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      throw error;
    }

    const finishedAt = now().toISOString();
    const total = sum(Object.values(counts));
    runs.finish(runId, { status: 'completed', finishedAt, ...total });
    const report: ReconcileReport = { runId, since, startedAt, finishedAt, ...counts, total };
    logger.info(
      { runId, since, created: total.created, updated: total.updated, failed: total.failed },
      'reconcile: run completed',
    );
    return report;
  }

  let running: Promise<ReconcileReport> | null = null;
  return {
    run(runOptions = {}) {
      running ??= execute(runOptions).finally(() => {
        running = null;
      });
      return running;
    },
    watermark: () => runs.watermark(),
    latest: () => runs.latest(),
  };
}

/**
 * Runs `reconciler` every `intervalMs` (the first run after one interval); a failed run is logged and the
 * next one tries again. Returns `stop`, which resolves once a run in progress has finished.
 */
export function scheduleReconcile(
  reconciler: Reconciler,
  intervalMs: number,
  logger: ReconcileLogger,
): { stop(): Promise<void> } {
  if (!Number.isFinite(intervalMs) || intervalMs < 1000)
    throw new Error('reconcileIntervalMs must be a number of milliseconds >= 1000.');
  let current: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (current) return;
    current = reconciler
      .run()
      .catch((error: unknown) => logger.error({ err: error }, 'reconcile: run failed'))
      .finally(() => {
        current = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}

function embedded(
  value: unknown,
  schema: { safeParse(v: unknown): { success: boolean } },
  store: (v: unknown) => void,
) {
  // An incomplete embedded copy is skipped, as on the webhook path; the object's own list fills it in.
  if (value !== null && value !== undefined && schema.safeParse(value).success) store(value);
}

/** The part of a version key that names a state (`modified_at|rank`), without how it reached the kit. */
function stateOf(versionKey: string): string {
  return versionKey.split('|').slice(0, 2).join('|');
}

function createdBefore(object: PolarObject, time: string): boolean {
  const created = normalizeTimestamp(object.created_at);
  const limit = normalizeTimestamp(time);
  return created !== null && limit !== null && created < limit;
}

function sinceOf(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const time = Date.parse(value);
  if (Number.isNaN(time) || normalizeTimestamp(value) === null)
    throw new Error(
      `since must be an ISO-8601 time with a zone, e.g. 2026-01-15T00:00:00Z (got "${value}").`,
    );
  return new Date(time).toISOString();
}

function emptyCounts(): ReconcileCounts {
  return { fetched: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };
}

function sum(list: ReconcileCounts[]): ReconcileCounts {
  const total = emptyCounts();
  for (const counts of list)
    for (const key of Object.keys(total) as Array<keyof ReconcileCounts>) total[key] += counts[key];
  return total;
}
