/**
 * `TRUST_PROXY`: parsed and checked with the other variables, handed to Express's `trust proxy`, and so
 * deciding whose address the per-IP checkout limit counts: the `X-Forwarded-For` client behind a trusted
 * proxy, the socket address otherwise.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';
import { createApp } from '../../server/http/app.js';
import type { AppOptions } from '../../server/http/app.js';
import { createSilentLogger } from '../../server/logger.js';
import { startStandaloneKit } from '../helpers/standalone-kit.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.variable}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('TRUST_PROXY in loadConfig', () => {
  it('is off when unset, and takes true, a hop count or a list of addresses, subnets and names', () => {
    expect(loadConfig({}).proxy.trust).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '' }).proxy.trust).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).proxy.trust).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).proxy.trust).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).proxy.trust).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).proxy.trust).toBe(2);
    expect(
      loadConfig({ TRUST_PROXY: ' Loopback, 10.0.0.0/8 ,192.168.0.0/255.255.0.0,fd00::/8, 203.0.113.9' })
        .proxy.trust,
    ).toEqual(['loopback', '10.0.0.0/8', '192.168.0.0/255.255.0.0', 'fd00::/8', '203.0.113.9']);
  });

  it('names each bad entry, together with the other bad variables', () => {
    const issues = issuesOf({
      TRUST_PROXY: 'loopbak,10.0.0.0/33,10.0.0.1/255.0.255.0,::1/129,proxy.internal',
      PORT: 'eighty',
    });
    expect(issues.filter((i) => i.startsWith('PORT:'))).toHaveLength(1);
    const proxyIssues = issues.filter((i) => i.startsWith('TRUST_PROXY:'));
    for (const entry of ['loopbak', '10.0.0.0/33', '10.0.0.1/255.0.255.0', '::1/129', 'proxy.internal'])
      expect(proxyIssues.some((i) => i.includes(`"${entry}"`))).toBe(true);
    expect(proxyIssues).toHaveLength(5);
    expect(issuesOf({ TRUST_PROXY: ',' })[0]).toMatch(/^TRUST_PROXY: /);
  });
});

describe('createApp trustProxy', () => {
  async function clientIp(
    trustProxy: AppOptions['trustProxy'],
    forwardedFor: string | undefined,
  ): Promise<string> {
    const api = Router();
    api.get('/ip', (req, res) => {
      res.json({ ip: req.ip });
    });
    const server = createServer(
      createApp({ api, logger: createSilentLogger(), ...(trustProxy !== undefined ? { trustProxy } : {}) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/ip`, {
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      });
      return ((await response.json()) as { ip: string }).ip;
    } finally {
      server.close();
    }
  }

  it('takes the socket address unless told to trust the proxy that connects', async () => {
    expect(await clientIp(undefined, '198.51.100.7')).toMatch(/127\.0\.0\.1$/);
    expect(await clientIp(false, '198.51.100.7')).toMatch(/127\.0\.0\.1$/);
    expect(await clientIp(1, '203.0.113.5, 198.51.100.7')).toBe('198.51.100.7');
    expect(await clientIp(['loopback'], '203.0.113.5, 198.51.100.7')).toBe('198.51.100.7');
    expect(await clientIp(['10.0.0.0/8'], '198.51.100.7')).toMatch(/127\.0\.0\.1$/);
    expect(await clientIp(2, '203.0.113.5, 198.51.100.7')).toBe('203.0.113.5');
  });
});

describe('the standalone kit behind a proxy', () => {
  async function startKit(extra: Record<string, string>): Promise<string> {
    return (await startStandaloneKit(extra, cleanups)).url;
  }

  /** A checkout attempt (an empty body: refused after the limiter counted it); answers the status. */
  async function attempt(url: string, forwardedFor: string): Promise<number> {
    const response = await fetch(`${url}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: '{}',
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('with TRUST_PROXY=1 limits checkouts per X-Forwarded-For client, whatever the client prepends', async () => {
    const url = await startKit({ TRUST_PROXY: '1' });
    for (let i = 0; i < 60; i++) expect(await attempt(url, `10.9.9.${i}, 203.0.113.1`)).toBe(400);
    expect(await attempt(url, '203.0.113.1')).toBe(429);
    // Another client behind the same proxy has its own allowance.
    expect(await attempt(url, '203.0.113.2')).toBe(400);
  }, 60_000);

  it('without TRUST_PROXY counts the socket address, whatever X-Forwarded-For says', async () => {
    const url = await startKit({});
    for (let i = 0; i < 60; i++) expect(await attempt(url, `203.0.113.${i + 1}`)).toBe(400);
    expect(await attempt(url, '198.51.100.200')).toBe(429);
  }, 60_000);
});
