import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { Router } from 'express';
import type { Request, Response } from 'express';
import type { WebhookReceipt } from '../../../contract/contract.js';
import type { WebhookIngest } from '../../webhooks/ingest.js';

const RECEIVED_BODY = JSON.stringify({ received: true } satisfies WebhookReceipt);
const DUPLICATE_BODY = JSON.stringify({ received: true, duplicate: true } satisfies WebhookReceipt);
const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };
const NO_BODY = Buffer.alloc(0);

/** The largest webhook body the kit reads; Polar's payloads are a few kilobytes. */
export const WEBHOOK_BODY_LIMIT = '1mb';

/** Where Polar delivers webhooks, relative to the kit's API. */
export const WEBHOOK_ROUTE = '/webhooks/polar';

/**
 * The `POST /api/webhooks/polar` handler as a plain Node listener, so that it runs the same under the kit's
 * Express router and ahead of any middleware in a server that dispatches the route itself. Errors (403 bad
 * signature, 400 not an event, 413 too large, 415 an encoding it cannot read, 500 not applied) are passed to
 * `next`, which renders them as problem responses.
 */
export type WebhookListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error: unknown) => void,
) => void;

/**
 * Reads the raw bytes (any content type, so the signature is checked on exactly what Polar signed; body-parser's
 * raw reader, for its size limit and content encodings) and hands them to the ingest. The answer is written
 * once the transaction that recorded the delivery has committed.
 */
export function webhookListener(deps: { ingest: Pick<WebhookIngest, 'handle'> }): WebhookListener {
  const readBody = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });
  return (req, res, next) => {
    readBody(req as Request, res as Response, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      const body = (req as IncomingMessage & { body?: unknown }).body;
      deps.ingest.handle(Buffer.isBuffer(body) ? body : NO_BODY, req.headers).then((answer) => {
        // One of two fixed answers, written as is (no ETag: nobody caches the answer to a POST).
        res.writeHead(answer.status, JSON_TYPE).end(answer.body.duplicate ? DUPLICATE_BODY : RECEIVED_BODY);
      }, next);
    });
  };
}

/**
 * `POST /webhooks/polar` (under `/api`) as an Express router, around the same listener; errors go to the
 * router's problem handler.
 */
export function webhooksRouter(
  deps: { ingest: Pick<WebhookIngest, 'handle'> } | { listener: WebhookListener },
): Router {
  const listener = 'listener' in deps ? deps.listener : webhookListener(deps);
  const router = Router();
  router.post(WEBHOOK_ROUTE, (req, res, next) => listener(req, res, next));
  return router;
}
