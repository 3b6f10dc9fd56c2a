import { Router } from 'express';
import { z } from 'zod';
import type { PortalResponse } from '../../../contract/contract.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { PolarGateway } from '../../polar/gateway.js';
import { hasAdminToken } from '../admin-auth.js';
import type { CheckoutRecords, IdentifyCustomer } from './checkout.js';
import { createRateLimit } from '../rate-limit.js';
import { parseBody } from '../validation.js';

export type PortalDeps = {
  gateway: PolarGateway;
  checkouts: Pick<CheckoutRecords, 'get'>;
  /** Polar customer id of an external id, Polar id or email the kit knows (admin `customer_key`). */
  customerIdOf(key: string): string | null;
  adminToken: string | null;
  identify?: IdentifyCustomer;
  /** Where the portal's "back" link leads. */
  returnUrl: string;
  /** Portal sessions per client IP per minute. @default 30 */
  limitPerMinute?: number;
  /** Receives the rate limiter's configuration warnings. */
  logger: Logger;
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const PortalRequestSchema = z.strictObject({
  checkout_id: z.string().regex(GUID, 'must be a checkout id (UUID)').optional(),
  /** Admin only: an external id, Polar customer id or email. */
  customer_key: z.string().trim().min(1).max(320).optional(),
});

/**
 * `POST /portal`: a customer-portal link for the customer of a paid checkout (the checkout id is the
 * capability), for the host app's logged-in customer (`identify`), or, with the admin token, for any
 * `customer_key`. The link is short-lived and is never stored.
 */
export function portalRouter(deps: PortalDeps): Router {
  const router = Router();
  const limiter = createRateLimit({
    limit: deps.limitPerMinute ?? 30,
    detail: 'Too many portal links from this address; try again in a minute.',
    logger: deps.logger,
  });

  router.post('/portal', limiter, async (req, res) => {
    const body = parseBody(PortalRequestSchema, req);
    let customer: { customerId: string } | { externalCustomerId: string } | null = null;

    if (body.customer_key !== undefined) {
      if (!hasAdminToken(req.get('authorization'), deps.adminToken)) {
        throw new AppError('FORBIDDEN', {
          detail: 'customer_key needs the admin token; browsers send checkout_id.',
          errors: [{ path: 'customer_key', code: 'NOT_ALLOWED_FROM_BROWSER' }],
        });
      }
      const id = deps.customerIdOf(body.customer_key);
      if (id === null) throw new AppError('CUSTOMER_NOT_FOUND', { detail: 'No customer with that key.' });
      customer = { customerId: id };
    } else if (body.checkout_id !== undefined) {
      const checkout = deps.checkouts.get(body.checkout_id);
      if (!checkout)
        throw new AppError('CHECKOUT_NOT_FOUND', { detail: 'No checkout with that id was created here.' });
      if (
        checkout.status !== 'succeeded' ||
        (checkout.customerId === null && checkout.externalCustomerId === null)
      ) {
        throw new AppError('CHECKOUT_NOT_PAID', { detail: 'The portal opens once this checkout is paid.' });
      }
      customer =
        checkout.customerId !== null
          ? { customerId: checkout.customerId }
          : { externalCustomerId: checkout.externalCustomerId! };
    } else {
      const externalId = deps.identify ? await deps.identify(req) : null;
      if (typeof externalId === 'string' && externalId.length > 0)
        customer = { externalCustomerId: externalId };
    }
    if (customer === null) {
      throw new AppError('VALIDATION_FAILED', {
        detail: 'Send checkout_id (the buyer’s paid checkout), or sign the customer in to the host app.',
        errors: [{ path: 'checkout_id', code: 'REQUIRED' }],
      });
    }
    const session = await deps.gateway.createPortalSession(customer, deps.returnUrl);
    if (session === null)
      throw new AppError('CUSTOMER_NOT_FOUND', { detail: 'Polar does not know this customer.' });
    const response: PortalResponse = { portal_url: session.portalUrl };
    res.setHeader('Cache-Control', 'no-store');
    res.json(response);
  });
  return router;
}
