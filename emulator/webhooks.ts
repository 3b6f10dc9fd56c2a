/**
 * Webhook delivery of the emulator: endpoints, signed deliveries with retries, per-endpoint ordering,
 * and a delivery log. Behaves like Polar's delivery worker (polar-reference.md section 6):
 *
 * - `POST` of the compact JSON envelope `{"type","timestamp","api_version","data"}` with
 *   `webhook-id` (stable across retries), and `webhook-timestamp` / `webhook-signature` fresh on every attempt.
 * - Success is a 2xx answer within `attemptTimeoutMs`; redirects are not followed, so a 3xx is a failure.
 * - Up to `maxAttempts` attempts, with dramatiq's exponential backoff and jitter (factor 2 s, at most 20 min),
 *   multiplied by `timeScale`.
 * - Per-endpoint order: an endpoint has one request on the wire at a time, oldest event first, so a healthy
 *   receiver sees events in creation order. An event whose predecessor failed and waits for a retry waits with
 *   it, but only for a bounded time (counted from its creation), as Polar's FIFO guard does (1 min, times
 *   `timeScale`); after that it is sent anyway, so one broken event cannot hold back the others forever.
 * - An event whose last attempt failed is marked failed; 10 consecutive failed events disable the endpoint.
 *
 * Clocks: `now()` (the emulator's clock, which tests may move) stamps the attempts; `timestamp()` (the same
 * clock's strictly increasing microsecond stamps, in `createEmulator`) stamps the envelope; the
 * `webhook-timestamp` header and retry timers use the real clock, because receivers check the header against
 * their own wall clock (±300 s).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { WebhookInputError } from './webhook-input-error.js';
import {
  defaultsToStandardSignature,
  generateWebhookSecret,
  SECRET_PREFIX,
  signWebhook,
} from './webhook-signing.js';
import {
  deliveriesRouter as createDeliveriesRouter,
  webhookEndpointsRouter as createEndpointsRouter,
} from './webhook-routes.js';

export type WebhookDispatcherOptions = {
  organizationId: string;
  /**
   * Multiplies retry delays and the ordering wait; 1 is Polar's real timing, 0.001 makes retries take milliseconds.
   * @default 1
   */
  timeScale?: number;
  /**
   * An attempt succeeds on a 2xx answer received in full within this time.
   * @default 10_000
   */
  attemptTimeoutMs?: number;
  /**
   * Attempts per event before it is marked failed.
   * @default 10
   */
  maxAttempts?: number;
  /**
   * How long an event waits for earlier pending events of the same endpoint before it is sent anyway.
   * @default 60_000 * timeScale
   */
  orderingTimeoutMs?: number;
  /**
   * How many events the delivery log keeps; the oldest finished ones are forgotten beyond that.
   * @default 10_000
   */
  maxLogEntries?: number;
  /** The emulator's clock, for attempt times (and for stamps when `timestamp` is not given). @default () => new Date() */
  now?: () => Date;
  /**
   * Stamps a change: an event's envelope `timestamp` (also its delivery's `created_at`) and an endpoint's
   * `created_at` / `modified_at`. `createEmulator` passes its clock's strictly increasing microsecond
   * timestamps, so two events never share an envelope timestamp, as with Polar.
   * @default () => now().toISOString()
   */
  timestamp?: () => string;
  /**
   * Called with a snapshot of the record each time an attempt succeeds (2xx), e.g. so the checkout stream can
   * report that the merchant received `checkout.updated`. What it throws is ignored: the delivery stays succeeded.
   */
  onDelivered?: (record: DeliveryRecord) => void;
};

/** Polar's `WebhookEndpoint` JSON (2026-10). */
export type WebhookEndpoint = {
  created_at: string;
  modified_at: string | null;
  id: string;
  url: string;
  name: string | null;
  api_version: string;
  format: 'raw' | 'discord' | 'slack';
  secret: string;
  organization_id: string;
  events: string[];
  enabled: boolean;
  uses_standard_webhook_signature: boolean;
};

/** One attempt to deliver an event. `status_code` is null when no HTTP answer came (refused, timeout). */
export type DeliveryAttempt = {
  /** Id of this attempt (Polar's `WebhookDelivery.id`). */
  id: string;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  /** The first characters of the receiver's answer, as Polar keeps them. */
  response: string | null;
};

