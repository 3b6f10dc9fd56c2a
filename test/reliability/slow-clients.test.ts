/**
 * Slow and oversized requests against `polar-kit start`: hundreds of connections that trickle their headers or
 * body, bodies far over the limits, huge headers and broken HTTP are refused or timed out, while other clients
 * keep getting quick answers.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startKitProcess, stopKitProcess } from '../helpers/kit-process.js';
import type { KitProcess } from '../helpers/kit-process.js';
import { recordFigures } from './figures.js';
import { tempDir } from './helpers.js';

const SLOW_HEADERS = 150;
const SLOW_BODIES = 50;
const TRICKLE_MS = 2_000;

const temp = tempDir('polar-kit-slow-');
let kit: KitProcess;
let port: number;
beforeAll(async () => {
  port = await freePort();
  kit = await startKitProcess(temp.dir, {
    PORT: String(port),
    POLAR_EMULATOR_PORT: String(await freePort()),
    KIT_ADMIN_TOKEN: 'slow-admin-token-0123456789abcdef',
  });
});
afterAll(async () => {
  if (kit) await stopKitProcess(kit);
  temp.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection that writes `head` and then one more byte of `trickle` every TRICKLE_MS, forever. */
function trickler(head: string, trickle: string) {
  const socket = net.connect(port, '127.0.0.1');
  const state = { closedAt: null as number | null, answer: '' };
  let i = 0;
  socket.on('connect', () => socket.write(head));
  socket.on('data', (chunk: Buffer) => (state.answer += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(trickle[i++ % trickle.length]!);
  }, TRICKLE_MS);
  socket.on('close', () => {
    clearInterval(timer);
    state.closedAt = Date.now();
  });
  return { socket, state, stop: () => (clearInterval(timer), socket.destroy()) };
}

/** Sends raw bytes on a fresh connection and returns whatever the server answers before closing (or `wait` ms). */
function raw(bytes: Buffer | string, wait = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    const timer = setTimeout(() => (socket.destroy(), resolve(answer)), wait);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => (clearTimeout(timer), resolve(answer)));
  });
}

/**
 * Streams up to `total` bytes of body after `head` (in 64 KiB chunks of chunked encoding when `chunked`);
 * resolves with the answer and how long it took to come.
 */
function flood(
  head: string,
  total: number,
  chunked = false,
): Promise<{ answer: string; sent: number; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let done = false;
    const data = Buffer.alloc(64 * 1024, 0x61);
    const chunk = chunked ? Buffer.concat([Buffer.from('10000\r\n'), data, Buffer.from('\r\n')]) : data;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ answer, sent, ms: Date.now() - started });
    };
    const pump = () => {
      while (!done && !answer && sent < total) {
        sent += data.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      if (!done && sent >= total && chunked) socket.write('0\r\n\r\n');
    };
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      if (answer.includes('\r\n\r\n') && /\}\s*$|content-length: 0/i.test(answer)) setTimeout(finish, 50);
    });
    socket.on('error', finish);
    socket.on('close', finish);
    setTimeout(finish, 20_000);
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

