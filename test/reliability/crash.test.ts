/**
 * Crash: `polar-kit start` is killed with SIGKILL in the middle of 20 s of webhook load and started again. Load
 * comes from the emulator (its delivery worker, with Polar's retries scaled down) and from direct senders. After
 * the restart every `webhook-id` that got a 2xx is in the database, and the emulator's retries deliver the rest.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../helpers/emulator.js';
import type { StartedEmulator } from '../helpers/emulator.js';
import { freePort, startKitProcess, stopKitProcess } from '../helpers/kit-process.js';
import type { KitProcess } from '../helpers/kit-process.js';
import { polarOrder, webhookEvent } from '../helpers/polar-payloads.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';
import { recordFigures } from './figures.js';
import { readDatabase, tempDir, uuid } from './helpers.js';

const LOAD_MS = 20_000;
const KILL_AT_MS = 8_000;
const EMIT_EVERY_MS = 10; // about 100 events/s through the emulator
const DIRECT_SENDERS = 4;

const temp = tempDir('polar-kit-crash-load-');
const kits: KitProcess[] = [];
let emulator: StartedEmulator | null = null;
afterAll(async () => {
  while (kits.length > 0) await stopKitProcess(kits.pop()!);
  await emulator?.close();
  temp.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('kill -9 under load', () => {
  it("keeps every acknowledged delivery, and the emulator's retries deliver the rest", async () => {
    const secret = generateWebhookSecret();
    const port = await freePort();
    // Retries in hundredths of Polar's timing: ten attempts span about 15 s.
    emulator = await startEmulator({ timeScale: 0.01 });
    emulator.webhooks.createEndpoint({ url: `http://127.0.0.1:${port}/api/webhooks/polar`, secret });
    const env = {
      PORT: String(port),
      POLAR_API_URL: emulator.url,
      POLAR_WEBHOOK_SECRET: secret,
      KIT_ADMIN_TOKEN: 'crash-load-admin-token-0123456789',
    };
    kits.push(await startKitProcess(temp.dir, env));
    const url = `http://127.0.0.1:${port}/api/webhooks/polar`;

    const started = Date.now();
    const loading = () => Date.now() - started < LOAD_MS;
    let emitted = 0;
    const emitter = setInterval(() => {
      if (!loading()) return;
      const n = emitted++;
      emulator!.webhooks.emit(
        'order.paid',
        polarOrder({
          id: uuid('c0000003', n),
          created_at: new Date(Date.UTC(2026, 0, 15) + n * 1000).toISOString(),
        }),
      );
    }, EMIT_EVERY_MS);

    const acknowledged: string[] = [];
    let directSent = 0;
    let directRefused = 0;
    let directServerErrors = 0;
    const sender = async (worker: number) => {
      for (let i = 0; loading(); i++) {
        const id = `msg_direct_${worker}_${i}`;
        const delivery = signedDelivery(
          webhookEvent(
            'order.paid',
            polarOrder({
              id: uuid(`d000000${worker}`, i),
              created_at: new Date(Date.UTC(2026, 1, 1) + i * 1000).toISOString(),
            }),
          ),
          secret,
          { id },
        );
        directSent++;
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: delivery.headers,
            body: delivery.body,
            signal: AbortSignal.timeout(5_000),
          });
          await response.arrayBuffer();
          if (response.status >= 200 && response.status < 300) acknowledged.push(id);
          if (response.status >= 500) directServerErrors++;
        } catch {
          directRefused++;
          await sleep(20);
        }
      }
    };
    const senders = Array.from({ length: DIRECT_SENDERS }, (_, worker) => sender(worker));

    await sleep(KILL_AT_MS);
    const victim = kits.pop()!;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const killedAt = Date.now() - started;
    kits.push(await startKitProcess(temp.dir, env));
    const restartedAt = Date.now() - started;

    await Promise.all(senders);
    clearInterval(emitter);
    // The emulator's retries finish whatever failed while the kit was down.
    await Promise.race([
      emulator.webhooks.drain(),
      sleep(90_000).then(() => {
        throw new Error('the emulator still had deliveries pending 90 s after the load');
      }),
    ]);
    const log = emulator.webhooks.deliveries();
    expect(await stopKitProcess(kits.pop()!)).toBe(0);

    const stored = readDatabase(path.join(temp.dir, 'data', 'kit.sqlite'), (db) => {
      const rows = db.prepare(`SELECT webhook_id, status FROM webhook_events`).all() as Array<{
        webhook_id: string;
        status: string;
      }>;
      return new Map(rows.map((row) => [row.webhook_id, row.status]));
    });
    const emulatorAcknowledged = log.filter((d) =>
      d.attempts.some((a) => a.status_code !== null && a.status_code >= 200 && a.status_code < 300),
    );
    const failedAttempts = log.reduce(
      (sum, d) => sum + d.attempts.filter((a) => a.status_code === null || a.status_code >= 300).length,
      0,
    );
    const lostAcknowledged = [...acknowledged, ...emulatorAcknowledged.map((d) => d.webhook_id)].filter(
      (id) => !stored.has(id),
    );
    const notDelivered = log.filter((d) => d.status !== 'succeeded');

    recordFigures('crash', {
      loadSeconds: LOAD_MS / 1000,
      killedAtMs: killedAt,
      restartedAtMs: restartedAt,
      emulatorEvents: emitted,
      emulatorDeliveries: log.length,
      emulatorAcknowledged: emulatorAcknowledged.length,
      emulatorFailedAttempts: failedAttempts,
      emulatorNotDelivered: notDelivered.length,
      directSent,
      directAcknowledged: acknowledged.length,
      directRefusedOrTimedOut: directRefused,
      directServerErrors,
      eventsStored: stored.size,
      lostAcknowledged: lostAcknowledged.length,
    });
    // The kill really hit the load: attempts failed while the kit was down.
    expect(failedAttempts).toBeGreaterThan(0);
    expect(directRefused).toBeGreaterThan(0);
    expect(lostAcknowledged).toEqual([]);
    expect(log).toHaveLength(emitted);
    expect(notDelivered.map((d) => d.webhook_id)).toEqual([]);
    for (const d of log) expect(stored.get(d.webhook_id)).toBe('processed');
    expect(directServerErrors).toBe(0);
  }, 180_000);
});
