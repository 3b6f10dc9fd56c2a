import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { UsageEvent } from '../../contract/contract.js';
import { AppError } from '../errors.js';
import type { OutboxEvent, UsageOutbox } from '../db/usage-outbox.js';

/** Most events one `POST /api/usage` (or one `kit.ingest` call) takes. */
export const USAGE_REQUEST_LIMIT = 1000;

const MetadataValue = z.union([z.string().max(1000), z.number(), z.boolean()]);

/** One usage event as the merchant's app sends it (Polar's ingest shape; `external_id` optional). */
export const UsageEventSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(128).describe('Event name, e.g. `api_call`; meters filter on it.'),
    external_customer_id: z.string().min(1).max(256).optional().describe('Your id of the customer.'),
    customer_id: z.string().min(1).max(256).optional().describe('Polar customer id.'),
    metadata: z
      .record(z.string().min(1).max(40), MetadataValue)
      .refine((value) => Object.keys(value).length <= 50, 'at most 50 metadata keys')
      .optional(),
    external_id: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('Your unique id of the event; the same id is never counted twice. Generated when absent.'),
    timestamp: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When it happened (default: when accepted).'),
  })
  .refine((event) => (event.customer_id === undefined) !== (event.external_customer_id === undefined), {
    message: 'give exactly one of customer_id and external_customer_id',
    path: ['external_customer_id'],
  });

export const UsageRequestSchema = z.strictObject({
  events: z.array(UsageEventSchema).min(1).max(USAGE_REQUEST_LIMIT),
});

export const UsageResponseSchema = z.object({
  accepted: z.number().int().describe('Events stored in the outbox (repeated external ids are not counted).'),
});

export const OutboxCountsSchema = z.object({
  pending: z.number().int(),
  failed: z.number().int(),
  sent: z.number().int(),
});

/**
 * Validates usage events and stores them in the outbox, each with an `external_id` (a UUID when the app gave
 * none). Returns how many were new.
 * @throws {AppError} VALIDATION_FAILED
 */
export function acceptUsageEvents(outbox: UsageOutbox, events: readonly UsageEvent[]): number {
  const parsed = UsageRequestSchema.safeParse({ events });
  if (!parsed.success) {
    const errors = parsed.error.issues.slice(0, 20).map((issue) => ({
      path: issue.path.map(String).join('.'),
      code: issue.code.toUpperCase(),
      message: issue.message.slice(0, 200),
    }));
    throw new AppError('VALIDATION_FAILED', {
      detail: errors.map((error) => `${error.path}: ${error.message}`).join('; '),
      errors,
    });
  }
  return outbox.enqueue(parsed.data.events.map(toOutboxEvent));
}

function toOutboxEvent(event: z.infer<typeof UsageEventSchema>): OutboxEvent {
  return {
    name: event.name,
    external_id: event.external_id ?? randomUUID(),
    ...(event.customer_id !== undefined ? { customer_id: event.customer_id } : {}),
    ...(event.external_customer_id !== undefined ? { external_customer_id: event.external_customer_id } : {}),
    timestamp: event.timestamp ?? new Date().toISOString(),
    ...(event.metadata !== undefined ? { metadata: event.metadata } : {}),
  };
}
