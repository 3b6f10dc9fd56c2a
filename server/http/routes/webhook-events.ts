import { Router } from 'express';
import { z } from 'zod';
import type { WebhookEventReplayResponse, WebhookEventsResponse } from '../../../contract/contract.js';
import { AppError } from '../../errors.js';
import type { WebhookEventStatus } from '../../db/webhook-events.js';
import { requireAdmin } from '../admin-auth.js';
import type { RouteDoc } from './openapi.js';

export type WebhookEventsDeps = {
  adminToken: string | null;
  list(options: { status?: WebhookEventStatus; cursor?: string; limit: number }): WebhookEventsResponse;
  /** Re-applies a stored payload. @throws {AppError} WEBHOOK_EVENT_NOT_FOUND */
  replay(webhookId: string): { status: 'processed' | 'failed' | 'ignored' };
};

export const WebhookEventsQuerySchema = z.strictObject({
  status: z
    .enum(['failed', 'processed', 'ignored'])
    .optional()
    .describe('Only deliveries with this outcome.'),
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('Page size (1-500).'),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .describe('`next_cursor` of the previous page.'),
});

export const WebhookEventParamsSchema = z.strictObject({
  webhook_id: z.string().min(1).max(256).describe("Polar's webhook-id header of the delivery."),
});

const WebhookEventItem = z.object({
  webhook_id: z.string(),
  type: z.string(),
  status: z.enum(['failed', 'processed', 'ignored']),
  error: z.string().nullable(),
  attempts: z.number().int(),
  event_timestamp: z.string().nullable(),
  received_at: z.string(),
  processed_at: z.string().nullable(),
});

export const WebhookEventsPageSchema = z.object({
  items: z.array(WebhookEventItem),
  next_cursor: z.string().nullable(),
});

export const ReplayResultSchema = z.object({
  webhook_id: z.string(),
  status: z.enum(['processed', 'failed', 'ignored']),
});

export const webhookEventRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/webhook-events',
    summary: 'Stored webhook deliveries, newest first, paginated',
    tag: 'webhooks',
    admin: true,
    query: WebhookEventsQuerySchema,
    responses: { 200: { description: 'One page', schema: WebhookEventsPageSchema } },
    problems: ['VALIDATION_FAILED'],
  },
  {
    method: 'post',
    path: '/webhook-events/:webhook_id/replay',
    summary: 'Apply a stored delivery again (after a failure or a fix)',
    tag: 'webhooks',
    admin: true,
    params: WebhookEventParamsSchema,
    responses: { 200: { description: 'The outcome of the replay', schema: ReplayResultSchema } },
    problems: ['VALIDATION_FAILED', 'WEBHOOK_EVENT_NOT_FOUND'],
  },
];

/** `GET /webhook-events` and `POST /webhook-events/:webhook_id/replay`, admin only. */
export function webhookEventsRouter(deps: WebhookEventsDeps): Router {
  const router = Router();
  const admin = requireAdmin(deps.adminToken);

  router.get('/webhook-events', admin, (req, res) => {
    const query = parseQuery(WebhookEventsQuerySchema, req.query);
    res.setHeader('Cache-Control', 'no-store');
    const page: WebhookEventsResponse = deps.list({
      limit: query.limit,
      ...(query.status ? { status: query.status } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    res.json(page);
  });

  router.post('/webhook-events/:webhook_id/replay', admin, (req, res) => {
    const { webhook_id } = parseQuery(WebhookEventParamsSchema, req.params);
    const outcome = deps.replay(webhook_id);
    const response: WebhookEventReplayResponse = { webhook_id, status: outcome.status };
    res.json(response);
  });
  return router;
}

/**
 * Validates query or path parameters.
 * @throws {AppError} VALIDATION_FAILED
 */
export function parseQuery<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.').slice(0, 100),
    code: issue.code === 'unrecognized_keys' ? 'UNKNOWN_FIELD' : issue.code.toUpperCase(),
    message: (issue.code === 'unrecognized_keys'
      ? `unknown parameter(s): ${issue.keys.slice(0, 10).join(', ')}`
      : issue.message
    ).slice(0, 200),
  }));
  throw new AppError('VALIDATION_FAILED', {
    detail: errors
      .map((error) => (error.path ? `${error.path}: ${error.message}` : error.message))
      .join('; '),
    errors,
  });
}
