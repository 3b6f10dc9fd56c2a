import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import {
  CATALOG,
  checkoutResponse,
  ensureWidgetBuilt,
  fixturePage,
  routeProducts,
  startStaticServer,
  WIDGET_DIST,
  type StaticServer,
} from './fixtures.js';

let site: StaticServer;
let kit: StaticServer;

test.beforeAll(async () => {
  ensureWidgetBuilt();
  [site, kit] = await Promise.all([startStaticServer(), startStaticServer()]);
});
test.afterAll(async () => Promise.all([site?.close(), kit?.close()]));

function sri(file: string): string {
  return `sha384-${createHash('sha384')
    .update(readFileSync(path.join(WIDGET_DIST, file)))
    .digest('base64')}`;
}

/** Collects uncaught errors and console errors or warnings of the page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
  });
  return errors;
}

async function stubKit(page: Page): Promise<void> {
  await routeProducts(page, CATALOG.slice(0, 2));
  await page.route('**/api/checkout', (route) =>
    route.fulfill({ status: 201, json: checkoutResponse(kit.url) }),
  );
}

test.describe('the built widget', () => {
  test('keeps the script-tag file within 12 KB gzipped, and sri.json matches every file', () => {
    const script = readFileSync(path.join(WIDGET_DIST, 'polar-checkout.js'));
    expect(gzipSync(script).length).toBeLessThanOrEqual(12 * 1024);
    const files = readdirSync(WIDGET_DIST).filter((name) => name.endsWith('.js') || name.endsWith('.mjs'));
    expect(files).toEqual(
      expect.arrayContaining([
        'polar-checkout.js',
        'polar-checkout.mjs',
        expect.stringMatching(/^polar-checkout-embed-[0-9a-f]{10}\.js$/),
      ]),
    );
    const manifest = JSON.parse(readFileSync(path.join(WIDGET_DIST, 'sri.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(Object.keys(manifest).sort()).toEqual(files.sort());
    for (const file of files) expect(manifest[file]).toBe(sri(file));
    // The classic script is not a module and does not carry the official embed.
    expect(script.toString()).not.toMatch(/^\s*(import|export)\b/m);
    expect(script.toString()).not.toContain('POLAR_CHECKOUT');
  });

  test('a page on another origin embeds it with the script tag (with SRI) and the element only', async ({
    page,
  }) => {
    const errors = watchErrors(page);
    await stubKit(page);
    site.page(
      '/elsewhere.html',
      fixturePage(`<polar-pricing-table api-base="${kit.url}"></polar-pricing-table>`, {
        script: `<script src="${kit.url}/widget/polar-checkout.js" integrity="${sri('polar-checkout.js')}" crossorigin="anonymous"></script>`,
      }),
    );
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${site.url}/elsewhere.html`);
    await expect(page.locator('polar-pricing-table [part~="plan"]')).toHaveCount(2);
    expect(requested).toContain(`${kit.url}/api/products`);
    // The dialog module comes from beside the script, on the kit's origin, on the first click only.
    expect(requested.some((url) => url.includes('polar-checkout-dialog-'))).toBe(false);
    await page.locator('polar-pricing-table [part="cta"]').first().click();
    await expect(page.getByRole('dialog', { name: 'Checkout' })).toBeVisible();
    expect(requested.find((url) => url.includes('polar-checkout-dialog-'))).toMatch(
      new RegExp(`^${kit.url}/widget/polar-checkout-dialog-[0-9a-f]{10}\\.js$`),
    );
    expect(requested.some((url) => url.includes('polar-checkout-embed-'))).toBe(false);
    expect(errors).toEqual([]);
  });

  test('a script tag with a wrong integrity hash is refused', async ({ page }) => {
    await routeProducts(page, CATALOG.slice(0, 2));
    site.page(
      '/tampered.html',
      fixturePage('<polar-pricing-table></polar-pricing-table>', {
        script: `<script src="${kit.url}/widget/polar-checkout.js" integrity="sha384-${'A'.repeat(64)}" crossorigin="anonymous"></script>`,
      }),
    );
    await page.goto(`${site.url}/tampered.html`);
    expect(await page.evaluate(() => customElements.get('polar-pricing-table'))).toBeUndefined();
  });

  test('loading the script twice is harmless', async ({ page }) => {
    const errors = watchErrors(page);
    await stubKit(page);
    site.page(
      '/twice.html',
      fixturePage('<polar-pricing-table></polar-pricing-table>', {
        script:
          '<script src="/widget/polar-checkout.js"></script><script src="/widget/polar-checkout.js?again"></script>',
      }),
    );
    await page.goto(`${site.url}/twice.html`);
    await expect(page.locator('polar-pricing-table [part~="plan"]')).toHaveCount(2);
    await page.locator('polar-pricing-table [part="cta"]').first().click();
    await expect(page.getByRole('dialog', { name: 'Checkout' })).toBeVisible();
    expect(errors.filter((e) => !e.includes('already defined by another copy'))).toEqual([]);
  });

  test('the ES module registers the same elements and opens the same dialog', async ({ page }) => {
    const errors = watchErrors(page);
    await stubKit(page);
    site.page(
      '/module.html',
      fixturePage('<polar-pricing-table></polar-pricing-table>', {
        script: '<script type="module" src="/widget/polar-checkout.mjs"></script>',
      }),
    );
    await page.goto(`${site.url}/module.html`);
    await expect(page.locator('polar-pricing-table [part~="plan"]')).toHaveCount(2);
    await page.locator('polar-pricing-table [part="cta"]').first().click();
    await expect(page.getByRole('dialog', { name: 'Checkout' })).toBeVisible();
    const exported = await page.evaluate(async () =>
      Object.keys(await import('/widget/polar-checkout.mjs' as string)).sort(),
    );
    expect(exported).toEqual(
      expect.arrayContaining([
        'PolarCheckoutButton',
        'PolarOrderStatus',
        'PolarPortalButton',
        'PolarPricingTable',
        'PolarEvent',
      ]),
    );
    expect(errors).toEqual([]);
  });
});
