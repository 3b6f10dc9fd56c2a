import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKitListener } from '../../server/http/app.js';
import { createKit } from '../../server/index.js';
import type { Kit } from '../../server/index.js';
import { createLogger } from '../../server/logger.js';
import { generateWebhookSecret, signedDelivery, signWebhook } from '../helpers/sign-webhook.js';
import { polarOrder, webhookEvent } from '../helpers/polar-payloads.js';

const SECRET = generateWebhookSecret();
const lines: Array<Record<string, unknown>> = [];
let dir: string;
let kit: Kit;
const servers: Server[] = [];
let standaloneUrl: string;
let mountedUrl: string;

async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-dispatch-'));
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  kit = createKit({
    accessToken: 'polar_oat_test_token',
    webhookSecret: SECRET,
    server: 'local',
    apiUrl: 'http://127.0.0.1:9',
    databasePath: path.join(dir, 'kit.sqlite'),
    usageFlushing: false,
    logger,
  });
  standaloneUrl = await listen(createKitListener({ api: kit.router, webhooks: kit.webhookHandler, logger }));
  // The same kit's router in a host's Express app: the handler behind the dispatch, reached through Express.
  const host = express();
  host.use('/api', kit.router);
  mountedUrl = await listen(host);
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await kit.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (url: string, body: string | Buffer, headers: Record<string, string>, pathname = '') =>
  fetch(`${url}/api/webhooks/polar${pathname}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers,
  });

describe('the standalone listener (createKitListener)', () => {
  it('answers a delivery 202 after storing it, with its X-Request-Id and one request log line', async () => {
    const { body, headers } = signedDelivery(webhookEvent('order.paid', polarOrder()), SECRET, {
      id: 'msg_dispatch',
    });
    const res = await post(standaloneUrl, body, { ...headers, 'x-request-id': 'req-dispatch-1' });
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-request-id')).toBe('req-dispatch-1');
    expect(await res.json()).toEqual({ received: true });
    expect(kit.access('user_123')?.active).toBe(true);
    await expect
      .poll(() => lines.find((line) => line.requestId === 'req-dispatch-1'))
      .toMatchObject({
        msg: 'request',
        method: 'POST',
        path: '/api/webhooks/polar',
        status: 202,
      });

    const again = await post(standaloneUrl, body, headers);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await again.json()).toEqual({ received: true, duplicate: true });
  });

  it('serves other spellings of the path through the router, to the same handler', async () => {
    const { body, headers } = signedDelivery(webhookEvent('order.paid', polarOrder({ id: 'ord_q' })), SECRET);
    const res = await post(standaloneUrl, body, headers, '?source=polar');
    expect(res.status).toBe(202);
    expect((await post(standaloneUrl, body, headers, '/')).status).toBe(200);
  });

  const json = { 'content-type': 'application/json' };
  const signedNonEvent = () => {
    const body = '["not", "an", "event"]';
    return { body, headers: { ...json, ...signWebhook(body, SECRET) } };
  };
  const cases: Array<{
    name: string;
    status: number;
    code: string;
    request: () => { body: string | Buffer; headers: Record<string, string> };
  }> = [
    {
      name: 'a bad signature',
      status: 403,
      code: 'WEBHOOK_SIGNATURE_INVALID',
      request: () => ({ body: '{}', headers: { ...json, ...signWebhook('{"other":1}', SECRET) } }),
    },
    {
      name: 'no signature headers',
      status: 403,
      code: 'WEBHOOK_SIGNATURE_INVALID',
      request: () => ({ body: '{}', headers: json }),
    },
    {
      name: 'a signed body that is not an event',
      status: 400,
      code: 'WEBHOOK_PAYLOAD_INVALID',
      request: signedNonEvent,
    },
    {
      name: 'a body over 1 MB',
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      request: () => ({ body: Buffer.alloc(1024 * 1024 + 1, 'a'), headers: json }),
    },
    {
      name: 'a content encoding it cannot read',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      request: () => ({ body: '{}', headers: { ...json, 'content-encoding': 'compress' } }),
    },
  ];

  it.each(cases)(
    'answers $name with the problem the mounted router gives',
    async ({ status, code, request }) => {
      const { body, headers } = request();
      const withId = { ...headers, 'x-request-id': `req-${code}` };
      const [standalone, mounted] = await Promise.all([
        post(standaloneUrl, body, withId),
        post(mountedUrl, body, withId),
      ]);
      expect(standalone.status).toBe(status);
      expect(mounted.status).toBe(status);
      expect(standalone.headers.get('content-type')).toBe(mounted.headers.get('content-type'));
      expect(standalone.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(standalone.headers.get('x-request-id')).toBe(`req-${code}`);
      const problem = await standalone.json();
      expect(problem).toMatchObject({
        status,
        code,
        instance: '/api/webhooks/polar',
        requestId: `req-${code}`,
      });
      expect(problem).toEqual(await mounted.json());
    },
  );
});

describe('reading the body of a delivery', () => {
  const stored = (webhookId: string) => {
    const db = new Database(path.join(dir, 'kit.sqlite'), { readonly: true });
    try {
      return db.prepare(`SELECT count(*) AS n FROM webhook_events WHERE webhook_id = ?`).get(webhookId) as {
        n: number;
      };
    } finally {
      db.close();
    }
  };

  /** Sends a raw HTTP/1.1 request in `pieces`, resolving with the status line's code (or null if none came). */
  function sendInPieces(url: string, head: string, pieces: Buffer[], end: 'wait' | 'close') {
    const { hostname, port } = new URL(url);
    return new Promise<number | null>((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (answer.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(Number(answer.split(' ')[1]));
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(null));
      socket.once('connect', async () => {
        socket.write(head);
        for (const piece of pieces) {
          socket.write(piece);
          await new Promise((r) => setTimeout(r, 20));
        }
        if (end === 'close') socket.destroy();
      });
    });
  }

  const head = (body: Buffer, headers: Record<string, string>, length = body.length) =>
    `POST /api/webhooks/polar HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${length}\r\n` +
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    '\r\n';

  /** A signed `order.paid` delivery with webhook-id `id`. */
  const delivery = (id: string) => {
    const { body, headers } = signedDelivery(
      webhookEvent('order.paid', polarOrder({ id: `ord_${id}` })),
      SECRET,
      {
        id,
      },
    );
    return { body, bytes: Buffer.from(body), headers };
  };

  it('reads a delivery that arrives in several pieces as one body', async () => {
    const { bytes, headers } = delivery('msg_pieces');
    const third = Math.ceil(bytes.length / 3);
    const pieces = [bytes.subarray(0, third), bytes.subarray(third, 2 * third), bytes.subarray(2 * third)];
    expect(await sendInPieces(standaloneUrl, head(bytes, headers), pieces, 'wait')).toBe(202);
    expect(stored('msg_pieces').n).toBe(1);
  });

  it('stores nothing from a delivery cut off before its Content-Length, and goes on serving', async () => {
    const { body, bytes, headers } = delivery('msg_cut');
    const half = bytes.subarray(0, bytes.length >> 1);
    expect(await sendInPieces(standaloneUrl, head(bytes, headers), [half], 'close')).toBeNull();
    await new Promise((r) => setTimeout(r, 100));
    expect(stored('msg_cut').n).toBe(0);
    expect((await post(standaloneUrl, body, headers)).status).toBe(202);
    expect(stored('msg_cut').n).toBe(1);
  });

  it('inflates a gzip-encoded delivery and checks the signature over the inflated bytes, both ways', async () => {
    for (const [url, id] of [
      [standaloneUrl, 'msg_gzip_standalone'],
      [mountedUrl, 'msg_gzip_mounted'],
    ] as const) {
      const { body, headers } = signedDelivery(
        webhookEvent('order.paid', polarOrder({ id: `ord_${id}` })),
        SECRET,
        {
          id,
        },
      );
      const res = await post(url, gzipSync(body), { ...headers, 'content-encoding': 'gzip' });
      expect(res.status).toBe(202);
      expect(stored(id).n).toBe(1);
    }
  });
});
