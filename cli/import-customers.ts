/**
 * `polar-kit import-customers FILE.csv`: creates the shop's existing users as Polar customers (or links the
 * Polar customers they already are), so checkouts, the portal and access lookups find them by external id.
 */
import { readFileSync } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import { parse } from 'csv-parse/sync';
import { isAppError } from '../server/errors.js';
import type { PolarGateway, PolarObject } from '../server/polar/gateway.js';
import { retryPolar } from '../server/polar/retry-polar.js';
import { parseArgs } from 'node:util';
import type { CliCommand } from './command.js';
import { EXIT, createCliGateway, describeError, loadCliConfig, tryParseArgs, usageError } from './context.js';

const HELP = `Usage: polar-kit import-customers FILE.csv [options]

Creates a Polar customer for each row of FILE.csv, or links the customer Polar already has:

  external_id,email,name
  user-1,ada@example.com,Ada Lovelace
  user-2,alan@example.com,

external_id is your app's user id (what identify(req) returns; may be empty), email is required, name is
optional; other columns are ignored. For each row: a customer with that external id already exists → kept;
else a customer with that email exists → its external id is set (when it has none) → kept; else a new
customer is created. Safe to re-run: a second run creates nothing. Polar's rate limits are waited out.

Options:
  --concurrency N   rows sent to Polar at a time (1-16, default 4)
  --json            print the summary as JSON (rows that failed included)
  -h, --help        show this help

Configuration comes from the environment and .env (POLAR_ACCESS_TOKEN, POLAR_SERVER, POLAR_API_URL).

Exit codes: 0 every row created or already there, 1 some rows failed (listed with the reason), 2 bad
usage, a missing or unreadable file, or a file without the external_id and email columns.`;

type Row = { line: number; externalId: string | null; email: string; name: string | null };
type Outcome = { status: 'created' | 'existing' | 'linked' } | { status: 'failed'; reason: string };
type Failure = { line: number; external_id: string | null; email: string; reason: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_ATTEMPTS = 6;

export const command: CliCommand = {
  help: HELP,
  async run(args) {
    const parsed = tryParseArgs('import-customers', () =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: true,
        options: {
          concurrency: { type: 'string', default: '4' },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    );
    if (!parsed) return EXIT.usage;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) {
      usageError('import-customers', 'name one CSV file.');
      return EXIT.usage;
    }
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
      usageError(
        'import-customers',
        `--concurrency must be a whole number from 1 to 16 (got "${values.concurrency}").`,
      );
      return EXIT.usage;
    }
    const file = positionals[0]!;
    const read = readRows(file);
    if ('error' in read) {
      usageError('import-customers', read.error);
      return EXIT.usage;
    }
    const config = loadCliConfig('import-customers');
    if (!config) return EXIT.usage;
    const gateway = createCliGateway(config);

    const counts = { created: 0, existing: 0, linked: 0, failed: 0 };
    const failures: Failure[] = [...read.invalid];
    counts.failed = failures.length;
    const rows = read.rows;
    const bar =
      process.stderr.isTTY && !values.json
        ? new SingleBar(
            {
              format:
                'Importing {bar} {value}/{total} rows | {created} created, {existing} existing, {failed} failed',
              stream: process.stderr,
              hideCursor: true,
            },
            Presets.shades_classic,
          )
        : null;
    bar?.start(rows.length, 0, { created: 0, existing: 0, failed: counts.failed });

    // Rows naming the same customer run one after the other, so a re-used email or id is linked, not raced.
    const groups = groupBySameCustomer(rows);
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        const group = groups[next++]!;
        for (const row of group) {
          const outcome = await importRow(gateway, row);
          if (outcome.status === 'failed') {
            counts.failed++;
            failures.push({
              line: row.line,
              external_id: row.externalId,
              email: row.email,
              reason: outcome.reason,
            });
          } else {
            counts[outcome.status]++;
          }
          bar?.increment(1, {
            created: counts.created,
            existing: counts.existing + counts.linked,
            failed: counts.failed,
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, groups.length)) }, worker));
    bar?.stop();

    failures.sort((a, b) => a.line - b.line);
    if (values.json) {
      console.log(JSON.stringify({ rows: rows.length + read.invalid.length, ...counts, failures }));
    } else {
      console.log(
        `${rows.length + read.invalid.length} rows: ${counts.created} created, ${counts.existing + counts.linked} already in Polar (${counts.linked} linked to their external id), ${counts.failed} failed.`,
      );
      for (const failure of failures)
        console.log(`  line ${failure.line} (${failure.external_id ?? failure.email}): ${failure.reason}`);
    }
    return counts.failed > 0 ? EXIT.failure : EXIT.ok;
  },
};

