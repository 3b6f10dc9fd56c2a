/**
 * `<polar-checkout-dialog>`: the accessible dialog around a hosted checkout page. The widget loads this module on
 * the first click and creates the element; pages only style it (`polar-checkout-dialog::part(dialog)`). It shows
 * either its own frame (any checkout origin: the emulator, a self-hosted Polar) or the frame of Polar's official
 * embed (Polar's own origins), and speaks the same `POLAR_CHECKOUT` protocol with both, trusting messages from
 * exactly the checkout's origin and frame. Written without Lit so that it can live in its own file.
 */
import type { CheckoutResponse } from '../contract/contract.js';
import { createApiClient } from './api-client.js';
import { emit } from './events.js';
import { define } from './internal/define.js';
import { loadEmbed, POLAR_ORIGINS } from './internal/lazy.js';
import { BASE_CSS } from './internal/theme.js';
import type { WidgetStrings } from './strings.js';

/** What the widget passes when it opens the dialog. */
export type CheckoutDialogOptions = {
  checkout: CheckoutResponse;
  /** Where events go (the element the buyer used). */
  source: HTMLElement;
  /** The control that opened the dialog; focused again on close. */
  trigger: HTMLElement | null;
  apiBase: string;
  strings: WidgetStrings;
  /** Milliseconds the hosted page has to load before the checkout opens in a new tab instead. */
  loadTimeout: number;
  theme: 'light' | 'dark' | 'auto';
};

/** A `POLAR_CHECKOUT` message, as the hosted checkout page sends it. */
type CheckoutMessage = { event?: string; successURL?: string; redirect?: boolean };

const CSS =
  BASE_CSS +
  ':host{position:fixed;inset:0;z-index:2147483646}' +
  '.backdrop{position:absolute;inset:0;display:grid;place-items:center;background:rgb(0 0 0/.55)}' +
  '.dialog{display:flex;flex-direction:column;width:min(100%,40rem);height:min(100%,52rem);background:var(--_surface);' +
  'color:var(--_text);border-radius:var(--_radius);overflow:hidden;box-shadow:0 1.5rem 3rem rgb(0 0 0/.3)}' +
  '@media (max-width:40rem){.dialog{height:100%;border-radius:0}}' +
  '@media (prefers-reduced-motion:no-preference){.dialog{animation:rise .18s ease-out}}' +
  '@keyframes rise{from{opacity:0;transform:translateY(.75rem)}}' +
  'header{display:flex;align-items:center;justify-content:space-between;gap:var(--_space);' +
  'padding:calc(var(--_space)*.5) var(--_space);border-bottom:1px solid var(--_border)}' +
  'h2{margin:0;font-size:1rem}' +
  '.close{border:0;background:none;color:inherit;font-size:1.5rem;line-height:1;padding:.25rem .5rem;border-radius:.25rem}' +
  '.close:disabled{opacity:.4;cursor:not-allowed}.body{position:relative;flex:1}' +
  '[part=status]{position:absolute;inset:0;margin:0;padding:var(--_space);text-align:center;align-content:center}' +
  '::slotted(iframe){position:absolute!important;inset:0;width:100%!important;height:100%!important;border:0!important;background:transparent!important}' +
  'a{color:inherit}';

/**
 * @summary The checkout dialog.
 * @fires polar-checkout-confirmed - on the source element, when the buyer submits payment.
 * @fires polar-checkout-success - on the source element, when the hosted page reports success.
 * @fires polar-checkout-close - on the source element, when the dialog closes.
 * @fires polar-error - `EMBED_TIMEOUT` when the page did not load in time, `EMBED_FAILED` when the embed did not load.
 * @csspart backdrop - the full-viewport backdrop.
 * @csspart dialog - the dialog box.
 * @csspart header - the title bar.
 * @csspart title - the dialog title.
 * @csspart close - the close button.
 * @csspart status - the loading or timeout message.
 */
export class PolarCheckoutDialog extends HTMLElement {
  private options!: CheckoutDialogOptions;
  private status!: HTMLParagraphElement;
  private closeButton!: HTMLButtonElement;
  private confirming = false;
  private completed = false;
  private disposeFrame?: () => void;
  private timer?: ReturnType<typeof setTimeout>;
  private inerted: Element[] = [];
  private rootOverflow = '';

