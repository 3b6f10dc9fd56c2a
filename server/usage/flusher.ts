import { isAppError } from '../errors.js';
import type { UsageOutbox } from '../db/usage-outbox.js';
import type { Logger } from '../logger.js';
import { INGEST_BATCH_LIMIT } from '../polar/gateway.js';
import type { PolarGateway } from '../polar/gateway.js';

export type UsageFlusherOptions = {
  outbox: UsageOutbox;
  gateway: Pick<PolarGateway, 'ingestEvents'>;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** How often the outbox is looked at when nothing woke the flusher. @default 1000 */
  intervalMs?: number;
  /** Events per ingest call (Polar takes at most 1,000). @default 1000 */
  batchSize?: number;
  /** First retry delay after Polar failed; doubles per attempt, with full jitter. @default 1000 */
  retryBaseMs?: number;
  /** Longest retry delay. @default 300_000 */
  retryMaxMs?: number;
  /** @default Math.random */
  random?: () => number;
};

export type UsageFlusher = {
  /** Starts the background loop (idempotent). */
  start(): void;
  /** Stops the loop and waits for a batch in flight. */
  stop(): Promise<void>;
  /** Asks for a flush soon (after new events); honours a running backoff. */
  wake(): void;
  /** Sends every due event now, batch after batch, until none is due or Polar fails. */
  flush(): Promise<{ sent: number; failed: number; retrying: number }>;
};

/** A `Retry-After` longer than this is taken as this. */
const RETRY_AFTER_MAX_MS = 3_600_000;

/**
 * Sends the usage outbox to Polar's events ingest. Rows are marked sent only after Polar's 2xx; when Polar is
 * down (5xx, timeout) or rate limiting (429), the batch is rescheduled with exponential backoff and jitter, or
 * after `Retry-After`, and the whole flusher pauses until then. Each event carries its `external_id`, which
 * Polar de-duplicates, so a batch sent again after a crash between Polar's answer and the commit is not
 * counted twice. A batch Polar rejects (422) is split in halves until the rejected event is found, which is
 * marked failed; the others go through.
 */
export function createUsageFlusher(options: UsageFlusherOptions): UsageFlusher {
  const { outbox, gateway, logger } = options;
  const intervalMs = options.intervalMs ?? 1000;
  const batchSize = Math.min(options.batchSize ?? INGEST_BATCH_LIMIT, INGEST_BATCH_LIMIT);
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 300_000;
  const random = options.random ?? Math.random;
  if (!(batchSize >= 1)) throw new Error('createUsageFlusher: batchSize must be at least 1.');

  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let inFlight: Promise<unknown> | null = null;
  /** While Polar is failing, nothing is sent before this time. */
  let pausedUntil = 0;

  const schedule = (delayMs: number) => {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, Math.max(0, delayMs));
    timer.unref();
  };

  function tick(): void {
    timer = null;
    if (!running) return;
    if (inFlight) {
      schedule(intervalMs);
      return;
    }
    const wait = pausedUntil - Date.now();
    if (wait > 0) {
      schedule(wait);
      return;
    }
    inFlight = flush()
      .catch((error: unknown) => logger.error({ err: error }, 'usage outbox flush failed'))
      .finally(() => {
        inFlight = null;
        const next = outbox.nextDueAt();
        const dueIn = next === null ? intervalMs : Math.min(intervalMs, next.getTime() - Date.now());
        schedule(Math.max(dueIn, pausedUntil - Date.now(), 0));
      });
  }

  /** One flush at a time: a caller arriving during one waits for it and then runs its own. */
  let chain: Promise<unknown> = Promise.resolve();
  function flush(): Promise<{ sent: number; failed: number; retrying: number }> {
    const run = chain.then(flushOnce, flushOnce);
    chain = run.catch(() => undefined);
    return run;
  }

  async function flushOnce(): Promise<{ sent: number; failed: number; retrying: number }> {
    const totals = { sent: 0, failed: 0, retrying: 0 };
    for (;;) {
      if (pausedUntil > Date.now()) return totals;
      const batch = outbox.due(batchSize);
      if (batch.length === 0) return totals;
      const outcome = await send(batch);
      totals.sent += outcome.sent;
      totals.failed += outcome.failed;
      if (outcome.retrying > 0) {
        totals.retrying += outcome.retrying;
        return totals;
      }
    }
  }

  /** Sends one batch; bisects a rejected batch to find the events Polar refuses. */
  async function send(
    batch: ReturnType<UsageOutbox['due']>,
  ): Promise<{ sent: number; failed: number; retrying: number }> {
    try {
      await gateway.ingestEvents(batch.map((entry) => entry.event));
    } catch (error) {
      const code = isAppError(error) ? error.code : 'INTERNAL';
      if (code === 'POLAR_REJECTED') {
        const detail = isAppError(error)
          ? (error.detail ?? 'Polar rejected the event.')
          : 'Polar rejected the event.';
        if (batch.length === 1) {
          outbox.markFailed(batch[0]!.id, detail);
          logger.warn({ externalId: batch[0]!.event.external_id, detail }, 'Polar rejected a usage event');
          return { sent: 0, failed: 1, retrying: 0 };
        }
        const half = Math.ceil(batch.length / 2);
        const first = await send(batch.slice(0, half));
        if (first.retrying > 0) return { ...first, retrying: first.retrying + batch.length - half };
        const second = await send(batch.slice(half));
        return {
          sent: first.sent + second.sent,
          failed: first.failed + second.failed,
          retrying: second.retrying,
        };
      }
      const attempts = Math.max(...batch.map((entry) => entry.attempts));
      const delay = retryDelay(error, attempts);
      pausedUntil = Date.now() + delay;
      outbox.reschedule(
        batch.map((entry) => entry.id),
        new Date(pausedUntil),
        isAppError(error) ? `${error.code}: ${error.detail ?? ''}` : String(error),
      );
      logger.warn({ code, events: batch.length, retryInMs: delay }, 'usage events not sent to Polar yet');
      return { sent: 0, failed: 0, retrying: batch.length };
    }
    outbox.markSent(batch.map((entry) => entry.id));
    return { sent: batch.length, failed: 0, retrying: 0 };
  }

  /** `Retry-After` on a 429 (Polar's wish wins over `retryMaxMs`, up to an hour); otherwise `base · 2^attempts` capped at the maximum, with full jitter. */
  function retryDelay(error: unknown, attempts: number): number {
    if (isAppError(error) && error.code === 'POLAR_RATE_LIMITED') {
      const seconds = Number(error.headers['Retry-After']);
      if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, RETRY_AFTER_MAX_MS);
    }
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts, 30));
    return Math.max(retryBaseMs / 2, Math.round(random() * ceiling));
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      if (inFlight) await inFlight;
    },
    wake() {
      if (running && !inFlight && timer !== null && pausedUntil <= Date.now()) schedule(0);
    },
    flush,
  };
}
