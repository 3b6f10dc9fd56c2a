import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_CODES } from '../../contract/errors.js';
import { API } from '../../contract/contract.js';
import { startTestKit } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

type Operation = {
  parameters?: Array<{ name: string; in: string; required: boolean; schema: object }>;
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>;
  security: unknown[];
  'x-problem-codes': string[];
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
};

let t: TestKit;
let doc: Document;
beforeAll(async () => {
  t = await startTestKit({ kit: { usageFlushing: false } });
  const response = await t.fetch('/api/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  doc = (await response.json()) as Document;
});
afterAll(async () => {
  await t.close();
});

/** Every `METHOD /api/path` the kit's router answers, read from Express's own route table. */
function servedRoutes(router: unknown, prefix = '/api'): string[] {
  const stack = (router as { stack?: unknown[] }).stack ?? [];
  return stack.flatMap((layer) => {
    const { route, handle } = layer as {
      route?: { path: string; methods: Record<string, boolean> };
      handle?: unknown;
    };
    if (route) {
      return Object.keys(route.methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method.toUpperCase()} ${prefix}${route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    }
    return handle && (handle as { stack?: unknown }).stack ? servedRoutes(handle, prefix) : [];
  });
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

function operation(method: string, path: string): Operation {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`${method} ${path} is not documented`);
  return op;
}

/** A validator built from the document's JSON Schema (not from the kit's zod schemas). */
function bodySchema(method: string, path: string): z.ZodType {
  const schema = operation(method, path).requestBody?.content['application/json']?.schema;
  if (!schema) throw new Error(`${method} ${path} documents no JSON body`);
  return z.fromJSONSchema(schema as never);
}

function querySchema(method: string, path: string): z.ZodType {
  const parameters = (operation(method, path).parameters ?? []).filter((p) => p.in === 'query');
  return z.fromJSONSchema({
    type: 'object',
    properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema])),
    required: parameters.filter((p) => p.required).map((p) => p.name),
    additionalProperties: false,
  } as never);
}

function responseSchema(method: string, path: string, status: number): z.ZodType {
  const schema = operation(method, path).responses[String(status)]?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`${method} ${path} documents no ${status} JSON answer`);
  return z.fromJSONSchema(schema as never);
}

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document of exactly the routes the kit serves', () => {
    expect(doc.openapi).toBe('3.1.0');
    const served = [...new Set(servedRoutes(t.kit.router))].sort();
    expect(served.length).toBeGreaterThanOrEqual(17);
    expect(documentedRoutes().sort()).toEqual(served);
  });

  it("covers every route of the contract's API table", () => {
    const documented = Object.keys(doc.paths);
    for (const path of Object.values(API)) {
      expect(documented).toContain(path.replace(/:([A-Za-z_]+)/g, '{$1}'));
    }
  });

  it('gives each route its answers, its problem responses and its security', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const where = `${method} ${path}`;
        expect(
          Object.keys(op.responses).some((status) => status.startsWith('2')),
          where,
        ).toBe(true);
        for (const code of op['x-problem-codes']) {
          const status = String(ERROR_CODES[code as keyof typeof ERROR_CODES].status);
          expect(op.responses[status], `${where} ${code}`).toBeDefined();
        }
        expect(op['x-problem-codes']).toContain('INTERNAL');
        if (op.requestBody) expect(op['x-problem-codes']).toContain('VALIDATION_FAILED');
        const admin = op.security.length > 0;
        expect(admin, where).toBe(op['x-problem-codes'].includes('UNAUTHORIZED'));
      }
    }
    expect(operation('get', '/api/stats').security).toEqual([{ adminToken: [] }]);
    expect(operation('post', '/api/license-keys/validate').security).toEqual([]);
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it('accepts the requests the tests send and refuses what the routes refuse', () => {
    const accepted: Array<[string, string, unknown]> = [
      [
        'post',
        '/api/checkout',
        { product_id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04', email: 'a@example.com' },
      ],
      ['post', '/api/portal', { checkout_id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04' }],
      ['post', '/api/portal', { customer_key: 'alice@example.com' }],
      ['post', '/api/license-keys/validate', { key: 'POLARKIT-1', activation_id: 'a' }],
      ['post', '/api/license-keys/activate', { key: 'POLARKIT-1', label: 'laptop' }],
      ['post', '/api/license-keys/deactivate', { key: 'POLARKIT-1', activation_id: 'a' }],
      [
        'post',
        '/api/usage',
        {
          events: [
            {
              name: 'api_call',
              external_customer_id: 'user_1',
              external_id: 'evt_1',
              metadata: { tokens: 3 },
            },
          ],
        },
      ],
    ];
    for (const [method, path, body] of accepted) {
      expect(bodySchema(method, path).safeParse(body).success, `${method} ${path}`).toBe(true);
    }
    const refused: Array<[string, string, unknown]> = [
      ['post', '/api/checkout', { product_id: 'not-a-uuid' }],
      [
        'post',
        '/api/checkout',
        { product_id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04', external_customer_id: 'x' },
      ],
      ['post', '/api/portal', { email: 'a@example.com' }],
      ['post', '/api/license-keys/activate', { key: 'POLARKIT-1' }],
      ['post', '/api/usage', { events: [] }],
    ];
    for (const [method, path, body] of refused) {
      expect(bodySchema(method, path).safeParse(body).success, `${method} ${path}`).toBe(false);
    }
    expect(
      querySchema('get', '/api/stats').safeParse({ from: '2026-01-01', to: '2026-02-01T00:00:00Z' }).success,
    ).toBe(true);
    expect(querySchema('get', '/api/stats').safeParse({ since: '2026-01-01' }).success).toBe(false);
    expect(querySchema('get', '/api/webhook-events').safeParse({ status: 'failed', limit: 10 }).success).toBe(
      true,
    );
    expect(querySchema('get', '/api/webhook-events').safeParse({ status: 'lost' }).success).toBe(false);
  });

  it("describes the kit's real answers", async () => {
    const answers: Array<[string, string, Promise<Response>]> = [
      ['get', '/api/health', t.fetch('/api/health')],
      ['get', '/api/products', t.fetch('/api/products')],
      ['get', '/api/usage/outbox', t.admin('/api/usage/outbox')],
      ['get', '/api/webhook-events', t.admin('/api/webhook-events?limit=5')],
      ['get', '/api/stats', t.admin('/api/stats?from=2026-01-01')],
      ['get', '/api/openapi.json', t.fetch('/api/openapi.json')],
    ];
    for (const [method, path, pending] of answers) {
      const response = await pending;
      expect(response.status, path).toBe(200);
      const result = responseSchema(method, path, 200).safeParse(await response.json());
      expect(result.success, `${path}: ${result.error?.message ?? ''}`).toBe(true);
    }
    const usage = await t.admin('/api/usage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ name: 'api_call', external_customer_id: 'u1' }] }),
    });
    expect(usage.status).toBe(202);
    expect(responseSchema('post', '/api/usage', 202).safeParse(await usage.json()).success).toBe(true);
  });
});
