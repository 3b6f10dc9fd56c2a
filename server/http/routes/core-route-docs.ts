import { z } from 'zod';
import { CheckoutRequestSchema } from './checkout.js';
import type { RouteDoc } from './openapi.js';

/*
 * The OpenAPI description of the checkout, catalogue, portal, webhook and access routes. The checkout route's
 * request schema is the one it parses with; the response schemas follow `contract/contract.ts`, and the
 * OpenAPI test checks real answers against them.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const Metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const Price = z.union([
  z.object({
    id: z.string(),
    amount_type: z.literal('fixed'),
    price_amount: z.number().int(),
    price_currency: z.string(),
  }),
  z.object({
    id: z.string(),
    amount_type: z.literal('custom'),
    price_currency: z.string(),
    minimum_amount: z.number().int(),
    maximum_amount: z.number().int().nullable(),
    preset_amount: z.number().int().nullable(),
  }),
  z.object({ id: z.string(), amount_type: z.literal('other'), price_currency: z.string() }),
]);

const Product = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  is_recurring: z.boolean(),
  recurring_interval: z.enum(['day', 'week', 'month', 'year']).nullable(),
  price_amount: z.number().int().nullable(),
  price_currency: z.string(),
  prices: z.array(Price),
  benefits: z.array(z.object({ id: z.string(), type: z.string(), description: z.string() })),
  metadata: Metadata,
});

const CheckoutStatus = z.enum(['open', 'expired', 'confirmed', 'succeeded', 'failed']);

const OrderSummary = z.object({
  id: z.string(),
  status: z.enum(['pending', 'paid', 'refunded', 'partially_refunded']),
  paid: z.boolean(),
  product_id: z.string().nullable(),
  product_name: z.string().nullable(),
  total_amount: z.number().int(),
  currency: z.string(),
  billing_reason: z.string(),
  subscription_id: z.string().nullable(),
  checkout_id: z.string().nullable(),
  customer_email: z.string().nullable(),
  created_at: z.string(),
});

const SubscriptionSummary = z.object({
  id: z.string(),
  product_id: z.string(),
  status: z.string(),
  current_period_end: z.string().nullable(),
  cancel_at_period_end: z.boolean(),
});

/** `POST /api/portal`'s body, as `portal.ts` validates it. */
export const PortalRequestDocSchema = z.strictObject({
  checkout_id: z.string().regex(GUID).optional().describe('A paid checkout of the buyer (the success page).'),
  customer_key: z
    .string()
    .trim()
    .min(1)
    .max(320)
    .optional()
    .describe('Admin only: external id, Polar customer id or email.'),
});

const Receipt = z.object({ received: z.literal(true), duplicate: z.literal(true).optional() });

const POLAR: Array<'POLAR_REJECTED' | 'POLAR_RATE_LIMITED' | 'POLAR_UNAVAILABLE'> = [
  'POLAR_REJECTED',
  'POLAR_RATE_LIMITED',
  'POLAR_UNAVAILABLE',
];

