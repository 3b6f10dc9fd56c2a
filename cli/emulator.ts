/**
 * `polar-kit emulator`: runs the local Polar emulator on its own, until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createEmulator, type EmulatorOptions } from '../emulator/app.js';
import { CatalogError, loadCatalogFile } from '../emulator/catalog.js';
import type { CliCommand } from './command.js';

const HELP = `Usage: polar-kit emulator [options]

Runs a local Polar: the REST API under /v1 (what @polar-sh/sdk calls), the hosted checkout page with test
cards, the customer portal, signed webhooks with retries, and a control API under /_emulator.

Options:
  --port N               port to listen on (default 8001; 0 picks a free port)
  --host HOST            address to listen on (default 127.0.0.1)
  --public-url URL       base of checkout and portal URLs (default: the listen URL)
  --org-slug SLUG        organization slug used in portal URLs (default polar-kit-demo)
  --webhook-url URL      register a webhook endpoint at start
  --webhook-secret S     its secret (default: a generated whsec_... secret, printed at start)
  --legacy-signature     sign with Polar's legacy key scheme (the whole secret as UTF-8 bytes)
                         instead of the standard one (base64 after whsec_)
  --catalog FILE         load the products from this JSON file instead of the demo catalog
  --data FILE            keep state in this SQLite file across restarts (default: memory only)
  --time-scale N         multiply webhook retry delays by N (0.001 makes retries take milliseconds)
  --fulfilment-timeout MS  how long the checkout page waits after a payment for the order and the
                         merchant's checkout.updated webhook before it shows its own confirmation
                         (default 15000)
  --access-token TOKEN   accept only this bearer token (repeatable; default: any non-empty token)
  -h, --help             show this help

Test cards (any future expiry, any CVC):
  4242 4242 4242 4242    pays
  4000 0000 0000 0002    is declined
  4000 0025 0000 3155    asks for an extra authentication step
  4000 0000 0000 0341    pays now, every renewal fails

Example:
  npx polar-kit emulator --port 8001 --webhook-url http://127.0.0.1:8000/api/webhooks/polar
  then point the SDK at it: createPolar({ accessToken: 'any', baseUrl: 'http://127.0.0.1:8001' })`;

export const command: CliCommand = {
  help: HELP,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: {
          port: { type: 'string', default: '8001' },
          host: { type: 'string', default: '127.0.0.1' },
          'public-url': { type: 'string' },
          'org-slug': { type: 'string' },
          'webhook-url': { type: 'string' },
          'webhook-secret': { type: 'string' },
          'legacy-signature': { type: 'boolean', default: false },
          catalog: { type: 'string' },
          data: { type: 'string' },
          'time-scale': { type: 'string' },
          'fulfilment-timeout': { type: 'string' },
          'access-token': { type: 'string', multiple: true },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }));
    } catch (err) {
      console.error(
        `polar-kit emulator: ${(err as Error).message}\nRun "polar-kit emulator --help" for the options.`,
      );
      return 2;
    }
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const problems: string[] = [];
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      problems.push(`--port must be 0-65535 (got "${values.port}")`);
    const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
    if (timeScale !== undefined && !(timeScale > 0))
      problems.push(`--time-scale must be a number > 0 (got "${values['time-scale']}")`);
    const fulfilment = values['fulfilment-timeout'];
    const fulfilmentTimeoutMs = fulfilment === undefined ? undefined : Number(fulfilment);
    if (
      fulfilmentTimeoutMs !== undefined &&
      !(/^\d+$/.test(fulfilment!) && Number.isSafeInteger(fulfilmentTimeoutMs))
    )
      problems.push(`--fulfilment-timeout must be a whole number of milliseconds (got "${fulfilment}")`);
    for (const name of ['public-url', 'webhook-url'] as const) {
      const v = values[name];
      if (v !== undefined && !isHttpUrl(v)) problems.push(`--${name} must be an http(s) URL (got "${v}")`);
    }
    if (values['webhook-secret'] !== undefined && values['webhook-url'] === undefined)
      problems.push('--webhook-secret needs --webhook-url');
    if (values['legacy-signature'] && values['webhook-url'] === undefined)
      problems.push('--legacy-signature needs --webhook-url');
    let catalog: EmulatorOptions['catalog'];
    if (values.catalog !== undefined) {
      try {
        catalog = loadCatalogFile(values.catalog);
      } catch (err) {
        if (err instanceof CatalogError) problems.push(err.message);
        else throw err;
      }
    }
    if (problems.length) {
      console.error(`polar-kit emulator: cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      return 2;
    }

    const emulator = createEmulator({
      ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
      ...(values['org-slug'] ? { organizationSlug: values['org-slug'] } : {}),
      ...(timeScale !== undefined ? { timeScale } : {}),
      ...(fulfilmentTimeoutMs !== undefined ? { fulfilmentTimeoutMs } : {}),
      ...(catalog ? { catalog } : {}),
      ...(values.data ? { dataFile: values.data } : {}),
      ...(values['access-token']?.length ? { accessTokens: values['access-token'] } : {}),
      ...(values['webhook-url']
        ? {
            webhook: {
              url: values['webhook-url'],
              ...(values['webhook-secret'] ? { secret: values['webhook-secret'] } : {}),
              standardSignature: !values['legacy-signature'],
            },
          }
        : {}),
    });
    let url: string;
    try {
      ({ url } = await emulator.listen(port, values.host));
    } catch (err) {
      await emulator.close();
      const code = (err as NodeJS.ErrnoException).code;
      console.error(
        code === 'EADDRINUSE'
          ? `polar-kit emulator: port ${port} is already in use; pick another with --port.`
          : `polar-kit emulator: cannot listen on ${values.host}:${port} (${(err as Error).message}).`,
      );
      return 1;
    }

    const lines = [
      `Polar emulator listening on ${url}`,
      `  REST API       ${url}/v1   (any bearer token${values['access-token']?.length ? ' from --access-token' : ''})`,
      `  control API    ${url}/_emulator/state`,
      `  organization   ${emulator.store.organization.id} (${emulator.store.organization.slug})`,
      `  products       ${emulator.store.state.products
        .filter((p) => !p.is_archived)
        .map((p) => p.name)
        .join(', ')}`,
    ];
    for (const endpoint of emulator.webhooks.listEndpoints()) {
      lines.push(`  webhook        ${endpoint.url}  secret ${endpoint.secret}`);
    }
    if (values.data) lines.push(`  data file      ${values.data}`);
    lines.push('Press Ctrl+C to stop.');
    console.log(lines.join('\n'));

    return new Promise<number>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        console.log(`\nReceived ${signal}, stopping the emulator.`);
        emulator.close().then(
          () => resolve(0),
          (err: unknown) => {
            console.error(`polar-kit emulator: error while stopping: ${(err as Error).message}`);
            resolve(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
