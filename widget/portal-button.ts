/** `<polar-portal-button>`: opens Polar's customer portal for the buyer of a checkout. */
import { createApiClient, toApiError } from './api-client.js';
import { emit } from './events.js';
import { PolarActionButton } from './internal/action-button.js';
import { checkoutIdFromPage } from './internal/polar-element.js';

/**
 * @summary A button that asks the kit for a customer portal session (`POST /api/portal`) and goes there.
 * @slot - the label; defaults to "Manage subscription".
 * @fires polar-error - the kit refused or could not be reached.
 * @csspart base - the button.
 * @csspart error - the error message.
 */
export class PolarPortalButton extends PolarActionButton {
  static override properties = {
    checkoutId: { attribute: 'checkout-id' },
  };

  /**
   * The checkout whose buyer opens the portal; defaults to the page's `?checkout_id=`. Without one, the kit's
   * `identify(req)` decides.
   */
  checkoutId = '';

  protected get defaultLabel(): string {
    return this.text.portal;
  }

  protected async activate(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.actionError = '';
    const checkout_id = this.checkoutId || checkoutIdFromPage();
    try {
      const { portal_url } = await createApiClient(this.apiBase).portal(checkout_id ? { checkout_id } : {});
      location.assign(portal_url);
    } catch (error) {
      const problem = toApiError(error);
      emit(this, 'polar-error', { code: problem.code, status: problem.status, detail: problem.message });
      this.actionError = this.text.portalError;
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'polar-portal-button': PolarPortalButton;
  }
}
