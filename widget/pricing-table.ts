/** `<polar-pricing-table>`: the catalog as plan cards, with a monthly/yearly switch and a buy button per plan. */
import { html, nothing, type PropertyValues } from 'lit';
import type { Product, RecurringInterval } from '../contract/contract.js';
import { createApiClient, toApiError, type ApiError } from './api-client.js';
import { emit } from './events.js';
import { priceLabel, yearlySaving } from './internal/format-price.js';
import { PolarElement } from './internal/polar-element.js';
import { fill } from './strings.js';
import { pricingTableStyles } from './pricing-table.styles.js';

type Load = { kind: 'loading' } | { kind: 'ready'; products: Product[] } | { kind: 'error'; error: ApiError };

/**
 * @summary A pricing table for the kit's catalog (`GET /api/products`), or for products the page supplies.
 * @fires polar-checkout-start - cancelable; before a checkout is created.
 * @fires polar-checkout-open - the checkout is shown (or navigated to).
 * @fires polar-checkout-confirmed - the buyer submitted payment.
 * @fires polar-checkout-success - the hosted page reports success; cancelable to stay on the page.
 * @fires polar-checkout-close - the checkout dialog closed.
 * @fires polar-interval-change - the buyer switched between monthly and yearly.
 * @fires polar-error - loading the plans or starting a checkout failed.
 * @csspart base - the wrapper.
 * @csspart interval-switch - the monthly/yearly radio group.
 * @csspart interval-option - one option of the switch.
 * @csspart saving - the yearly saving next to the yearly option.
 * @csspart plans - the list of plans.
 * @csspart plan - one plan card; the highlighted one also has `plan-highlighted`.
 * @csspart badge - the highlighted plan's badge.
 * @csspart name - a plan's name.
 * @csspart description - a plan's description.
 * @csspart price - a plan's price.
 * @csspart period - the billing period next to the price.
 * @csspart features - a plan's list of benefits.
 * @csspart feature - one benefit.
 * @csspart cta - a plan's buy button.
 * @csspart skeleton - a placeholder card while loading.
 * @csspart error - the error message.
 * @csspart retry - the retry button.
 * @csspart empty - the message when there are no plans.
 * @cssprop --polar-accent - buttons, highlight and focus ring.
 * @cssprop --polar-surface - card background.
 * @cssprop --polar-text - card text.
 * @cssprop --polar-muted - secondary text.
 * @cssprop --polar-border - card borders.
 * @cssprop --polar-radius - corner radius.
 * @cssprop --polar-spacing - the base spacing unit.
 * @cssprop --polar-plan-min-height - the cards' minimum height, also reserved while loading.
 */
export class PolarPricingTable extends PolarElement {
  static override styles = pricingTableStyles;
  static override properties = {
    load: { state: true },
    productIds: {
      attribute: 'products',
      converter: (value: string | null) => (value ?? '').split(/[\s,]+/).filter(Boolean),
    },
    products: { attribute: false },
    interval: { reflect: true },
    highlight: {},
  };

  private load: Load = { kind: 'loading' };

  /** Ids of the products to show, in this order (attribute `products`: comma or space separated). */
  productIds: string[] = [];
  /** Products supplied by the page; when set, nothing is fetched. */
  products?: Product[];
  /** The billing period shown when both monthly and yearly plans exist. */
  interval: RecurringInterval = 'month';
  /** The id of the plan to highlight (otherwise a product with `metadata.highlight`). */
  highlight = '';

