// @ts-check
/* global document, window, location, history, URL, URLSearchParams, HTMLElement, EventSource */
/* global setTimeout, clearTimeout */
/**
 * The emulator's hosted checkout page: loads the checkout through the public client endpoints, takes the
 * buyer's details and a test card, confirms, handles the extra authentication step, waits for fulfilment (the
 * order created and the merchant's `checkout.updated` webhook delivered, heard on the checkout's event stream),
 * and redirects to the checkout's `success_url`. When embedded it speaks Polar's `POLAR_CHECKOUT` message
 * protocol, always with the checkout's `embed_origin` as the target origin.
 */
import { api, errorMessage, formatInterval, formatMoney, h, replace, showMessage } from './common.js';

/** @typedef {import('./common.js').ApiResult} ApiResult */
/**
 * @typedef {{
 *   id: string, status: string, client_secret: string, success_url: string | null, return_url: string | null,
 *   organization?: { name: string } | null,
 *   embed_origin: string | null, amount: number, total_amount: number, currency: string, locale?: string | null,
 *   customer_email: string | null, customer_name: string | null, is_payment_form_required: boolean,
 *   payment_processor_metadata: Record<string, string> | null,
 *   product_id: string | null, discount_id: string | null, discount_amount: number,
 *   allow_discount_codes: boolean, is_discount_applicable: boolean,
 *   discount: { name: string, code?: string | null } | null,
 *   products?: CheckoutProduct[],
 *   product: { name: string, description: string | null, is_recurring: boolean,
 *     recurring_interval: string | null, recurring_interval_count: number | null,
 *     benefits?: { description: string }[] } | null,
 *   product_price: { amount_type: string, minimum_amount?: number, maximum_amount?: number | null,
 *     preset_amount?: number | null } | null,
 * }} Checkout
 * @typedef {{ id: string, name: string, is_recurring: boolean, recurring_interval: string | null,
 *   recurring_interval_count: number | null,
 *   prices: { amount_type: string, price_amount?: number, price_currency: string, is_archived?: boolean }[]
 * }} CheckoutProduct
 */

const TEST_CARDS = [
  ['4242 4242 4242 4242', 'pays'],
  ['4000 0000 0000 0002', 'is declined'],
  ['4000 0025 0000 3155', 'asks for an extra authentication step'],
  ['4000 0000 0000 0341', 'pays now, every renewal fails'],
];

const root = /** @type {HTMLElement} */ (document.getElementById('app'));
const query = new URLSearchParams(location.search);
const pathParts = location.pathname.split('/').filter(Boolean);
const clientSecret = decodeURIComponent(pathParts[1] ?? '');
const isConfirmationRoute = pathParts[2] === 'confirmation';
const inFrame = window.parent !== window;
const base = `/v1/checkouts/client/${encodeURIComponent(clientSecret)}`;
/** How long to wait for fulfilment after the payment succeeded; the emulator sets it in the page's meta. */
const fulfilmentTimeoutMs = readFulfilmentTimeout();
/** How long confirming waits for the event stream to open; without it fulfilment can only time out. */
const STREAM_OPEN_WAIT_MS = 3_000;

/** @type {Checkout | null} */
let checkout = null;
let busy = false;
/** The PATCH in flight (amount, plan or discount code); confirming waits for it. */
let pendingUpdate = Promise.resolve();
/** @type {FulfilmentListener | null} */
let fulfilment = null;

/**
 * @typedef {{
 *   source: EventSource,
 *   opened: Promise<boolean>,
 *   wait(recurring: boolean, organization: string): Promise<boolean>,
 *   close(): void,
 * }} FulfilmentListener
 */

/** @returns {number} */
function readFulfilmentTimeout() {
  const meta = document.querySelector('meta[name="polar-fulfilment-timeout-ms"]');
  const value = Number(meta?.getAttribute('content'));
  return Number.isFinite(value) && value >= 0 ? value : 15_000;
}

/**
 * Opens the checkout's event stream (Polar's `useCheckoutFulfillmentListener`). It is pub/sub, so it must be
 * open before confirming: what is published before it connects is never seen. It records, from then on, the
 * payment succeeding, the order and subscription being created and the `checkout.updated` webhook reaching the
 * merchant, whatever comes first.
 * @returns {FulfilmentListener}
 */
