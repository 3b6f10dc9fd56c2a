import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckoutResponse, Product } from '../../contract/contract.js';
import { openDatabase } from '../../server/db/open.js';
import { startEmulator } from '../helpers/emulator.js';
import type { StartedEmulator } from '../helpers/emulator.js';
import { TEST_WEBHOOK_SECRET, startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';
import { BIN, runCli, tempDir } from './run-cli.js';

const PAYING_CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2035, cvc: '123' };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function emulator(options: Parameters<typeof startEmulator>[0] = {}): Promise<StartedEmulator> {
  const e = await startEmulator(options);
  cleanups.push(() => e.close());
  return e;
}

async function testKit(options: Parameters<typeof startTestKit>[0] = {}): Promise<TestKit> {
  const t = await startTestKit(options);
  cleanups.push(() => t.close());
  return t;
}

function envFor(
  polarUrl: string,
  dbPath: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    POLAR_API_URL: polarUrl.replace(/\/+$/, ''),
    DATABASE_PATH: dbPath,
    POLAR_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    ...extra,
  };
}

async function buy(t: TestKit, externalId: string): Promise<CheckoutResponse> {
  const products = (await (await t.fetch('/api/products')).json()) as Product[];
  const lifetime = products.find((p) => p.name === 'Lifetime License')!;
  const response = await t.admin('/api/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      product_id: lifetime.id,
      email: `${externalId}@example.com`,
      external_customer_id: externalId,
    }),
  });
  const checkout = (await response.json()) as CheckoutResponse;
  await t.control(`/_emulator/checkouts/${checkout.checkout_id}/pay`, { card: PAYING_CARD });
  await t.emulator.webhooks.drain();
  return checkout;
}