/** The log entry of one event for one endpoint. `payload` is the exact body sent. */
export type DeliveryRecord = {
  webhook_id: string;
  type: string;
  endpoint_id: string;
  url: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: DeliveryAttempt[];
  created_at: string;
  payload: string;
};

/** Input of {@link WebhookDispatcher.createEndpoint}: Polar's `WebhookEndpointCreate` plus the emulator's `secret`. */
export type WebhookEndpointInput = {
  url: string;
  /** Chosen by the caller (e.g. `--webhook-secret`); generated (`whsec_...`, standard scheme) when absent. */
  secret?: string;
  /** Event types to receive; all when absent. */
  events?: string[];
  format?: 'raw';
  name?: string | null;
  api_version?: string;
  /** Sign with the standard scheme; default true for `whsec_` secrets, else the legacy scheme. */
  standard_signature?: boolean;
};

export type WebhookEndpointPatch = Partial<{
  url: string;
  events: string[];
  enabled: boolean;
  name: string | null;
  api_version: string;
}>;

export type DeliveryFilter = {
  type?: string;
  endpointId?: string;
  status?: DeliveryRecord['status'];
};

export type WebhookDispatcher = {
  /** @throws {WebhookInputError} when the input is not valid (bad URL, unknown event type, bad secret). */
  createEndpoint(input: WebhookEndpointInput): WebhookEndpoint;
  listEndpoints(): WebhookEndpoint[];
  getEndpoint(id: string): WebhookEndpoint | undefined;
  /** @throws {WebhookInputError} when the patch is not valid. */
  updateEndpoint(id: string, patch: WebhookEndpointPatch): WebhookEndpoint | undefined;
  /** Replaces the endpoint's secret with a newly generated one (standard scheme). */
  resetEndpointSecret(id: string): WebhookEndpoint | undefined;
  deleteEndpoint(id: string): boolean;
  /**
   * Enqueues the event, synchronously, for every enabled endpoint subscribed to `type`; answers for how many
   * (0 when no endpoint wants it).
   */
  emit(type: string, data: object): number;
  /** The delivery log, oldest first. Each record is a snapshot. */
  deliveries(filter?: DeliveryFilter): DeliveryRecord[];
  /** One record of the log, or undefined. */
  delivery(webhookId: string): DeliveryRecord | undefined;
  /** Sends that event again with the same `webhook-id`; false for an unknown id or a gone/disabled endpoint. */
  redeliver(webhookId: string): boolean;
  /** Resolves when nothing is pending or in flight. */
  drain(): Promise<void>;
  exportState(): unknown;
  importState(state: unknown): void;
  /** A number that changes whenever `exportState()` may return something new, so savers can skip idle ticks. */
  revision(): number;
  /** Forgets endpoints, events and deliveries, aborting whatever is in flight. */
  reset(): void;
  /** Stops timers and aborts in-flight requests. */
  close(): Promise<void>;
};

/** Every event type Polar sends (2026-10), the default subscription of an endpoint. */
export const WEBHOOK_EVENT_TYPES = [
  'checkout.created',
  'checkout.updated',
  'checkout.expired',
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.state_changed',
  'customer_seat.assigned',
  'customer_seat.claimed',
  'customer_seat.revoked',
  'member.created',
  'member.updated',
  'member.deleted',
  'order.created',
  'order.updated',
  'order.paid',
  'order.refunded',
  'subscription.created',
  'subscription.updated',
  'subscription.active',
  'subscription.canceled',
  'subscription.uncanceled',
  'subscription.cycled',
  'subscription.revoked',
  'subscription.past_due',
  'subscription.paused',
  'subscription.resumed',
  'subscription.migrated',
  'refund.created',
  'refund.updated',
  'product.created',
  'product.updated',
  'discount.created',
  'discount.updated',
  'discount.deleted',
  'benefit.created',
  'benefit.updated',
  'benefit_grant.created',
  'benefit_grant.cycled',
  'benefit_grant.updated',
  'benefit_grant.revoked',
  'organization.updated',
] as const;

/** API versions an endpoint can be pinned to. */
export const WEBHOOK_API_VERSIONS = ['2026-04', '2026-10'] as const;

/** Polar's `WEBHOOK_FAILURE_THRESHOLD`: consecutive failed events that disable an endpoint. */
export const ENDPOINT_FAILURE_THRESHOLD = 10;