function createFulfilmentListener() {
  const source = new EventSource(`${base}/stream`);
  const seen = { succeeded: false, order: false, subscription: false, delivered: false };
  /** @type {() => void} */
  let onChange = () => {};
  source.addEventListener('message', (event) => {
    /** @type {{ key?: string, payload?: { status?: string } } | null} */
    let message;
    try {
      message = JSON.parse(/** @type {MessageEvent} */ (event).data);
    } catch {
      return;
    }
    const status = message?.payload?.status;
    if (message?.key === 'checkout.updated' && status === 'succeeded') seen.succeeded = true;
    else if (message?.key === 'checkout.order_created') seen.order = true;
    else if (message?.key === 'checkout.subscription_created') seen.subscription = true;
    else if (message?.key === 'checkout.webhook_event_delivered' && status === 'succeeded')
      seen.delivered = true;
    onChange();
  });
  /** @type {Promise<boolean>} */
  const opened = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), STREAM_OPEN_WAIT_MS);
    source.addEventListener('open', () => {
      clearTimeout(timer);
      resolve(true);
    });
    source.addEventListener('error', () => {
      // CLOSED: the stream was refused (an error status); otherwise the browser reconnects by itself.
      if (source.readyState === EventSource.CLOSED) {
        clearTimeout(timer);
        resolve(false);
      }
    });
  });
  return {
    source,
    opened,
    wait(recurring, organization) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => finish(false), fulfilmentTimeoutMs);
        /** @param {boolean} fulfilled */
        function finish(fulfilled) {
          clearTimeout(timer);
          onChange = () => {};
          resolve(fulfilled);
        }
        onChange = () => {
          const created = seen.order && (!recurring || seen.subscription);
          if (seen.succeeded && created && seen.delivered) {
            finish(true);
            return;
          }
          setFulfilmentStatus(
            seen.succeeded && created
              ? `Waiting confirmation from ${organization}`
              : 'Payment successful! Processing order...',
          );
        };
        onChange();
      });
    },
    close() {
      source.close();
    },
  };
}

/**
 * The listener for the next confirmation: the one already open (kept across a declined card and the
 * authentication step), or a new one. Waits a little for it to open; if it cannot, paying goes on anyway.
 */
async function listenForFulfilment() {
  if (!fulfilment || fulfilment.source.readyState === EventSource.CLOSED) {
    fulfilment = createFulfilmentListener();
  }
  await fulfilment.opened;
  return fulfilment;
}

/** @param {string} text */
function setFulfilmentStatus(text) {
  const status = document.getElementById('fulfilment-status');
  if (status && status.textContent !== text) status.textContent = text;
}

/** Embedded layout: asked for by the embed script, or implied by an embed origin inside a frame. */
function isEmbedded() {
  return query.get('embed') === 'true' || Boolean(checkout?.embed_origin && inFrame);
}

/**
 * Posts a `POLAR_CHECKOUT` message to the parent, only to the checkout's `embed_origin` and never to `*`.
 * @param {string} event
 * @param {Record<string, unknown>} [extra]
 */
function post(event, extra = {}) {
  const origin = checkout?.embed_origin;
  if (!origin || !inFrame) return;
  try {
    window.parent.postMessage({ ...extra, event, type: 'POLAR_CHECKOUT' }, origin);
  } catch {
    // An embed_origin that is not a valid origin cannot receive anything; Polar drops it the same way.
  }
}

/** The checkout's success URL, unless it is the emulator's own confirmation page. */
function externalSuccessUrl() {
  const url = webUrl(checkout?.success_url);
  if (!url) return null;
  try {
    const parsed = new URL(url);
    // Compared by path: the public URL the emulator was given may differ from the origin serving this page.
    if (parsed.pathname.replace(/\/$/, '') === `/checkout/${encodeURIComponent(clientSecret)}/confirmation`) {
      return null;
    }
  } catch {
    return null;
  }
  return url;
}

/**
 * The URL if it is an absolute http(s) URL, else null: the page only ever navigates to web pages.
 * @param {string | null | undefined} url
 */
