import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../contract/errors.js';
import { startTestKit } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';

let t: TestKit;
beforeAll(async () => {
  t = await startTestKit();
});
afterAll(async () => {
  await t.close();
});

type Case = {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  admin?: boolean;
  status?: number;
  code?: string;
};

const json = { 'content-type': 'application/json' };
const big = Buffer.alloc(2 * 1024 * 1024, 'a');

const CASES: Case[] = [
  // POST /api/checkout
  {
    name: 'invalid JSON',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: '{"product_id":',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'JSON with a trailing comma',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}",}`,
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'a JSON string',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: '"hello"',
    status: 400,
  },
  {
    name: 'a JSON array',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: '[]',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'null', method: 'POST', path: '/api/checkout', headers: json, body: 'null', status: 400 },
  { name: 'an empty body', method: 'POST', path: '/api/checkout', headers: json, body: '', status: 400 },
  { name: 'no body at all', method: 'POST', path: '/api/checkout', status: 400, code: 'VALIDATION_FAILED' },
  {
    name: 'a form body',
    method: 'POST',
    path: '/api/checkout',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `product_id=${MONTHLY}`,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'text/plain',
    method: 'POST',
    path: '/api/checkout',
    headers: { 'content-type': 'text/plain' },
    body: `{"product_id":"${MONTHLY}"}`,
    status: 415,
  },
  {
    name: 'a 2 MB body',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: Buffer.concat([Buffer.from('{"product_id":"'), big, Buffer.from('"}')]),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'product_id missing',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: '{}',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'product_id a number',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: '{"product_id":42}',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'product_id not a UUID',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: '{"product_id":"../../v1/orders"}',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'email not an email',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","email":"nope"}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'amount a string',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","amount":"100"}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'amount a float',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","amount":10.5}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'amount negative',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","amount":-1}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'nested metadata',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","metadata":{"a":{"b":1}}}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'null in metadata',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","metadata":{"a":null}}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: '51 metadata keys',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: JSON.stringify({
      product_id: MONTHLY,
      metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])),
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'an unknown field',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","price":1}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: '__proto__ pollution',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","__proto__":{"admin":true}}`,
    status: 400,
  },
  {
    name: 'success_url not a URL',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","success_url":"not a url"}`,
    status: 400,
    code: 'ORIGIN_NOT_ALLOWED',
  },
  {
    name: 'a javascript: success_url',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","success_url":"javascript:alert(1)"}`,
    status: 400,
    code: 'ORIGIN_NOT_ALLOWED',
  },
  {
    name: 'a foreign success_url',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","success_url":"https://evil.example/"}`,
    status: 400,
    code: 'ORIGIN_NOT_ALLOWED',
  },
  {
    name: 'a protocol-relative success_url',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","success_url":"//evil.example/"}`,
    status: 400,
    code: 'ORIGIN_NOT_ALLOWED',
  },
  {
    name: 'a lookalike loopback host',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","success_url":"http://localhost.evil.example/"}`,
    status: 400,
    code: 'ORIGIN_NOT_ALLOWED',
  },
  {
    name: '{CHECKOUT_ID} in the path',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","success_url":"http://localhost:3000/{CHECKOUT_ID}"}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a foreign embed_origin',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","embed_origin":"https://evil.example"}`,
    status: 400,
    code: 'ORIGIN_NOT_ALLOWED',
  },
  {
    name: 'an unknown product',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: '{"product_id":"00000000-0000-4000-8000-000000000000"}',
    status: 404,
    code: 'PRODUCT_NOT_FOUND',
  },
  {
    name: 'external_customer_id from the browser',
    method: 'POST',
    path: '/api/checkout',
    headers: json,
    body: `{"product_id":"${MONTHLY}","external_customer_id":"x"}`,
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'a bad Idempotency-Key',
    method: 'POST',
    path: '/api/checkout',
    headers: { ...json, 'idempotency-key': 'has spaces in it' },
    body: `{"product_id":"${MONTHLY}"}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a 300-character Idempotency-Key',
    method: 'POST',
    path: '/api/checkout',
    headers: { ...json, 'idempotency-key': 'k'.repeat(300) },
    body: `{"product_id":"${MONTHLY}"}`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  // GET /api/checkout/:id
  {
    name: 'an unknown checkout',
    path: '/api/checkout/00000000-0000-4000-8000-000000000000',
    status: 404,
    code: 'CHECKOUT_NOT_FOUND',
  },
  {
    name: 'a garbage checkout id',
    path: `/api/checkout/${'x'.repeat(5000)}`,
    status: 404,
    code: 'CHECKOUT_NOT_FOUND',
  },
  { name: 'an encoded slash in a checkout id', path: '/api/checkout/a%2Fb', status: 404 },
  { name: 'a malformed percent-encoding', path: '/api/checkout/%E0%A4%A', status: 400 },
  // admin
  { name: 'orders without a token', path: '/api/orders/a%40example.com', status: 401, code: 'UNAUTHORIZED' },
  { name: 'access without a token', path: '/api/customers/user_1/access', status: 401, code: 'UNAUTHORIZED' },
  {
    name: 'orders with a wrong token',
    path: '/api/orders/a%40example.com',
    headers: { authorization: 'Bearer nope' },
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'orders for a non-email',
    path: '/api/orders/not-an-email',
    admin: true,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'access for an unknown customer',
    path: '/api/customers/nobody/access',
    admin: true,
    status: 404,
    code: 'CUSTOMER_NOT_FOUND',
  },
  {
    name: 'access with a 1000-character key',
    path: `/api/customers/${'k'.repeat(1000)}/access`,
    admin: true,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  // webhooks
  {
    name: 'an unsigned webhook',
    method: 'POST',
    path: '/api/webhooks/polar',
    headers: json,
    body: '{"type":"order.paid","data":{}}',
    status: 403,
    code: 'WEBHOOK_SIGNATURE_INVALID',
  },
  {
    name: 'a webhook with garbage signature headers',
    method: 'POST',
    path: '/api/webhooks/polar',
    headers: { ...json, 'webhook-id': 'x', 'webhook-timestamp': 'yesterday', 'webhook-signature': 'v1,' },
    body: '{}',
    status: 403,
  },
  {
    name: 'a 2 MB webhook',
    method: 'POST',
    path: '/api/webhooks/polar',
    headers: json,
    body: big,
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  // routing
  { name: 'an unknown route', path: '/api/admin', status: 404, code: 'ROUTE_NOT_FOUND' },
  { name: 'a wrong method', method: 'DELETE', path: '/api/products', status: 404, code: 'ROUTE_NOT_FOUND' },
  { name: 'PUT on checkout', method: 'PUT', path: '/api/checkout', headers: json, body: '{}', status: 404 },
];

describe('bad input on every endpoint', () => {
  it.each(CASES)('$name → $status', async (c) => {
    const headers: Record<string, string> = { ...c.headers };
    if (c.admin) headers.authorization = `Bearer ${t.adminToken}`;
    const response = await t.fetch(c.path, {
      method: c.method ?? 'GET',
      headers,
      ...(c.body !== undefined ? { body: typeof c.body === 'string' ? c.body : new Uint8Array(c.body) } : {}),
    });
    const text = await response.text();
    expect(response.status, text).toBeGreaterThanOrEqual(400);
    expect(response.status, text).toBeLessThan(500);
    if (c.status !== undefined) expect(response.status, text).toBe(c.status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(text) as { code: string; status: number; title: string };
    expect(problem.code in ERROR_CODES).toBe(true);
    expect(problem.status).toBe(response.status);
    if (c.code !== undefined) expect(problem.code).toBe(c.code);
  });

  it('still answers normally afterwards', async () => {
    expect((await t.fetch('/api/health')).status).toBe(200);
  });
});