describe('slow and oversized requests', () => {
  it('refuses or times them out without starving other clients', async () => {
    const base = `http://127.0.0.1:${port}`;
    const slowHeaders = Array.from({ length: SLOW_HEADERS }, () =>
      trickler('GET /api/products HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'abcdefghij'),
    );
    const slowBodies = Array.from({ length: SLOW_BODIES }, () =>
      trickler(
        'POST /api/checkout HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"product_id":"',
        'aaaaaaaaaa',
      ),
    );
    const slowWebhooks = Array.from({ length: SLOW_BODIES }, () =>
      trickler(
        'POST /api/webhooks/polar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"type":"',
        'aaaaaaaaaa',
      ),
    );
    const slow = [...slowHeaders, ...slowBodies, ...slowWebhooks];
    const slowStarted = Date.now();
    await sleep(500);

    // Other clients, while the slow ones hold their connections.
    const latencies: number[] = [];
    const statuses: Record<number, number> = {};
    for (let i = 0; i < 100; i++) {
      const started = performance.now();
      const response = await fetch(`${base}${i % 2 ? '/api/health' : '/api/products'}`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
    latencies.sort((a, b) => a - b);

    // Bodies over the limits are refused early, not read to the end.
    const bigCheckout = await flood(
      'POST /api/checkout HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n',
      50 * 2 ** 20,
    );
    const bigWebhook = await flood(
      'POST /api/webhooks/polar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n',
      50 * 2 ** 20,
    );
    const chunkedWebhook = await flood(
      'POST /api/webhooks/polar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      20 * 2 ** 20,
      true,
    );
    // Headers over Node's limit, and broken HTTP.
    const hugeHeader = await raw(
      `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    const brokenLine = await raw('GET /api/health HTTP/9.9 nonsense\r\n\r\n');
    const badHeader = await raw('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad\u0001: yes\r\n\r\n');
    const smuggle = await raw(
      'POST /api/checkout HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );

    // The server closes the slow connections itself (headers timeout 15 s, request timeout 30 s, checked
    // every 30 s by Node).
    const deadline = Date.now() + 75_000;
    while (Date.now() < deadline && slow.some((s) => s.state.closedAt === null)) await sleep(250);
    const stillOpen = slow.filter((s) => s.state.closedAt === null).length;
    const closedAfter = slow.map((s) => (s.state.closedAt ?? Date.now()) - slowStarted).sort((a, b) => a - b);
    for (const s of slow) s.stop();
    const healthAfter = await fetch(`${base}/api/health`);

    recordFigures('slow-clients', {
      slowConnections: slow.length,
      slowClosedByServer: slow.length - stillOpen,
      slowClosedAfterMs: { min: closedAfter[0], max: closedAfter[closedAfter.length - 1] },
      slowAnswers: Object.fromEntries(
        Object.entries(
          slow.reduce<Record<string, number>>((acc, s) => {
            const key = String(statusOf(s.state.answer) || 'closed without answer');
            acc[key] = (acc[key] ?? 0) + 1;
            return acc;
          }, {}),
        ),
      ),
      otherClients: {
        requests: latencies.length,
        statuses,
        p50Ms: latencies[49],
        maxMs: latencies[latencies.length - 1],
      },
      oversized: {
        checkout50MB: {
          status: statusOf(bigCheckout.answer),
          bytesWrittenByClient: bigCheckout.sent,
          ms: bigCheckout.ms,
        },
        webhook50MB: {
          status: statusOf(bigWebhook.answer),
          bytesWrittenByClient: bigWebhook.sent,
          ms: bigWebhook.ms,
        },
        webhookChunked20MB: {
          status: statusOf(chunkedWebhook.answer),
          bytesWrittenByClient: chunkedWebhook.sent,
          ms: chunkedWebhook.ms,
        },
      },
      hugeHeader: statusOf(hugeHeader),
      brokenRequestLine: statusOf(brokenLine),
      controlCharInHeaderName: statusOf(badHeader),
      contentLengthWithChunked: statusOf(smuggle),
      healthAfter: healthAfter.status,
    });

    expect(statuses).toEqual({ 200: 100 });
    expect(latencies[latencies.length - 1]).toBeLessThan(1_000);
    expect(statusOf(bigCheckout.answer)).toBe(413);
    expect(bigCheckout.answer).toMatch(/application\/problem\+json/i);
    // Refused on the declared length, long before 50 MB could have been read.
    expect(bigCheckout.ms).toBeLessThan(3_000);
    expect(statusOf(bigWebhook.answer)).toBe(413);
    expect(bigWebhook.ms).toBeLessThan(3_000);
    // Without a declared length: refused, once the body ends (the parser drains what is over the limit rather
    // than cutting the connection; an endless body runs into the 30 s request timeout like the slow ones).
    expect(statusOf(chunkedWebhook.answer)).toBe(413);
    expect(chunkedWebhook.answer).toMatch(/application\/problem\+json/i);
    expect(statusOf(hugeHeader)).toBe(431);
    expect(statusOf(brokenLine)).toBe(400);
    expect(statusOf(badHeader)).toBe(400);
    expect(statusOf(smuggle)).toBe(400);
    expect(stillOpen).toBe(0);
    for (const s of slow)
      expect(
        statusOf(s.state.answer) === 0 ||
          statusOf(s.state.answer) === 408 ||
          statusOf(s.state.answer) === 400,
      ).toBe(true);
    expect(healthAfter.status).toBe(200);
  }, 150_000);
});