const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_ATTEMPTS = 10;
const BACKOFF_FACTOR_MS = 2_000;
const BACKOFF_MAX_MS = 20 * 60_000;
const ORDERING_TIMEOUT_MS = 60_000;
const RESPONSE_SNIPPET_CHARS = 1_000;
const DEFAULT_MAX_LOG_ENTRIES = 10_000;
const STATE_VERSION = 1;

const eventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);
const urlSchema = z.url({ protocol: /^https?$/, error: 'Input should be a valid URL, scheme http or https' });
const endpointCreateSchema = z.object({
  url: urlSchema,
  secret: z.string().min(1).max(1024).optional(),
  events: z.array(eventTypeSchema).optional(),
  format: z.literal('raw', { error: "The emulator delivers the 'raw' format only" }).optional(),
  name: z.string().max(256).nullable().optional(),
  api_version: z.enum(WEBHOOK_API_VERSIONS).optional(),
  standard_signature: z.boolean().optional(),
});
const endpointPatchSchema = z.object({
  url: urlSchema.optional(),
  events: z.array(eventTypeSchema).optional(),
  enabled: z.boolean().optional(),
  name: z.string().max(256).nullable().optional(),
  api_version: z.enum(WEBHOOK_API_VERSIONS).optional(),
});

type EndpointState = {
  json: WebhookEndpoint;
  consecutiveFailures: number;
  /** Pending records of this endpoint in creation order. */
  queue: DeliveryState[];
  timer: NodeJS.Timeout | null;
};

type DeliveryState = {
  record: DeliveryRecord;
  seq: number;
  /** Attempts in the current round (a redelivery starts a new round). */
  roundAttempts: number;
  /** Real-clock ms before which no attempt is made. */
  notBefore: number;
  /** Real-clock ms when it (re)entered the queue; the ordering wait counts from here. */
  enqueuedAt: number;
  inFlight: AbortController | null;
};

type ExportedState = {
  version: number;
  endpoints: Array<{ json: WebhookEndpoint; consecutiveFailures: number }>;
  deliveries: Array<{ record: DeliveryRecord; roundAttempts: number }>;
};