export const coreRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'Liveness of the kit, its database and Polar',
    tag: 'meta',
    browser: true,
    responses: {
      200: {
        description: 'The database answers (Polar may be unreachable: status degraded)',
        schema: z.object({
          status: z.enum(['ok', 'degraded']),
          polar: z.enum(['ok', 'unreachable']),
          database: z.enum(['ok', 'error']),
          version: z.string(),
          mode: z
            .enum(['local', 'sandbox', 'production'])
            .optional()
            .describe('Which Polar the kit talks to: local (the emulator), sandbox or production.'),
        }),
      },
      503: { description: 'The database does not answer' },
    },
    problems: [],
  },
  {
    method: 'get',
    path: '/products',
    summary: 'Public, unarchived products (cached)',
    tag: 'checkout',
    browser: true,
    responses: { 200: { description: 'The catalogue', schema: z.array(Product) } },
    problems: ['POLAR_UNAVAILABLE', 'POLAR_RATE_LIMITED'],
  },
  {
    method: 'post',
    path: '/checkout',
    summary: 'Create a checkout session',
    tag: 'checkout',
    browser: true,
    body: CheckoutRequestSchema.omit({ external_customer_id: true }),
    headers: [
      { name: 'Idempotency-Key', description: 'Repeats with the same key answer the same checkout.' },
    ],
    responses: {
      201: {
        description: 'The checkout session',
        schema: z.object({
          checkout_id: z.string(),
          checkout_url: z.string(),
          client_secret: z.string(),
          expires_at: z.string(),
          status: CheckoutStatus,
        }),
      },
    },
    problems: [
      'PRODUCT_NOT_FOUND',
      'PRODUCT_ARCHIVED',
      'ORIGIN_NOT_ALLOWED',
      'IDEMPOTENCY_KEY_REUSED',
      'FORBIDDEN',
      'RATE_LIMITED',
      ...POLAR,
    ],
  },
  {
    method: 'get',
    path: '/checkout/:id',
    summary: 'Status of a checkout, with its order and subscription once paid',
    tag: 'checkout',
    browser: true,
    params: z.strictObject({ id: z.string().describe('The checkout id') }),
    responses: {
      200: {
        description: 'The checkout status',
        schema: z.object({
          checkout_id: z.string(),
          status: CheckoutStatus,
          product: z.object({ id: z.string(), name: z.string() }).nullable(),
          amount: z.number().int(),
          currency: z.string(),
          order: OrderSummary.nullable(),
          subscription: SubscriptionSummary.nullable(),
        }),
      },
    },
    problems: ['VALIDATION_FAILED', 'CHECKOUT_NOT_FOUND', 'RATE_LIMITED', ...POLAR],
  },
  {
    method: 'post',
    path: '/portal',
    summary:
      "A customer-portal link for a paid checkout's buyer, the host app's customer, or (admin) any customer",
    tag: 'customers',
    browser: true,
    body: PortalRequestDocSchema,
    responses: { 200: { description: 'The portal link', schema: z.object({ portal_url: z.string() }) } },
    problems: [
      'FORBIDDEN',
      'CHECKOUT_NOT_FOUND',
      'CHECKOUT_NOT_PAID',
      'CUSTOMER_NOT_FOUND',
      'RATE_LIMITED',
      ...POLAR,
    ],
  },
  {
    method: 'post',
    path: '/webhooks/polar',
    summary: "Polar's webhook deliveries (Standard Webhooks signature over the raw body)",
    tag: 'webhooks',
    headers: [
      { name: 'webhook-id', description: 'Delivery id (stable across retries)' },
      { name: 'webhook-timestamp', description: 'Unix seconds' },
      { name: 'webhook-signature', description: 'v1,<base64 HMAC>' },
    ],
    body: z.looseObject({ type: z.string(), timestamp: z.string().optional(), data: z.looseObject({}) }),
    responses: {
      202: { description: 'Stored and applied (or stored and ignored)', schema: Receipt },
      200: { description: 'Already received', schema: Receipt },
    },
    problems: ['WEBHOOK_SIGNATURE_INVALID', 'WEBHOOK_PAYLOAD_INVALID'],
  },
  {
    method: 'get',
    path: '/orders/:email',
    summary: "A customer's orders, newest first",
    tag: 'customers',
    admin: true,
    params: z.strictObject({ email: z.email().max(320) }),
    responses: { 200: { description: 'The orders', schema: z.array(OrderSummary) } },
    problems: ['VALIDATION_FAILED'],
  },
  {
    method: 'get',
    path: '/customers/:key/access',
    summary: 'What a customer has access to now',
    tag: 'customers',
    admin: true,
    params: z.strictObject({
      key: z.string().min(1).max(320).describe('External id, Polar customer id or email'),
    }),
    responses: {
      200: {
        description: 'Access',
        schema: z.object({
          customer_id: z.string(),
          email: z.string(),
          external_id: z.string().nullable(),
          active: z.boolean(),
          subscriptions: z.array(SubscriptionSummary),
          product_ids: z.array(z.string()),
          benefits: z.array(
            z.object({ id: z.string(), type: z.string(), description: z.string().nullable() }),
          ),
        }),
      },
    },
    problems: ['VALIDATION_FAILED', 'CUSTOMER_NOT_FOUND'],
  },
];
