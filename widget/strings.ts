/**
 * Every text the widget shows, in English. A page overrides some or all of them with the `strings` property
 * of any element: `table.strings = { subscribe: 'Abonnieren' }`. `{name}` placeholders are filled in.
 */
export const DEFAULT_STRINGS = {
  billingPeriod: 'Billing period',
  monthly: 'Monthly',
  yearly: 'Yearly',
  save: 'Save {percent}',
  perDay: 'per day',
  perWeek: 'per week',
  perMonth: 'per month',
  perYear: 'per year',
  shortDay: '/day',
  shortWeek: '/wk',
  shortMonth: '/mo',
  shortYear: '/yr',
  free: 'Free',
  payWhatYouWant: 'Pay what you want',
  from: 'from {price}',
  popular: 'Most popular',
  subscribe: 'Subscribe',
  buy: 'Buy now',
  getFree: 'Get started',
  loading: 'Loading plans…',
  loadError: 'The plans could not be loaded.',
  retry: 'Try again',
  empty: 'No plans are available right now.',
  checkoutError: 'The checkout could not be started. Please try again.',
  dialogTitle: 'Checkout',
  close: 'Close checkout',
  checkoutLoading: 'Loading the checkout…',
  embedTimeout: 'The checkout is taking too long to load.',
  openInNewTab: 'Open the checkout in a new tab',
  statusPending: 'Waiting for the payment confirmation…',
  statusProcessing: 'Payment received. Preparing your receipt…',
  statusPaid: 'Thank you! Your payment was received.',
  statusFailed: 'The payment failed. No money was taken.',
  statusExpired: 'This checkout has expired. Please start again.',
  statusNotFound: 'No checkout was found for this link.',
  statusMissing: 'No checkout to show.',
  statusTimeout: 'The payment has not been confirmed yet. It can take a few minutes.',
  statusError: 'The order status could not be loaded.',
  checkAgain: 'Check again',
  receipt: 'Receipt',
  receiptProduct: 'Product',
  receiptTotal: 'Total',
  receiptOrder: 'Order',
  receiptDate: 'Date',
  portal: 'Manage subscription',
  portalError: 'The customer portal could not be opened.',
};

/** The set of texts; see {@link DEFAULT_STRINGS}. */
export type WidgetStrings = typeof DEFAULT_STRINGS;

/** Fills `{name}` placeholders. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => values[name] ?? match);
}
