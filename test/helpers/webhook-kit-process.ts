/**
 * The kit's webhook route alone in its own process, for crash tests:
 * `node --import tsx test/helpers/webhook-kit-process.ts <database path> <webhook secret>`.
 * Prints `{"url": ...}` on one line once it listens.
 */
import { startWebhookApp } from './webhook-app.js';

const [dbPath, secret] = process.argv.slice(2);
if (!dbPath || !secret) {
  process.stderr.write('usage: webhook-kit-process.ts <database path> <webhook secret>\n');
  process.exit(2);
}
const app = await startWebhookApp({ secret, dbPath });
process.stdout.write(`${JSON.stringify({ url: app.url })}\n`);
