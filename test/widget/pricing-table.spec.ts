import { expect, test, type Page } from '@playwright/test';
import type { Product } from '../../contract/contract.js';
import {
  CATALOG,
  ensureWidgetBuilt,
  expectNoAxeViolations,
  events,
  fixturePage,
  problem,
  product,
  recordEvents,
  routeProducts,
  startStaticServer,
  type StaticServer,
} from './fixtures.js';

let site: StaticServer;

test.beforeAll(async () => {
  ensureWidgetBuilt();
  site = await startStaticServer();
});
test.afterAll(async () => site?.close());

async function open(page: Page, body: string, options: { dark?: boolean } = {}): Promise<void> {
  const name = `/p${Math.random().toString(36).slice(2)}.html`;
  site.page(name, fixturePage(body, options));
  await page.goto(site.url + name);
}

const table = (page: Page) => page.locator('polar-pricing-table');
const plans = (page: Page) => page.locator('polar-pricing-table [part~="plan"]');

test.describe('<polar-pricing-table>', () => {
  test('renders one card per product with name, description, price, period and benefits', async ({
    page,
  }) => {
    await routeProducts(page, CATALOG.slice(0, 2));
    await open(page, '<polar-pricing-table locale="en-US"></polar-pricing-table>');
    await expect(plans(page)).toHaveCount(2);
    const pro = plans(page).nth(1);
    await expect(pro.locator('[part="name"]')).toHaveText('Pro');
    await expect(pro.locator('[part="description"]')).toHaveText('For teams.');
    await expect(pro.locator('[part="price"]')).toHaveText(/^\s*\$29\s*\/mo\s*per month\s*$/);
    await expect(pro.locator('[part="period"]')).toHaveAttribute('aria-hidden', 'true');
    await expect(pro.locator('[part="feature"]')).toHaveText(['Unlimited projects', 'Private Discord']);
    await expect(pro.locator('[part="cta"]')).toHaveText('Subscribe');
    await expect(pro).toHaveAttribute('part', 'plan plan-highlighted');
    await expect(pro.locator('[part="badge"]')).toHaveText('Most popular');
    await expect(plans(page).nth(0).locator('[part="badge"]')).toHaveCount(0);
    await expectNoAxeViolations(page);
  });

  test('formats prices in the product currency and the locale attribute', async ({ page }) => {
    const products: Product[] = [
      product({ id: 'usd', name: 'Dollar', price_amount: 1999, price_currency: 'usd' }),
      product({ id: 'eur', name: 'Euro', price_amount: 1250, price_currency: 'eur' }),
      product({
        id: 'jpy',
        name: 'Yen',
        price_amount: 1000,
        price_currency: 'jpy',
        is_recurring: false,
        recurring_interval: null,
      }),
      product({ id: 'free', name: 'Free plan', price_amount: 0 }),
      product({
        id: 'pwyw',
        name: 'Tip jar',
        is_recurring: false,
        recurring_interval: null,
        price_amount: null,
        prices: [
          {
            id: 'p',
            amount_type: 'custom',
            price_currency: 'usd',
            minimum_amount: 500,
            maximum_amount: null,
            preset_amount: null,
          },
        ],
      }),
    ];
    await routeProducts(page, products);
    await open(page, '<polar-pricing-table locale="de-DE"></polar-pricing-table>');
    const amounts = page.locator('polar-pricing-table .amount');
    await expect(amounts).toHaveText(['19,99 $', '12,50 €', '1.000 ¥', 'Free', 'Pay what you want from 5 $']);
    await table(page).evaluate((el) => el.setAttribute('locale', 'ja-JP'));
    await expect(amounts).toHaveText(['$19.99', '€12.50', '￥1,000', 'Free', 'Pay what you want from $5']);
    await expect(plans(page).nth(2).locator('[part="cta"]')).toHaveText('Buy now');
    await expect(plans(page).nth(3).locator('[part="cta"]')).toHaveText('Get started');
    await expect(plans(page).nth(3).locator('[part="period"]')).toHaveCount(0);
  });

  test('shows product names with HTML characters as text', async ({ page }) => {
    const name = '<img src=x onerror="window.__pwned=1"> Pro & "Team" <b>';
    await routeProducts(page, [product({ id: 'x', name, description: '<script>window.__pwned=2</script>' })]);
    await open(page, '<polar-pricing-table></polar-pricing-table>');
    await expect(page.locator('polar-pricing-table [part="name"]')).toHaveText(name);
    await expect(page.locator('polar-pricing-table [part="description"]')).toHaveText(
      '<script>window.__pwned=2</script>',
    );
    await expect(page.locator('polar-pricing-table img, polar-pricing-table b')).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  test('switches between monthly and yearly with the arrow keys and shows the yearly saving', async ({
    page,
  }) => {
    await recordEvents(page);
    await routeProducts(page, CATALOG);
    await open(page, '<polar-pricing-table locale="en-US"></polar-pricing-table>');
    const names = page.locator('polar-pricing-table [part="name"]');
    await expect(names).toHaveText(['Starter', 'Pro']);
    const monthly = page.getByRole('radio', { name: 'Monthly' });
    const yearly = page.getByRole('radio', { name: /Yearly/ });
    await expect(page.getByRole('group', { name: 'Billing period' })).toBeVisible();
    await expect(monthly).toBeChecked();
    await expect(page.locator('polar-pricing-table [part="saving"]')).toHaveText('Save 16%');

    await page.keyboard.press('Tab');
    await expect(monthly).toBeFocused();
    await page.keyboard.press('ArrowRight');
    await expect(yearly).toBeChecked();
    await expect(yearly).toBeFocused();
    await expect(names).toHaveText(['Pro Yearly', 'Starter Yearly']);
    await expect(page.locator('polar-pricing-table .amount')).toHaveText(['$290', '$90']);
    await expect(table(page)).toHaveAttribute('interval', 'year');
    await page.keyboard.press('ArrowLeft');
    await expect(monthly).toBeChecked();
    await expect(names).toHaveText(['Starter', 'Pro']);
    expect(
      (await events(page)).filter((e) => e.type === 'polar-interval-change').map((e) => e.detail),
    ).toEqual([{ interval: 'year' }, { interval: 'month' }]);
    await expectNoAxeViolations(page);
  });

  test('shows no switch when only one period exists', async ({ page }) => {
    await routeProducts(page, CATALOG);
    await open(
      page,
      '<polar-pricing-table products="prod_pro_year prod_starter_year"></polar-pricing-table>',
    );
    await expect(page.locator('polar-pricing-table [part="name"]')).toHaveText([
      'Pro Yearly',
      'Starter Yearly',
    ]);
    await expect(page.locator('polar-pricing-table [part="interval-switch"]')).toHaveCount(0);
  });

  test('starts on the period of the interval attribute', async ({ page }) => {
    await routeProducts(page, CATALOG);
    await open(page, '<polar-pricing-table interval="year"></polar-pricing-table>');
    await expect(page.locator('polar-pricing-table [part="name"]')).toHaveText([
      'Pro Yearly',
      'Starter Yearly',
    ]);
    await expect(page.getByRole('radio', { name: /Yearly/ })).toBeChecked();
  });

  test('shows a skeleton while loading, with the status and aria-busy', async ({ page }) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/products', async (route) => {
      await released;
      await route.fulfill({ json: CATALOG.slice(0, 2) });
    });
    await open(page, '<polar-pricing-table products="prod_starter,prod_pro"></polar-pricing-table>');
    await expect(page.locator('polar-pricing-table [part="skeleton"]')).toHaveCount(2);
    await expect(page.locator('polar-pricing-table [part="base"]')).toHaveAttribute('aria-busy', 'true');
    await expect(page.getByRole('status')).toHaveText('Loading plans…');
    await expectNoAxeViolations(page);
    release();
    await expect(plans(page)).toHaveCount(2);
    await expect(page.locator('polar-pricing-table [part="base"]')).toHaveAttribute('aria-busy', 'false');
  });

  // Cards as full as the demo catalogue's: a description, a badge, two or three benefits.
  const fullCard = (id: string, recurring_interval: 'month' | 'year' = 'month', highlight = false) =>
    product({
      id,
      name: `Plan ${id}`,
      description: 'Everything in Pro, billed monthly, for teams that ship every week.',
      recurring_interval,
      price_amount: 1999,
      metadata: highlight ? { highlight: true } : {},
      benefits: [
        { id: `${id}_1`, type: 'custom', description: 'Unlimited projects' },
        { id: `${id}_2`, type: 'custom', description: 'Priority support' },
        { id: `${id}_3`, type: 'license_keys', description: 'License key for three devices' },
      ],
    });
  const layouts = [
    { name: 'one row, no switch', width: 1280, ids: ['a', 'b', 'c'], years: [] as string[], attribute: true },
    {
      name: 'two rows, no switch',
      width: 1280,
      ids: ['a', 'b', 'c', 'd', 'e', 'f'],
      years: [],
      attribute: true,
    },
    {
      name: 'one row under a monthly/yearly switch',
      width: 1280,
      ids: ['a', 'b', 'c'],
      years: ['y1', 'y2'],
      attribute: false,
    },
    { name: 'stacked rows at 320 px, no switch', width: 320, ids: ['a', 'b'], years: [], attribute: true },
    {
      name: 'stacked rows at 320 px under a switch',
      width: 320,
      ids: ['a', 'b', 'c'],
      years: ['y1'],
      attribute: false,
    },
  ];
  for (const layout of layouts) {
    test(`reserves exactly the space of the cards while loading: ${layout.name}`, async ({ page }) => {
      await page.setViewportSize({ width: layout.width, height: 900 });
      const catalog = [
        ...layout.ids.map((id, i) => fullCard(id, 'month', i === 1)),
        ...layout.years.map((id) => fullCard(id, 'year')),
      ];
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/api/products', async (route) => {
        await released;
        await route.fulfill({ json: catalog });
      });
      await page.addInitScript(() => {
        const w = window as unknown as { __shift: number };
        w.__shift = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) w.__shift += (entry as unknown as { value: number }).value;
        }).observe({ type: 'layout-shift', buffered: true });
      });
      // Without a products attribute the table shows three placeholders, as many as this catalogue's cards.
      const attribute = layout.attribute ? ` products="${layout.ids.join(',')}"` : '';
      await open(page, `<polar-pricing-table${attribute}></polar-pricing-table>`);
      await expect(page.locator('polar-pricing-table [part="skeleton"]')).toHaveCount(layout.ids.length);
      await page.evaluate(
        () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
      );
      const before = await page.locator('#below').boundingBox();
      const tableBefore = await table(page).boundingBox();
      release();
      await expect(plans(page)).toHaveCount(layout.ids.length);
      await page.evaluate(
        () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
      );
      const after = await page.locator('#below').boundingBox();
      expect((await table(page).boundingBox())?.height).toBe(tableBefore?.height);
      expect(after?.y).toBe(before?.y);
      // The cards' content fits the reserved height: nothing is cut or overflowing.
      const overflow = await plans(page).evaluateAll((cards) =>
        cards.some((card) => card.scrollHeight > card.clientHeight),
      );
      expect(overflow).toBe(false);
      const shift = await page.evaluate(() => (window as unknown as { __shift: number }).__shift);
      expect(shift).toBe(0);
    });
  }

  test('shows an error with a retry button, and fires polar-error', async ({ page }) => {
    await recordEvents(page);
    let calls = 0;
    await page.route('**/api/products', (route) =>
      ++calls === 1
        ? route.fulfill({
            status: 502,
            contentType: 'application/problem+json',
            body: JSON.stringify(problem('POLAR_UNAVAILABLE', 502)),
          })
        : route.fulfill({ json: CATALOG.slice(0, 2) }),
    );
    await open(page, '<polar-pricing-table></polar-pricing-table>');
    const alert = page.getByRole('alert');
    await expect(alert).toContainText('The plans could not be loaded.');
    expect((await events(page)).filter((e) => e.type === 'polar-error')).toEqual([
      {
        type: 'polar-error',
        detail: { code: 'POLAR_UNAVAILABLE', status: 502, detail: 'POLAR_UNAVAILABLE' },
        cancelable: false,
      },
    ]);
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect(plans(page)).toHaveCount(2);
    expect(calls).toBe(2);
  });

  test('reports an unreachable kit as NETWORK_ERROR', async ({ page }) => {
    await recordEvents(page);
    await page.route('**/api/products', (route) => route.abort('connectionrefused'));
    await open(page, '<polar-pricing-table></polar-pricing-table>');
    await expect(page.getByRole('alert')).toBeVisible();
    expect((await events(page)).find((e) => e.type === 'polar-error')?.detail).toMatchObject({
      code: 'NETWORK_ERROR',
      status: 0,
    });
  });

  test('says so when there are no plans', async ({ page }) => {
    await routeProducts(page, []);
    await open(page, '<polar-pricing-table></polar-pricing-table>');
    await expect(page.locator('polar-pricing-table [part="empty"]')).toHaveText(
      'No plans are available right now.',
    );
    await expectNoAxeViolations(page);
  });

  test('re-renders when attributes change: products order, highlight, api-base', async ({ page }) => {
    await routeProducts(page, CATALOG);
    let otherCalls = 0;
    await page.route('**/other/api/products', (route) => {
      otherCalls++;
      return route.fulfill({
        json: [product({ id: 'prod_other', name: 'Other', is_recurring: false, recurring_interval: null })],
      });
    });
    await open(page, '<polar-pricing-table products="prod_pro,prod_starter"></polar-pricing-table>');
    const names = page.locator('polar-pricing-table [part="name"]');
    await expect(names).toHaveText(['Pro', 'Starter']);
    await table(page).evaluate((el) => el.setAttribute('products', 'prod_starter'));
    await expect(names).toHaveText(['Starter']);
    await table(page).evaluate((el) => el.setAttribute('highlight', 'prod_starter'));
    await expect(plans(page).first()).toHaveAttribute('part', 'plan plan-highlighted');
    await table(page).evaluate((el) => {
      el.removeAttribute('products');
      el.setAttribute('api-base', `${location.origin}/other`);
    });
    await expect(names).toHaveText(['Other']);
    expect(otherCalls).toBe(1);
  });

  test('shows products supplied by the page without fetching', async ({ page }) => {
    let calls = 0;
    await page.route('**/api/products', (route) => {
      calls++;
      return route.fulfill({ json: [] });
    });
    site.page('/supplied.html', fixturePage('<polar-pricing-table></polar-pricing-table>'));
    await page.goto(`${site.url}/supplied.html`);
    await table(page).evaluate(
      (el, products) => {
        (el as HTMLElement & { products: unknown }).products = products;
      },
      CATALOG.slice(0, 2),
    );
    await expect(page.locator('polar-pricing-table [part="name"]')).toHaveText(['Starter', 'Pro']);
    expect(calls).toBeLessThanOrEqual(1);
    // A fetch that was in flight when the data arrived must not overwrite it.
    await page.waitForTimeout(200);
    await expect(page.locator('polar-pricing-table [part="name"]')).toHaveText(['Starter', 'Pro']);
  });

  test('overrides texts through the strings property', async ({ page }) => {
    await routeProducts(page, CATALOG.slice(0, 2));
    await open(page, '<polar-pricing-table></polar-pricing-table>');
    await table(page).evaluate((el) => {
      (el as HTMLElement & { strings: object }).strings = { subscribe: 'Abonnieren', popular: 'Beliebt' };
    });
    await expect(page.locator('polar-pricing-table [part="cta"]').first()).toHaveText('Abonnieren');
    await expect(page.locator('polar-pricing-table [part="badge"]')).toHaveText('Beliebt');
  });

  test('takes --polar-* tokens and ::part() rules from the page, and inherits its font', async ({ page }) => {
    await routeProducts(page, CATALOG.slice(0, 2));
    await open(
      page,
      `<style>:root{--polar-accent:rgb(255, 0, 0);--polar-radius:3px}polar-pricing-table::part(name){text-transform:uppercase}</style>
       <polar-pricing-table></polar-pricing-table>`,
    );
    const cta = page.locator('polar-pricing-table [part="cta"]').first();
    await expect(cta).toHaveCSS('background-color', 'rgb(255, 0, 0)');
    await expect(plans(page).first()).toHaveCSS('border-top-left-radius', '3px');
    await expect(page.locator('polar-pricing-table [part="name"]').first()).toHaveCSS(
      'text-transform',
      'uppercase',
    );
    expect(
      await plans(page)
        .first()
        .evaluate((el) => getComputedStyle(el).fontFamily),
    ).toBe('Georgia, serif');
  });

  test('has no accessibility violations in the dark and auto themes', async ({ page }) => {
    await routeProducts(page, CATALOG);
    await open(page, '<polar-pricing-table theme="dark"></polar-pricing-table>', { dark: true });
    await expect(plans(page)).toHaveCount(2);
    await expect(plans(page).first()).toHaveCSS('background-color', 'rgb(17, 24, 39)');
    await expectNoAxeViolations(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    await table(page).evaluate((el) => el.setAttribute('theme', 'auto'));
    await expect(plans(page).first()).toHaveCSS('background-color', 'rgb(17, 24, 39)');
    await expectNoAxeViolations(page);
    await page.emulateMedia({ colorScheme: 'light' });
    await expect(plans(page).first()).toHaveCSS('background-color', 'rgb(255, 255, 255)');
  });

  test('fits a 320 px wide screen without horizontal scrolling', async ({ page }) => {
    await page.setViewportSize({ width: 320, height: 640 });
    await routeProducts(page, CATALOG);
    await open(page, '<polar-pricing-table></polar-pricing-table>');
    await expect(plans(page)).toHaveCount(2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    const [first, second] = [await plans(page).nth(0).boundingBox(), await plans(page).nth(1).boundingBox()];
    expect(second!.y).toBeGreaterThan(first!.y + first!.height - 1);
    await expectNoAxeViolations(page);
  });
});
