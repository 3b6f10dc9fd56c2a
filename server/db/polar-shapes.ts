import { z } from 'zod';
import { normalizeTimestamp } from './timestamps.js';

/*
 * The parts of Polar's objects (API version 2026-10, polar-reference.md section 5) that the kit stores.
 * Only the fields the kit reads are checked; the whole delivery is kept byte for byte in `webhook_events.payload`.
 * SDK 1.x does not validate responses and webhooks carry whatever the sender wrote, so this is the
 * kit's guard against data it cannot store.
 */

const timestamp = z
  .string()
  .refine((value) => normalizeTimestamp(value) !== null, 'an ISO-8601 timestamp with a zone');
const nullableTimestamp = timestamp.nullable().optional();
const minor = z.number().int();
const metadataValue = z.union([z.string(), z.number(), z.boolean()]);

export const polarCustomerSchema = z.object({
  id: z.string().min(1),
  email: z.string().nullable().optional(),
  external_id: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  deleted_at: nullableTimestamp,
  created_at: timestamp,
  modified_at: nullableTimestamp,
});
export type PolarCustomer = z.infer<typeof polarCustomerSchema>;

export const polarPriceSchema = z.looseObject({
  id: z.string().min(1),
  amount_type: z.string(),
  price_currency: z.string(),
  is_archived: z.boolean().optional(),
  price_amount: minor.optional(),
  minimum_amount: minor.nullable().optional(),
  maximum_amount: minor.nullable().optional(),
  preset_amount: minor.nullable().optional(),
});
export type PolarPrice = z.infer<typeof polarPriceSchema>;

export const polarBenefitSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  description: z.string().nullable().optional(),
});

export const polarProductSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().nullable().optional(),
  visibility: z.string().optional(),
  is_recurring: z.boolean(),
  recurring_interval: z.enum(['day', 'week', 'month', 'year']).nullable().optional(),
  is_archived: z.boolean(),
  prices: z.array(polarPriceSchema),
  benefits: z.array(polarBenefitSchema).optional(),
  metadata: z.record(z.string(), metadataValue).optional(),
  created_at: timestamp,
  modified_at: nullableTimestamp,
});
export type PolarProduct = z.infer<typeof polarProductSchema>;

export const checkoutStatusSchema = z.enum(['open', 'expired', 'confirmed', 'succeeded', 'failed']);

export const polarCheckoutSchema = z.object({
  id: z.string().min(1),
  status: checkoutStatusSchema,
  client_secret: z.string(),
  url: z.string(),
  expires_at: timestamp,
  product_id: z.string().nullable().optional(),
  product: z.object({ name: z.string() }).nullable().optional(),
  amount: minor,
  total_amount: minor,
  currency: z.string(),
  customer_id: z.string().nullable().optional(),
  customer_email: z.string().nullable().optional(),
  external_customer_id: z.string().nullable().optional(),
  subscription_id: z.string().nullable().optional(),
  embed_origin: z.string().nullable().optional(),
  success_url: z.string().nullable().optional(),
  created_at: timestamp,
  modified_at: nullableTimestamp,
});
export type PolarCheckout = z.infer<typeof polarCheckoutSchema>;

export const subscriptionStatusSchema = z.enum([
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
]);

/** The fields shared by `Subscription` and the `OrderSubscription` embedded in orders. */
export const polarSubscriptionSchema = z.object({
  id: z.string().min(1),
  status: subscriptionStatusSchema,
  customer_id: z.string().min(1),
  product_id: z.string().min(1),
  checkout_id: z.string().nullable().optional(),
  amount: minor,
  currency: z.string(),
  recurring_interval: z.string(),
  current_period_start: nullableTimestamp,
  current_period_end: nullableTimestamp,
  cancel_at_period_end: z.boolean(),
  canceled_at: nullableTimestamp,
  started_at: nullableTimestamp,
  ends_at: nullableTimestamp,
  ended_at: nullableTimestamp,
  past_due_at: nullableTimestamp,
  customer: polarCustomerSchema.optional(),
  created_at: timestamp,
  modified_at: nullableTimestamp,
});
export type PolarSubscription = z.infer<typeof polarSubscriptionSchema>;

export const orderStatusSchema = z.enum([
  'draft',
  'pending',
  'paid',
  'refunded',
  'partially_refunded',
  'void',
]);

export const polarOrderSchema = z.object({
  id: z.string().min(1),
  status: orderStatusSchema,
  paid: z.boolean(),
  customer_id: z.string().min(1),
  product_id: z.string().nullable().optional(),
  product: z.object({ name: z.string() }).nullable().optional(),
  subscription_id: z.string().nullable().optional(),
  checkout_id: z.string().nullable().optional(),
  billing_reason: z.string(),
  subtotal_amount: minor,
  discount_amount: minor,
  net_amount: minor,
  tax_amount: minor,
  total_amount: minor,
  refunded_amount: minor.optional(),
  currency: z.string(),
  customer: polarCustomerSchema.optional(),
  subscription: polarSubscriptionSchema.nullable().optional(),
  created_at: timestamp,
  modified_at: nullableTimestamp,
});
export type PolarOrder = z.infer<typeof polarOrderSchema>;

export const polarBenefitGrantSchema = z.object({
  id: z.string().min(1),
  customer_id: z.string().min(1),
  benefit_id: z.string().min(1),
  subscription_id: z.string().nullable().optional(),
  order_id: z.string().nullable().optional(),
  is_granted: z.boolean(),
  is_revoked: z.boolean(),
  granted_at: nullableTimestamp,
  revoked_at: nullableTimestamp,
  benefit: polarBenefitSchema.optional(),
  customer: polarCustomerSchema.optional(),
  created_at: timestamp,
  modified_at: nullableTimestamp,
});
export type PolarBenefitGrant = z.infer<typeof polarBenefitGrantSchema>;

export const refundStatusSchema = z.enum(['pending', 'succeeded', 'failed', 'canceled']);

export const polarRefundSchema = z.object({
  id: z.string().min(1),
  order_id: z.string().min(1),
  subscription_id: z.string().nullable().optional(),
  customer_id: z.string().min(1),
  status: refundStatusSchema,
  reason: z.string(),
  amount: minor.nonnegative(),
  tax_amount: minor,
  currency: z.string(),
  revoke_benefits: z.boolean(),
  created_at: timestamp,
  modified_at: nullableTimestamp,
});
export type PolarRefund = z.infer<typeof polarRefundSchema>;

/** A benefit as sent in `benefit.created` / `benefit.updated`. */
export const polarBenefitEventSchema = z.object({
  id: z.string().min(1),
  type: z.string(),
  description: z.string().nullable().optional(),
});

/**
 * Parses `value` with `schema`; a mismatch throws a `PolarDataError` naming the first bad field
 * (never the value, which may be personal data).
 */
export function parsePolar<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  throw new PolarDataError(`${what} is not in Polar's shape: ${where}: ${issue?.message ?? 'invalid'}`);
}

/** Polar data the kit cannot store (a field missing or of the wrong type). */
export class PolarDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolarDataError';
  }
}
