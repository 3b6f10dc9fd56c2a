// @ts-check
/* global document, location, URLSearchParams, CSS, HTMLElement */
/**
 * The emulator's customer portal: the customer's orders, subscriptions (cancel at period end and resume) and
 * license keys, read through Polar's customer-portal API with the customer session token as bearer.
 */
import {
  api,
  errorMessage,
  formatDate,
  formatInterval,
  formatMoney,
  h,
  replace,
  showMessage,
} from './common.js';

/**
 * @typedef {{ id: string, created_at: string, status: string, total_amount: number, currency: string,
 *   billing_reason?: string, product: { name: string } | null, description?: string }} Order
 * @typedef {{ id: string, status: string, amount: number, currency: string, recurring_interval: string,
 *   recurring_interval_count?: number, current_period_end: string | null, cancel_at_period_end: boolean,
 *   ends_at: string | null, ended_at: string | null, product: { name: string } | null }} Subscription
 * @typedef {{ id: string, key: string, display_key: string, status: string, limit_activations: number | null,
 *   usage: number, limit_usage?: number | null, expires_at: string | null, activations?: unknown[] }} LicenseKey
 */

const root = /** @type {HTMLElement} */ (document.getElementById('app'));
const token = new URLSearchParams(location.search).get('customer_session_token') ?? '';
/** Whether a subscription action is in flight. */
let busy = false;
/** The subscription whose button gets the focus back after the page re-renders. */
let focusAfterLoad = '';

function invalidLink() {
  showMessage(
    root,
    'This portal link is invalid or has expired',
    'Customer portal links are valid for a limited time. Ask for a new link from the shop you bought from.',
  );
}

/**
 * @template T
 * @param {string} path
 * @returns {Promise<T[] | null>}
 */
async function list(path) {
  const result = await api(`${path}?limit=100&page=1`, { token });
  if (!result.ok) return null;
  return Array.isArray(result.body?.items) ? result.body.items : [];
}

/** @param {string} text @param {string} kind */
function badge(text, kind) {
  return h('span', { class: `badge badge-${kind}` }, [text]);
}

/** @param {Order[]} orders */
function ordersSection(orders) {
  return h('section', { class: 'panel', 'aria-labelledby': 'orders-title' }, [
    h('h2', { id: 'orders-title' }, ['Orders']),
    orders.length
      ? h('table', {}, [
          h('thead', {}, [
            h('tr', {}, [
              h('th', { scope: 'col' }, ['Product']),
              h('th', { scope: 'col' }, ['Amount']),
              h('th', { scope: 'col' }, ['Date']),
              h('th', { scope: 'col' }, ['Status']),
            ]),
          ]),
          h(
            'tbody',
            {},
            orders.map((order) =>
              h('tr', { 'data-order-id': order.id }, [
                h('td', { 'data-label': 'Product' }, [order.product?.name ?? order.description ?? 'Order']),
                h('td', { 'data-label': 'Amount' }, [formatMoney(order.total_amount, order.currency)]),
                h('td', { 'data-label': 'Date' }, [formatDate(order.created_at)]),
                h('td', { 'data-label': 'Status' }, [
                  badge(order.status, order.status === 'paid' ? 'good' : 'neutral'),
                ]),
              ]),
            ),
          ),
        ])
      : h('p', {}, ['No orders yet.']),
  ]);
}

/** @param {Subscription} sub */
function subscriptionTiming(sub) {
  if (sub.status === 'canceled' || sub.ended_at) return `Ended on ${formatDate(sub.ended_at ?? sub.ends_at)}`;
  if (sub.cancel_at_period_end) return `Ends on ${formatDate(sub.ends_at ?? sub.current_period_end)}`;
  return `Renews on ${formatDate(sub.current_period_end)}`;
}

/** @param {Subscription} sub @param {boolean} cancel */
async function updateSubscription(sub, cancel) {
  if (busy) return;
  busy = true;
  root.setAttribute('aria-busy', 'true');
  for (const b of root.querySelectorAll('button')) /** @type {HTMLButtonElement} */ (b).disabled = true;
  const result = await api(`/v1/customer-portal/subscriptions/${encodeURIComponent(sub.id)}`, {
    method: 'PATCH',
    body: { cancel_at_period_end: cancel },
    token,
  });
  busy = false;
  if (result.status === 401) return invalidLink();
  focusAfterLoad = sub.id;
  await load(
    result.ok
      ? cancel
        ? `Your ${sub.product?.name ?? ''} subscription will end on ${formatDate(result.body?.ends_at ?? sub.current_period_end)}.`
        : `Your ${sub.product?.name ?? ''} subscription will renew.`
      : null,
    result.ok ? null : errorMessage(result, 'The subscription could not be updated.'),
  );
}

