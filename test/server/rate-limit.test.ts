/**
 * The kit's rate limiters answer RATE_LIMITED problems and write express-rate-limit's checks of the deployment
 * (an `X-Forwarded-For` header while `trust proxy` is off) to the kit's log, never to the console.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../server/http/app.js';
import type { AppOptions } from '../../server/http/app.js';
import { createRateLimit } from '../../server/http/rate-limit.js';
import { createLogger, createSilentLogger } from '../../server/logger.js';
import { startTestKit } from '../helpers/test-kit.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type LogLine = { level: number; msg: string; code?: string; help?: string };

function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });
  return { logger, lines };
}

/** Spies on the console's warnings and errors (silenced), so a test can assert nothing was printed. */
function watchConsole() {
  return {
    warn: vi.spyOn(console, 'warn').mockImplementation(() => undefined),
    error: vi.spyOn(console, 'error').mockImplementation(() => undefined),
  };
}

async function startLimitedApp(options: { limit?: number; trustProxy?: AppOptions['trustProxy'] } = {}) {
  const { logger, lines } = capturingLogger();
  const api = Router();
  api.get(
    '/limited',
    createRateLimit({ limit: options.limit ?? 100, detail: 'Slow down.', logger }),
    (_req, res) => {
      res.json({ ok: true });
    },
  );
  const server = createServer(
    createApp({
      api,
      logger: createSilentLogger(),
      ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/limited`;
  return { url, lines };
}

const WARN = 40;

describe('createRateLimit', () => {
  it('logs an X-Forwarded-For header seen while trust proxy is off once, as a warning of the kit', async () => {
    const printed = watchConsole();
    const { url, lines } = await startLimitedApp();
    for (let i = 0; i < 3; i++) {
      const response = await fetch(url, { headers: { 'x-forwarded-for': '198.51.100.7' } });
      expect(response.status).toBe(200);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: WARN, code: 'ERR_ERL_UNEXPECTED_X_FORWARDED_FOR' });
    expect(lines[0]!.msg).toMatch(/^rate limit: The 'X-Forwarded-For' header is set/);
    expect(lines[0]!.help).toMatch(/^https:\/\/express-rate-limit\.github\.io\//);
    expect(printed.warn).not.toHaveBeenCalled();
    expect(printed.error).not.toHaveBeenCalled();
  });

  it('says nothing about TRUST_PROXY=true, which the kit accepts on purpose', async () => {
    const printed = watchConsole();
    const { url, lines } = await startLimitedApp({ trustProxy: true });
    const response = await fetch(url, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(response.status).toBe(200);
    expect(lines).toEqual([]);
    expect(printed.warn).not.toHaveBeenCalled();
    expect(printed.error).not.toHaveBeenCalled();
  });

  it('answers RATE_LIMITED with Retry-After and the draft-7 headers once the limit is reached', async () => {
    const { url, lines } = await startLimitedApp({ limit: 2 });
    expect((await fetch(url)).status).toBe(200);
    const second = await fetch(url);
    expect(second.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect(second.headers.get('ratelimit')).toMatch(/^limit=2, remaining=0, reset=\d+$/);
    const third = await fetch(url);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('60');
    expect(third.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await third.json()).toMatchObject({ code: 'RATE_LIMITED', detail: 'Slow down.' });
    expect(lines).toEqual([]);
  });
});

describe("the kit's portal and license-key limits", () => {
  it('write their warnings to the kit logger, not the console', async () => {
    const printed = watchConsole();
    const { logger, lines } = capturingLogger();
    const t = await startTestKit({ kit: { logger } });
    cleanups.push(() => t.close());
    const headers = { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' };

    const portal = await t.fetch('/api/portal', { method: 'POST', headers, body: '{}' });
    expect(portal.status).toBeGreaterThanOrEqual(400);
    const validate = await t.fetch('/api/license-keys/validate', {
      method: 'POST',
      headers,
      body: JSON.stringify({ key: 'NO-SUCH-KEY' }),
    });
    expect(validate.status).toBe(404);

    const warnings = lines.filter((line) => line.code === 'ERR_ERL_UNEXPECTED_X_FORWARDED_FOR');
    // One from the portal's limiter and one from the license keys' per-IP limiter (the per-key one counts
    // by the key, so the client address is not its business).
    expect(warnings).toHaveLength(2);
    for (const warning of warnings) expect(warning.level).toBe(WARN);
    expect(printed.warn).not.toHaveBeenCalled();
    expect(printed.error).not.toHaveBeenCalled();
  });
});
