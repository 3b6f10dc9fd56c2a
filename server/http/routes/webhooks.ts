import express, { Router } from 'express';
import type { WebhookReceipt } from '../../../contract/contract.js';
import type { WebhookIngest } from '../../webhooks/ingest.js';

const RECEIVED_BODY = JSON.stringify({ received: true } satisfies WebhookReceipt);
const DUPLICATE_BODY = JSON.stringify({ received: true, duplicate: true } satisfies WebhookReceipt);

/** The largest webhook body the kit reads; Polar's payloads are a few kilobytes. */
export const WEBHOOK_BODY_LIMIT = '1mb';

/**
 * `POST /webhooks/polar` (under `/api`): reads the raw bytes itself (any content type, so the signature is
 * checked on exactly what Polar signed) and hands them to the ingest. Errors go to the problem handler:
 * 403 bad signature, 400 not an event, 413 too large, 500 not applied (Polar retries).
 */
export function webhooksRouter(deps: { ingest: Pick<WebhookIngest, 'handle'> }): Router {
  const router = Router();
  router.post(
    '/webhooks/polar',
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    async (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      // Settles after the COMMIT of the transaction this delivery was applied in (Express 5 routes a rejection
      // to the problem handler).
      const result = await deps.ingest.handle(raw, req.headers);
      // One of two fixed answers, written as is (no ETag: nobody caches the answer to a POST).
      res
        .status(result.status)
        .type('application/json')
        .end(result.body.duplicate ? DUPLICATE_BODY : RECEIVED_BODY);
    },
  );
  return router;
}