/** Creates the dispatcher; nothing is sent until an endpoint exists and an event is emitted. */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const timeScale = options.timeScale ?? 1;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const orderingTimeoutMs = options.orderingTimeoutMs ?? ORDERING_TIMEOUT_MS * timeScale;
  const now = options.now ?? (() => new Date());
  const maxLogEntries = options.maxLogEntries ?? DEFAULT_MAX_LOG_ENTRIES;
  if (!options.organizationId) throw new TypeError('createWebhookDispatcher: `organizationId` is required');
  if (!(timeScale >= 0))
    throw new RangeError(`createWebhookDispatcher: \`timeScale\` must be >= 0, got ${timeScale}`);
  if (!(attemptTimeoutMs > 0)) {
    throw new RangeError(
      `createWebhookDispatcher: \`attemptTimeoutMs\` must be > 0, got ${attemptTimeoutMs}`,
    );
  }
  if (!Number.isInteger(maxLogEntries) || maxLogEntries < 1) {
    throw new RangeError(
      `createWebhookDispatcher: \`maxLogEntries\` must be an integer >= 1, got ${maxLogEntries}`,
    );
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(
      `createWebhookDispatcher: \`maxAttempts\` must be an integer >= 1, got ${maxAttempts}`,
    );
  }

  const endpoints = new Map<string, EndpointState>();
  const log: DeliveryState[] = [];
  const byId = new Map<string, DeliveryState>();
  const drainWaiters: Array<() => void> = [];
  const inFlight = new Set<Promise<void>>();
  // A fresh connection per attempt: reusing an idle keep-alive socket the receiver is closing would turn into a
  // spurious failed attempt (ECONNRESET), and deliveries are rare enough that the handshake costs nothing.
  const httpAgent = new http.Agent({ keepAlive: false });
  const httpsAgent = new https.Agent({ keepAlive: false });
  let seq = 0;
  let closed = false;
  /** Moves on whenever what exportState() returns may have changed. */
  let revision = 0;

  function isoNow(): string {
    return now().toISOString();
  }

  /** A stamp for a change (see {@link WebhookDispatcherOptions.timestamp}). */
  const stamp = options.timestamp ?? isoNow;

  function endpointJson(state: EndpointState): WebhookEndpoint {
    return { ...state.json, events: [...state.json.events] };
  }

  function snapshot(d: DeliveryState): DeliveryRecord {
    return { ...d.record, attempts: d.record.attempts.map((a) => ({ ...a })) };
  }

  function pendingCount(): number {
    let n = 0;
    for (const ep of endpoints.values()) n += ep.queue.length;
    return n;
  }

  function settleDrainWaiters(): void {
    if (pendingCount() > 0 || inFlight.size > 0) return;
    for (const resolve of drainWaiters.splice(0)) resolve();
  }

  function finish(ep: EndpointState | undefined, d: DeliveryState, status: 'succeeded' | 'failed'): void {
    revision += 1;
    d.record.status = status;
    if (ep) {
      const i = ep.queue.indexOf(d);
      if (i >= 0) ep.queue.splice(i, 1);
    }
  }

  function failQueued(ep: EndpointState, error: string): void {
    for (const d of [...ep.queue]) {
      if (d.inFlight) continue;
      d.record.attempts.push({
        id: randomUUID(),
        at: isoNow(),
        status_code: null,
        error,
        duration_ms: 0,
        response: null,
      });
      finish(ep, d, 'failed');
    }
  }

  function schedule(ep: EndpointState, at: number): void {
    if (ep.timer) clearTimeout(ep.timer);
    ep.timer = null;
    if (!Number.isFinite(at) || closed) return;
    ep.timer = setTimeout(
      () => {
        ep.timer = null;
        pump(ep);
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Starts every attempt of this endpoint that is due and not held back by an earlier pending event. */
  function pump(ep: EndpointState): void {
    if (closed) return;
    if (!ep.json.enabled) {
      failQueued(ep, 'Endpoint is disabled');
      schedule(ep, Infinity);
      settleDrainWaiters();
      return;
    }
    const t = Date.now();
    let wake = Infinity;
    let behindInFlight = false; // an earlier event is on the wire: wait for its answer (at most attemptTimeoutMs)
    let behindPending = false; // an earlier event waits for a retry: wait for it, at most orderingTimeoutMs
    for (const d of [...ep.queue]) {
      if (d.inFlight) {
        behindInFlight = true;
      } else if (!behindInFlight) {
        const heldUntil = behindPending ? d.enqueuedAt + orderingTimeoutMs : -Infinity;
        const readyAt = Math.max(d.notBefore, heldUntil);
        if (readyAt <= t) {
          startAttempt(ep, d);
          behindInFlight = true;
        } else {
          wake = Math.min(wake, readyAt);
        }
      }
      behindPending = true;
    }
    schedule(ep, wake);
    settleDrainWaiters();
  }

  function startAttempt(ep: EndpointState, d: DeliveryState): void {
    const controller = new AbortController();
    d.inFlight = controller;
    d.roundAttempts += 1;
    const run = attempt(ep, d, controller.signal).finally(() => {
      inFlight.delete(run);
      d.inFlight = null;
      const current = endpoints.get(d.record.endpoint_id);
      if (current) pump(current);
      settleDrainWaiters();
    });
    inFlight.add(run);
  }

  async function attempt(ep: EndpointState, d: DeliveryState, signal: AbortSignal): Promise<void> {
    // Like Polar's worker, each attempt goes to the endpoint's URL and secret as they are now.
    d.record.url = ep.json.url;
    const sentAt = new Date();
    const at = isoNow();
    const started = performance.now();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'polar.sh webhooks',
      'webhook-id': d.record.webhook_id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': signWebhook({
        secret: ep.json.secret,
        standard: ep.json.uses_standard_webhook_signature,
        webhookId: d.record.webhook_id,
        timestamp: sentAt,
        body: d.record.payload,
      }),
      'webhook-api-version': ep.json.api_version,
    };
    const result = await post(d.record.url, d.record.payload, headers, attemptTimeoutMs, signal, {
      http: httpAgent,
      https: httpsAgent,
    });
    if (signal.aborted || byId.get(d.record.webhook_id) !== d) return; // reset or closed meanwhile
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    revision += 1;
    d.record.attempts.push({
      id: randomUUID(),
      at,
      status_code: result.statusCode,
      error: ok ? null : (result.error ?? `HTTP ${result.statusCode}`),
      duration_ms: Math.round(performance.now() - started),
      response: result.body,
    });
    const current = endpoints.get(d.record.endpoint_id);
    if (ok) {
      finish(current, d, 'succeeded');
      if (current) current.consecutiveFailures = 0;
      try {
        options.onDelivered?.(snapshot(d));
      } catch {
        // A listener's failure must not turn a delivered event into a failed attempt.
      }
      return;
    }
    if (!current) {
      finish(undefined, d, 'failed');
      return;
    }
    if (d.roundAttempts < maxAttempts) {
      d.notBefore = Date.now() + backoffMs(d.roundAttempts) * timeScale;
      return;
    }
    finish(current, d, 'failed');
    current.consecutiveFailures += 1;
    if (current.consecutiveFailures >= ENDPOINT_FAILURE_THRESHOLD && current.json.enabled) {
      current.json = { ...current.json, enabled: false, modified_at: stamp() };
    }
  }

  function enqueue(ep: EndpointState, d: DeliveryState): void {
    d.enqueuedAt = Date.now();
    d.notBefore = d.enqueuedAt;
    d.record.status = 'pending';
    const at = ep.queue.findIndex((other) => other.seq > d.seq);
    if (at < 0) ep.queue.push(d);
    else ep.queue.splice(at, 0, d);
  }

  /** Forgets the oldest finished records beyond `maxLogEntries`; pending ones are always kept. */
  function trimLog(): void {
    let excess = log.length - maxLogEntries;
    if (excess <= 0) return;
    for (let i = 0; i < log.length && excess > 0;) {
      const d = log[i];
      if (d && d.record.status !== 'pending') {
        log.splice(i, 1);
        byId.delete(d.record.webhook_id);
        excess -= 1;
      } else {
        i += 1;
      }
    }
  }

  function abortAll(): void {
    for (const d of log) d.inFlight?.abort();
    for (const ep of endpoints.values()) {
      if (ep.timer) clearTimeout(ep.timer);
      ep.timer = null;
    }
  }

  function parse<T>(schema: z.ZodType<T>, input: unknown): T {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    throw new WebhookInputError(
      result.error.issues.map((issue) => ({
        loc: ['body', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
        msg: issue.message,
        type: issue.code,
        input: issue.input,
      })),
    );
  }

  const dispatcher: WebhookDispatcher = {
    createEndpoint(input) {
      revision += 1;
      const body = parse(endpointCreateSchema, input);
      const secret = body.secret ?? generateWebhookSecret();
      const standard = body.standard_signature ?? defaultsToStandardSignature(secret);
      if (standard && !isStandardSecret(secret)) {
        throw new WebhookInputError([
          {
            loc: ['body', 'secret'],
            msg: `A standard-scheme secret is ${SECRET_PREFIX} followed by base64; use standard_signature: false for other secrets`,
            type: 'value_error',
          },
        ]);
      }
      const ep: EndpointState = {
        json: {
          created_at: stamp(),
          modified_at: null,
          id: randomUUID(),
          url: body.url,
          name: body.name ?? null,
          api_version: body.api_version ?? '2026-10',
          format: 'raw',
          secret,
          organization_id: options.organizationId,
          events: [...new Set(body.events ?? WEBHOOK_EVENT_TYPES)],
          enabled: true,
          uses_standard_webhook_signature: standard,
        },
        consecutiveFailures: 0,
        queue: [],
        timer: null,
      };
      endpoints.set(ep.json.id, ep);
      return endpointJson(ep);
    },

    listEndpoints() {
      return [...endpoints.values()].map(endpointJson);
    },

    getEndpoint(id) {
      const ep = endpoints.get(id);
      return ep ? endpointJson(ep) : undefined;
    },

    updateEndpoint(id, patch) {
      revision += 1;
      const ep = endpoints.get(id);
      if (!ep) return undefined;
      const body = parse(endpointPatchSchema, patch);
      const next = { ...ep.json, modified_at: stamp() };
      if (body.url !== undefined) next.url = body.url;
      if (body.events !== undefined) next.events = [...new Set(body.events)];
      if (body.name !== undefined) next.name = body.name;
      if (body.api_version !== undefined) next.api_version = body.api_version;
      if (body.enabled !== undefined) {
        if (body.enabled && !ep.json.enabled) ep.consecutiveFailures = 0;
        next.enabled = body.enabled;
      }
      ep.json = next;
      pump(ep);
      return endpointJson(ep);
    },

    resetEndpointSecret(id) {
      revision += 1;
      const ep = endpoints.get(id);
      if (!ep) return undefined;
      ep.json = {
        ...ep.json,
        secret: generateWebhookSecret(),
        uses_standard_webhook_signature: true,
        modified_at: stamp(),
      };
      return endpointJson(ep);
    },

    deleteEndpoint(id) {
      revision += 1;
      const ep = endpoints.get(id);
      if (!ep) return false;
      endpoints.delete(id);
      if (ep.timer) clearTimeout(ep.timer);
      for (const d of ep.queue) {
        d.inFlight?.abort();
        d.record.attempts.push({
          id: randomUUID(),
          at: isoNow(),
          status_code: null,
          error: 'Endpoint deleted',
          duration_ms: 0,
          response: null,
        });
        d.record.status = 'failed';
      }
      ep.queue = [];
      settleDrainWaiters();
      return true;
    },

    emit(type, data) {
      revision += 1;
      if (closed) return 0;
      const targets = [...endpoints.values()].filter(
        (ep) => ep.json.enabled && ep.json.events.includes(type),
      );
      if (targets.length === 0) return 0;
      const timestamp = stamp();
      for (const ep of targets) {
        // Key order as Polar's serialiser writes it; compact, like Pydantic's model_dump_json().
        const payload = JSON.stringify({ type, timestamp, api_version: ep.json.api_version, data });
        const d: DeliveryState = {
          record: {
            webhook_id: randomUUID(),
            type,
            endpoint_id: ep.json.id,
            url: ep.json.url,
            status: 'pending',
            attempts: [],
            created_at: timestamp,
            payload,
          },
          seq: ++seq,
          roundAttempts: 0,
          notBefore: 0,
          enqueuedAt: 0,
          inFlight: null,
        };
        log.push(d);
        byId.set(d.record.webhook_id, d);
        enqueue(ep, d);
      }
      trimLog();
      for (const ep of targets) pump(ep);
      return targets.length;
    },

    deliveries(filter = {}) {
      return log
        .filter(
          (d) =>
            (filter.type === undefined || d.record.type === filter.type) &&
            (filter.endpointId === undefined || d.record.endpoint_id === filter.endpointId) &&
            (filter.status === undefined || d.record.status === filter.status),
        )
        .map(snapshot);
    },

    revision() {
      return revision;
    },

    delivery(webhookId) {
      const d = byId.get(webhookId);
      return d ? snapshot(d) : undefined;
    },

    redeliver(webhookId) {
      revision += 1;
      const d = byId.get(webhookId);
      if (!d || closed) return false;
      const ep = endpoints.get(d.record.endpoint_id);
      if (!ep || !ep.json.enabled) return false;
      if (d.record.status === 'pending') {
        // Already queued: send now instead of waiting for the next retry.
        d.notBefore = Date.now();
      } else {
        d.roundAttempts = 0;
        enqueue(ep, d);
      }
      pump(ep);
      return true;
    },

    drain() {
      // After close() nothing will move any more; what is still pending stays in the log (and in exportState).
      if (closed || (pendingCount() === 0 && inFlight.size === 0)) return Promise.resolve();
      return new Promise((resolve) => drainWaiters.push(resolve));
    },

    exportState(): ExportedState {
      return {
        version: STATE_VERSION,
        endpoints: [...endpoints.values()].map((ep) => ({
          json: endpointJson(ep),
          consecutiveFailures: ep.consecutiveFailures,
        })),
        deliveries: log.map((d) => ({ record: snapshot(d), roundAttempts: d.roundAttempts })),
      };
    },

    importState(state) {
      revision += 1;
      const parsed = importedStateSchema.safeParse(state);
      if (!parsed.success) {
        throw new TypeError(
          `importState: not a webhook state of version ${STATE_VERSION}: ${parsed.error.message}`,
        );
      }
      dispatcher.reset();
      for (const e of parsed.data.endpoints) {
        endpoints.set(e.json.id, {
          json: { ...e.json },
          consecutiveFailures: e.consecutiveFailures,
          queue: [],
          timer: null,
        });
      }
      for (const item of parsed.data.deliveries) {
        const d: DeliveryState = {
          record: { ...item.record, attempts: item.record.attempts.map((a) => ({ ...a })) },
          seq: ++seq,
          roundAttempts: item.roundAttempts,
          notBefore: 0,
          enqueuedAt: 0,
          inFlight: null,
        };
        log.push(d);
        byId.set(d.record.webhook_id, d);
        const ep = endpoints.get(d.record.endpoint_id);
        if (d.record.status !== 'pending') continue;
        if (ep) enqueue(ep, d);
        else d.record.status = 'failed';
      }
      for (const ep of endpoints.values()) if (ep.queue.length > 0) pump(ep);
    },

    reset() {
      revision += 1;
      abortAll();
      endpoints.clear();
      log.length = 0;
      byId.clear();
      settleDrainWaiters();
    },

    async close() {
      closed = true;
      abortAll();
      await Promise.allSettled([...inFlight]);
      httpAgent.destroy();
      httpsAgent.destroy();
      for (const resolve of drainWaiters.splice(0)) resolve();
    },
  };
  return dispatcher;
}

