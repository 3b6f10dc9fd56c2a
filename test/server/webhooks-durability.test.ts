import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/open.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';
import { polarOrder, webhookEvent } from '../helpers/polar-payloads.js';

const SCRIPT = fileURLToPath(new URL('../helpers/webhook-kit-process.ts', import.meta.url));
const dirs: string[] = [];

afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function startKitProcess(dbPath: string, secret: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dbPath, secret], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    void exited.then((code) =>
      reject(new Error(`kit process exited (${String(code)}) before listening: ${err}`)),
    );
  });
  return { child, url, exited };
}

describe('a webhook answered 2xx survives kill -9', () => {
  it('finds every acknowledged event in the database after the process is killed right after the answer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kit-crash-'));
    dirs.push(dir);
    const dbPath = path.join(dir, 'kit.sqlite');
    const secret = generateWebhookSecret();
    const kit = startKitProcess(dbPath, secret);
    const url = await kit.url;

    const acknowledged: string[] = [];
    for (let i = 0; i < 12; i++) {
      const id = `msg_crash_${i}`;
      const order = polarOrder({
        id: `order-${i}`,
        created_at: `2026-01-15T10:00:${String(i).padStart(2, '0')}Z`,
      });
      const { body, headers } = signedDelivery(webhookEvent('order.paid', order), secret, { id });
      const res = await fetch(`${url}/api/webhooks/polar`, { method: 'POST', body, headers });
      if (res.status === 202) acknowledged.push(id);
      // Kill on the last answer, before the process can do anything else.
      if (i === 11) kit.child.kill('SIGKILL');
    }
    expect(await kit.exited).toBe('SIGKILL');
    expect(acknowledged).toHaveLength(12);

    const db = openDatabase({ path: dbPath });
    try {
      const stored = db
        .prepare(`SELECT webhook_id FROM webhook_events WHERE status = 'processed' ORDER BY id`)
        .all() as Array<{ webhook_id: string }>;
      expect(stored.map((r) => r.webhook_id)).toEqual(acknowledged);
      expect((db.prepare(`SELECT count(*) AS n FROM orders`).get() as { n: number }).n).toBe(12);
    } finally {
      db.close();
    }
  }, 30_000);
});
