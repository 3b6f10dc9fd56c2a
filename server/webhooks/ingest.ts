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
};

export type WebhookIngest = {
  /**
   * Verifies a delivery and, in one transaction, records its `webhook-id`, stores the raw payload and applies
   * the change. Answers only after the commit: 202 for a new event (applied, or stored and ignored when its type
   * is unknown), 200 `duplicate` for a `webhook-id` already processed or ignored.
   * @throws {AppError} WEBHOOK_SIGNATURE_INVALID (403), WEBHOOK_PAYLOAD_INVALID (400, also for data the kit
   * cannot store; the event is recorded `failed`), INTERNAL (500: nothing applied, the event is recorded
   * `failed` and a retry re-applies it)
   */
  handle(raw: Buffer, headers: IncomingHttpHeaders): { status: 200 | 202; body: WebhookReceipt };
  /**
   * Applies a stored payload again (for a failed event, or after a fix).
   * @throws {AppError} WEBHOOK_EVENT_NOT_FOUND
   */
  replay(webhookId: string): { status: 'processed' | 'failed' | 'ignored' };
  /** Resolves when every callback started so far has settled. */
  drain(): Promise<void>;
};

/** Creates the webhook ingestion for one database and endpoint secret. */
export function createWebhookIngest(options: WebhookIngestOptions): WebhookIngest {
  const { db, logger } = options;
  const hooks = options.hooks ?? {};
  const now = options.now ?? (() => new Date());
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

  const ingest = db.transaction((d: Delivery): Outcome => {
    const existing = events.find(d.webhookId);
    if (existing && existing.status !== 'failed') return 'duplicate';
    const known = isKnownEventType(d.event.type);
    events.recordOutcome({
      webhookId: d.webhookId,
      type: d.event.type,
      eventTimestamp: d.at,
      payload: d.body,
      status: known ? 'processed' : 'ignored',
      receivedAt: d.receivedAt,
      processedAt: now().toISOString(),
    });
    if (known) applier.apply(d.event as PolarWebhookEvent & { type: KnownEventType }, d.at);
    return known ? 'processed' : 'ignored';
  });

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

  function fail(d: Delivery, error: unknown): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    try {
      events.recordFailure({
        webhookId: d.webhookId,
        type: d.event.type,
        eventTimestamp: d.at,
        payload: d.body,
        error: message,
        receivedAt: d.receivedAt,
      });
    } catch (recordError) {
      logger.error({ err: recordError, webhookId: d.webhookId }, 'could not record the webhook failure');
    }
    logger.error({ err: error, webhookId: d.webhookId, type: d.event.type }, 'webhook event failed');
  }

  function runHooks(event: PolarWebhookEvent): void {
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

  return {
    handle(raw, headers) {
      const verified = verifier.verify(raw, headers);
      const delivery: Delivery = {
        webhookId: verified.webhookId,
        event: verified.event,
        body: verified.body,
        at: eventTime(verified.event, verified.sentAt),
        receivedAt: now().toISOString(),
      };
      let outcome: Outcome;
      try {
        outcome = ingest.immediate(delivery);
      } catch (error) {
        fail(delivery, error);
        if (error instanceof PolarDataError)
          throw new AppError('WEBHOOK_PAYLOAD_INVALID', { detail: error.message, cause: error });
        throw new AppError('INTERNAL', { cause: error });
      }
      if (outcome === 'duplicate') return { status: 200, body: { received: true, duplicate: true } };
      runHooks(delivery.event);
      return { status: 202, body: { received: true } };
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
