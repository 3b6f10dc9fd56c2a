/**
 * HTTP routes of webhook delivery: Polar's `/v1/webhooks/...` (endpoints, deliveries, redeliver) and the
 * emulator's delivery log under `/_emulator/deliveries`.
 */
import express from 'express';
import type { DeliveryRecord, WebhookDispatcher } from './webhooks.js';
import { WebhookInputError, type ValidationDetail } from './webhook-input-error.js';

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

/**
 * Polar's webhook endpoint API, to mount at `/v1/webhooks` behind the bearer-token check:
 * `POST /endpoints` (201), `GET /endpoints`, `GET|PATCH|DELETE /endpoints/:id` (DELETE → 204),
 * `PATCH /endpoints/:id/secret`, `GET /deliveries`, `POST /events/:id/redeliver` (202).
 */
export function webhookEndpointsRouter(d: WebhookDispatcher): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

  router.post('/endpoints', (req, res) => {
    const body: unknown = req.body;
    if (!isObject(body)) {
      sendValidation(res, [
        { loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: body },
      ]);
      return;
    }
    // Polar's WebhookEndpointCreate requires these; the programmatic path (start-up registration) does not.
    const missing: ValidationDetail = ['url', 'format', 'events']
      .filter((key) => body[key] === undefined)
      .map((key) => ({ loc: ['body', key], msg: 'Field required', type: 'missing', input: body }));
    if (missing.length > 0) {
      sendValidation(res, missing);
      return;
    }
    const created = d.createEndpoint(body as Parameters<WebhookDispatcher['createEndpoint']>[0]);
    res.status(201).json(created);
  });

  router.get('/endpoints', (req, res) => {
    const paging = parsePaging(req.query);
    if ('detail' in paging) {
      sendValidation(res, paging.detail);
      return;
    }
    const orgs = queryList(req.query.organization_id);
    const all = d.listEndpoints().filter((e) => orgs.length === 0 || orgs.includes(e.organization_id));
    res.json(page(all, paging));
  });

  router.get('/endpoints/:id', (req, res) => {
    const endpoint = d.getEndpoint(req.params.id);
    if (!endpoint) {
      sendNotFound(res);
      return;
    }
    res.json(endpoint);
  });

  router.patch('/endpoints/:id', (req, res) => {
    const body: unknown = req.body ?? {};
    if (!isObject(body)) {
      sendValidation(res, [
        { loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: body },
      ]);
      return;
    }
    // Polar's update accepts null for "leave as is" on every field.
    const patch = Object.fromEntries(
      Object.entries(body).filter(([key, value]) => value !== null || key === 'name'),
    );
    if ('format' in patch && patch.format !== 'raw') {
      sendValidation(res, [
        {
          loc: ['body', 'format'],
          msg: "The emulator delivers the 'raw' format only",
          type: 'literal_error',
          input: patch.format,
        },
      ]);
      return;
    }
    delete patch.format;
    const updated = d.updateEndpoint(req.params.id, patch);
    if (!updated) {
      sendNotFound(res);
      return;
    }
    res.json(updated);
  });

  router.patch('/endpoints/:id/secret', (req, res) => {
    const updated = d.resetEndpointSecret(req.params.id);
    if (!updated) {
      sendNotFound(res);
      return;
    }
    res.json(updated);
  });

  router.delete('/endpoints/:id', (req, res) => {
    if (!d.deleteEndpoint(req.params.id)) {
      sendNotFound(res);
      return;
    }
    res.status(204).end();
  });

  router.get('/deliveries', (req, res) => {
    const paging = parsePaging(req.query);
    if ('detail' in paging) {
      sendValidation(res, paging.detail);
      return;
    }
    const endpointIds = queryList(req.query.endpoint_id);
    const types = queryList(req.query.event_type);
    const succeeded = req.query.succeeded === undefined ? undefined : String(req.query.succeeded) === 'true';
    const items = d
      .deliveries()
      .filter((r) => endpointIds.length === 0 || endpointIds.includes(r.endpoint_id))
      .filter((r) => types.length === 0 || types.includes(r.type))
      .flatMap((r) => r.attempts.map((a) => toPolarDelivery(r, a)))
      .filter((x) => succeeded === undefined || x.succeeded === succeeded)
      .reverse(); // Polar lists newest first
    res.json(page(items, paging));
  });

  router.post('/events/:id/redeliver', (req, res) => {
    if (!d.redeliver(req.params.id)) {
      sendNotFound(res);
      return;
    }
    res.status(202).json({});
  });

  router.use(errorHandler);
  return router;
}

