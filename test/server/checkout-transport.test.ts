import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolarGateway } from '../../server/polar/gateway.js';
import { polarCheckout } from '../helpers/polar-payloads.js';

type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

/** A Polar stand-in on a loopback port: records each request and its connection, answers with `answer`. */
async function polarStandIn(answer: (seen: Seen) => { status: number; body?: unknown; headers?: object }) {
  const seen: Seen[] = [];
  let connections = 0;
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(request);
      const { status, body: json, headers } = answer(request);
      if (status === 0) return; // never answers
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, connections: () => connections };
}

describe('the checkout calls of the Polar gateway', () => {
  it("send the SDK's request and reuse one connection", async () => {
    const checkout = polarCheckout();
    const polar = await polarStandIn(() => ({ status: 201, body: checkout }));
    const gateway = createPolarGateway({
      accessToken: 'polar_oat_transport',
      server: 'local',
      baseUrl: polar.url,
      organizationId: 'org_1',
    });
    for (let i = 0; i < 3; i++) {
      const created = await gateway.createCheckout({
        productId: 'prod_1',
        successUrl: 'http://localhost:8000/ok?checkout_id={CHECKOUT_ID}',
        metadata: { n: i },
      });
      expect(created.id).toBe(checkout.id);
    }
    expect(polar.connections()).toBe(1);
    expect(polar.seen).toHaveLength(3);
    const first = polar.seen[0]!;
    expect(first).toMatchObject({ method: 'POST', url: '/v1/checkouts/' });
    expect(first.headers).toMatchObject({
      'content-type': 'application/json',
      'polar-version': '2026-10',
      authorization: 'Bearer polar_oat_transport',
      'polar-organization': 'org_1',
    });
    expect(JSON.parse(first.body)).toEqual({
      products: ['prod_1'],
      success_url: 'http://localhost:8000/ok?checkout_id={CHECKOUT_ID}',
      metadata: { n: 0 },
    });
    expect(await gateway.getCheckout(checkout.id as string)).toMatchObject({ id: checkout.id });
    expect(polar.seen[3]).toMatchObject({ method: 'GET', url: `/v1/checkouts/${checkout.id as string}` });
    expect(polar.connections()).toBe(1);
  });

  it("turns Polar's answers into the kit's codes as the SDK's own client does", async () => {
    const answers = [
      { status: 404, body: { detail: 'Not found' } },
      { status: 429, body: { detail: 'slow down' }, headers: { 'retry-after': '7' } },
      { status: 422, body: { detail: [{ loc: ['body', 'amount'], msg: 'too low', type: 'too_low' }] } },
      { status: 503, body: { detail: 'down' } },
    ];
    const polar = await polarStandIn(() => answers.shift()!);
    const gateway = createPolarGateway({ accessToken: 't', server: 'local', baseUrl: polar.url });
    const input = { productId: 'prod_1', successUrl: 'http://localhost:8000/ok' };
    expect(await gateway.getCheckout('missing')).toBeNull();
    await expect(gateway.createCheckout(input)).rejects.toMatchObject({
      code: 'POLAR_RATE_LIMITED',
      headers: { 'Retry-After': '7' },
    });
    await expect(gateway.createCheckout(input)).rejects.toMatchObject({
      code: 'POLAR_REJECTED',
      errors: [{ path: 'amount', code: 'too_low', message: 'too low' }],
    });
    await expect(gateway.createCheckout(input)).rejects.toMatchObject({ code: 'POLAR_UNAVAILABLE' });
  });

  it('gives up after the timeout with POLAR_UNAVAILABLE', async () => {
    const polar = await polarStandIn(() => ({ status: 0 }));
    const gateway = createPolarGateway({
      accessToken: 't',
      server: 'local',
      baseUrl: polar.url,
      timeoutSeconds: 0.2,
    });
    const started = Date.now();
    await expect(
      gateway.createCheckout({ productId: 'prod_1', successUrl: 'http://localhost:8000/ok' }),
    ).rejects.toMatchObject({ code: 'POLAR_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