/** @param {Subscription[]} subscriptions */
function subscriptionsSection(subscriptions) {
  return h('section', { class: 'panel', 'aria-labelledby': 'subscriptions-title' }, [
    h('h2', { id: 'subscriptions-title' }, ['Subscriptions']),
    subscriptions.length
      ? h(
          'ul',
          { class: 'cards' },
          subscriptions.map((sub) => {
            const name = sub.product?.name ?? 'Subscription';
            const live = sub.status === 'active' || sub.status === 'trialing' || sub.status === 'past_due';
            return h('li', { class: 'card', 'data-subscription-id': sub.id }, [
              h('h3', {}, [name]),
              h('p', {}, [
                `${formatMoney(sub.amount, sub.currency)} ${formatInterval(sub.recurring_interval, sub.recurring_interval_count)} · `,
                badge(
                  sub.cancel_at_period_end && live ? 'canceling' : sub.status,
                  sub.status === 'active' && !sub.cancel_at_period_end ? 'good' : 'neutral',
                ),
              ]),
              h('p', {}, [subscriptionTiming(sub)]),
              live
                ? sub.cancel_at_period_end
                  ? h(
                      'button',
                      { type: 'button', class: 'pay', onclick: () => void updateSubscription(sub, false) },
                      ['Resume subscription'],
                    )
                  : h(
                      'button',
                      {
                        type: 'button',
                        class: 'secondary',
                        onclick: () => void updateSubscription(sub, true),
                      },
                      ['Cancel subscription'],
                    )
                : null,
            ]);
          }),
        )
      : h('p', {}, ['No subscriptions.']),
  ]);
}

/** @param {LicenseKey} key */
function activations(key) {
  const used = Array.isArray(key.activations) ? key.activations.length : null;
  if (key.limit_activations === null) return used === null ? 'Unlimited' : `${used} (no limit)`;
  return `${used ?? 0} of ${key.limit_activations}`;
}

/** @param {LicenseKey[]} keys */
function licenseKeysSection(keys) {
  return h('section', { class: 'panel', 'aria-labelledby': 'keys-title' }, [
    h('h2', { id: 'keys-title' }, ['License keys']),
    keys.length
      ? h('table', {}, [
          h('thead', {}, [
            h('tr', {}, [
              h('th', { scope: 'col' }, ['Key']),
              h('th', { scope: 'col' }, ['Status']),
              h('th', { scope: 'col' }, ['Activations']),
              h('th', { scope: 'col' }, ['Expires']),
            ]),
          ]),
          h(
            'tbody',
            {},
            keys.map((key) =>
              h('tr', { 'data-license-key-id': key.id }, [
                h('td', { 'data-label': 'Key' }, [
                  h('code', {}, [key.display_key]),
                  h('details', {}, [
                    h('summary', {}, ['Show key']),
                    h('code', { class: 'full-key' }, [key.key]),
                  ]),
                ]),
                h('td', { 'data-label': 'Status' }, [
                  badge(key.status, key.status === 'granted' ? 'good' : 'neutral'),
                ]),
                h('td', { 'data-label': 'Activations' }, [activations(key)]),
                h('td', { 'data-label': 'Expires' }, [key.expires_at ? formatDate(key.expires_at) : 'Never']),
              ]),
            ),
          ),
        ])
      : h('p', {}, ['No license keys.']),
  ]);
}

/**
 * Loads and renders everything; `notice` and `error` are announced after an action.
 * @param {string | null} [notice]
 * @param {string | null} [error]
 */
async function load(notice = null, error = null) {
  if (!token) return invalidLink();
  const me = await api('/v1/customer-portal/customers/me', { token });
  if (me.status === 401 || me.status === 403 || me.status === 404) return invalidLink();
  if (!me.ok || !me.body) {
    return showMessage(
      root,
      'Portal unavailable',
      'The customer portal could not be loaded. Reload the page to try again.',
    );
  }
  const [orders, subscriptions, keys] = await Promise.all([
    list('/v1/customer-portal/orders/'),
    list('/v1/customer-portal/subscriptions/'),
    list('/v1/customer-portal/license-keys/'),
  ]);
  if (orders === null || subscriptions === null || keys === null) return invalidLink();

  root.setAttribute('aria-busy', 'false');
  replace(root, [
    h('header', { class: 'portal-header' }, [
      h('h1', {}, ['Customer portal']),
      h('p', {}, ['Signed in as ', h('strong', { 'data-testid': 'customer-email' }, [me.body.email ?? ''])]),
    ]),
    h('div', { class: 'status', role: 'status' }, [notice ?? '']),
    h('div', { class: 'alert', role: 'alert' }, [error ?? '']),
    subscriptionsSection(/** @type {Subscription[]} */ (subscriptions)),
    ordersSection(/** @type {Order[]} */ (orders)),
    licenseKeysSection(/** @type {LicenseKey[]} */ (keys)),
  ]);
  if (focusAfterLoad) {
    const card = root.querySelector(`[data-subscription-id="${CSS.escape(focusAfterLoad)}"]`);
    const target = card?.querySelector('button') ?? card?.querySelector('h3');
    if (target instanceof HTMLElement) target.focus();
    focusAfterLoad = '';
  }
}

void load();