  private controller?: AbortController;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.controller?.abort();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('products') || changed.has('apiBase')) {
      if (this.products) {
        this.controller?.abort();
        this.load = { kind: 'ready', products: this.products };
      } else if (this.isConnected) {
        void this.fetchProducts();
      }
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Reconnected after a removal that aborted the request: fetch again.
    if (this.hasUpdated && !this.products && this.load.kind === 'loading') void this.fetchProducts();
  }

  private async fetchProducts(): Promise<void> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    this.load = { kind: 'loading' };
    try {
      const products = await createApiClient(this.apiBase).products(controller.signal);
      if (!Array.isArray(products)) throw new Error('products is not an array');
      this.load = { kind: 'ready', products };
    } catch (error) {
      if (controller.signal.aborted) return;
      const problem = toApiError(error);
      this.load = { kind: 'error', error: problem };
      emit(this, 'polar-error', { code: problem.code, status: problem.status, detail: problem.message });
    }
  }

  private handleInterval(event: Event): void {
    this.interval = (event.target as HTMLInputElement).value as RecurringInterval;
    emit(this, 'polar-interval-change', { interval: this.interval });
  }

  /** Loads the plans again (what the retry button does). */
  reload(): void {
    if (!this.products) void this.fetchProducts();
  }

  override render() {
    const s = this.text;
    const load = this.load;
    if (load.kind === 'loading') {
      return html`<div part="base" aria-busy="true">
        <p class="sr" role="status">${s.loading}</p>
        <div class="sw"></div>
        <ul part="plans" class="plans" aria-hidden="true">
          ${Array.from({ length: this.productIds.length || 3 }, () => html`<li part="skeleton" class="plan skeleton"></li>`)}
        </ul>
      </div>`;
    }
    if (load.kind === 'error') {
      return html`<div part="base" aria-busy="false">
        <div part="error" class="notice" role="alert">
          <p>${s.loadError}</p>
          <button part="retry" class="btn" type="button" @click=${() => this.reload()}>${s.retry}</button>
        </div>
      </div>`;
    }
    const all = this.select(load.products);
    const hasMonth = all.some((p) => p.is_recurring && p.recurring_interval === 'month');
    const hasYear = all.some((p) => p.is_recurring && p.recurring_interval === 'year');
    const both = hasMonth && hasYear;
    const interval = this.interval === 'year' ? 'year' : 'month';
    const shown = both
      ? all.filter(
          (p) =>
            !p.is_recurring ||
            !['month', 'year'].includes(p.recurring_interval ?? '') ||
            p.recurring_interval === interval,
        )
      : all;
    const saving = both ? yearlySaving(all) : 0;
    const highlighted = this.highlight || shown.find((p) => isTrue(p.metadata.highlight))?.id;
    return html`<div part="base" aria-busy="false">
      ${
        both
          ? html`<fieldset part="interval-switch" class="switch">
              <legend class="sr">${s.billingPeriod}</legend>
              ${(['month', 'year'] as const).map(
                (value) =>
                  html`<input
                      type="radio"
                      class="sr"
                      id=${value}
                      name="interval"
                      .value=${value}
                      .checked=${interval === value}
                      @change=${this.handleInterval}
                    /><label for=${value} part="interval-option">
                      ${value === 'month' ? s.monthly : s.yearly}
                      ${value === 'year' && saving > 0 ? html`<span part="saving" class="saving">${fill(s.save, { percent: `${saving}%` })}</span>` : nothing}
                    </label>`,
              )}
            </fieldset>`
          : nothing
      }
      ${this.actionError ? html`<p part="error" class="notice" role="alert">${this.actionError}</p>` : nothing}
      ${
        shown.length === 0
          ? html`<p part="empty" class="notice">${s.empty}</p>`
          : html`<ul part="plans" class=${both ? 'plans' : 'plans tall'}>
              ${shown.map((product) => this.renderPlan(product, product.id === highlighted))}
            </ul>`
      }
    </div>`;
  }

  private renderPlan(product: Product, highlighted: boolean) {
    const s = this.text;
    const price = priceLabel(product, s, this.locale);
    const free = price.amount === s.free;
    const nameId = `name-${product.id}`;
    return html`<li part=${highlighted ? 'plan plan-highlighted' : 'plan'} class="plan">
      ${highlighted ? html`<p part="badge" class="badge">${s.popular}</p>` : nothing}
      <h2 part="name" id=${nameId}>${product.name}</h2>
      ${product.description ? html`<p part="description" class="description">${product.description}</p>` : nothing}
      <p part="price" class="price">
        <span class="amount">${price.amount}</span>${
          price.short
            ? html` <span part="period" class="period" aria-hidden="true">${price.short}</span
                ><span class="sr"> ${price.spoken}</span>`
            : nothing
        }
      </p>
      ${
        product.benefits.length
          ? html`<ul part="features" class="features">
              ${product.benefits.map((benefit) => html`<li part="feature">${benefit.description}</li>`)}
            </ul>`
          : nothing
      }
      <button
        part="cta"
        class="btn cta"
        type="button"
        aria-describedby=${nameId}
        aria-busy=${this.busy ? 'true' : 'false'}
        @click=${(event: Event) => this.buy(product.id, event.currentTarget as HTMLElement)}
      >
        ${free ? s.getFree : product.is_recurring ? s.subscribe : s.buy}
      </button>
    </li>`;
  }

  /** The products to show: those named by the `products` attribute, in that order, or all of them. */
  private select(products: Product[]): Product[] {
    if (!this.productIds.length) return products;
    return this.productIds
      .map((id) => products.find((p) => p.id === id))
      .filter((p): p is Product => Boolean(p));
  }
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

declare global {
  interface HTMLElementTagNameMap {
    'polar-pricing-table': PolarPricingTable;
  }
}
