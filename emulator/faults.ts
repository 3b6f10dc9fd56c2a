/**
 * Fault switches: make the next N requests to a path answer 5xx, 429 with `Retry-After`, or hang until the
 * client gives up, so a client's failure handling can be tested against the real HTTP path, without mocks.
 */
import type { RequestHandler } from 'express';
import type { Socket } from 'node:net';

export type FaultInput = {
  /** Path prefix the fault applies to, e.g. `/v1/checkouts`. */
  path: string;
  /** Only this HTTP method (any when omitted). */
  method?: string;
  /** Status to answer (500-599, or 429). Default 500 unless `hang`. */
  status?: number;
  /** Seconds sent in `Retry-After` (429 answers; default 1). */
  retry_after?: number;
  /** Never answer: the request hangs until the client times out or the emulator closes. */
  hang?: boolean;
  /** How many matching requests are affected. Default 1. */
  count?: number;
};

export type Fault = Required<Pick<FaultInput, 'path' | 'count'>> & {
  id: number;
  method: string | null;
  status: number | null;
  retry_after: number | null;
  hang: boolean;
  hits: number;
};

export type FaultSwitches = {
  add(input: FaultInput): Fault;
  list(): Fault[];
  clear(): void;
  middleware: RequestHandler;
  /** Destroys the sockets of hanging requests (on close). */
  releaseHanging(): void;
};

export type FaultSwitchOptions = {
  /** Paths no fault ever applies to (the fault switches' own routes). */
  exempt: (path: string) => boolean;
  /**
   * Long-lived responses (the checkout event stream): a fault applies to them only when its own path names
   * one, so a broader fault meant for the next N API calls is not used up by a page that is merely listening.
   * @default none
   */
  longLived?: (path: string) => boolean;
};

export function createFaultSwitches(options: FaultSwitchOptions): FaultSwitches {
  let faults: Fault[] = [];
  let nextId = 1;
  const hanging = new Set<Socket>();

  return {
    add(input) {
      const fault: Fault = {
        id: nextId++,
        path: input.path,
        method: input.method ? input.method.toUpperCase() : null,
        status: input.hang ? null : (input.status ?? 500),
        retry_after: input.status === 429 ? (input.retry_after ?? 1) : (input.retry_after ?? null),
        hang: input.hang ?? false,
        count: input.count ?? 1,
        hits: 0,
      };
      faults.push(fault);
      return fault;
    },
    list: () => faults.map((f) => ({ ...f })),
    clear() {
      faults = [];
    },
    middleware(req, res, next) {
      if (options.exempt(req.path)) return next();
      const longLived = options.longLived?.(req.path) ?? false;
      const fault = faults.find(
        (f) =>
          f.hits < f.count &&
          req.path.startsWith(f.path) &&
          (f.method === null || f.method === req.method) &&
          (!longLived || options.longLived!(f.path)),
      );
      if (!fault) return next();
      fault.hits += 1;
      faults = faults.filter((f) => f.hits < f.count);
      if (fault.hang) {
        const socket = req.socket;
        hanging.add(socket);
        socket.once('close', () => hanging.delete(socket));
        return;
      }
      const status = fault.status ?? 500;
      if (fault.retry_after !== null) res.set('Retry-After', String(fault.retry_after));
      if (status === 429) {
        res.status(429).json({ error: 'TooManyRequests', detail: 'Rate limit exceeded. Retry later.' });
      } else {
        res.status(status).json({ error: 'InternalServerError', detail: `Injected fault: ${status}.` });
      }
    },
    releaseHanging() {
      for (const socket of hanging) socket.destroy();
      hanging.clear();
    },
  };
}
