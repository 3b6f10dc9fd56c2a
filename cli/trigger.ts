/**
 * `polar-kit trigger EVENT`: makes the local emulator fire a webhook event (with the objects behind it), for
 * trying out the kit's webhook handling and the host app's callbacks. Local mode only.
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from './command.js';
import { EXIT, loadCliConfig, tryParseArgs, polarBaseUrl, usageError } from './context.js';

const HELP = `Usage: polar-kit trigger EVENT [options]
       polar-kit trigger --list

Makes the local Polar emulator fire EVENT (e.g. order.paid, subscription.canceled) to every webhook endpoint
registered there, creating the customer, order or subscription it is about, as Polar would. With
"polar-kit start" running, the kit receives it at /api/webhooks/polar.

Local mode only: it refuses when POLAR_SERVER is sandbox or production, since Polar itself has no such switch.

Options:
  --emulator-url URL   the emulator (default: POLAR_API_URL, else http://127.0.0.1:POLAR_EMULATOR_PORT)
  --list               print the event types the emulator can fire
  --json               print the emulator's answer as JSON
  -h, --help           show this help

Exit codes: 0 fired, 1 the emulator could not be reached or failed, 2 bad usage, unknown event type or not
local mode.`;

export const command: CliCommand = {
  help: HELP,
  async run(args) {
    const parsed = tryParseArgs('trigger', () =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: true,
        options: {
          'emulator-url': { type: 'string' },
          list: { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    );
    if (!parsed) return EXIT.usage;
    const { values, positionals } = parsed;
    if (!values.list && positionals.length !== 1) {
      usageError(
        'trigger',
        positionals.length === 0 ? 'name the event type to fire.' : 'name one event type.',
      );
      return EXIT.usage;
    }
    const config = loadCliConfig('trigger');
    if (!config) return EXIT.usage;
    if (config.polar.server !== 'local') {
      console.error(
        `polar-kit trigger: refused: POLAR_SERVER is ${config.polar.server}. Events can only be fired by the local emulator; unset POLAR_ACCESS_TOKEN and POLAR_SERVER (local mode) to use it.`,
      );
      return EXIT.usage;
    }
    const base = (values['emulator-url'] ?? polarBaseUrl(config) ?? '').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/i.test(base)) {
      usageError('trigger', `--emulator-url must be an http(s) URL (got "${base}").`);
      return EXIT.usage;
    }

    let types: string[];
    try {
      types = ((await request(`${base}/_emulator/trigger`)).body as { types?: string[] }).types ?? [];
    } catch (error) {
      console.error(
        `polar-kit trigger: no emulator answered at ${base} (${(error as Error).message}). Start one with "npx polar-kit start" or set --emulator-url.`,
      );
      return EXIT.failure;
    }
    if (values.list) {
      console.log(types.join('\n'));
      return EXIT.ok;
    }
    const type = positionals[0]!;
    if (types.length > 0 && !types.includes(type)) {
      usageError('trigger', `the emulator cannot fire "${type}". It can fire: ${types.join(', ')}.`);
      return EXIT.usage;
    }
    let answer: { status: number; body: unknown };
    try {
      answer = await request(`${base}/_emulator/trigger`, { type });
    } catch (error) {
      console.error(`polar-kit trigger: the emulator at ${base} failed: ${(error as Error).message}`);
      return EXIT.failure;
    }
    if (answer.status === 422) {
      usageError('trigger', `the emulator refused "${type}": ${detailOf(answer.body)}`);
      return EXIT.usage;
    }
    if (answer.status < 200 || answer.status >= 300) {
      console.error(`polar-kit trigger: the emulator answered ${answer.status}: ${detailOf(answer.body)}`);
      return EXIT.failure;
    }
    if (values.json) console.log(JSON.stringify(answer.body));
    else {
      const data = (answer.body as { data?: Record<string, unknown> }).data;
      const id = data && typeof data.id === 'string' ? ` (${data.id})` : '';
      console.log(`Fired ${type}${id} to the emulator's webhook endpoints.`);
    }
    return EXIT.ok;
  },
};

async function request(url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text for the message.
  }
  if (body === undefined && !response.ok) throw new Error(`answered ${response.status}`);
  return { status: response.status, body: parsed };
}

function detailOf(body: unknown): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail))
    return detail
      .map((d) => (d as { msg?: unknown }).msg)
      .filter((m) => typeof m === 'string')
      .join('; ');
  return typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body).slice(0, 200);
}