  /** Shows the checkout: appends the dialog to `<body>`, makes the rest of the page inert and moves focus in. */
  open(options: CheckoutDialogOptions): void {
    this.options = options;
    const s = options.strings;
    this.setAttribute('theme', options.theme);
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML =
      `<style>${CSS}</style><div part="backdrop" class="backdrop"><div part="dialog" class="dialog" role="dialog" aria-modal="true" aria-labelledby="title" tabindex="-1">` +
      '<header part="header"><h2 id="title" part="title"></h2><button part="close" class="close" type="button">×</button></header>' +
      '<div class="body"><p part="status" role="status"></p><slot></slot></div></div></div>';
    root.getElementById('title')!.textContent = s.dialogTitle;
    this.closeButton = root.querySelector('button')!;
    this.closeButton.setAttribute('aria-label', s.close);
    this.closeButton.onclick = () => this.close();
    // A click on the backdrop, outside the dialog box, closes it like the hosted page's own backdrop does.
    const backdrop = root.querySelector<HTMLElement>('.backdrop')!;
    backdrop.onclick = (event) => {
      if (event.target === backdrop) this.close();
    };
    this.status = root.querySelector('p')!;
    this.status.textContent = s.checkoutLoading;
    this.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.close();
      }
    });
    document.body.append(this);
    for (const sibling of document.body.children) {
      if (sibling !== this && !sibling.hasAttribute('inert')) {
        sibling.setAttribute('inert', '');
        this.inerted.push(sibling);
      }
    }
    this.rootOverflow = document.documentElement.style.overflow;
    document.documentElement.style.overflow = 'hidden';
    root.querySelector<HTMLElement>('[role=dialog]')!.focus();
    this.timer = setTimeout(() => this.handleTimeout(), options.loadTimeout);
    void this.openFrame();
  }

  disconnectedCallback(): void {
    clearTimeout(this.timer);
    this.disposeFrame?.();
    this.disposeFrame = undefined;
    for (const element of this.inerted) element.removeAttribute('inert');
    this.inerted = [];
    document.documentElement.style.overflow = this.rootOverflow;
  }

  /** Closes the dialog, unless a payment is being confirmed. Focus returns to the control that opened it. */
  close(): void {
    if (this.confirming || !this.isConnected) return;
    this.remove();
    this.options.trigger?.focus();
    emit(this.options.source, 'polar-checkout-close', {
      checkout_id: this.options.checkout.checkout_id,
      completed: this.completed,
    });
  }

  private async openFrame(): Promise<void> {
    const url = new URL(this.options.checkout.checkout_url);
    const theme = this.options.theme;
    const resolved =
      theme === 'auto' ? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light') : theme;
    if (POLAR_ORIGINS.includes(url.origin)) {
      let Embed;
      try {
        Embed = await loadEmbed();
      } catch {
        emit(this.options.source, 'polar-error', { code: 'EMBED_FAILED', status: 0 });
        return this.fallBack();
      }
      if (!this.isConnected) return;
      // The embed appends its spinner and frame to <body> synchronously; the frame moves into this dialog, and
      // the dialog, not the embed, decides what `close` and `success` do.
      const created = Embed.create(url.href, {
        theme: resolved,
        onLoaded: () => this.handleMessage({ event: 'loaded' }),
      });
      const frame = document.body.lastElementChild as HTMLIFrameElement;
      const spinner = frame.previousElementSibling as HTMLElement;
      const style = document.head.lastElementChild;
      spinner.style.display = 'none';
      this.adoptFrame(frame);
      const loaded: { instance?: Awaited<typeof created> } = {};
      this.disposeFrame = () => {
        // The embed leaves its spinner style in <head> on every open.
        if (style instanceof HTMLStyleElement && style.innerText.includes('polar-loader-spinner'))
          style.remove();
        const instance = loaded.instance;
        if (instance) {
          // The embed removes its frame from <body> itself; give it back first.
          document.body.append(frame);
          instance.close();
        } else {
          frame.remove();
          spinner.remove();
          document.body.classList.remove('polar-no-scroll');
        }
      };
      const instance = (loaded.instance = await created);
      if (!this.isConnected) return instance.close();
      instance.addEventListener('confirmed', () => this.handleMessage({ event: 'confirmed' }));
      instance.addEventListener('close', (event) => {
        event.preventDefault();
        this.handleMessage({ event: 'close' });
      });
      instance.addEventListener('success', (event) => {
        event.preventDefault();
        this.handleMessage(event.detail);
      });
      return;
    }
    url.searchParams.set('embed', 'true');
    url.searchParams.set('embed_origin', location.origin);
    url.searchParams.set('theme', resolved);
    const frame = document.createElement('iframe');
    frame.src = url.href;
    frame.allow = `payment ${url.origin}`;
    this.adoptFrame(frame);
    const onMessage = (event: MessageEvent) => {
      const data = event.data as (CheckoutMessage & { type?: string }) | null;
      if (
        event.origin === url.origin &&
        event.source === frame.contentWindow &&
        data?.type === 'POLAR_CHECKOUT'
      ) {
        this.handleMessage(data);
      }
    };
    addEventListener('message', onMessage);
    this.disposeFrame = () => {
      removeEventListener('message', onMessage);
      frame.remove();
    };
  }

  private adoptFrame(frame: HTMLIFrameElement): void {
    frame.removeAttribute('style');
    frame.title = this.options.strings.dialogTitle;
    this.append(frame);
  }

  private handleMessage(message: CheckoutMessage): void {
    const { checkout, source } = this.options;
    switch (message.event) {
      case 'loaded':
        clearTimeout(this.timer);
        this.status.hidden = true;
        break;
      case 'confirmed':
        this.confirming = this.closeButton.disabled = true;
        emit(source, 'polar-checkout-confirmed', { checkout_id: checkout.checkout_id });
        break;
      case 'success':
        this.confirming = this.closeButton.disabled = false;
        this.completed = true;
        void this.handleSuccess(message);
        break;
      case 'close':
        this.close();
        break;
    }
  }

  private async handleSuccess(message: CheckoutMessage): Promise<void> {
    const { checkout, source, apiBase } = this.options;
    const api = createApiClient(apiBase);
    let order = null;
    // The hosted page reports success once Polar has fulfilled the order; the kit's webhook may lag a moment.
    for (let attempt = 0; attempt < 4 && !order; attempt++) {
      if (attempt) await new Promise((resolve) => setTimeout(resolve, 400 * attempt));
      order = await api.checkoutStatus(checkout.checkout_id).then(
        (status) => status.order,
        () => null,
      );
    }
    // Only http(s): a `javascript:` URL would run in this page.
    const success_url =
      message.redirect && /^https?:\/\//i.test(message.successURL ?? '') ? message.successURL! : null;
    if (
      emit(
        source,
        'polar-checkout-success',
        { checkout_id: checkout.checkout_id, order, success_url },
        true,
      ) &&
      success_url
    ) {
      location.assign(success_url);
    }
  }

  private handleTimeout(): void {
    emit(this.options.source, 'polar-error', {
      code: 'EMBED_TIMEOUT',
      status: 0,
      detail: this.options.strings.embedTimeout,
    });
    this.fallBack();
  }

  /** Opens the checkout in a new tab; if the browser blocks that, the dialog offers a link instead. */
  private fallBack(): void {
    clearTimeout(this.timer);
    this.disposeFrame?.();
    this.disposeFrame = undefined;
    const { checkout_url } = this.options.checkout;
    const tab = open(checkout_url, '_blank');
    if (tab) {
      try {
        tab.opener = null;
      } catch {
        // Already cross-origin: nothing to cut.
      }
      return this.close();
    }
    const link = document.createElement('a');
    Object.assign(link, {
      href: checkout_url,
      target: '_blank',
      rel: 'noopener',
      textContent: this.options.strings.openInNewTab,
    });
    link.onclick = () => this.close();
    this.status.setAttribute('role', 'alert');
    this.status.hidden = false;
    this.status.replaceChildren(`${this.options.strings.embedTimeout} `, link);
  }
}

define('polar-checkout-dialog', PolarCheckoutDialog);

/** Opens the checkout dialog (see {@link PolarCheckoutDialog.open}). */
export function openCheckoutDialog(options: CheckoutDialogOptions): PolarCheckoutDialog {
  const dialog = document.createElement('polar-checkout-dialog') as PolarCheckoutDialog;
  dialog.open(options);
  return dialog;
}

declare global {
  interface HTMLElementTagNameMap {
    'polar-checkout-dialog': PolarCheckoutDialog;
  }
}
