/**
 * `polar-kit replay WEBHOOK_ID`: applies a stored webhook payload again, from the kit's own database.
 */
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../server/db/open.js';
import { createWebhookEventStore } from '../server/db/webhook-events.js';
import { isAppError } from '../server/errors.js';
import { createSilentLogger } from '../server/logger.js';
import { createWebhookIngest } from '../server/webhooks/ingest.js';
import { parseArgs } from 'node:util';
import type { CliCommand } from './command.js';
import { EXIT, configuredWebhookSecret, loadCliConfig, tryParseArgs, usageError } from './context.js';

const HELP = `Usage: polar-kit replay WEBHOOK_ID [options]

Applies the stored payload of the webhook delivery WEBHOOK_ID (its webhook-id header) to the kit's database
again: for an event recorded as failed, or after a fix. Nothing is fetched from Polar and nothing is sent;
the same newest-state-wins rules as on delivery apply, so replaying an old event never undoes a newer one.
The host application's webhook callbacks run only in the kit process (POST /api/webhook-events/:id/replay).

GET /api/webhook-events?status=failed (admin) lists the deliveries the kit stored.

Options:
  --json         print the outcome as JSON
  -h, --help     show this help

Configuration comes from the environment and .env (DATABASE_PATH).

Exit codes: 0 applied (or stored as an event type the kit ignores), 1 no such delivery, or applying it
failed again, 2 bad usage or configuration.`;

export const command: CliCommand = {
  help: HELP,
  async run(args) {
    const parsed = tryParseArgs('replay', () =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: true,
        options: {
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    );
    if (!parsed) return EXIT.usage;
    const { values, positionals } = parsed;
    if (positionals.length !== 1 || positionals[0]!.trim() === '') {
      usageError('replay', 'name one WEBHOOK_ID.');
      return EXIT.usage;
    }
    const webhookId = positionals[0]!;
    const config = loadCliConfig('replay');
    if (!config) return EXIT.usage;

    const db = openDatabase({ path: config.db.path });
    try {
      // Replaying verifies nothing, but the ingest is built around the endpoint's secret.
      const secret = configuredWebhookSecret(config)?.secret ?? `whsec_${randomBytes(32).toString('base64')}`;
      const ingest = createWebhookIngest({ db, secret, logger: createSilentLogger() });
      let status: 'processed' | 'failed' | 'ignored';
      try {
        ({ status } = ingest.replay(webhookId));
      } catch (error) {
        if (isAppError(error) && error.code === 'WEBHOOK_EVENT_NOT_FOUND') {
          report(values.json, { webhook_id: webhookId, status: 'not_found' }, () =>
            console.error(
              `polar-kit replay: no stored webhook delivery "${webhookId}" in ${config.db.path}. GET /api/webhook-events lists them.`,
            ),
          );
          return EXIT.failure;
        }
        throw error;
      }
      const stored = createWebhookEventStore(db).find(webhookId);
      const outcome = {
        webhook_id: webhookId,
        type: stored?.type ?? null,
        status,
        error: stored?.error ?? null,
      };
      if (status === 'failed') {
        report(values.json, outcome, () =>
          console.error(
            `polar-kit replay: ${webhookId} (${outcome.type}) failed again: ${outcome.error ?? 'unreadable payload'}`,
          ),
        );
        return EXIT.failure;
      }
      report(values.json, outcome, () =>
        console.log(
          status === 'ignored'
            ? `${webhookId} (${outcome.type}) is an event type the kit does not apply; nothing to do.`
            : `Replayed ${webhookId} (${outcome.type}): applied.`,
        ),
      );
      return EXIT.ok;
    } finally {
      db.close();
    }
  },
};

function report(json: boolean | undefined, outcome: object, text: () => void): void {
  if (json) console.log(JSON.stringify(outcome));
  else text();
}
