import express, { Router } from 'express';
import type { UsageOutboxResponse, UsageResponse } from '../../../contract/contract.js';
import type { UsageOutbox } from '../../db/usage-outbox.js';
import {
  OutboxCountsSchema,
  UsageRequestSchema,
  UsageResponseSchema,
  acceptUsageEvents,
} from '../../usage/usage-events.js';
import { requireAdmin } from '../admin-auth.js';
import { parseBody } from '../validation.js';
import type { RouteDoc } from './openapi.js';

export type UsageDeps = {
  adminToken: string | null;
  outbox: UsageOutbox;
  /** Called after new events were stored, so they go out soon. */
  onAccepted(): void;
};

/** 1,000 events with metadata need more than the API's default body limit. */
const USAGE_BODY_LIMIT = '1mb';

export const usageRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/usage',
    summary:
      'Record usage events for usage-based billing; they are sent to Polar in batches, retried until accepted',
    tag: 'usage',
    admin: true,
    body: UsageRequestSchema,
    responses: { 202: { description: 'Stored in the outbox', schema: UsageResponseSchema } },
    problems: [],
  },
  {
    method: 'get',
    path: '/usage/outbox',
    summary: 'Counts of usage events waiting, sent and rejected',
    tag: 'usage',
    admin: true,
    responses: { 200: { description: 'Outbox counts', schema: OutboxCountsSchema } },
    problems: [],
  },
];

/**
 * `POST /usage` and `GET /usage/outbox`, admin only. Mount before the API's JSON parser: the usage route
 * parses its own, larger body.
 */
export function usageRouter(deps: UsageDeps): Router {
  const router = Router();
  const admin = requireAdmin(deps.adminToken);

  router.post(
    '/usage',
    admin,
    express.json({ limit: USAGE_BODY_LIMIT, type: ['application/json', 'application/*+json'] }),
    (req, res) => {
      const body = parseBody(UsageRequestSchema, req);
      const accepted = acceptUsageEvents(deps.outbox, body.events);
      deps.onAccepted();
      const response: UsageResponse = { accepted };
      res.status(202).json(response);
    },
  );

  router.get('/usage/outbox', admin, (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const counts: UsageOutboxResponse = deps.outbox.counts();
    res.json(counts);
  });
  return router;
}