/**
 * Delay before the next attempt after `attempts` failed ones, in real-time ms (before `timeScale`):
 * dramatiq's `compute_backoff(attempts, factor=2000, max_backoff=20 min, jitter=True)`, i.e. a uniform draw in
 * `[b/2, b)` where `b = min(2000 * 2^attempts, 20 min)`.
 */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const b = Math.min(BACKOFF_FACTOR_MS * 2 ** Math.min(attempts, 32), BACKOFF_MAX_MS);
  return Math.floor(b / 2 + random() * (b / 2));
}

export { createEndpointsRouter as webhookEndpointsRouter, createDeliveriesRouter as deliveriesRouter };
export { WebhookInputError };

const attemptSchema = z.object({
  id: z.string(),
  at: z.string(),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number(),
  response: z.string().nullable().default(null),
});
const importedStateSchema = z.object({
  version: z.literal(STATE_VERSION),
  endpoints: z.array(
    z.object({
      json: z.object({
        created_at: z.string(),
        modified_at: z.string().nullable(),
        id: z.string(),
        url: z.string(),
        name: z.string().nullable(),
        api_version: z.string(),
        format: z.enum(['raw', 'discord', 'slack']),
        secret: z.string(),
        organization_id: z.string(),
        events: z.array(z.string()),
        enabled: z.boolean(),
        uses_standard_webhook_signature: z.boolean(),
      }),
      consecutiveFailures: z.number().int().min(0),
    }),
  ),
  deliveries: z.array(
    z.object({
      record: z.object({
        webhook_id: z.string(),
        type: z.string(),
        endpoint_id: z.string(),
        url: z.string(),
        status: z.enum(['pending', 'succeeded', 'failed']),
        attempts: z.array(attemptSchema),
        created_at: z.string(),
        payload: z.string(),
      }),
      roundAttempts: z.number().int().min(0),
    }),
  ),
});

