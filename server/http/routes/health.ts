import { Router } from 'express';
import type { HealthResponse } from '../../../contract/contract.js';

export type HealthDeps = {
  version: string;
  /** Which Polar the kit talks to: the local emulator, Polar's sandbox, or production. */
  mode?: HealthResponse['mode'];
  /** Throws when the database cannot answer. */
  checkDatabase(): void;
  /** Resolves when Polar answers; rejects otherwise. */
  pingPolar(): Promise<void>;
  /** How long a Polar probe result is reused, so health checks never hammer Polar. @default 15_000 */
  polarProbeTtlMs?: number;
  now?: () => number;
};

/**
 * `GET /health`: `{status, polar, database, version}`. 200 when the database answers (Polar being
 * unreachable only degrades the status: the kit still records webhooks and serves cached products);
 * 503 when the database does not.
 */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  const ttl = deps.polarProbeTtlMs ?? 15_000;
  const now = deps.now ?? Date.now;
  let probe: { at: number; result: Promise<boolean> } | null = null;

  const polarReachable = (): Promise<boolean> => {
    if (probe === null || now() - probe.at >= ttl) {
      probe = {
        at: now(),
        result: deps.pingPolar().then(
          () => true,
          () => false,
        ),
      };
    }
    return probe.result;
  };

  router.get('/health', async (_req, res) => {
    let database: HealthResponse['database'] = 'ok';
    try {
      deps.checkDatabase();
    } catch {
      database = 'error';
    }
    const polar: HealthResponse['polar'] = (await polarReachable()) ? 'ok' : 'unreachable';
    const body: HealthResponse = {
      status: database === 'ok' && polar === 'ok' ? 'ok' : 'degraded',
      polar,
      database,
      version: deps.version,
      ...(deps.mode ? { mode: deps.mode } : {}),
    };
    res.setHeader('Cache-Control', 'no-store');
    res.status(database === 'ok' ? 200 : 503).json(body);
  });
  return router;
}
