/**
 * The checkout event stream behind `GET /v1/checkouts/client/{client_secret}/stream`: what Polar's hosted page
 * listens to while it waits for fulfilment (the order and subscription created, the merchant's `checkout.updated`
 * webhook delivered). Like Polar's Redis channels it is plain pub/sub: a listener sees only what is published
 * after it subscribed, and nothing is kept for late listeners.
 */
import type { DeliveryRecord } from './webhooks.js';

/** The keys Polar publishes on a checkout's channel. */
export type CheckoutStreamKey =
  | 'checkout.updated'
  | 'checkout.order_created'
  | 'checkout.subscription_created'
  | 'checkout.webhook_event_delivered';

/** One message, sent on the wire as one `data:` line of JSON. */
export type CheckoutStreamMessage = { key: CheckoutStreamKey; payload: Record<string, unknown> };

export type CheckoutStreamListener = (message: CheckoutStreamMessage) => void;

export type CheckoutStreamOptions = {
  /** The client secret of a checkout, by id (orders and subscriptions carry only `checkout_id`). */
  clientSecretOf(checkoutId: string): string | undefined;
};

export type CheckoutStream = {
  /** Listens to one checkout's messages; answers the function that stops listening. */
  subscribe(clientSecret: string, listener: CheckoutStreamListener): () => void;
  publish(clientSecret: string, key: CheckoutStreamKey, payload?: Record<string, unknown>): void;
  /**
   * Publishes what a webhook event means for a checkout's page, as Polar does next to sending it:
   * `checkout.updated` with the status (and, when it went to no endpoint at all, `checkout.webhook_event_delivered`
   * at once), `checkout.order_created` and `checkout.subscription_created` for a checkout's order and subscription.
   * @param deliveries how many endpoints the event was queued for
   */
  publishWebhookEvent(type: string, data: object, deliveries: number): void;
  /** Publishes `checkout.webhook_event_delivered` once a `checkout.updated` delivery succeeded. */
  publishDelivered(record: DeliveryRecord): void;
  /** How many listeners a checkout has (all checkouts when no secret is given). */
  listenerCount(clientSecret?: string): number;
};

/** Creates an empty stream; nothing is published until a listener subscribes. */
export function createCheckoutStream(options: CheckoutStreamOptions): CheckoutStream {
  const channels = new Map<string, Set<CheckoutStreamListener>>();

  function publish(clientSecret: string, key: CheckoutStreamKey, payload: Record<string, unknown> = {}) {
    const listeners = channels.get(clientSecret);
    if (!listeners) return;
    const message = { key, payload };
    for (const listener of [...listeners]) listener(message);
  }

  return {
    subscribe(clientSecret, listener) {
      let listeners = channels.get(clientSecret);
      if (!listeners) {
        listeners = new Set();
        channels.set(clientSecret, listeners);
      }
      listeners.add(listener);
      return () => {
        const current = channels.get(clientSecret);
        if (!current) return;
        current.delete(listener);
        if (current.size === 0) channels.delete(clientSecret);
      };
    },

    publish,

    publishWebhookEvent(type, data, deliveries) {
      if (channels.size === 0) return;
      const fields = data as Record<string, unknown>;
      if (type === 'checkout.updated') {
        const secret = stringField(fields, 'client_secret');
        if (!secret) return;
        publish(secret, 'checkout.updated', { status: fields.status });
        // Polar: "No webhook to send, publish the webhook_event immediately".
        if (deliveries === 0) publish(secret, 'checkout.webhook_event_delivered', { status: fields.status });
        return;
      }
      const key =
        type === 'order.created'
          ? 'checkout.order_created'
          : type === 'subscription.created'
            ? 'checkout.subscription_created'
            : null;
      const checkoutId = stringField(fields, 'checkout_id');
      if (!key || !checkoutId) return;
      const secret = options.clientSecretOf(checkoutId);
      if (secret) publish(secret, key);
    },

    publishDelivered(record) {
      if (record.type !== 'checkout.updated' || channels.size === 0) return;
      let data: Record<string, unknown>;
      try {
        data = (JSON.parse(record.payload) as { data: Record<string, unknown> }).data;
      } catch {
        return;
      }
      const secret = stringField(data, 'client_secret');
      if (secret) publish(secret, 'checkout.webhook_event_delivered', { status: data.status });
    },

    listenerCount(clientSecret) {
      if (clientSecret !== undefined) return channels.get(clientSecret)?.size ?? 0;
      let n = 0;
      for (const listeners of channels.values()) n += listeners.size;
      return n;
    },
  };
}

function stringField(fields: Record<string, unknown> | null | undefined, name: string): string | null {
  const value = fields?.[name];
  return typeof value === 'string' && value ? value : null;
}