function webUrl(url) {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function closeCheckout() {
  if (busy) return;
  if (checkout?.embed_origin && inFrame) {
    post('close');
  } else if (!inFrame) {
    const back = webUrl(checkout?.return_url);
    if (back) location.assign(back);
    else history.back();
  }
}

/** @param {Checkout} c */
function priceLabel(c) {
  if ((c.total_amount ?? c.amount) === 0) return 'Free';
  const money = formatMoney(c.total_amount ?? c.amount, c.currency, 'en-US');
  const product = c.product;
  if (product?.is_recurring)
    return `${money} ${formatInterval(product.recurring_interval, product.recurring_interval_count)}`;
  return money;
}

/** @param {Checkout} c */
function buttonLabel(c) {
  const money = formatMoney(c.total_amount ?? c.amount, c.currency, 'en-US');
  const product = c.product;
  if (product?.is_recurring) {
    const interval = formatInterval(product.recurring_interval, product.recurring_interval_count);
    return (c.total_amount ?? c.amount) === 0 ? 'Subscribe — free' : `Subscribe — ${money} ${interval}`;
  }
  return (c.total_amount ?? c.amount) === 0 ? `Pay ${money} — free` : `Pay ${money}`;
}

/** Wraps the page content in the embedded or standalone frame. @param {HTMLElement[]} content */
function frame(content) {
  const embedded = isEmbedded();
  document.body.classList.toggle('embedded', embedded);
  const panel = h('div', { class: 'panel checkout-panel' }, [
    embedded
      ? h(
          'button',
          { type: 'button', class: 'close', 'aria-label': 'Close checkout', onclick: closeCheckout },
          ['×'],
        )
      : null,
    ...content,
  ]);
  const back = embedded ? null : webUrl(checkout?.return_url);
  if (back) panel.prepend(h('a', { class: 'back', href: back }, ['← Back']));
  return panel;
}

/** @param {Checkout} c */
function summary(c) {
  const product = c.product;
  const benefits = product?.benefits ?? [];
  return h('section', { class: 'summary', 'aria-labelledby': 'product-name' }, [
    h('p', { class: 'eyebrow' }, [product?.is_recurring ? 'Subscription' : 'One-time purchase']),
    h('h1', { id: 'product-name' }, [product?.name ?? 'Checkout']),
    product?.description ? h('p', { class: 'description' }, [product.description]) : null,
    h('p', { class: 'price', 'data-testid': 'price' }, [priceLabel(c)]),
    h('p', { class: 'discount-note', 'data-testid': 'discount' }, [discountNote(c)]),
    benefits.length
      ? h(
          'ul',
          { class: 'benefits', 'aria-label': 'Included' },
          benefits.map((b) => h('li', {}, [b.description])),
        )
      : null,
  ]);
}

/** @param {Checkout} c */
function discountNote(c) {
  if (!c.discount_amount) return '';
  const name = c.discount?.name ?? 'Discount';
  return `${name}: −${formatMoney(c.discount_amount, c.currency)} (was ${formatMoney(c.amount, c.currency)})`;
}

function testModeNote() {
  return h('aside', { class: 'test-mode', 'aria-labelledby': 'test-mode-title' }, [
    h('h2', { id: 'test-mode-title' }, ['Test mode']),
    h('p', {}, ['No real payment is made. Use any future expiration date and any 3-digit CVC with:']),
    h(
      'ul',
      {},
      TEST_CARDS.map(([number, effect]) => h('li', {}, [h('code', {}, [number ?? '']), ` ${effect}`])),
    ),
  ]);
}

/**
 * A labelled input with an error slot wired through `aria-describedby`.
 * @param {{ id: string, label: string, hint?: string, attrs?: import('./common.js').Attrs }} spec
 */
function field({ id, label, hint, attrs = {} }) {
  // The hint sits inside the label, so it is already part of the accessible name.
  const describedBy = `${id}-error`;
  return h('div', { class: 'field', 'data-field': id }, [
    h('label', { for: id }, [
      label,
      hint ? h('span', { class: 'hint', id: `${id}-hint` }, [` (${hint})`]) : null,
    ]),
    h('input', { id, name: id, 'aria-describedby': describedBy, ...attrs }),
    h('p', { class: 'field-error', id: `${id}-error` }, []),
  ]);
}

/** @param {string} id */
function input(id) {
  return /** @type {HTMLInputElement} */ (document.getElementById(id));
}

/** @param {string} id @param {string} message */
function setFieldError(id, message) {
  const el = input(id);
  const slot = document.getElementById(`${id}-error`);
  if (!el || !slot) return;
  el.setAttribute('aria-invalid', message ? 'true' : 'false');
  slot.textContent = message;
}

function clearErrors() {
  for (const el of root.querySelectorAll('[aria-invalid]')) el.setAttribute('aria-invalid', 'false');
  for (const el of root.querySelectorAll('.field-error')) el.textContent = '';
  const alert = document.getElementById('form-error');
  if (alert) alert.textContent = '';
}

/** @param {string} message */
function showAlert(message) {
  const alert = document.getElementById('form-error');
  if (alert) alert.textContent = message;
}

/** Maps a 422 `loc` to the input that holds it. @param {unknown[]} loc */
function fieldForLoc(loc) {
  const path = loc.filter((part) => part !== 'body').join('.');
  /** @type {Record<string, string>} */
  const map = {
    customer_email: 'email',
    customer_name: 'cardholder-name',
    amount: 'amount',
    'card.name': 'cardholder-name',
    'card.number': 'card-number',
    'card.exp_month': 'card-expiry',
    'card.exp_year': 'card-expiry',
    'card.cvc': 'card-cvc',
  };
  return map[path] ?? null;
}

/** @param {ApiResult} result */
function showValidationErrors(result) {
  const detail = Array.isArray(result.body?.detail) ? result.body.detail : [];
  /** @type {string[]} */
  const unplaced = [];
  for (const item of detail) {
    const id = Array.isArray(item?.loc) ? fieldForLoc(item.loc) : null;
    const msg = typeof item?.msg === 'string' ? item.msg : 'Invalid value.';
    if (id && input(id) && !input(id).closest('[hidden]')) setFieldError(id, msg);
    else unplaced.push(msg);
  }
  showAlert(unplaced.length ? unplaced.join(' ') : 'Please correct the highlighted fields.');
  const first = root.querySelector('[aria-invalid="true"]');
  if (first instanceof HTMLElement) first.focus();
}

/** Parses "MM / YY", "MM/YY", "MMYY" or "MM/YYYY". @param {string} value */
function parseExpiry(value) {
  const match = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(value);
  if (!match) return null;
  const month = Number(match[1]);
  const yearText = match[2] ?? '';
  const year = yearText.length === 2 ? 2000 + Number(yearText) : Number(yearText);
  if (month < 1 || month > 12) return null;
  return { month, year };
}

/** @param {string} value */
function formatCardNumber(value) {
  return value
    .replace(/\D/g, '')
    .slice(0, 19)
    .replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** @param {string} value */
function formatExpiry(value) {
  const digits = value.replace(/\D/g, '').slice(0, 4);
  return digits.length > 2 ? `${digits.slice(0, 2)} / ${digits.slice(2)}` : digits;
}

/** @param {Checkout} c */
function isCustomPrice(c) {
  return c.product_price?.amount_type === 'custom';
}

/** Amount in minor units from the amount field, or null when empty/invalid. */
function readAmount() {
  const raw = input('amount')?.value.trim().replace(/,/g, '') ?? '';
  if (!/^\d+(\.\d{1,2})?$/.test(raw)) return null;
  return Math.round(Number(raw) * 100);
}

/** Refreshes everything that depends on the amount after a PATCH. @param {Checkout} c */
function refreshTotals(c) {
  const price = root.querySelector('[data-testid="price"]');
  if (price) price.textContent = priceLabel(c);
  const discount = root.querySelector('[data-testid="discount"]');
  if (discount) discount.textContent = discountNote(c);
  const button = /** @type {HTMLButtonElement | null} */ (document.getElementById('pay'));
  if (button) button.textContent = buttonLabel(c);
  const card = document.getElementById('card-fields');
  if (card) card.hidden = !c.is_payment_form_required;
}

async function onAmountChange() {
  if (!checkout) return;
  setFieldError('amount', '');
  const amount = readAmount();
  if (amount === null) {
    setFieldError('amount', 'Enter an amount, for example 10.00.');
    return;
  }
  const request = api(base, { method: 'PATCH', body: { amount } });
  pendingUpdate = request.then(() => undefined);
  const result = await request;
  if (result.ok) {
    checkout = result.body;
    if (checkout) refreshTotals(checkout);
  } else if (result.status === 422) {
    setFieldError('amount', errorMessage(result, 'This amount is not allowed.'));
  } else if (result.status === 410) {
    showExpired();
  }
}

/** What a product in the plan choice costs, spelled out. @param {CheckoutProduct} p @param {string} currency */
function productPriceLabel(p, currency) {
  const price = p.prices.find((x) => !x.is_archived) ?? p.prices[0];
  if (!price) return '';
  if (price.amount_type === 'custom') return 'pay what you want';
  const amount = price.price_amount ?? 0;
  if (amount === 0) return 'free';
  const money = formatMoney(amount, price.price_currency || currency);
  return p.is_recurring
    ? `${money} ${formatInterval(p.recurring_interval, p.recurring_interval_count)}`
    : money;
}

/** Radio buttons when the checkout offers several products. @param {Checkout} c */
function productChoice(c) {
  const products = c.products ?? [];
  if (products.length < 2) return null;
  return h('fieldset', { class: 'choice' }, [
    h('legend', {}, ['Choose a plan']),
    ...products.map((p) =>
      h('div', { class: 'radio' }, [
        h('input', {
          type: 'radio',
          name: 'product',
          id: `product-${p.id}`,
          value: p.id,
          checked: p.id === c.product_id,
          onchange: () => void update({ product_id: p.id }, `product-${p.id}`),
        }),
        h('label', { for: `product-${p.id}` }, [`${p.name} — ${productPriceLabel(p, c.currency)}`]),
      ]),
    ),
  ]);
}

/** The discount code field, or the applied discount. @param {Checkout} c */
function discountField(c) {
  if (c.discount_id) {
    return h('p', { class: 'applied' }, [`Discount applied: ${c.discount?.name ?? 'discount'}.`]);
  }
  if (!c.allow_discount_codes || !c.is_discount_applicable || (c.amount === 0 && !isCustomPrice(c)))
    return null;
  const apply = () => {
    const code = input('discount-code').value.trim();
    if (!code) {
      setFieldError('discount-code', 'Enter a discount code.');
      return;
    }
    void update({ discount_code: code }, 'discount-code');
  };
  return h('div', { class: 'field', 'data-field': 'discount-code' }, [
    h('label', { for: 'discount-code' }, ['Discount code']),
    h('div', { class: 'inline' }, [
      h('input', {
        id: 'discount-code',
        name: 'discount-code',
        type: 'text',
        autocomplete: 'off',
        'aria-describedby': 'discount-code-error',
        onkeydown: (event) => {
          if (/** @type {KeyboardEvent} */ (event).key === 'Enter') {
            event.preventDefault();
            apply();
          }
        },
      }),
      h('button', { type: 'button', class: 'secondary', onclick: apply }, ['Apply']),
    ]),
    h('p', { class: 'field-error', id: 'discount-code-error' }, []),
  ]);
}

/**
 * Sends a change of plan or discount code, then redraws the page with the answer, keeping what the buyer
 * typed and where the focus was.
 * @param {Record<string, unknown>} patch
 * @param {string} fieldId the input that an error belongs to
 */
async function update(patch, fieldId) {
  if (!checkout) return;
  setFieldError(fieldId, '');
  const request = api(base, { method: 'PATCH', body: patch });
  pendingUpdate = request.then(() => undefined);
  const result = await request;
  if (result.ok && result.body) {
    checkout = result.body;
    rerender(fieldId);
  } else if (result.status === 410) {
    showExpired();
  } else {
    setFieldError(fieldId, errorMessage(result, 'This change could not be applied.'));
    input(fieldId)?.focus();
  }
}

/** Redraws the checkout, keeping the values typed so far; focus goes back to `focusId` if it still exists. */
function rerender(focusId = '') {
  /** @type {Record<string, string>} */
  const values = {};
  for (const el of root.querySelectorAll('input[type="text"], input[type="email"]')) {
    const field = /** @type {HTMLInputElement} */ (el);
    if (field.id !== 'amount' && field.id !== 'discount-code') values[field.id] = field.value;
  }
  renderCheckout();
  for (const [id, value] of Object.entries(values)) {
    const field = input(id);
    if (field) field.value = value;
  }
  const target = focusId ? document.getElementById(focusId) : null;
  (target ?? document.getElementById('pay'))?.focus();
}

/** @param {Checkout} c */
function renderForm(c) {
  const custom = isCustomPrice(c);
  const price = c.product_price;
  const currency = c.currency.toUpperCase();
  const limits = [
    price?.minimum_amount ? `minimum ${formatMoney(price.minimum_amount, c.currency)}` : null,
    price?.maximum_amount ? `maximum ${formatMoney(price.maximum_amount, c.currency)}` : null,
  ]
    .filter(Boolean)
    .join(', ');

  const form = h('form', { class: 'pay-form', novalidate: true, 'aria-labelledby': 'pay-title' }, [
    h('h2', { id: 'pay-title' }, ['Payment details']),
    h('div', { id: 'form-error', class: 'alert', role: 'alert' }, []),
    productChoice(c),
    field({
      id: 'email',
      label: 'Email',
      attrs: { type: 'email', autocomplete: 'email', required: true, value: c.customer_email ?? '' },
    }),
    custom
      ? field({
          id: 'amount',
          label: `Amount (${currency})`,
          hint: limits || undefined,
          attrs: {
            type: 'text',
            inputmode: 'decimal',
            required: true,
            value: (c.amount / 100).toFixed(2),
            onchange: () => void onAmountChange(),
          },
        })
      : null,
    h('fieldset', { id: 'card-fields', class: 'card-fields', hidden: !c.is_payment_form_required }, [
      h('legend', {}, ['Card']),
      field({
        id: 'cardholder-name',
        label: 'Cardholder name',
        attrs: { type: 'text', autocomplete: 'cc-name', value: c.customer_name ?? '' },
      }),
      field({
        id: 'card-number',
        label: 'Card number',
        attrs: {
          type: 'text',
          inputmode: 'numeric',
          autocomplete: 'cc-number',
          placeholder: '4242 4242 4242 4242',
          oninput: (event) => {
            const el = /** @type {HTMLInputElement} */ (event.target);
            if (el.selectionStart === el.value.length) el.value = formatCardNumber(el.value);
          },
        },
      }),
      h('div', { class: 'row' }, [
        field({
          id: 'card-expiry',
          label: 'Expiration date',
          hint: 'MM / YY',
          attrs: {
            type: 'text',
            inputmode: 'numeric',
            autocomplete: 'cc-exp',
            placeholder: 'MM / YY',
            oninput: (event) => {
              const el = /** @type {HTMLInputElement} */ (event.target);
              const data = /** @type {InputEvent} */ (event).inputType;
              if (
                data !== 'deleteContentBackward' &&
                el.selectionStart === el.value.length &&
                !el.value.includes('/')
              ) {
                el.value = formatExpiry(el.value);
              }
            },
          },
        }),
        field({
          id: 'card-cvc',
          label: 'CVC',
          attrs: {
            type: 'text',
            inputmode: 'numeric',
            autocomplete: 'cc-csc',
            maxlength: 4,
            placeholder: '123',
          },
        }),
      ]),
    ]),
    discountField(c),
    h('button', { id: 'pay', type: 'submit', class: 'pay' }, [buttonLabel(c)]),
  ]);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  return form;
}

/** Checks what the browser can check; the emulator checks the card itself (Luhn, expiry, CVC). */
function validate() {
  let ok = true;
  const email = input('email').value.trim();
  if (!email) {
    setFieldError('email', 'Enter your email address.');
    ok = false;
  } else if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    setFieldError('email', 'Enter a valid email address, like name@example.com.');
    ok = false;
  }
  if (checkout && isCustomPrice(checkout) && readAmount() === null) {
    setFieldError('amount', 'Enter an amount, for example 10.00.');
    ok = false;
  }
  if (checkout?.is_payment_form_required) {
    if (!input('cardholder-name').value.trim()) {
      setFieldError('cardholder-name', 'Enter the name on the card.');
      ok = false;
    }
    if (!/^\d{12,19}$/.test(input('card-number').value.replace(/[\s-]/g, ''))) {
      setFieldError('card-number', 'Enter the card number.');
      ok = false;
    }
    if (!parseExpiry(input('card-expiry').value)) {
      setFieldError('card-expiry', 'Enter the expiration date as MM / YY.');
      ok = false;
    }
    if (!/^\d{3,4}$/.test(input('card-cvc').value.trim())) {
      setFieldError('card-cvc', 'Enter the 3 or 4 digit security code.');
      ok = false;
    }
  }
  if (!ok) {
    showAlert('Please correct the highlighted fields.');
    const first = root.querySelector('[aria-invalid="true"]');
    if (first instanceof HTMLElement) first.focus();
  }
  return ok;
}

/** @param {boolean} value */
function setBusy(value) {
  busy = value;
  const button = /** @type {HTMLButtonElement | null} */ (document.getElementById('pay'));
  if (button) {
    button.disabled = value;
    button.textContent = value ? 'Processing…' : checkout ? buttonLabel(checkout) : 'Pay';
  }
  root.setAttribute('aria-busy', value ? 'true' : 'false');
}

async function submit() {
  if (busy || !checkout) return;
  clearErrors();
  if (!validate()) return;

  const name = input('cardholder-name').value.trim();
  /** @type {Record<string, unknown>} */
  const body = {
    customer_email: input('email').value.trim(),
    customer_name: name || checkout.customer_name || null,
  };
  if (isCustomPrice(checkout)) body.amount = readAmount();
  if (checkout.is_payment_form_required) {
    const expiry = parseExpiry(input('card-expiry').value);
    body.card = {
      number: input('card-number').value.replace(/[\s-]/g, ''),
      exp_month: expiry?.month,
      exp_year: expiry?.year,
      cvc: input('card-cvc').value.trim(),
      name,
    };
  }

  setBusy(true);
  await pendingUpdate;
  post('confirmed');
  await listenForFulfilment();
  const result = await api(`${base}/confirm`, { method: 'POST', body });
  await handleConfirmResult(result);
}

/** @param {ApiResult} result */
async function handleConfirmResult(result) {
  if (result.ok && result.body) {
    checkout = result.body;
    if (result.body.status === 'succeeded') return succeed();
    if (
      result.body.status === 'confirmed' &&
      result.body.payment_processor_metadata?.next_action === 'authenticate'
    ) {
      setBusy(false);
      return showAuthentication();
    }
    setBusy(false);
    return showConfirmation();
  }
  setBusy(false);
  if (result.status === 410) return showExpired();
  if (result.status === 422) return showValidationErrors(result);
  if (result.status === 400) {
    showAlert(errorMessage(result, 'The payment failed. Try another card.'));
    input('card-number')?.focus();
    return;
  }
  if (result.status === 403) {
    // No longer open (paid in another tab, for instance): show whatever state it is in now.
    return load();
  }
  showAlert(errorMessage(result, 'Something went wrong. Please try again.'));
}

/** The extra authentication step that the 3155 test card asks for; the form keeps its values meanwhile. */
function authSection() {
  /** @param {boolean} approve */
  const decide = async (approve) => {
    if (busy) return;
    busy = true;
    root.setAttribute('aria-busy', 'true');
    for (const b of root.querySelectorAll('.auth button')) {
      /** @type {HTMLButtonElement} */ (b).disabled = true;
    }
    // After a reload during this step there is no listener yet.
    await listenForFulfilment();
    const result = await api(`/_emulator/checkouts/client/${encodeURIComponent(clientSecret)}/authenticate`, {
      method: 'POST',
      body: { approve },
    });
    busy = false;
    root.setAttribute('aria-busy', 'false');
    if (result.ok && result.body?.status === 'succeeded') {
      checkout = result.body;
      return succeed();
    }
    if (result.status === 410) return showExpired();
    // Failed: the checkout is open again, so the buyer can retry with the same or another card.
    const reload = await api(base);
    if (reload.ok && reload.body) checkout = reload.body;
    showForm();
    showAlert(errorMessage(result, 'Card authentication failed.'));
    input('card-number')?.focus();
  };
  return h('section', { id: 'auth', class: 'auth', 'aria-labelledby': 'auth-title', hidden: true }, [
    h('h2', { id: 'auth-title', tabindex: '-1' }, ['Authenticate this payment']),
    h('p', {}, [
      'Your bank asks you to confirm this payment. In test mode you choose the outcome of the authentication.',
    ]),
    h('div', { class: 'actions' }, [
      h('button', { type: 'button', class: 'pay', onclick: () => void decide(true) }, [
        'Complete authentication',
      ]),
      h('button', { type: 'button', class: 'secondary', onclick: () => void decide(false) }, [
        'Fail authentication',
      ]),
    ]),
  ]);
}

function showAuthentication() {
  const form = root.querySelector('form');
  const auth = document.getElementById('auth');
  if (!form || !auth) return;
  form.hidden = true;
  auth.hidden = false;
  for (const b of auth.querySelectorAll('button')) /** @type {HTMLButtonElement} */ (b).disabled = false;
  document.getElementById('auth-title')?.focus();
}

function showForm() {
  const form = root.querySelector('form');
  const auth = document.getElementById('auth');
  if (form) form.hidden = false;
  if (auth) auth.hidden = true;
  setBusy(false);
}

/**
 * After a successful payment: waits for fulfilment as Polar's page does, then tells the embedding page, or
 * redirects, or shows the confirmation. If fulfilment does not come in time it gives up: no `success`, no
 * redirect, just the page's own confirmation. The wait counts from the payment's success, so time spent on the
 * authentication step does not use it up.
 */
async function succeed() {
  if (!checkout) return;
  busy = true;
  // The wait is told through the status region; aria-busy would hold its announcements back.
  root.setAttribute('aria-busy', 'false');
  const listener = await listenForFulfilment();
  const fulfilled = await listener.wait(
    Boolean(checkout.product?.is_recurring),
    checkout.organization?.name ?? 'the seller',
  );
  listener.close();
  fulfilment = null;
  if (!fulfilled) {
    showConfirmation();
    return;
  }
  const successUrl = externalSuccessUrl();
  const canMessage = Boolean(checkout.embed_origin && inFrame);
  if (canMessage) {
    const confirmationUrl = `${location.origin}/checkout/${encodeURIComponent(clientSecret)}/confirmation`;
    post('success', {
      successURL: successUrl ?? checkout.success_url ?? confirmationUrl,
      redirect: Boolean(successUrl),
    });
    // The parent navigates to an external success URL itself; meanwhile this frame shows the confirmation.
    return showConfirmation();
  }
  if (successUrl) {
    location.assign(successUrl);
    return;
  }
  showConfirmation();
}

function showConfirmation() {
  if (!checkout) return;
  const c = checkout;
  busy = false;
  root.setAttribute('aria-busy', 'false');
  const succeeded = c.status === 'succeeded';
  const title = succeeded
    ? c.product?.is_recurring
      ? 'Your subscription is active'
      : 'Payment successful'
    : c.status === 'confirmed'
      ? 'Your payment is being processed'
      : c.status === 'failed'
        ? 'The payment failed'
        : 'Checkout';
  replace(root, [
    frame([
      h('section', { class: 'confirmation', 'aria-labelledby': 'confirmation-title' }, [
        h('h1', { id: 'confirmation-title', tabindex: '-1' }, [title]),
        h('p', {}, [
          succeeded
            ? `Thank you! You paid ${formatMoney(c.total_amount ?? c.amount, c.currency)} for ${c.product?.name ?? 'your order'}.`
            : `Status: ${c.status}.`,
        ]),
        succeeded && c.customer_email
          ? h('p', {}, [`A receipt is on its way to ${c.customer_email}.`])
          : null,
      ]),
    ]),
  ]);
  root.querySelector('h1')?.focus();
}

function showExpired() {
  showMessage(
    root,
    'This checkout has expired',
    'Checkout sessions are valid for one hour. Go back and start again.',
  );
}

function renderCheckout() {
  if (!checkout) return;
  root.setAttribute('aria-busy', 'false');
  replace(root, [
    frame([
      summary(checkout),
      renderForm(checkout),
      authSection(),
      h('p', {
        id: 'fulfilment-status',
        class: 'fulfilment-status',
        role: 'status',
        'aria-live': 'polite',
      }),
      testModeNote(),
    ]),
  ]);
}

async function load() {
  if (!clientSecret.startsWith('polar_c_')) {
    showMessage(root, 'Checkout not found', 'This checkout link is not valid.');
    return;
  }
  const result = await api(base);
  if (result.status === 410) return showExpired();
  if (result.status === 404) {
    return showMessage(
      root,
      'Checkout not found',
      'This checkout link is not valid. Go back and start again.',
    );
  }
  if (!result.ok || !result.body) {
    return showMessage(
      root,
      'Checkout unavailable',
      'The checkout could not be loaded. Reload the page to try again.',
    );
  }
  checkout = result.body;
  if (!checkout) return;
  document.title = `${checkout.product?.name ?? 'Checkout'} — Checkout`;

  if (isEmbedded()) {
    document.body.classList.add('embedded');
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeCheckout();
    });
    document.body.addEventListener('click', (event) => {
      if (event.target === document.body || event.target === root) closeCheckout();
    });
  }

  if (checkout.status === 'succeeded') {
    const successUrl = externalSuccessUrl();
    if (successUrl && !isConfirmationRoute) {
      location.replace(successUrl);
      return;
    }
    showConfirmation();
  } else if (checkout.status === 'open') {
    renderCheckout();
  } else if (checkout.status === 'expired') {
    showExpired();
  } else if (
    checkout.status === 'confirmed' &&
    checkout.payment_processor_metadata?.next_action === 'authenticate'
  ) {
    renderCheckout();
    showAuthentication();
  } else {
    showConfirmation();
  }
  post('loaded');
}

void load();
