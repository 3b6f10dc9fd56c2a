/**
 * The kit's webhook route alone in its own process, for crash tests:
 * `node --import tsx test/helpers/webhook-kit-process.ts <database path> <webhook secret> [--report-batches]`.
 * Prints `{"url": ...}` on one line once it listens; with `--report-batches`, then `{"batch": <size>}` after
 * each committed transaction of deliveries.
 */
import { startWebhookApp } from './webhook-app.js';

const [dbPath, secret, flag] = process.argv.slice(2);
if (!dbPath || !secret) {
  process.stderr.write('usage: webhook-kit-process.ts <database path> <webhook secret>\n');
  process.exit(2);
}
const app = await startWebhookApp({
  secret,
  dbPath,
  ...(flag === '--report-batches'
    ? { onBatch: ({ size }) => process.stdout.write(`${JSON.stringify({ batch: size })}\n`) }
    : {}),
});
process.stdout.write(`${JSON.stringify({ url: app.url })}\n`);