function isStandardSecret(secret: string): boolean {
  const key = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return key.length > 0 && key.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(key);
}

type PostResult = { statusCode: number | null; error: string | null; body: string | null };

/** One POST with a deadline over the whole exchange; never follows redirects, never throws. */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
  agents: { http: http.Agent; https: https.Agent },
): Promise<PostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: PostResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      done({ statusCode: null, error: 'Invalid URL', body: null });
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: target.protocol === 'https:' ? agents.https : agents.http,
    });
    const timer = setTimeout(() => {
      done({ statusCode: null, error: `Timed out after ${timeoutMs} ms`, body: null });
      req.destroy();
    }, timeoutMs);
    const onAbort = (): void => {
      done({ statusCode: null, error: 'Aborted', body: null });
      req.destroy();
    };
    signal.addEventListener('abort', onAbort);
    req.on('error', (err: NodeJS.ErrnoException) => {
      done({ statusCode: null, error: err.code ? `${err.code}: ${err.message}` : err.message, body: null });
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < RESPONSE_SNIPPET_CHARS) text += chunk;
      });
      res.on('end', () => {
        done({
          statusCode: res.statusCode ?? null,
          error: null,
          body: text.slice(0, RESPONSE_SNIPPET_CHARS),
        });
      });
      res.on('error', (err) => done({ statusCode: null, error: err.message, body: null }));
    });
    req.end(body);
  });
}
