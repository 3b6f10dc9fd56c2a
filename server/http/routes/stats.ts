import { Router } from 'express';
import { z } from 'zod';
import type { StatsResponse } from '../../../contract/contract.js';
import type { Stats } from '../../db/stats.js';
import { normalizeTimestamp } from '../../db/timestamps.js';
import { AppError } from '../../errors.js';
import { requireAdmin } from '../admin-auth.js';
import type { RouteDoc } from './openapi.js';
import { parseQuery } from './webhook-events.js';

export type StatsDeps = {
  adminToken: string | null;
  stats(range: { from: string | null; to: string | null }): Stats;
};

const Instant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}))?$/i,
    'must be a date (YYYY-MM-DD) or an ISO-8601 time with a zone',
  );

export const StatsQuerySchema = z.strictObject({
  from: Instant.optional().describe('Inclusive start (a date means its 00:00 UTC). Default: the beginning.'),
  to: Instant.optional().describe('Exclusive end (a date means its 00:00 UTC). Default: now.'),
});

const Revenue = z.object({
  currency: z.string(),
  orders: z.number().int(),
  gross: z.number().int(),
  refunded: z.number().int(),
  net: z.number().int(),
});

export const StatsResponseSchema = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  revenue: z.array(Revenue),
  revenue_by_product: z.array(
    Revenue.extend({ product_id: z.string().nullable(), product_name: z.string().nullable() }),
  ),
  active_subscriptions: z.array(
    z.object({ product_id: z.string(), product_name: z.string().nullable(), count: z.number().int() }),
  ),
  mrr: z.array(z.object({ currency: z.string(), amount: z.number().int(), subscriptions: z.number().int() })),
  churned_subscriptions: z.object({
    count: z.number().int(),
    by_product: z.array(z.object({ product_id: z.string(), count: z.number().int() })),
  }),
});

export const statsRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/stats',
    summary:
      'Revenue net of refunds by currency and product, active subscriptions, MRR and churn, from the local tables',
    tag: 'reporting',
    admin: true,
    query: StatsQuerySchema,
    responses: { 200: { description: 'The figures (money in minor units)', schema: StatsResponseSchema } },
    problems: ['VALIDATION_FAILED'],
  },
];

/** `GET /stats?from=&to=`, admin only. */
export function statsRouter(deps: StatsDeps): Router {
  const router = Router();
  router.get('/stats', requireAdmin(deps.adminToken), (req, res) => {
    const query = parseQuery(StatsQuerySchema, req.query);
    const from = query.from === undefined ? null : instant(query.from, 'from');
    const to = query.to === undefined ? null : instant(query.to, 'to');
    if (from !== null && to !== null && from >= to) {
      throw new AppError('VALIDATION_FAILED', {
        detail: 'from must be before to.',
        errors: [{ path: 'from', code: 'RANGE_EMPTY' }],
      });
    }
    res.setHeader('Cache-Control', 'no-store');
    const stats: StatsResponse = deps.stats({ from, to });
    res.json(stats);
  });
  return router;
}

function instant(value: string, path: string): string {
  const normalized = normalizeTimestamp(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (normalized === null) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `${path}: not a valid date or time.`,
      errors: [{ path, code: 'INVALID_DATE' }],
    });
  }
  return normalized;
}
