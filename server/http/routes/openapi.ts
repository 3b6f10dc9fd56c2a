import { Router } from 'express';
import { z } from 'zod';
import { ERROR_CODES } from '../../../contract/errors.js';
import type { ErrorCode } from '../../../contract/errors.js';

/**
 * One route of the kit's API as the OpenAPI document describes it. Routes that validate with zod hand the
 * very schemas they parse with to their `RouteDoc`, so the document cannot drift from what they accept.
 */
export type RouteDoc = {
  method: 'get' | 'post';
  /** The Express path under the API root, `:name` for path parameters (e.g. `/webhook-events/:webhook_id/replay`). */
  path: string;
  summary: string;
  tag: string;
  /** Needs `Authorization: Bearer <KIT_ADMIN_TOKEN>`. */
  admin?: boolean;
  /** Public and CORS-enabled for the allowed origins. */
  browser?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Extra request headers the route reads. */
  headers?: Array<{ name: string; description: string }>;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** Problem codes the route answers with (besides the ones every route may answer). */
  problems: ErrorCode[];
};

/** Problems any route can answer: a malformed body, an oversized body, an internal failure. */
const COMMON_PROBLEMS: ErrorCode[] = ['INTERNAL'];
const BODY_PROBLEMS: ErrorCode[] = [
  'INVALID_JSON',
  'VALIDATION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
];

const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  errors: z
    .array(z.object({ path: z.string(), code: z.string(), message: z.string().optional() }))
    .optional(),
});

/**
 * Builds the OpenAPI 3.1 document of the given routes; JSON Schemas come from the zod schemas with
 * `z.toJSONSchema` (draft 2020-12, which OpenAPI 3.1 uses).
 */
export function createOpenApiDocument(
  routes: readonly RouteDoc[],
  info: { version: string; serverUrl?: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `/api${route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
    const parameters = [
      ...objectParameters(route.params, 'path'),
      ...objectParameters(route.query, 'query'),
      ...(route.headers ?? []).map((header) => ({
        name: header.name,
        in: 'header',
        required: false,
        description: header.description,
        schema: { type: 'string' },
      })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema
          ? {
              content: {
                [response.contentType ?? 'application/json']: {
                  schema: jsonSchema(response.schema, 'output'),
                },
              },
            }
          : {}),
      };
    }
    const problems = new Set<ErrorCode>([
      ...route.problems,
      ...(route.body ? BODY_PROBLEMS : []),
      ...(route.admin ? (['UNAUTHORIZED'] as ErrorCode[]) : []),
      ...COMMON_PROBLEMS,
    ]);
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of problems) {
      const status = ERROR_CODES[code].status;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      if (responses[status] !== undefined) continue;
      responses[status] = {
        description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code].title}`).join('; '),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      summary: route.summary,
      tags: [route.tag],
      operationId: operationId(route),
      ...(route.admin ? { security: [{ adminToken: [] }] } : { security: [] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses,
      'x-problem-codes': [...problems],
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'polar-checkout-kit API',
      version: info.version,
      description:
        'The backend kit of polar-checkout-kit: checkout, webhooks, access, portal, license keys, usage billing and reporting. ' +
        'Every error is an RFC 9457 problem (application/problem+json) with a stable `code`.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Problem: jsonSchema(ProblemSchema, 'output') },
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'KIT_ADMIN_TOKEN' },
      },
    },
  };
}

/** `GET /openapi.json` (public): the document of `routes()`, built once on first request. */
export function openapiRouter(deps: { routes: () => readonly RouteDoc[]; version: string }): Router {
  const router = Router();
  let document: string | null = null;
  router.get('/openapi.json', (_req, res) => {
    document ??= JSON.stringify(createOpenApiDocument(deps.routes(), { version: deps.version }));
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(document);
  });
  return router;
}

/** The document's own entry. */
export const openapiRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    tag: 'meta',
    browser: true,
    responses: {
      200: { description: 'The OpenAPI document', schema: z.looseObject({ openapi: z.string() }) },
    },
    problems: [],
  },
];

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const result = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  delete result.$schema;
  return result;
}

function objectParameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function operationId(route: RouteDoc): string {
  const words = route.path
    .split('/')
    .filter((part) => part.length > 0)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part.replace(/\.json$/, '')))
    .join('-')
    .split(/[-_]/);
  return [route.method, ...words]
    .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('');
}
