/** `<polar-portal-button>`: opens Polar's customer portal for the buyer of a checkout. */
import { css, html, nothing } from 'lit';
import { createApiClient, toApiError } from './api-client.js';
import { emit } from './events.js';
import { checkoutIdFromPage, PolarElement } from './internal/polar-element.js';
import { baseStyles } from './internal/styles.js';

/**
 * @summary A button that asks the kit for a customer portal session (`POST /api/portal`) and goes there.
 * @slot - the label; defaults to "Manage subscription".
 * @fires polar-error - the kit refused or could not be reached.
 * @csspart base - the button.
 * @csspart error - the error message.
 */
export class PolarPortalButton extends PolarElement {
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
    checkoutId: { attribute: 'checkout-id' },
  };

  /** The checkout whose buyer opens the portal; defaults to the page's `?checkout_id=`. Without one, the kit's `identify(req)` decides. */
  checkoutId = '';

  private async handleClick(): Promise<void> {
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

  override render() {
    return html`<button
        part="base"
        class="btn"
        type="button"
        aria-busy=${this.busy ? 'true' : 'false'}
        @click=${this.handleClick}
      >
        <slot>${this.text.portal}</slot></button
      >${this.actionError ? html`<p part="error" role="alert">${this.actionError}</p>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'polar-portal-button': PolarPortalButton;
  }
}
