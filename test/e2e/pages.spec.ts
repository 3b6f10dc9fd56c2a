/**
 * The demo pages themselves, served by `polar-kit start`: the banner, every page at desktop width and at 320 px
 * (no sideways scrolling), accessibility, and the account page without the admin token.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { CARDS, finalScreenshot, startDemo, type Demo } from './demo.js';

let demo: Demo;
test.beforeAll(async () => {
  demo = await startDemo();
});
test.afterAll(async () => demo?.close());

async function expectNoAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  expect(
    results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
  ).toEqual([]);
}

async function expectNoSidewaysScroll(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
    page.viewportSize()!.width,
  );
}

test.describe('demo pages', () => {
  for (const width of [1280, 320]) {
    test(`the pricing page shows the whole catalog, the mode and the test cards at ${width} px`, async ({
      page,
    }) => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(demo.url);
      const banner = page.locator('#mode-banner');
      await expect(banner).toContainText('Local emulator');
      for (const card of Object.values(CARDS)) await expect(banner).toContainText(card);
      const plans = page.locator('polar-pricing-table [part~="plan"]');
      await expect(plans).toHaveCount(4);
      await expect(plans).toContainText(['Free Plan', 'Lifetime License', 'Monthly Plan', 'Tip Jar']);
      await expect(page.getByRole('link', { name: 'Any website' })).toHaveAttribute(
        'href',
        `http://localhost:${Number(new URL(demo.url).port) + 2}/`,
      );
      await expectNoSidewaysScroll(page);
      await expectNoAxeViolations(page);
      await finalScreenshot(page, `pricing-${width}`);
    });
  }

  test('the success page without a checkout says so and hides the portal button', async ({ page }) => {
    await page.setViewportSize({ width: 320, height: 700 });
    await page.goto(`${demo.url}/success.html`);
    await expect(page.locator('polar-order-status [part="status"]')).toHaveText('No checkout to show.');
    await expect(page.getByRole('button', { name: 'Manage subscription' })).toBeHidden();
    await expectNoSidewaysScroll(page);
    await expectNoAxeViolations(page);
    await finalScreenshot(page, 'success-without-checkout');
  });

  test('the account page answers 401 without the admin token and works at 320 px', async ({ page }) => {
    await page.setViewportSize({ width: 320, height: 900 });
    await page.goto(`${demo.url}/account.html`);
    await expect(page.locator('#token-state')).toHaveText(
      'No token yet: the admin sections will answer 401.',
    );
    await page.getByLabel('Customer email').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Show orders' }).click();
    await expect(page.locator('#orders-result [role="alert"]')).toContainText('(UNAUTHORIZED)');
    await expectNoSidewaysScroll(page);
    await expectNoAxeViolations(page);
    await finalScreenshot(page, 'account-without-token');
  });
});
