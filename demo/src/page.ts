/**
 * What every demo page shares: the stylesheet, the banner with the mode the kit runs in (and the test cards in
 * local mode), and the link to the "any website" page on the second origin.
 */
import type { HealthResponse } from '../../contract/contract.js';
import '../styles.css';

/** The emulator's test cards, as its hosted checkout page accepts them. */
export const TEST_CARDS: ReadonlyArray<{ number: string; does: string }> = [
  { number: '4242 4242 4242 4242', does: 'pays' },
  { number: '4000 0000 0000 0002', does: 'is declined' },
  { number: '4000 0025 0000 3155', does: 'asks for an extra authentication step' },
  { number: '4000 0000 0000 0341', does: 'pays now, every renewal fails' },
];

const MODE_LABELS: Record<NonNullable<HealthResponse['mode']>, string> = {
  local: 'Local emulator: no real money moves',
  sandbox: "Polar's sandbox: test payments only",
  production: 'Production: real payments',
};

/** Fills the banner from `GET /api/health`. Resolves with the mode, or `null` when the kit did not answer. */
export async function showModeBanner(): Promise<HealthResponse['mode'] | null> {
  const banner = document.getElementById('mode-banner');
  let health: HealthResponse;
  try {
    const response = await fetch('/api/health', { headers: { Accept: 'application/json' } });
    health = (await response.json()) as HealthResponse;
  } catch {
    if (banner) {
      banner.hidden = false;
      banner.dataset.mode = 'offline';
      banner.textContent = 'The kit is not answering at /api. Is `npm start` running?';
    }
    return null;
  }
  const mode = health.mode ?? 'local';
  if (!banner) return mode;
  banner.hidden = false;
  banner.dataset.mode = mode;
  banner.replaceChildren();
  const label = document.createElement('strong');
  label.textContent = MODE_LABELS[mode];
  banner.append(label);
  if (health.status !== 'ok') banner.append(` (Polar ${health.polar}, database ${health.database})`);
  if (mode === 'local') {
    const cards = document.createElement('span');
    cards.className = 'cards';
    cards.append('Test cards: ');
    TEST_CARDS.forEach((card, index) => {
      if (index > 0) cards.append(' · ');
      const code = document.createElement('code');
      code.textContent = card.number;
      cards.append(code, ` ${card.does}`);
    });
    cards.append('. Any future expiry date and any CVC.');
    banner.append(' ', cards);
  }
  return mode;
}

/**
 * Points the "Any website" link at the second origin: same host, port + 2 (what `polar-kit start` uses unless
 * `DEMO_EMBED_PORT` says otherwise).
 */
export function linkAnyWebsite(): void {
  const link = document.getElementById('any-website-link');
  if (!(link instanceof HTMLAnchorElement)) return;
  const port = Number(location.port || (location.protocol === 'https:' ? 443 : 80));
  // Under the dev server the page's port is Vite's; the kit's is the one /api is proxied to.
  const kitPort = (import.meta.env.DEV && Number(import.meta.env.VITE_KIT_PORT)) || port;
  link.href = `${location.protocol}//${location.hostname}:${kitPort + 2}/`;
}

/** The success page of this site, whichever origin (kit or dev server) serves it. */
export function successUrl(): string {
  return `${location.origin}/success.html?checkout_id={CHECKOUT_ID}`;
}

export function initPage(): void {
  linkAnyWebsite();
  void showModeBanner();
}