/**
 * The emulator's delivery log, to mount at `/_emulator/deliveries`:
 * `GET /` (`?type=`, `?status=`, `?endpoint_id=`; oldest first) and `POST /:webhook_id/redeliver` (202).
 */
export function deliveriesRouter(d: WebhookDispatcher): express.Router {
  const router = express.Router();

  router.get('/', (req, res) => {
    const type = optionalString(req.query.type);
    const endpointId = optionalString(req.query.endpoint_id);
    const status = optionalString(req.query.status);
    if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
      sendValidation(res, [
        {
          loc: ['query', 'status'],
          msg: `Input should be ${DELIVERY_STATUSES.map((s) => `'${s}'`).join(', ')}`,
          type: 'enum',
          input: status,
        },
      ]);
      return;
    }
    const items = d.deliveries({ type, endpointId, status: status as DeliveryRecord['status'] | undefined });
    res.json({ items, pagination: { total_count: items.length, max_page: items.length > 0 ? 1 : 0 } });
  });

  router.get('/:webhook_id', (req, res) => {
    const record = d.delivery(req.params.webhook_id);
    if (!record) {
      sendNotFound(res);
      return;
    }
    res.json(record);
  });

  router.post('/:webhook_id/redeliver', (req, res) => {
    if (!d.redeliver(req.params.webhook_id)) {
      const record = d.delivery(req.params.webhook_id);
      if (record) {
        res
          .status(409)
          .json({ error: 'NotPermitted', detail: 'The endpoint of this event is gone or disabled.' });
      } else {
        sendNotFound(res);
      }
      return;
    }
    res.status(202).json(d.delivery(req.params.webhook_id));
  });

  return router;
}

function toPolarDelivery(record: DeliveryRecord, attempt: DeliveryRecord['attempts'][number]) {
  const last = record.attempts.at(-1);
  return {
    created_at: attempt.at,
    modified_at: null,
    id: attempt.id,
    succeeded: attempt.status_code !== null && attempt.status_code >= 200 && attempt.status_code < 300,
    http_code: attempt.status_code,
    response: attempt.response,
    webhook_event: {
      created_at: record.created_at,
      modified_at: last ? last.at : null,
      id: record.webhook_id,
      last_http_code: last ? last.status_code : null,
      succeeded: record.status === 'pending' ? null : record.status === 'succeeded',
      skipped: false,
      payload: record.payload,
      type: record.type,
      is_archived: false,
    },
  };
}

type Paging = { page: number; limit: number };

function parsePaging(query: express.Request['query']): Paging | { detail: ValidationDetail } {
  const detail: ValidationDetail = [];
  const read = (name: 'page' | 'limit', fallback: number, max: number): number => {
    const raw = query[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      detail.push({
        loc: ['query', name],
        msg: max === Infinity ? 'Input should be greater than 0' : `Input should be between 1 and ${max}`,
        type: 'int_parsing',
        input: raw,
      });
      return fallback;
    }
    return n;
  };
  const result = { page: read('page', 1, Infinity), limit: read('limit', DEFAULT_LIMIT, MAX_LIMIT) };
  return detail.length > 0 ? { detail } : result;
}

function page<T>(
  items: T[],
  paging: Paging,
): { items: T[]; pagination: { total_count: number; max_page: number } } {
  const start = (paging.page - 1) * paging.limit;
  return {
    items: items.slice(start, start + paging.limit),
    pagination: { total_count: items.length, max_page: Math.ceil(items.length / paging.limit) },
  };
}

function queryList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendValidation(res: express.Response, detail: ValidationDetail): void {
  res.status(422).json({ detail });
}

function sendNotFound(res: express.Response): void {
  res.status(404).json({ error: 'ResourceNotFound', detail: 'Not found' });
}

function errorHandler(
  err: unknown,
  _req: express.Request,
  res: express.Response,
  next: express.NextFunction,
): void {
  if (err instanceof WebhookInputError) {
    sendValidation(res, err.detail);
    return;
  }
  if (isObject(err) && err.type === 'entity.parse.failed') {
    sendValidation(res, [{ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' }]);
    return;
  }
  next(err);
}
