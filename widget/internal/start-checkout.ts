/** The buy flow shared by the pricing table and the checkout button. */
import type { CheckoutRequest } from '../../contract/contract.js';
import { createApiClient, toApiError } from '../api-client.js';
import { emit } from '../events.js';
import type { WidgetStrings } from '../strings.js';
import { loadDialog, POLAR_ORIGINS } from './lazy.js';

/** How a checkout opens: in a dialog over the page, or by navigating to the hosted page. */
export type CheckoutMode = 'overlay' | 'redirect';
export type Theme = 'light' | 'dark' | 'auto';

export type StartCheckoutOptions = {
  apiBase: string;
  productId: string;
  mode: CheckoutMode;
  theme: Theme;
  strings: WidgetStrings;
  loadTimeout: number;
  email?: string;
  successUrl?: string;
  /** The control the buyer used; focus returns to it when the dialog closes. */
  trigger: HTMLElement;
};

/**
 * Fires `polar-checkout-start` on `source` (cancelable; listeners may edit `detail.request`), creates the session
 * with the kit, fires `polar-checkout-open`, then shows the checkout dialog or navigates to the hosted page.
 * @returns `false` when a listener cancelled the start.
 * @throws {ApiError} when the kit refuses or cannot be reached (after firing `polar-error`).
 */
export async function startCheckout(source: HTMLElement, options: StartCheckoutOptions): Promise<boolean> {
  const request: CheckoutRequest = { product_id: options.productId };
  if (options.email) request.email = options.email;
  if (options.successUrl) request.success_url = options.successUrl;
  if (options.mode === 'overlay') request.embed_origin = location.origin;
  if (!emit(source, 'polar-checkout-start', { product_id: options.productId, request }, true)) return false;
  let checkout;
  try {
    checkout = await createApiClient(options.apiBase).createCheckout(request, crypto.randomUUID?.());
  } catch (error) {
    const problem = toApiError(error);
    emit(source, 'polar-error', { code: problem.code, status: problem.status, detail: problem.message });
    throw problem;
  }
  const embedded = POLAR_ORIGINS.includes(new URL(checkout.checkout_url).origin);
  const mode = options.mode === 'redirect' ? 'redirect' : embedded ? 'embed' : 'overlay';
  emit(source, 'polar-checkout-open', {
    checkout_id: checkout.checkout_id,
    checkout_url: checkout.checkout_url,
    mode,
  });
  if (mode === 'redirect') {
    location.assign(checkout.checkout_url);
    return true;
  }
  let dialog;
  try {
    dialog = await loadDialog();
  } catch {
    emit(source, 'polar-error', { code: 'EMBED_FAILED', status: 0 });
    location.assign(checkout.checkout_url);
    return true;
  }
  dialog.openCheckoutDialog({
    checkout,
    source,
    trigger: options.trigger,
    apiBase: options.apiBase,
    strings: options.strings,
    loadTimeout: options.loadTimeout,
    theme: options.theme,
  });
  return true;
}
