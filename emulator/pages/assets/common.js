// @ts-check
/* global document, fetch, Node */
/**
 * Helpers shared by the emulator's hosted pages. Every value reaches the page through `textContent` or an
 * attribute set with `setAttribute`, never through HTML parsing, so names and descriptions from the catalog
 * cannot inject markup.
 */

/**
 * @typedef {Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>} Attrs
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * Creates an element. Keys starting with `on` become event listeners; `false`/`null`/`undefined` attributes are
 * left out; `true` sets a boolean attribute.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {Child[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (typeof value === 'function') {
      node.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else if (value === true) {
      node.setAttribute(name, '');
    } else {
      node.setAttribute(name, String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * Replaces the children of `parent`.
 * @param {HTMLElement} parent
 * @param {Child[]} children
 */
export function replace(parent, children) {
  parent.replaceChildren();
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Formats integer minor units as money, e.g. `1999, 'usd'` → `$19.99`.
 * @param {number} amountMinor
 * @param {string} currency
 * @param {string} [locale]
 */
export function formatMoney(amountMinor, currency, locale = 'en-US') {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() }).format(
      amountMinor / 100,
    );
  } catch {
    return `${(amountMinor / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

/**
 * Spells out a billing interval: `month, 1` → `per month`, `month, 3` → `every 3 months`.
 * @param {string | null | undefined} interval
 * @param {number | null | undefined} [count]
 */
export function formatInterval(interval, count) {
  if (!interval) return '';
  const n = count ?? 1;
  return n === 1 ? `per ${interval}` : `every ${n} ${interval}s`;
}

/**
 * Formats an ISO timestamp as a calendar date in UTC, e.g. `Jan 15, 2026`.
 * @param {string | null | undefined} iso
 */
export function formatDate(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/**
 * @typedef {{ ok: boolean, status: number, body: any }} ApiResult
 */

/**
 * Calls the emulator's REST API (same origin) and returns the status with the parsed JSON body; a network
 * failure becomes status 0.
 * @param {string} path
 * @param {{ method?: string, body?: unknown, token?: string }} [options]
 * @returns {Promise<ApiResult>}
 */
export async function api(path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  try {
    const response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await response.text();
    let body = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    return { ok: response.ok, status: response.status, body };
  } catch {
    return { ok: false, status: 0, body: null };
  }
}

/**
 * A readable message from a Polar error body (`{detail: string}` or a 422 `{detail: [{msg}]}`).
 * @param {ApiResult} result
 * @param {string} fallback
 */
export function errorMessage(result, fallback) {
  const detail = result.body?.detail;
  if (typeof detail === 'string' && detail) return detail;
  if (Array.isArray(detail) && typeof detail[0]?.msg === 'string') return detail[0].msg;
  return fallback;
}

/**
 * Shows a full-page message (expired checkout, invalid link, ...) in `root`.
 * @param {HTMLElement} root
 * @param {string} title
 * @param {string} text
 */
export function showMessage(root, title, text) {
  root.setAttribute('aria-busy', 'false');
  replace(root, [
    h('section', { class: 'panel message', 'aria-labelledby': 'message-title' }, [
      h('h1', { id: 'message-title', tabindex: '-1' }, [title]),
      h('p', {}, [text]),
    ]),
  ]);
  root.querySelector('h1')?.focus();
}
