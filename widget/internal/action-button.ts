/** The shared shape of the widget's single-button elements: one native button with a slotted label. */
import { css, html, nothing } from 'lit';
import { PolarElement } from './polar-element.js';
import { baseStyles } from './styles.js';

export abstract class PolarActionButton extends PolarElement {
  static override styles = [
    baseStyles,
    css`
      :host {
        display: inline-block;
      }
    `,
  ];
  static override shadowRootOptions = { ...PolarElement.shadowRootOptions, delegatesFocus: true };

  /** The label when the element has no content. */
  protected abstract get defaultLabel(): string;
  /** What a click does. */
  protected abstract activate(button: HTMLElement): void;

  override render() {
    return html`<button
        part="base"
        class="btn"
        type="button"
        aria-busy=${this.busy ? 'true' : 'false'}
        @click=${(event: Event) => this.activate(event.currentTarget as HTMLElement)}
      >
        <slot>${this.defaultLabel}</slot></button
      >${this.actionError ? html`<p part="error" role="alert">${this.actionError}</p>` : nothing}`;
  }
}
