import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain JavaScript module without type declarations
import { BUNDLE, buildServerBundle, bundleIsFresh } from '../../bin/server-bundle.js';
import { freePort, startKitProcess, stopKitProcess } from '../helpers/kit-process.js';
import type { KitProcess } from '../helpers/kit-process.js';

let kit: KitProcess | null = null;
let dir: string | null = null;
afterEach(async () => {
  if (kit) await stopKitProcess(kit);
  kit = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** The processes a process started (tsx starts an esbuild service; the compiled kit starts none). */
function childrenOf(pid: number): string {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
}

describe('the compiled polar-kit (dist/server)', () => {
  it('is built fresh and runs the kit without the TypeScript loader: migrations, emulator pages and widget found', async () => {
    await (buildServerBundle as () => Promise<boolean>)();
    expect((bundleIsFresh as () => boolean)()).toBe(true);
    expect(BUNDLE).toMatch(/dist[/\\]server[/\\]polar-kit\.mjs$/);
    dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-bundle-'));
    const port = await freePort();
    kit = await startKitProcess(dir, {
      PORT: String(port),
      POLAR_EMULATOR_PORT: String(await freePort()),
      DATABASE_PATH: path.join(dir, 'kit.sqlite'),
    });
    expect(childrenOf(kit.child.pid!)).toBe('');
    const base = `http://127.0.0.1:${port}`;
    // The database was migrated (the SQL files are read from the source tree) and the emulator answers.
    expect(await (await fetch(`${base}/api/health`)).json()).toMatchObject({
      status: 'ok',
      polar: 'ok',
      database: 'ok',
    });
    const products = (await (await fetch(`${base}/api/products`)).json()) as unknown[];
    expect(products.length).toBeGreaterThan(0);
    const created = await fetch(`${base}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ product_id: (products[0] as { id: string }).id }),
    });
    expect(created.status).toBe(201);
    const { checkout_url } = (await created.json()) as { checkout_url: string };
    // The emulator's hosted checkout page, and the script it loads from the emulator's assets folder.
    const page = await fetch(checkout_url);
    expect(page.status).toBe(200);
    const script = /src="([^"]*checkout\.js)"/.exec(await page.text())?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(new URL(script!, checkout_url));
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(100);
    expect((await fetch(`${base}/widget/polar-checkout.js`)).status).toBe(200);
  });
});
