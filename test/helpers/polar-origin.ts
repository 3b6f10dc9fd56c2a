/**
 * Puts a local emulator at `https://sandbox.polar.sh` inside a test browser (polar-reference.md 7.6, option 1):
 * the emulator's app is served over HTTPS with a throwaway self-signed certificate, and Chromium's host resolver
 * maps `sandbox.polar.sh` to it. The page's origin is then really Polar's, so the published `@polar-sh/checkout`
 * embed accepts its messages, and responses stream as they do from Polar (Playwright's `route.fulfill` answers
 * only with a complete body, so the hosted page's event stream cannot go through a route).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '@playwright/test';
import type { Browser, LaunchOptions, PlaywrightWorkerArgs } from '@playwright/test';

export const POLAR_SANDBOX_ORIGIN = 'https://sandbox.polar.sh';

export type PolarFront = {
  /** The loopback port the HTTPS server listens on (the browser sees port 443). */
  port: number;
  close(): Promise<void>;
};

/** Serves `app` over HTTPS on an ephemeral loopback port, with a certificate for sandbox.polar.sh. */
export async function startPolarFront(app: RequestListener): Promise<PolarFront> {
  const server = https.createServer(createCertificate(), app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Event streams never end by themselves.
        server.closeAllConnections();
      }),
  };
}

/**
 * Launches a browser (the project's launch options) that resolves sandbox.polar.sh to `front`. Open its
 * contexts with `ignoreHTTPSErrors: true`: the certificate is self-signed.
 */
export function launchWithPolarFront(
  playwright: PlaywrightWorkerArgs['playwright'],
  launchOptions: LaunchOptions,
  front: PolarFront,
): Promise<Browser> {
  return playwright.chromium.launch({
    ...launchOptions,
    args: [
      ...(launchOptions.args ?? []),
      `--host-resolver-rules=MAP ${new URL(POLAR_SANDBOX_ORIGIN).hostname} 127.0.0.1:${front.port}`,
    ],
  });
}

/**
 * Playwright's `test` whose `page` lives in a browser that reaches sandbox.polar.sh at `front()` (read when each
 * test starts, so the front may be started in a `beforeAll` or `beforeEach`).
 */
export function testWithPolarFront(front: () => PolarFront) {
  return test.extend<{ polarBrowser: Browser }>({
    polarBrowser: async ({ playwright, launchOptions }, use) => {
      const browser = await launchWithPolarFront(playwright, launchOptions, front());
      await use(browser);
      await browser.close();
    },
    page: async ({ polarBrowser }, use) => {
      const context = await polarBrowser.newContext({ ignoreHTTPSErrors: true });
      await use(await context.newPage());
      await context.close();
    },
  });
}

/** A one-day self-signed certificate for sandbox.polar.sh, made by the `openssl` command. */
function createCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-cert-'));
  const host = new URL(POLAR_SANDBOX_ORIGIN).hostname;
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${host}`,
        '-addext',
        `subjectAltName=DNS:${host}`,
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