describe('polar-kit CLI', () => {
  it('prints --help for every command and exits 2 on bad usage', async () => {
    for (const name of ['doctor', 'import-customers', 'trigger', 'replay', 'reconcile', 'backup']) {
      const help = await runCli([name, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stdout, name).toContain(`Usage: polar-kit ${name}`);
      expect(help.stdout, name).toMatch(/Exit codes: 0/);
      const bad = await runCli([name, '--no-such-flag']);
      expect(bad.code, name).toBe(2);
      expect(bad.stderr, name).toContain('--help');
    }
    expect((await runCli(['replay'])).code).toBe(2);
    expect((await runCli(['import-customers'])).code).toBe(2);
    expect((await runCli(['reconcile', '--since', 'last week'])).code).toBe(2);
    const usage = await runCli(['--help']);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/ {2}reconcile {9}store what lost webhooks missed/);
  }, 120_000);

  describe('doctor', () => {
    it('passes on a good setup', async () => {
      const e = await emulator();
      e.webhooks.createEndpoint({
        url: 'https://shop.example.com/api/webhooks/polar',
        secret: TEST_WEBHOOK_SECRET,
      });
      const dir = tempDir();
      const result = await runCli(['doctor'], {
        env: envFor(e.url, path.join(dir, 'data', 'kit.sqlite'), { PUBLIC_URL: 'https://shop.example.com' }),
      });
      expect(result.stdout).toMatch(
        /✓ webhook URL\s+Polar delivers to https:\/\/shop\.example\.com\/api\/webhooks\/polar/,
      );
      expect(result.stdout).toMatch(/✓ Polar\s+the local emulator at http:\/\/127\.0\.0\.1:\d+ answered/);
      expect(result.stdout).toMatch(/✓ products\s+\d+ for sale: /);
      expect(result.stdout).toMatch(/✓ webhook secret\s+whsec_… \(standard scheme, 32-byte key\)/);
      expect(result.stdout).toMatch(/✓ database\s+.*does not exist yet/);
      expect(result.stdout).toContain('All checks passed.');
      expect(result.code).toBe(0);
      expect(existsSync(path.join(dir, 'data', 'kit.sqlite'))).toBe(false);

      // An existing database: opened (and migrated) by the kit, then checked for writing without a trace.
      const dbPath = path.join(dir, 'data', 'kit.sqlite');
      openDatabase({ path: dbPath }).close();
      const again = await runCli(['doctor'], {
        env: envFor(e.url, dbPath, { PUBLIC_URL: 'https://shop.example.com' }),
      });
      expect(again.stdout).toMatch(
        /✓ database\s+.*kit\.sqlite is writable and migrated \(schema version \d+\)/,
      );
      expect(again.code).toBe(0);
    });

    it('reports a wrong access token clearly and exits 1', async () => {
      const e = await emulator({ accessTokens: ['polar_oat_the_right_one'] });
      const result = await runCli(['doctor'], {
        env: envFor(e.url, path.join(tempDir(), 'kit.sqlite'), {
          POLAR_SERVER: 'sandbox',
          POLAR_ACCESS_TOKEN: 'polar_oat_a_wrong_one',
        }),
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /✗ Polar\s+Polar \(sandbox\) at .* refused the access token \(HTTP 401\)/,
      );
      expect(result.stdout).toMatch(/fix: create an organization access token/);
      expect(result.stdout).not.toContain('polar_oat_a_wrong_one');
      expect(result.stdout).toContain('check failed.');
      expect(result.stdout).toMatch(/! public URL\s+PUBLIC_URL is http:\/\/localhost:8000/);
    });

    it('reports a malformed webhook secret without printing it, and exits 1', async () => {
      const e = await emulator();
      for (const secret of ['whsec_not*base64!', 'my-webhook-secret-from-somewhere']) {
        const result = await runCli(['doctor'], {
          env: envFor(e.url, path.join(tempDir(), 'kit.sqlite'), { POLAR_WEBHOOK_SECRET: secret }),
        });
        expect(result.code, secret).toBe(1);
        expect(result.stdout, secret).toMatch(/✗ webhook secret\s+/);
        expect(result.stdout, secret).toMatch(/fix: copy the secret again/);
        expect(result.stdout, secret).not.toContain(secret);
        expect(result.stdout, secret).toMatch(/✓ Polar/);
      }
      const legacy = await runCli(['doctor'], {
        env: envFor(e.url, path.join(tempDir(), 'kit.sqlite'), {
          POLAR_WEBHOOK_SECRET: 'polar_whs_8kQ2xv0Lr5mT7bYc3Nd9',
        }),
      });
      expect(legacy.stdout).toMatch(/✓ webhook secret\s+polar_whs_… \(legacy scheme\)/);
      expect(legacy.code).toBe(0);
    });

    it('reports an invalid configuration and an unwritable database', async () => {
      const bad = await runCli(['doctor'], {
        env: { PORT: 'eighty', DATABASE_PATH: path.join(tempDir(), 'k.sqlite') },
      });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/✗ configuration\s+PORT must be a whole number/);

      const e = await emulator();
      const dir = tempDir();
      writeFileSync(path.join(dir, 'plain-file'), '');
      const result = await runCli(['doctor'], {
        env: envFor(e.url, path.join(dir, 'plain-file', 'kit.sqlite')),
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/✗ database\s+.*plain-file is a file, not a folder/);
    });
  });

  describe('import-customers', () => {
    it('creates each of 500 customers once, links an existing one, and a second run creates nothing', async () => {
      const e = await emulator();
      const dir = tempDir();
      const file = path.join(dir, 'customers.csv');
      const lines = ['external_id,email,name'];
      for (let i = 0; i < 500; i++) lines.push(`user-${i},user${i}@example.com,"Buyer ${i}, Esq."`);
      lines.push('user-bad,not-an-email,Nobody');
      writeFileSync(file, `${lines.join('\n')}\n`);
      // One of them is already a Polar customer, without an external id.
      const existing = await fetch(`${e.url.replace(/\/+$/, '')}/v1/customers/`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'user7@example.com', name: 'Seven' }),
      });
      expect(existing.status).toBe(201);

      const env = envFor(e.url, path.join(dir, 'kit.sqlite'));
      const first = await runCli(['import-customers', file, '--json', '--concurrency', '8'], {
        env,
        cwd: dir,
      });
      expect(first.code).toBe(1);
      expect(first.stderr).toBe('');
      const summary = JSON.parse(first.stdout) as Record<string, unknown>;
      expect(summary).toMatchObject({ rows: 501, created: 499, linked: 1, existing: 0, failed: 1 });
      expect(summary.failures).toEqual([
        { line: 502, external_id: 'user-bad', email: 'not-an-email', reason: 'not an email address' },
      ]);
      const state = (await (await fetch(`${e.url.replace(/\/+$/, '')}/_emulator/state`)).json()) as {
        counts: { customers: number };
      };
      expect(state.counts.customers).toBe(500);
      const seven = (await (
        await fetch(`${e.url.replace(/\/+$/, '')}/v1/customers/external/user-7`, {
          headers: { authorization: 'Bearer t' },
        })
      ).json()) as { email: string };
      expect(seven.email).toBe('user7@example.com');
      const named = (await (
        await fetch(`${e.url.replace(/\/+$/, '')}/v1/customers/external/user-42`, {
          headers: { authorization: 'Bearer t' },
        })
      ).json()) as { email: string; name: string };
      expect(named).toMatchObject({ email: 'user42@example.com', name: 'Buyer 42, Esq.' });

      const second = await runCli(['import-customers', file], { env, cwd: dir });
      expect(second.stdout).toContain(
        '501 rows: 0 created, 500 already in Polar (0 linked to their external id), 1 failed.',
      );
      expect(second.stdout).toContain('line 502 (user-bad): not an email address');
      const after = (await (await fetch(`${e.url.replace(/\/+$/, '')}/_emulator/state`)).json()) as {
        counts: { customers: number };
      };
      expect(after.counts.customers).toBe(500);
    }, 120_000);

    it('fails a row whose email belongs to a customer with another external id, and rejects a file without the columns', async () => {
      const e = await emulator();
      const dir = tempDir();
      await fetch(`${e.url.replace(/\/+$/, '')}/v1/customers/`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'taken@example.com', external_id: 'someone-else' }),
      });
      const file = path.join(dir, 'c.csv');
      writeFileSync(file, 'external_id,email\nme,taken@example.com\n');
      const env = envFor(e.url, path.join(dir, 'kit.sqlite'));
      const result = await runCli(['import-customers', file], { env, cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /line 2 \(me\): taken@example\.com is already a Polar customer with another external id/,
      );

      const noColumns = path.join(dir, 'n.csv');
      writeFileSync(noColumns, 'id,mail\n1,a@example.com\n');
      const bad = await runCli(['import-customers', noColumns], { env, cwd: dir });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('needs a header line with the columns external_id,email');
    });
  });

  describe('trigger', () => {
    it('makes the emulator fire an event that reaches the kit', async () => {
      const t = await testKit();
      const result = await runCli(['trigger', 'order.paid'], { env: envFor(t.emulator.url, t.dbPath) });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Fired order\.paid/);
      await t.emulator.webhooks.drain();
      await waitFor(() => {
        const db = new Database(t.dbPath, { readonly: true });
        try {
          return db.prepare(`SELECT count(*) AS n FROM webhook_events WHERE type = 'order.paid'`).get() as {
            n: number;
          };
        } finally {
          db.close();
        }
      }, 'the order.paid delivery').then((row) => expect(row.n).toBe(1));
    });

    it('refuses outside local mode and rejects an unknown event type', async () => {
      const t = await testKit();
      const sandbox = await runCli(['trigger', 'order.paid'], {
        env: envFor(t.emulator.url, t.dbPath, { POLAR_SERVER: 'sandbox', POLAR_ACCESS_TOKEN: 'polar_oat_x' }),
      });
      expect(sandbox.code).toBe(2);
      expect(sandbox.stderr).toContain('refused: POLAR_SERVER is sandbox');
      const unknown = await runCli(['trigger', 'order.teleported'], {
        env: envFor(t.emulator.url, t.dbPath),
      });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/cannot fire "order\.teleported"\. It can fire: .*order\.paid/);
      const nobody = await runCli(['trigger', 'order.paid'], {
        env: envFor('http://127.0.0.1:9', t.dbPath),
      });
      expect(nobody.code).toBe(1);
      expect(nobody.stderr).toContain('no emulator answered');
    });
  });

  describe('replay', () => {
    it('re-applies a stored delivery and exits 1 for an unknown one', async () => {
      const t = await testKit();
      await buy(t, 'replayed');
      const db = new Database(t.dbPath);
      const { webhook_id: webhookId } = db
        .prepare(`SELECT webhook_id FROM webhook_events WHERE type = 'order.paid'`)
        .get() as { webhook_id: string };
      // Lose the order locally, as a bad migration or a manual edit might.
      db.prepare(`DELETE FROM orders`).run();
      db.close();

      const result = await runCli(['replay', webhookId], { env: envFor(t.emulator.url, t.dbPath) });
      expect(result.stdout).toBe(`Replayed ${webhookId} (order.paid): applied.\n`);
      expect(result.code).toBe(0);
      const access = (await (await t.admin('/api/customers/replayed/access')).json()) as {
        product_ids: string[];
      };
      expect(access.product_ids).toHaveLength(1);

      const missing = await runCli(['replay', 'msg_nope', '--json'], {
        env: envFor(t.emulator.url, t.dbPath),
      });
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.stdout)).toEqual({ webhook_id: 'msg_nope', status: 'not_found' });
    });
  });

  describe('reconcile', () => {
    it('restores an order whose webhooks were all dropped, then finds nothing new', async () => {
      const t = await testKit({ registerWebhook: false });
      const checkout = await buy(t, 'dropped');
      expect((await t.admin('/api/customers/dropped/access')).status).toBe(404);

      const env = envFor(t.emulator.url, t.dbPath);
      const first = await runCli(['reconcile', '--json'], { env });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const report = JSON.parse(first.stdout) as { since: null; orders: { created: number } };
      expect(report.since).toBeNull();
      expect(report.orders.created).toBe(1);
      const status = (await (await t.fetch(`/api/checkout/${checkout.checkout_id}`)).json()) as {
        order: { paid: boolean } | null;
      };
      expect(status.order?.paid).toBe(true);
      expect((await t.admin('/api/customers/dropped/access')).status).toBe(200);

      const second = await runCli(['reconcile'], { env });
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/changes since \d{4}-/);
      expect(second.stdout).toMatch(/total\s+\d+ read\s+0 new\s+0 updated\s+0 failed/);
    });

    it('keeps running with --interval until SIGTERM, then exits 0', async () => {
      const t = await testKit({ registerWebhook: false });
      await buy(t, 'interval');
      const child = spawn(process.execPath, [BIN, 'reconcile', '--interval', '60'], {
        cwd: tempDir(),
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...envFor(t.emulator.url, t.dbPath) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await waitFor(() => output.includes('total'), 'the first run', { timeoutMs: 30_000 });
      expect(output).toMatch(/orders\s+1 read\s+1 new/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }, 60_000);

    it('exits 1 when Polar cannot be reached', async () => {
      const result = await runCli(['reconcile'], {
        env: envFor('http://127.0.0.1:9', path.join(tempDir(), 'k.sqlite')),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/reconcile failed against http:\/\/127\.0\.0\.1:9/);
    });
  });

  describe('backup', () => {
    it('copies the database online, WAL included', async () => {
      const t = await testKit();
      await buy(t, 'backed-up');
      const target = path.join(tempDir(), 'nested', 'backup.sqlite');
      const env = envFor(t.emulator.url, t.dbPath);
      const result = await runCli(['backup', target], { env });
      expect(result.code).toBe(0);
      const copy = new Database(target, { readonly: true });
      expect((copy.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n).toBe(1);
      copy.close();
      expect((await runCli(['backup', target], { env })).code).toBe(2);
      expect((await runCli(['backup', target, '--force'], { env })).code).toBe(0);
    });
  });
});
