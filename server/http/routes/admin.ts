import { Router } from 'express';
import { z } from 'zod';
import type { AccessResponse, OrderSummary } from '../../../contract/contract.js';
import { AppError } from '../../errors.js';
import { requireAdmin } from '../admin-auth.js';

export type AdminQueries = {
  /** `key` = external id, Polar customer id or email. */
  access(key: string): AccessResponse | null;
  ordersByEmail(email: string): OrderSummary[];
};

const Email = z.email().max(320);

/** `GET /orders/:email` and `GET /customers/:key/access`, both behind the admin bearer token. */
export function adminRouter(deps: { adminToken: string | null; queries: AdminQueries }): Router {
  const router = Router();
  const admin = requireAdmin(deps.adminToken);

  router.get('/orders/:email', admin, (req, res) => {
    const email = Email.safeParse(req.params.email);
    if (!email.success) {
      throw new AppError('VALIDATION_FAILED', {
        detail: 'The path must end in an email address.',
        errors: [{ path: 'email', code: 'INVALID_EMAIL' }],
      });
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json(deps.queries.ordersByEmail(email.data));
  });

  router.get('/customers/:key/access', admin, (req, res) => {
    const key = typeof req.params.key === 'string' ? req.params.key : '';
    if (key.length === 0 || key.length > 320) {
      throw new AppError('VALIDATION_FAILED', {
        detail: 'The customer key must be 1 to 320 characters.',
        errors: [{ path: 'key', code: 'INVALID_KEY' }],
      });
    }
    const access = deps.queries.access(key);
    if (!access)
      throw new AppError('CUSTOMER_NOT_FOUND', { detail: 'No customer with that external id, id or email.' });
    res.setHeader('Cache-Control', 'no-store');
    res.json(access);
  });

  return router;
}
