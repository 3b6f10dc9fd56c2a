import { existsSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import path from 'node:path';
import express from 'express';
import type { Express, Router } from 'express';
import helmet from 'helmet';
import type { TrustProxy } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { translateHttpErrors } from './http-errors.js';
import { notFound, problemHandler } from './problem-handler.js';
import { assignRequestId, requestId } from './request-id.js';
import { requestLog, requestLogger } from './request-log.js';
import { WEBHOOK_ROUTE } from './routes/webhooks.js';
import type { WebhookListener } from './routes/webhooks.js';

export type AppOptions = {
  /** The kit's API router (`createKit(...).router`), mounted at `/api`. */
  api: Router;
  logger: Logger;
  /** The folder holding `widget/` and `demo/` builds. Missing folders are simply not served. */
  distDir?: string;
  /** Origins the demo pages may frame (the checkout pages: Polar's or the emulator's). */
  frameOrigins?: readonly string[];
  /**
   * Express's `trust proxy` (`TRUST_PROXY`): which proxies' `X-Forwarded-For` names the client, for the
   * per-IP rate limits. Set it only when a proxy in front rewrites that header.
   * @default false (the socket address is the client)
   */
  trustProxy?: TrustProxy;
};

/**
 * Files whose names carry a content hash (`chunk-3fa9c1d2.js`, Vite's `index-BfA3x9_k.js`) never change, so
 * browsers may keep them. The hash segment has a digit or a capital, which words like `-checkout` do not.
 */
const HASHED_NAME = /[.-](?=[A-Za-z0-9_-]*[0-9A-Z])[A-Za-z0-9_-]{8,}\.(?:m?js|css|map|woff2?|svg|png|webp)$/;
/** The stable entry files embedders link to: always short-lived in caches. */
const ENTRY_NAMES = new Set(['polar-checkout.js', 'polar-checkout.mjs']);

/**
 * The standalone kit: helmet headers, the API under `/api`, the widget build under `/widget/` (loadable from
 * any site), the demo build at `/` when it exists, and problem responses for everything else.
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  const trust = options.trustProxy ?? false;
  // Express takes a list as an array; a copy, so the frozen config is never handed to it.
  app.set('trust proxy', typeof trust === 'object' ? [...trust] : trust);
  app.use(requestId);
  app.use(requestLog(options.logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'frame-src': [
            "'self'",
            'https://polar.sh',
            'https://sandbox.polar.sh',
            ...(options.frameOrigins ?? []),
          ],
          'img-src': ["'self'", 'data:', 'https:'],
        },
      },
    }),
  );
  app.use('/api', options.api);

  const distDir = options.distDir;
  const widgetDir = distDir === undefined ? null : path.join(distDir, 'widget');
  app.use('/widget', (_req, res, next) => {
    // Any site may load the widget script: that is its whole purpose.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    next();
  });
  if (widgetDir !== null && existsSync(widgetDir)) {
    app.use(
      '/widget',
      express.static(widgetDir, {
        index: false,
        fallthrough: true,
        setHeaders: (res, file) => {
          res.setHeader(
            'Cache-Control',
            HASHED_NAME.test(path.basename(file)) && !ENTRY_NAMES.has(path.basename(file))
              ? 'public, max-age=31536000, immutable'
              : 'public, max-age=300',
          );
        },
      }),
    );
  }
  const demoDir = distDir === undefined ? null : path.join(distDir, 'demo');
  if (demoDir !== null && existsSync(demoDir)) {
    app.use(
      express.static(demoDir, {
        setHeaders: (res, file) => {
          res.setHeader(
            'Cache-Control',
            HASHED_NAME.test(path.basename(file)) ? 'public, max-age=31536000, immutable' : 'no-cache',
          );
        },
      }),
    );
  }
  app.use(notFound);
  app.use(translateHttpErrors);
  app.use(problemHandler(options.logger));
  return app;
}

export type KitListenerOptions = AppOptions & {
  /** The kit's webhook handler (`createKit(...).webhookHandler`), the one its router mounts. */
  webhooks: WebhookListener;
};

const WEBHOOK_PATH = `/api${WEBHOOK_ROUTE}`;

/**
 * The standalone kit's request listener: {@link createApp}, except that `POST /api/webhooks/polar` goes
 * straight to the kit's webhook handler, ahead of the middleware that serves browsers (helmet, CORS, Express
 * routing): Polar is a server, and this is the route it calls most. The delivery still gets its
 * `X-Request-Id` and its log line, and its errors the same problem responses. Any other spelling of the path
 * (a query string, a trailing slash) takes the router's way to the same handler.
 */
export function createKitListener(options: KitListenerOptions): RequestListener {
  const app = createApp(options);
  const logRequest = requestLogger(options.logger);
  const respondWithProblem = problemResponder(options.logger);
  return (req, res) => {
    if (req.method === 'POST' && req.url === WEBHOOK_PATH) {
      assignRequestId(req, res);
      logRequest(req, res);
      options.webhooks(req, res, (error) => respondWithProblem(req, res, error));
      return;
    }
    void app(req, res);
  };
}

/**
 * Renders an error as the app's problem response: a small Express app whose only middleware passes the error
 * to the same `translateHttpErrors` and `problemHandler` the app uses, so the answer is the same as if the
 * request had gone through Express all along. Only failed deliveries take this way.
 */
function problemResponder(
  logger: Logger,
): (req: IncomingMessage, res: ServerResponse, error: unknown) => void {
  const errors = new WeakMap<IncomingMessage, unknown>();
  const app = express();
  app.disable('x-powered-by');
  app.use((req, _res, next) => next(errors.get(req) ?? new AppError('INTERNAL')));
  app.use(translateHttpErrors);
  app.use(problemHandler(logger));
  return (req, res, error) => {
    errors.set(req, error);
    void app(req, res);
  };
}
