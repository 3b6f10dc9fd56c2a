/** `<polar-checkout-button product-id=…>`: one buy button for one product, labelled by its content. */
import { css, html, nothing } from 'lit';
import { PolarElement } from './internal/polar-element.js';
import { baseStyles } from './internal/styles.js';

/**
 * @summary A button that opens the checkout of one product.
 * @slot - the label; defaults to "Buy now".
 * @fires polar-checkout-start - cancelable; before a checkout is created.
 * @fires polar-checkout-open - the checkout is shown (or navigated to).
 * @fires polar-checkout-confirmed - the buyer submitted payment.
 * @fires polar-checkout-success - the hosted page reports success; cancelable to stay on the page.
 * @fires polar-checkout-close - the checkout dialog closed.
 * @fires polar-error - the checkout could not be started.
 * @csspart base - the button.
 * @csspart error - the error message.
 */
export class PolarCheckoutButton extends PolarElement {
  static override styles = [
    baseStyles,
    css`
      :host {
        display: inline-block;
      }
    `,
  ];
  static override shadowRootOptions = { ...PolarElement.shadowRootOptions, delegatesFocus: true };
  static override properties = {
    productId: { attribute: 'product-id' },
  };

  /** The Polar product to sell. */
  productId = '';

  override render() {
    return html`<button
        part="base"
        class="btn"
        type="button"
        aria-busy=${this.busy ? 'true' : 'false'}
        @click=${(event: Event) => this.buy(this.productId, event.currentTarget as HTMLElement)}
      >
        <slot>${this.text.buy}</slot></button
      >${this.actionError ? html`<p part="error" role="alert">${this.actionError}</p>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'polar-checkout-button': PolarCheckoutButton;
  }
}
