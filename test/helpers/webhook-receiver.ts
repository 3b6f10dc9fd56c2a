/**
 * A real HTTP server on an ephemeral loopback port that records webhook deliveries byte for byte and answers
 * them the way a test tells it to.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it. `body` is the exact text received. */
export type ReceivedDelivery = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
};

/** What to answer; `delayMs` holds the answer back (to provoke timeouts). */
export type ReceiverAnswer = {
  status: number;
  body?: string;
  delayMs?: number;
  headers?: Record<string, string>;
};

export type WebhookReceiver = {
  url: string;
  received: ReceivedDelivery[];
  /** Replaces the answer policy; `index` counts every request received so far, from 0. */
  respondWith(fn: (delivery: ReceivedDelivery, index: number) => ReceiverAnswer): void;
  /** Resolves once `count` requests have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedDelivery[]>;
  close(): Promise<void>;
};

/** Starts a receiver answering 200 `{"ok":true}` until told otherwise. */
export async function startWebhookReceiver(path = '/webhooks/polar'): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let policy: (delivery: ReceivedDelivery, index: number) => ReceiverAnswer = () => ({
    status: 200,
    body: '{"ok":true}',
  });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value;
        else if (Array.isArray(value)) headers[name] = value.join(', ');
      }
      const delivery: ReceivedDelivery = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      const index = received.length;
      received.push(delivery);
      for (const w of waiters.filter((x) => received.length >= x.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const answer = policy(delivery, index);
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    respondWith(fn) {
      policy = fn;
    },
    waitFor(count, timeoutMs = 5_000) {
      if (received.length >= count) return Promise.resolve(received.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`expected ${count} deliveries within ${timeoutMs} ms, got ${received.length}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received.slice());
          },
        });
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
