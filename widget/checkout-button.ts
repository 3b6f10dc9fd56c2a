/** `<polar-checkout-button product-id=…>`: one buy button for one product, labelled by its content. */
import { PolarActionButton } from './internal/action-button.js';

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
export class PolarCheckoutButton extends PolarActionButton {
  static override properties = {
    productId: { attribute: 'product-id' },
  };

  /** The Polar product to sell. */
  productId = '';

  protected get defaultLabel(): string {
    return this.text.buy;
  }

  protected activate(button: HTMLElement): void {
    void this.buy(this.productId, button);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'polar-checkout-button': PolarCheckoutButton;
  }
}