function readRows(file: string): { rows: Row[]; invalid: Failure[] } | { error: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { error: `cannot read ${file}: ${(error as Error).message}` };
  }
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(text, {
      bom: true,
      columns: (header: string[]) => header.map((column) => column.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      info: true,
    }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
  } catch (error) {
    return { error: `${file} is not valid CSV: ${(error as Error).message}` };
  }
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const columns = header.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  if (!columns.includes('email') || !columns.includes('external_id'))
    return { error: `${file} needs a header line with the columns external_id,email (and optionally name).` };

  const rows: Row[] = [];
  const invalid: Failure[] = [];
  for (const { record, info } of records) {
    const email = record.email ?? '';
    const externalId = record.external_id ? record.external_id : null;
    if (!EMAIL.test(email)) {
      invalid.push({ line: info.lines, external_id: externalId, email, reason: 'not an email address' });
      continue;
    }
    rows.push({ line: info.lines, externalId, email, name: record.name ? record.name : null });
  }
  return { rows, invalid };
}

/** Groups rows that share an email or an external id (case-insensitive email), in file order. */
function groupBySameCustomer(rows: Row[]): Row[][] {
  const groups: Row[][] = [];
  const byKey = new Map<string, Row[]>();
  for (const row of rows) {
    const keys = [`e:${row.email.toLowerCase()}`, ...(row.externalId ? [`x:${row.externalId}`] : [])];
    let group = keys.map((key) => byKey.get(key)).find((g) => g !== undefined);
    if (!group) {
      group = [];
      groups.push(group);
    }
    group.push(row);
    for (const key of keys) byKey.set(key, group);
  }
  return groups;
}

async function importRow(gateway: PolarGateway, row: Row): Promise<Outcome> {
  try {
    const found = await withRetries(() => findExisting(gateway, row));
    if (found) return found;
    try {
      await withRetries(() =>
        gateway.createCustomer({ email: row.email, name: row.name, externalId: row.externalId }),
      );
      return { status: 'created' };
    } catch (error) {
      // Polar refuses a duplicate email or external id: someone else created it meanwhile.
      if (!isAppError(error) || error.code !== 'POLAR_REJECTED') throw error;
      const again = await withRetries(() => findExisting(gateway, row));
      return again ?? { status: 'failed', reason: `Polar refused it: ${describeError(error)}` };
    }
  } catch (error) {
    return { status: 'failed', reason: describeError(error) };
  }
}

async function findExisting(gateway: PolarGateway, row: Row): Promise<Outcome | null> {
  if (row.externalId) {
    const byExternal = await gateway.findCustomer({ externalId: row.externalId });
    if (byExternal) return { status: 'existing' };
  }
  const byEmail: PolarObject | null = await gateway.findCustomer({ email: row.email });
  if (!byEmail) return null;
  if (!row.externalId || byEmail.external_id === row.externalId) return { status: 'existing' };
  if (byEmail.external_id !== null && byEmail.external_id !== undefined) {
    return {
      status: 'failed',
      reason: `${row.email} is already a Polar customer with another external id (${String(byEmail.external_id)}); Polar does not change an external id once set.`,
    };
  }
  await gateway.setCustomerExternalId(byEmail.id, row.externalId);
  return { status: 'linked' };
}

/** Waits out Polar's rate limits (`Retry-After`) and brief outages, up to `MAX_ATTEMPTS` tries. */
function withRetries<T>(fn: () => Promise<T>): Promise<T> {
  return retryPolar(fn, {
    retries: MAX_ATTEMPTS - 1,
    backoffMs: (attempt) => Math.min(8000, 250 * 2 ** attempt),
  });
}
