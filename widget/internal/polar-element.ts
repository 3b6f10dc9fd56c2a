/** The attributes every widget element shares, and the buy action of the two that sell. */
import { LitElement, type PropertyDeclarations } from 'lit';
import { DEFAULT_STRINGS, type WidgetStrings } from '../strings.js';
import { startCheckout, type CheckoutMode, type Theme } from './start-checkout.js';

/** Reads `?checkout_id=` from the page URL (the success URL's placeholder is filled in by Polar). */
export function checkoutIdFromPage(): string {
  return new URLSearchParams(location.search).get('checkout_id') ?? '';
}

export class PolarElement extends LitElement {
  static override properties: PropertyDeclarations = {
    busy: { state: true },
    actionError: { state: true },
    apiBase: { attribute: 'api-base' },
    mode: {},
    theme: { reflect: true },
    locale: {},
    customerEmail: { attribute: 'customer-email' },
    successUrl: { attribute: 'success-url' },
    loadTimeout: { attribute: 'load-timeout', type: Number },
    strings: { attribute: false },
  };

  /** Set while a checkout is being created, so a double click does not create two. */
  protected busy = false;
  /** The message of the last failed action, shown in a `role="alert"` region. */
  protected actionError = '';

  /** The kit's origin (or a path prefix); empty means the page's own origin. */
  apiBase = '';
  /** `overlay` opens the checkout in a dialog; `redirect` navigates to it. */
  mode: CheckoutMode = 'overlay';
  /** `light`, `dark` or `auto` (follows the operating system). */
  theme: Theme = 'light';
  /** A BCP 47 locale for prices and dates; defaults to the browser's. */
  locale = '';
  /** Prefills the checkout's email field. */
  customerEmail = '';
  /** Where Polar sends the buyer after paying; `{CHECKOUT_ID}` is replaced. Defaults to the kit's setting. */
  successUrl = '';
  /** Milliseconds the checkout page has to load in the dialog before it opens in a new tab instead. */
  loadTimeout = 15_000;
  /** Overrides of the displayed texts. */
  strings: Partial<WidgetStrings> = {};

  protected get text(): WidgetStrings {
    return { ...DEFAULT_STRINGS, ...this.strings };
  }

  /** Starts the checkout of `productId`; `trigger` gets focus back when the dialog closes. */
  protected async buy(productId: string, trigger: HTMLElement): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.actionError = '';
    try {
      await startCheckout(this, {
        apiBase: this.apiBase,
        productId,
        mode: this.mode === 'redirect' ? 'redirect' : 'overlay',
        theme: this.theme,
        strings: this.text,
        loadTimeout: this.loadTimeout,
        email: this.customerEmail,
        successUrl: this.successUrl,
        trigger,
      });
    } catch {
      // startCheckout has fired polar-error with the code; the buyer gets a plain message.
      this.actionError = this.text.checkoutError;
    } finally {
      this.busy = false;
    }
  }
}
