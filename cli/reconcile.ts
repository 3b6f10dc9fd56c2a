/**
 * `polar-kit reconcile`: reads what changed at Polar since the last run and stores whatever lost webhooks
 * missed, once or every `--interval` seconds.
 */
import { openDatabase } from '../server/db/open.js';
import { createSilentLogger } from '../server/logger.js';
import { waitForShutdownSignal } from '../server/main.js';
import { createReconciler } from '../server/reconcile.js';
import type { ReconcileReport } from '../server/reconcile.js';
import { parseArgs } from 'node:util';
import type { CliCommand } from './command.js';
import {
  EXIT,
  createCliGateway,
  describeError,
  loadCliConfig,
  tryParseArgs,
  polarBaseUrl,
  usageError,
} from './context.js';

const HELP = `Usage: polar-kit reconcile [options]

Reads orders, subscriptions, customers and refunds from Polar's list endpoints and stores whatever the
kit's database is missing or has in an older state, the way the webhooks would have. A newer state in the
database is never overwritten, so it is safe to run at any time, also while the kit is running.

The first run reads everything; later runs read what changed since the last completed run (an hour of
overlap included). Polar stops retrying a webhook after about half an hour: run this at least daily, e.g.
from cron, or keep it running with --interval.

Options:
  --since ISO        read changes since this time instead of since the last run (e.g. 2026-01-15T00:00:00Z)
  --full             read everything, whatever the last run
  --interval SECS    run again every SECS seconds (at least 60) until SIGINT/SIGTERM
  --json             print each run's report as one JSON line
  -h, --help         show this help

Configuration comes from the environment and .env (DATABASE_PATH, POLAR_ACCESS_TOKEN, POLAR_SERVER,
POLAR_API_URL; in local mode the emulator on POLAR_EMULATOR_PORT).

Exit codes: 0 the run completed, 1 Polar failed or some objects could not be stored, 2 bad usage or
configuration.`;

export const command: CliCommand = {
  help: HELP,
  async run(args) {
    const parsed = tryParseArgs('reconcile', () =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: {
          since: { type: 'string' },
          full: { type: 'boolean', default: false },
          interval: { type: 'string' },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    );
    if (!parsed) return EXIT.usage;
    const { values } = parsed;
    if (values.since !== undefined && (values.full || !isIsoTime(values.since))) {
      usageError(
        'reconcile',
        values.full
          ? '--since and --full exclude each other.'
          : `--since must be an ISO-8601 time with a zone, e.g. 2026-01-15T00:00:00Z (got "${values.since}").`,
      );
      return EXIT.usage;
    }
    let intervalSeconds: number | null = null;
    if (values.interval !== undefined) {
      intervalSeconds = Number(values.interval);
      if (!Number.isInteger(intervalSeconds) || intervalSeconds < 60) {
        usageError(
          'reconcile',
          `--interval must be a whole number of seconds >= 60 (got "${values.interval}").`,
        );
        return EXIT.usage;
      }
    }
    const config = loadCliConfig('reconcile');
    if (!config) return EXIT.usage;
    const baseUrl = polarBaseUrl(config);

    const db = openDatabase({ path: config.db.path });
    try {
      const reconciler = createReconciler({
        db,
        gateway: createCliGateway(config),
        logger: createSilentLogger(),
      });
      const once = async (options: { since?: string; full?: boolean }): Promise<number> => {
        try {
          const report = await reconciler.run(options);
          console.log(values.json ? JSON.stringify(report) : formatReport(report));
          return report.total.failed > 0 ? EXIT.failure : EXIT.ok;
        } catch (error) {
          const message = `reconcile failed against ${baseUrl ?? config.polar.server}: ${describeError(error)}`;
          console.error(values.json ? JSON.stringify({ error: message }) : `polar-kit reconcile: ${message}`);
          return EXIT.failure;
        }
      };
      const first = await once({
        ...(values.since !== undefined ? { since: values.since } : {}),
        ...(values.full ? { full: true } : {}),
      });
      if (intervalSeconds === null) return first;

      let stopped = false;
      const signal = waitForShutdownSignal().then(() => {
        stopped = true;
      });
      while (!stopped) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          signal,
          new Promise((resolve) => (timer = setTimeout(resolve, intervalSeconds * 1000))),
        ]);
        clearTimeout(timer);
        if (!stopped) await once({});
      }
      return EXIT.ok;
    } finally {
      db.close();
    }
  },
};

function formatReport(report: ReconcileReport): string {
  const line = (label: string, c: ReconcileReport['total']) =>
    `  ${label.padEnd(14)} ${String(c.fetched).padStart(6)} read  ${String(c.created).padStart(5)} new  ${String(
      c.updated,
    ).padStart(5)} updated  ${String(c.failed).padStart(4)} failed`;
  return [
    `Reconciled with Polar (${report.since ? `changes since ${report.since}` : 'everything'}):`,
    line('orders', report.orders),
    line('subscriptions', report.subscriptions),
    line('customers', report.customers),
    line('refunds', report.refunds),
    line('total', report.total),
  ].join('\n');
}

function isIsoTime(value: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i.test(value) &&
    !Number.isNaN(Date.parse(value))
  );
}
