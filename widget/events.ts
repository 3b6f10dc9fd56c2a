/**
 * The widget's events. All bubble and cross shadow roots (`composed`), so a page can listen on any ancestor,
 * `document` included. Only `polar-checkout-start` and `polar-checkout-success` are cancelable.
 */
import type { CheckoutRequest, OrderSummary, RecurringInterval } from '../contract/contract.js';
import type { WidgetErrorCode } from './api-client.js';

/** `polar-checkout-start` (cancelable): the buyer asked for a checkout. Listeners may edit `request`. */
export type CheckoutStartDetail = { product_id: string; request: CheckoutRequest };
/** `polar-checkout-open`: the session exists and is being shown (or navigated to, in redirect mode). */
export type CheckoutOpenDetail = {
  checkout_id: string;
  checkout_url: string;
  mode: 'overlay' | 'embed' | 'redirect';
};
/** `polar-checkout-confirmed`: the buyer submitted payment; the dialog cannot be closed until it settles. */
export type CheckoutConfirmedDetail = { checkout_id: string };
/**
 * `polar-checkout-success` (cancelable: prevents the navigation to `success_url`): the hosted page reports
 * success. `order` is the kit's record when it already has it (webhooks may still be on their way).
 */
export type CheckoutSuccessDetail = {
  checkout_id: string;
  order: OrderSummary | null;
  success_url: string | null;
};
/** `polar-checkout-close`: the dialog closed; `completed` tells whether the hosted page reported success. */
export type CheckoutCloseDetail = { checkout_id: string; completed: boolean };
/** `polar-interval-change`: the buyer switched between monthly and yearly prices. */
export type IntervalChangeDetail = { interval: RecurringInterval };
/** `polar-error`: something failed; `code` is the kit's error code or one of the widget's own. */
export type ErrorDetail = { code: WidgetErrorCode; status: number; detail?: string };

/** Every event the widget fires, by type. */
export type PolarEventMap = {
  'polar-checkout-start': PolarEvent<CheckoutStartDetail>;
  'polar-checkout-open': PolarEvent<CheckoutOpenDetail>;
  'polar-checkout-confirmed': PolarEvent<CheckoutConfirmedDetail>;
  'polar-checkout-success': PolarEvent<CheckoutSuccessDetail>;
  'polar-checkout-close': PolarEvent<CheckoutCloseDetail>;
  'polar-interval-change': PolarEvent<IntervalChangeDetail>;
  'polar-error': PolarEvent<ErrorDetail>;
};

/** A widget event with a typed, read-only `detail`. */
export class PolarEvent<T> extends Event {
  readonly detail: T;

  constructor(type: keyof PolarEventMap, detail: T, cancelable = false) {
    super(type, { bubbles: true, composed: true, cancelable });
    this.detail = detail;
  }
}

/** Fires a widget event on `target`; resolves to `false` when a listener cancelled it. */
export function emit<K extends keyof PolarEventMap>(
  target: EventTarget,
  type: K,
  detail: PolarEventMap[K]['detail'],
  cancelable = false,
): boolean {
  return target.dispatchEvent(new PolarEvent(type, detail, cancelable));
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface GlobalEventHandlersEventMap extends PolarEventMap {}
}
