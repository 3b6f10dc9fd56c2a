import { Router } from 'express';
import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { z } from 'zod';
import type { ErrorCode } from '../../../contract/errors.js';
import type { Logger } from '../../logger.js';
import type { LicenseKeyAction, PolarGateway } from '../../polar/gateway.js';
import { createRateLimit } from '../rate-limit.js';
import { parseBody } from '../validation.js';
import type { RouteDoc } from './openapi.js';

export type LicenseKeyDeps = {
  gateway: Pick<PolarGateway, 'licenseKey'>;
  /** Requests per client IP per minute, over all three actions. @default 60 */
  limitPerIpPerMinute?: number;
  /** Requests per license key per minute, from any address. @default 20 */
  limitPerKeyPerMinute?: number;
  /** Receives the rate limiters' configuration warnings. */
  logger: Logger;
};

const Key = z.string().trim().min(1).max(256).describe('The license key as the customer received it.');
const Conditions = z
  .record(z.string().min(1).max(40), z.union([z.string().max(500), z.number(), z.boolean()]))
  .optional()
  .describe('Must match the conditions the activation was made with.');

export const LicenseKeyValidateSchema = z.strictObject({
  key: Key,
  activation_id: z.string().min(1).max(256).optional(),
  benefit_id: z.string().min(1).max(256).optional(),
  customer_id: z.string().min(1).max(256).optional(),
  increment_usage: z.number().int().min(1).max(1_000_000).optional(),
  conditions: Conditions,
});

export const LicenseKeyActivateSchema = z.strictObject({
  key: Key,
  label: z
    .string()
    .trim()
    .min(1)
    .max(256)
    .describe('What the customer sees for this activation, e.g. a device name.'),
  conditions: Conditions,
  meta: z
    .record(z.string().min(1).max(40), z.union([z.string().max(500), z.number(), z.boolean()]))
    .optional(),
});

export const LicenseKeyDeactivateSchema = z.strictObject({
  key: Key,
  activation_id: z.string().min(1).max(256),
});

const ValidatedKey = z
  .looseObject({
    id: z.string(),
    key: z.string(),
    display_key: z.string(),
    status: z.string(),
    customer_id: z.string(),
    benefit_id: z.string(),
    limit_activations: z.number().int().nullable(),
    usage: z.number().int(),
    limit_usage: z.number().int().nullable(),
    validations: z.number().int(),
    expires_at: z.string().nullable(),
    activation: z.looseObject({ id: z.string(), label: z.string() }).nullable().optional(),
  })
  .describe("Polar's ValidatedLicenseKey");

const ActivationCreated = z
  .looseObject({
    id: z.string(),
    license_key_id: z.string(),
    label: z.string(),
    license_key: z.looseObject({}),
  })
  .describe("Polar's LicenseKeyActivation");

const SCHEMAS: Record<LicenseKeyAction, z.ZodType> = {
  validate: LicenseKeyValidateSchema,
  activate: LicenseKeyActivateSchema,
  deactivate: LicenseKeyDeactivateSchema,
};

/** What every license-key action may answer besides its own problems: the kit's limits and Polar's. */
const LIMITED_OR_POLAR: ErrorCode[] = [
  'RATE_LIMITED',
  'POLAR_REJECTED',
  'POLAR_RATE_LIMITED',
  'POLAR_UNAVAILABLE',
];

export const licenseKeyRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/license-keys/validate',
    summary: "Validate a license key (Polar's answer, organization filled in)",
    tag: 'license keys',
    browser: true,
    body: LicenseKeyValidateSchema,
    responses: { 200: { description: 'The key is valid', schema: ValidatedKey } },
    problems: ['LICENSE_KEY_NOT_FOUND', 'LICENSE_KEY_EXPIRED', 'LICENSE_KEY_REVOKED', ...LIMITED_OR_POLAR],
  },
  {
    method: 'post',
    path: '/license-keys/activate',
    summary: 'Activate a license key (up to its activation limit)',
    tag: 'license keys',
    browser: true,
    body: LicenseKeyActivateSchema,
    responses: { 200: { description: 'The new activation', schema: ActivationCreated } },
    problems: [
      'LICENSE_KEY_NOT_FOUND',
      'LICENSE_KEY_ACTIVATION_LIMIT',
      'LICENSE_KEY_EXPIRED',
      'LICENSE_KEY_REVOKED',
      ...LIMITED_OR_POLAR,
    ],
  },
  {
    method: 'post',
    path: '/license-keys/deactivate',
    summary: 'Remove an activation of a license key',
    tag: 'license keys',
    browser: true,
    body: LicenseKeyDeactivateSchema,
    responses: { 204: { description: 'The activation is gone' } },
    problems: ['LICENSE_KEY_NOT_FOUND', ...LIMITED_OR_POLAR],
  },
];

/**
 * `POST /license-keys/validate|activate|deactivate`: passed to Polar's public customer-portal endpoints with
 * the organization filled in. Rate limited per client IP and per key, so neither one address nor a leaked key
 * can exhaust Polar's own limit for the shop.
 */
export function licenseKeysRouter(deps: LicenseKeyDeps): Router {
  const router = Router();
  const perIp = createRateLimit({
    limit: deps.limitPerIpPerMinute ?? 60,
    detail: 'Too many license-key requests from this address; try again in a minute.',
    logger: deps.logger,
  });
  const perKey = createRateLimit({
    limit: deps.limitPerKeyPerMinute ?? 20,
    detail: 'Too many requests for this license key; try again in a minute.',
    logger: deps.logger,
    standardHeaders: false,
    // Keyed by the license key (bodies are parsed before this runs); a body without one is counted per IP.
    keyGenerator: (req: Request) => {
      const key = (req.body as { key?: unknown } | undefined)?.key;
      return typeof key === 'string' && key.length > 0 && key.length <= 256
        ? `key:${key.trim()}`
        : `ip:${ipKeyGenerator(req.ip ?? '')}`;
    },
  });

  for (const action of ['validate', 'activate', 'deactivate'] as const) {
    router.post(`/license-keys/${action}`, perIp, perKey, async (req, res) => {
      const body = parseBody(SCHEMAS[action], req) as Record<string, unknown> & { key: string };
      const answer = await deps.gateway.licenseKey(action, body);
      res.setHeader('Cache-Control', 'no-store');
      if (answer === null) res.status(204).end();
      else res.json(answer);
    });
  }
  return router;
}
