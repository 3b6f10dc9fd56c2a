/**
 * The demo as a user runs it: `node bin/polar-kit.js start` (what `npm start` runs after building) on free ports,
 * with its database and the emulator's state in a temp folder, and the helpers a buyer's journey needs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type FrameLocator, type Locator, type Page } from '@playwright/test';
import type { AccessResponse, OrdersResponse } from '../../contract/contract.js';
import { startKitOnFreePorts, stopKitProcess, type KitProcess } from '../helpers/kit-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The test cards of the emulator's hosted checkout page. */
export const CARDS = {
  pays: '4242 4242 4242 4242',
  declined: '4000 0000 0000 0002',
  authentication: '4000 0025 0000 3155',
  renewalsFail: '4000 0000 0000 0341',
} as const;

export type Demo = {
  /** The kit, as the browser opens it: `http://localhost:PORT`. */
  url: string;
  /** The "any website" page on the second origin. */
  anyWebsiteUrl: string;
  emulatorUrl: string;
  adminToken: string;
  process: KitProcess;
  /** `GET` an admin endpoint of the kit with the admin token. */
  admin<T>(pathname: string): Promise<T>;
  /** `POST` to the emulator's control API. */
  control(pathname: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
};

/** Builds the widget and the demo if they are stale, as `npm start` does first. */
export function buildDemo(): void {
  execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'demo/node/ensure-built.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function startDemo(): Promise<Demo> {
  buildDemo();
  const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-e2e-'));
  const { kit, ports } = await startKitOnFreePorts(dir, ['PORT', 'POLAR_EMULATOR_PORT', 'DEMO_EMBED_PORT'], {
    DATABASE_PATH: path.join(dir, 'data/kit.sqlite'),
  });
  const { PORT: port, POLAR_EMULATOR_PORT: emulatorPort, DEMO_EMBED_PORT: embedPort } = ports;
  const adminToken = /Admin token\s+(\S+)/.exec(kit.output())?.[1];
  if (!adminToken) throw new Error(`no admin token in the start output:\n${kit.output()}`);
  const url = `http://localhost:${port}`;
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  return {
    url,
    anyWebsiteUrl: `http://localhost:${embedPort}/`,
    emulatorUrl,
    adminToken,
    process: kit,
    async admin<T>(pathname: string): Promise<T> {
      const response = await fetch(`http://127.0.0.1:${port}${pathname}`, {
        headers: { Authorization: `Bearer ${adminToken}` },
      });
      if (!response.ok) throw new Error(`${pathname}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    async control(pathname: string, body: unknown = {}): Promise<unknown> {
      const response = await fetch(`${emulatorUrl}/_emulator${pathname}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${pathname}: ${response.status} ${await response.text()}`);
      return response.json();
    },
    async close() {
      await stopKitProcess(kit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The checkout the widget opened over the page. */
export const overlayCheckout = (page: Page): FrameLocator =>
  page.frameLocator('polar-checkout-dialog iframe');

/** Fills the hosted checkout form (in the overlay's frame or on the page itself) and presses pay. */
export async function payWith(
  checkout: FrameLocator | Page,
  card: string,
  email: string,
  name = 'Jane Buyer',
): Promise<void> {
  const email_ = checkout.getByLabel('Email');
  await expect(email_).toBeVisible({ timeout: 15_000 });
  await email_.fill(email);
  await checkout.getByLabel('Cardholder name').fill(name);
  await checkout.getByLabel('Card number').fill(card);
  await checkout.getByLabel('Expiration date').fill('12 / 34');
  await checkout.getByLabel('CVC').fill('123');
  await payButton(checkout).click();
}

export const payButton = (checkout: FrameLocator | Page): Locator =>
  checkout.getByRole('button', { name: /^(Pay|Subscribe)/ });

/** A plan's button in the demo's pricing table. */
export const planButton = (page: Page, plan: string): Locator =>
  page.locator('polar-pricing-table').getByRole('button', { description: plan });

/** Waits for the success page and its paid receipt. */
export async function expectPaidReceipt(page: Page, demo: Demo, product: string): Promise<string> {
  await page.waitForURL(new RegExp(`^${demo.url}/success\\.html\\?checkout_id=`), { timeout: 20_000 });
  await expect(page.locator('polar-order-status [part="status"]')).toHaveText(
    'Thank you! Your payment was received.',
    { timeout: 20_000 },
  );
  await expect(page.locator('polar-order-status dd').first()).toHaveText(product);
  return new URL(page.url()).searchParams.get('checkout_id')!;
}

/** Polls the kit until `email` has `count` paid orders; resolves with them. */
export async function paidOrders(demo: Demo, email: string, count: number): Promise<OrdersResponse> {
  let orders: OrdersResponse = [];
  await expect
    .poll(
      async () => {
        orders = await demo.admin<OrdersResponse>(`/api/orders/${encodeURIComponent(email)}`);
        return orders.filter((order) => order.paid).length;
      },
      { timeout: 20_000 },
    )
    .toBe(count);
  return orders;
}

export async function access(demo: Demo, key: string): Promise<AccessResponse> {
  return demo.admin<AccessResponse>(`/api/customers/${encodeURIComponent(key)}/access`);
}

/** Opens the account page with the admin token entered, as the merchant does. */
export async function openAccount(page: Page, demo: Demo): Promise<void> {
  await page.goto(`${demo.url}/account.html`);
  await page.getByLabel('Admin token').fill(demo.adminToken);
  await page.getByRole('button', { name: 'Use token' }).click();
  await expect(page.getByText('Token set for this tab.')).toBeVisible();
}

/** Checks a customer's access on the account page; resolves with the section showing it. */
export async function checkAccessOnAccountPage(page: Page, key: string): Promise<Locator> {
  await page.getByLabel('Email, customer id or external id').fill(key);
  await page.getByRole('button', { name: 'Check access' }).click();
  const result = page.locator('#access-result');
  await expect(result.locator('.access-state')).toBeVisible();
  return result;
}

/** Saves the journey's last screen under `test-results/e2e/`. */
export async function finalScreenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ROOT, 'test-results/e2e', `${name}.png`), fullPage: true });
}
