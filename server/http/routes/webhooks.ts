import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { Router } from 'express';
import type { Request, Response } from 'express';
import type { WebhookReceipt } from '../../../contract/contract.js';
import type { WebhookIngest } from '../../webhooks/ingest.js';

const RECEIVED_BODY = JSON.stringify({ received: true } satisfies WebhookReceipt);
const DUPLICATE_BODY = JSON.stringify({ received: true, duplicate: true } satisfies WebhookReceipt);
const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };
const NO_BODY = Buffer.alloc(0);

/** The largest webhook body the kit reads, in bytes (1 MB); Polar's payloads are a few kilobytes. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

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
 * Reads the raw bytes (any content type, so the signature is checked on exactly what Polar signed) and hands them
 * to the ingest. The answer is written once the transaction that recorded the delivery has committed.
 *
 * A delivery as Polar sends it (a `Content-Length` within the limit, no `Content-Encoding` or
 * `Transfer-Encoding`, a body nobody has started reading) is read straight from the request: Node's parser
 * delivers exactly `Content-Length` bytes before `end`. Every other request goes through body-parser's raw
 * reader, which answers 413 for too large, 415 for an encoding it cannot read, 400 for a body cut short, and
 * inflates gzip, deflate and brotli. The direct read spares each delivery body-parser's checks and callbacks
 * (about 2 % of the kit's webhook throughput in `npm run bench`).
 */
export function webhookListener(deps: { ingest: Pick<WebhookIngest, 'handle'> }): WebhookListener {
  const readBody = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });
  const ingest = (
    req: IncomingMessage,
    res: ServerResponse,
    next: (error: unknown) => void,
    body: Buffer,
  ) => {
    deps.ingest.handle(body, req.headers).then((answer) => {
      // One of two fixed answers, written as is (no ETag: nobody caches the answer to a POST).
      res.writeHead(answer.status, JSON_TYPE).end(answer.body.duplicate ? DUPLICATE_BODY : RECEIVED_BODY);
    }, next);
  };
  return (req, res, next) => {
    if (isPlainDelivery(req)) {
      readPlainBody(req, (error, body) => (error ? next(error) : ingest(req, res, next, body)));
      return;
    }
    readBody(req as Request, res as Response, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      const body = (req as IncomingMessage & { body?: unknown }).body;
      ingest(req, res, next, Buffer.isBuffer(body) ? body : NO_BODY);
    });
  };
}

const DECIMAL = /^[0-9]{1,10}$/;

/** A body of a stated length within the limit, not encoded, not chunked, and not read by anyone yet. */
function isPlainDelivery(req: IncomingMessage): boolean {
  const { headers } = req;
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  if (length === undefined || !DECIMAL.test(length)) return false;
  const bytes = Number(length);
  return bytes > 0 && bytes <= WEBHOOK_BODY_LIMIT && req.readableFlowing === null && !req.readableEnded;
}

/** Collects the body; a request that ends early fails as body-parser fails it (400, `request.aborted`). */
function readPlainBody(req: IncomingMessage, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const onData = (chunk: Buffer) => chunks.push(chunk);
  const onEnd = () => {
    req.off('error', onError);
    done(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  };
  const onError = (cause: Error) => {
    req.off('data', onData).off('end', onEnd);
    done(
      Object.assign(new Error('request aborted', { cause }), { status: 400, type: 'request.aborted' }),
      NO_BODY,
    );
  };
  req.on('data', onData).once('end', onEnd).once('error', onError);
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
