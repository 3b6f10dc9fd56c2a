/**
 * The merchant's view: with the admin token, a customer's orders and access, the webhook event log (with replay)
 * and the stats; without it, license-key validation (a public endpoint).
 */
import type {
  AccessResponse,
  OrdersResponse,
  StatsResponse,
  WebhookEventReplayResponse,
  WebhookEventsResponse,
} from '../../contract/contract.js';
import type { Problem } from '../../contract/errors.js';
import { initPage } from './page.js';

initPage();

const TOKEN_KEY = 'polar-kit-demo-admin-token';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const tokenInput = byId<HTMLInputElement>('admin-token');
const tokenState = byId<HTMLParagraphElement>('token-state');
tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
showTokenState();

byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
  showTokenState();
});

function showTokenState(): void {
  tokenState.textContent = sessionStorage.getItem(TOKEN_KEY)
    ? 'Token set for this tab.'
    : 'No token yet: the admin sections will answer 401.';
}

class ApiError extends Error {
  constructor(readonly problem: Partial<Problem>) {
    super(problem.detail ?? problem.title ?? 'The kit answered with an error.');
  }
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  if (init.body) headers.set('Content-Type', 'application/json');
  if (token) headers.set('Authorization', `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers });
  const body = response.status === 204 ? null : ((await response.json().catch(() => null)) as unknown);
  if (!response.ok) throw new ApiError((body ?? { title: response.statusText }) as Partial<Problem>);
  return body as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string | null,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text != null) node.textContent = text;
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function table(headers: string[], rows: Array<Array<string | Node>>, caption: string): HTMLTableElement {
  const t = el('table');
  t.append(el('caption', caption));
  const head = el('tr');
  for (const h of headers) head.append(el('th', h, { scope: 'col' }));
  t.append(el('thead'), el('tbody'));
  t.tHead!.append(head);
  for (const row of rows) {
    const tr = el('tr');
    for (const cell of row) {
      const td = el('td');
      td.append(cell);
      tr.append(td);
    }
    t.tBodies[0]!.append(tr);
  }
  return t;
}

const money = (amount: number, currency: string) =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(
    amount / 100,
  );
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** Runs `load` into `target`, showing a problem's title and code when it fails. */
async function into(target: HTMLElement, load: () => Promise<Node | string>): Promise<void> {
  target.setAttribute('aria-busy', 'true');
  try {
    target.replaceChildren(await load());
  } catch (error) {
    const message =
      error instanceof ApiError
        ? `${error.problem.title ?? 'Error'}${error.problem.code ? ` (${error.problem.code})` : ''}${error.problem.detail ? `: ${error.problem.detail}` : ''}`
        : `The kit could not be reached: ${String(error)}`;
    target.replaceChildren(el('p', message, { class: 'error', role: 'alert' }));
  } finally {
    target.removeAttribute('aria-busy');
  }
}

byId<HTMLFormElement>('orders-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const email = byId<HTMLInputElement>('orders-email').value.trim();
  void into(byId('orders-result'), async () => {
    const orders = await api<OrdersResponse>(`/api/orders/${encodeURIComponent(email)}`);
    if (orders.length === 0) return el('p', `No orders for ${email}.`);
    return table(
      ['Date', 'Product', 'Total', 'Status', 'Reason', 'Order'],
      orders.map((o) => [
        when(o.created_at),
        o.product_name ?? o.product_id ?? '—',
        money(o.total_amount, o.currency),
        o.status,
        o.billing_reason,
        el('code', o.id),
      ]),
      `${orders.length} order${orders.length === 1 ? '' : 's'} for ${email}, newest first`,
    );
  });
});

byId<HTMLFormElement>('access-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = byId<HTMLInputElement>('access-key').value.trim();
  void into(byId('access-result'), async () => {
    const access = await api<AccessResponse>(`/api/customers/${encodeURIComponent(key)}/access`);
    const box = el('div', null, { class: 'access', 'data-active': String(access.active) });
    box.append(
      el('p', access.active ? 'Access: active' : 'Access: none', { class: 'access-state' }),
      el('p', `Customer ${access.email} (${access.customer_id})`, { class: 'muted' }),
    );
    if (access.subscriptions.length > 0) {
      box.append(
        table(
          ['Subscription', 'Product', 'Status', 'Period ends', 'Cancels at period end'],
          access.subscriptions.map((s) => [
            el('code', s.id),
            s.product_id,
            s.status,
            when(s.current_period_end),
            s.cancel_at_period_end ? 'yes' : 'no',
          ]),
          'Subscriptions',
        ),
      );
    }
    if (access.benefits.length > 0) {
      const list = el('ul', null, { 'aria-label': 'Benefits' });
      for (const b of access.benefits) list.append(el('li', `${b.description ?? b.type} (${b.type})`));
      box.append(el('h3', 'Benefits'), list);
    }
    return box;
  });
});

byId<HTMLFormElement>('license-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = byId<HTMLInputElement>('license-key').value.trim();
  void into(byId('license-result'), async () => {
    const answer = await api<{
      status: string;
      usage: number;
      limit_usage: number | null;
      limit_activations: number | null;
      expires_at: string | null;
    }>('/api/license-keys/validate', { method: 'POST', body: JSON.stringify({ key }) });
    const parts = [`License key ${answer.status}`];
    if (answer.limit_activations != null) parts.push(`up to ${answer.limit_activations} activations`);
    parts.push(answer.expires_at ? `expires ${when(answer.expires_at)}` : 'never expires');
    return el('p', `${parts.join('; ')}.`, { class: 'license-state' });
  });
});

async function loadEvents(): Promise<void> {
  const status = byId<HTMLSelectElement>('events-status').value;
  await into(byId('events-result'), async () => {
    const page = await api<WebhookEventsResponse>(
      `/api/webhook-events${status ? `?status=${encodeURIComponent(status)}` : ''}`,
    );
    if (page.items.length === 0) return el('p', 'No webhook events yet.');
    return table(
      ['Received', 'Type', 'Status', 'Attempts', 'Webhook id', ''],
      page.items.map((e) => {
        const replay = el('button', 'Replay', {
          type: 'button',
          'aria-label': `Replay ${e.type} ${e.webhook_id}`,
        });
        replay.addEventListener('click', () => {
          replay.disabled = true;
          void api<WebhookEventReplayResponse>(
            `/api/webhook-events/${encodeURIComponent(e.webhook_id)}/replay`,
            {
              method: 'POST',
            },
          )
            .then(() => loadEvents())
            .catch((error: unknown) => {
              replay.disabled = false;
              replay.after(
                el('span', ` ${String((error as Error).message)}`, { class: 'error', role: 'alert' }),
              );
            });
        });
        return [
          when(e.received_at),
          e.type,
          e.status + (e.error ? `: ${e.error}` : ''),
          String(e.attempts),
          el('code', e.webhook_id),
          replay,
        ];
      }),
      `Newest ${page.items.length} webhook events${status ? ` (${status})` : ''}`,
    );
  });
}

byId<HTMLFormElement>('events-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadEvents();
});

byId<HTMLButtonElement>('stats-load').addEventListener('click', () => {
  void into(byId('stats-result'), async () => {
    const stats = await api<StatsResponse>('/api/stats');
    const box = el('div');
    box.append(
      table(
        ['Currency', 'Orders', 'Gross', 'Refunded', 'Net'],
        stats.revenue.map((r) => [
          r.currency.toUpperCase(),
          String(r.orders),
          money(r.gross, r.currency),
          money(r.refunded, r.currency),
          money(r.net, r.currency),
        ]),
        'Revenue',
      ),
      table(
        ['Product', 'Active subscriptions'],
        stats.active_subscriptions.map((s) => [s.product_name ?? s.product_id, String(s.count)]),
        'Active subscriptions',
      ),
      table(
        ['Currency', 'MRR', 'Subscriptions'],
        stats.mrr.map((m) => [
          m.currency.toUpperCase(),
          money(m.amount, m.currency),
          String(m.subscriptions),
        ]),
        'Monthly recurring revenue',
      ),
    );
    return box;
  });
});
