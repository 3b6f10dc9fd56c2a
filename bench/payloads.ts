/**
 * Realistic webhook deliveries for load: `order.paid` and `subscription.updated` envelopes (about 2 KB of
 * compact JSON, as Polar sends them) built from the verified fixtures, each with its own ids, so every delivery
 * is a new event with a new order or subscription version.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

type Json = Record<string, unknown>;
const FIXTURES = new URL('../test/fixtures/polar/', import.meta.url);
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as Json;

export type Scheme = 'standard' | 'legacy';

/** Key bytes of a secret under Polar's two schemes (polar-reference.md 6.1). */
export function keyOf(secret: string, scheme: Scheme): Buffer {
  return scheme === 'legacy'
    ? Buffer.from(secret, 'utf8')
    : Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

/**
 * `@polar-sh/express` 0.3.0 validates with the schemas of `@polar-sh/sdk` 0.32, which reject current payloads
 * (they require `amount`, `user_id`, a string `avatar_url`, and `type`/`recurring_interval` on prices) and answer
 * 500. Every server gets the same bytes, so the deliveries carry those older fields too; the kit ignores them.
 */
function withOlderFields(object: Json): Json {
  const customer = { ...(object.customer as Json), avatar_url: 'https://www.gravatar.com/avatar/0' };
  const olderPrice = (price: Json): Json => ({ ...price, type: 'recurring', recurring_interval: 'month' });
  const out: Json = { ...object, customer };
  if (Array.isArray(object.prices)) out.prices = (object.prices as Json[]).map(olderPrice);
  const product = object.product as Json | undefined;
  if (product && Array.isArray(product.prices) && product.is_recurring) {
    out.product = { ...product, prices: (product.prices as Json[]).map(olderPrice) };
  }
  if ('total_amount' in object)
    Object.assign(out, { amount: object.net_amount ?? object.total_amount, user_id: object.customer_id });
  return out;
}

const ORDER = withOlderFields(fixture('order'));
const SUBSCRIPTION = withOlderFields(fixture('subscription'));

/** A UUID-shaped id unique within a run: a per-run prefix and a counter. */
function uuidFor(prefix: string, n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${prefix}-4000-8000-${hex}`;
}

/** The body of the `n`th delivery of a run: even numbers `order.paid`, odd ones `subscription.updated`. */
export function deliveryBody(runPrefix: string, n: number): string {
  const stamp = new Date(Date.UTC(2026, 0, 15, 10) + n * 1000).toISOString();
  if (n % 2 === 0) {
    const id = uuidFor(runPrefix, n);
    const order = { ...ORDER, id, created_at: stamp, modified_at: stamp };
    return JSON.stringify({ type: 'order.paid', timestamp: stamp, api_version: '2026-10', data: order });
  }
  const subscription = { ...SUBSCRIPTION, id: uuidFor(runPrefix, n), created_at: stamp, modified_at: stamp };
  return JSON.stringify({
    type: 'subscription.updated',
    timestamp: stamp,
    api_version: '2026-10',
    data: subscription,
  });
}

/** Standard Webhooks headers for one body. */
export function signHeaders(
  key: Buffer,
  id: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}
