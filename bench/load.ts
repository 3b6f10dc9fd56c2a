/** Load generation with autocannon, in the bench runner's process (every server under test runs in its own). */
import autocannon from 'autocannon';
import type { RawRequest, Result } from 'autocannon';
import { deliveryBody, keyOf, signHeaders } from './payloads.js';
import type { Scheme } from './payloads.js';

export type LoadFigures = {
  /** Answers per second over the whole run (2xx only). */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
};

function figures(result: Result): LoadFigures {
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds: result.duration,
  };
}

let runCounter = 0;

/**
 * Sends freshly signed, distinct webhook deliveries for `seconds` over `connections` keep-alive connections.
 * Returns the figures and the `webhook-id` prefix of the run (ids are `<prefix>_<n>`).
 */
export async function webhookLoad(options: {
  url: string;
  secret: string;
  scheme: Scheme;
  connections: number;
  seconds: number;
}): Promise<LoadFigures & { sent: number; prefix: string }> {
  runCounter++;
  const prefix = `${process.pid.toString(16).padStart(8, '0').slice(-8)}-${runCounter.toString(16).padStart(4, '0')}`;
  const key = keyOf(options.secret, options.scheme);
  let n = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/api/webhooks/polar',
        setupRequest: (request: RawRequest) => {
          const i = n++;
          const body = deliveryBody(prefix, i);
          return {
            ...request,
            method: 'POST',
            path: '/api/webhooks/polar',
            body,
            headers: signHeaders(key, `msg_${prefix}_${i}`, body),
          };
        },
      },
    ],
  });
  return { ...figures(result), sent: n, prefix };
}

/** `GET` one path for `seconds`. */
export async function getLoad(options: {
  url: string;
  connections: number;
  seconds: number;
}): Promise<LoadFigures> {
  return figures(
    await autocannon({
      url: options.url,
      connections: options.connections,
      duration: options.seconds,
      timeout: 10,
    }),
  );
}
