/** `<polar-order-status>`: the success page's "is it paid yet?", then the receipt. */
import { css, html, nothing } from 'lit';
import type { CheckoutStatusResponse } from '../contract/contract.js';
import { createApiClient, toApiError } from './api-client.js';
import { emit } from './events.js';
import { formatMoney } from './internal/format-price.js';
import { checkoutIdFromPage, PolarElement } from './internal/polar-element.js';
import { baseStyles } from './internal/styles.js';

type View =
  'missing' | 'pending' | 'processing' | 'paid' | 'failed' | 'expired' | 'not-found' | 'timeout' | 'error';

/**
 * @summary Polls `GET /api/checkout/:id` with growing delays until the order is paid, failed or expired, then
 * shows the receipt. Changes are announced politely (`aria-live`).
 * @fires polar-error - the checkout is unknown, or the status could not be loaded before giving up.
 * @csspart base - the wrapper (the live region).
 * @csspart status - the status message.
 * @csspart receipt - the receipt, a description list.
 * @csspart retry - the "check again" button after giving up.
 */
export class PolarOrderStatus extends PolarElement {
  static override styles = [
    baseStyles,
    css`
      [part='base'] {
        padding: calc(var(--_space) * 1.5);
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        background: var(--_surface);
        color: var(--_text);
      }
      p {
        margin: 0 0 var(--_space);
      }
      dl {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 0.375rem var(--_space);
        margin: 0;
      }
      dt {
        color: var(--_muted);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
    `,
  ];
  static override properties = {
    view: { state: true },
    status: { state: true },
    checkoutId: { attribute: 'checkout-id' },
    pollTimeout: { attribute: 'poll-timeout', type: Number },
  };

  private view: View = 'pending';
  private status?: CheckoutStatusResponse;

  /** The checkout to follow; defaults to the page's `?checkout_id=`. */
  checkoutId = '';
  /** Milliseconds to keep polling before showing "not confirmed yet" with a button to check again. */
  pollTimeout = 120_000;

  private controller?: AbortController;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.poll();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.controller?.abort();
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (
      (changed.has('checkoutId') && changed.get('checkoutId') !== undefined) ||
      (changed.has('apiBase') && changed.get('apiBase') !== undefined)
    ) {
      void this.poll();
    }
  }

  /** Starts following the checkout again (what the "check again" button does). */
  async poll(): Promise<void> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    const id = this.checkoutId || checkoutIdFromPage();
    if (!id) {
      this.view = 'missing';
      return;
    }
    this.view = 'pending';
    const api = createApiClient(this.apiBase);
    const deadline = Date.now() + this.pollTimeout;
    for (let delay = 1000; !controller.signal.aborted; delay = Math.min(delay * 1.5, 10_000)) {
      try {
        const status = await api.checkoutStatus(id, controller.signal);
        this.status = status;
        this.view = status.order?.paid
          ? 'paid'
          : status.status === 'failed' || status.status === 'expired'
            ? status.status
            : status.status === 'open'
              ? 'pending'
              : 'processing';
        if (this.view !== 'pending' && this.view !== 'processing') return;
      } catch (error) {
        if (controller.signal.aborted) return;
        const problem = toApiError(error);
        if (problem.status === 404 || problem.status === 400) {
          this.view = 'not-found';
          emit(this, 'polar-error', { code: problem.code, status: problem.status, detail: problem.message });
          return;
        }
        // The kit or the network hiccupped: keep trying until the deadline.
      }
      if (Date.now() + delay > deadline) {
        this.view = this.status ? 'timeout' : 'error';
        if (!this.status) emit(this, 'polar-error', { code: 'NETWORK_ERROR', status: 0 });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  override render() {
    const s = this.text;
    const view = this.view;
    const message = {
      missing: s.statusMissing,
      pending: s.statusPending,
      processing: s.statusProcessing,
      paid: s.statusPaid,
      failed: s.statusFailed,
      expired: s.statusExpired,
      'not-found': s.statusNotFound,
      timeout: s.statusTimeout,
      error: s.statusError,
    }[view];
    const order = view === 'paid' ? this.status?.order : null;
    return html`<div
      part="base"
      aria-live="polite"
      aria-busy=${view === 'pending' || view === 'processing' ? 'true' : 'false'}
    >
      <p part="status">${message}</p>
      ${
        order
          ? html`<dl part="receipt" aria-label=${s.receipt}>
              <dt>${s.receiptProduct}</dt>
              <dd>${order.product_name ?? this.status?.product?.name ?? ''}</dd>
              <dt>${s.receiptTotal}</dt>
              <dd>${formatMoney(order.total_amount, order.currency, this.locale)}</dd>
              <dt>${s.receiptOrder}</dt>
              <dd>${order.id}</dd>
              <dt>${s.receiptDate}</dt>
              <dd>${formatDate(order.created_at, this.locale)}</dd>
            </dl>`
          : nothing
      }
      ${
        view === 'timeout' || view === 'error'
          ? html`<button part="retry" class="btn" type="button" @click=${() => this.poll()}>
              ${s.checkAgain}
            </button>`
          : nothing
      }
    </div>`;
  }
}

function formatDate(iso: string, locale: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return date.toLocaleDateString(locale || undefined, { dateStyle: 'long' });
  } catch {
    return date.toLocaleDateString();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'polar-order-status': PolarOrderStatus;
  }
}
