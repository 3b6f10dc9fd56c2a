/**
 * `polar-kit <command>`: the one command-line entry. Each command lives in its own file and exports
 * `command: CliCommand`; this file only dispatches.
 */
import type { CliCommand } from './command.js';

const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  emulator: () => import('./emulator.js'),
  start: () => import('./start.js'),
  doctor: () => import('./doctor.js'),
  'import-customers': () => import('./import-customers.js'),
  trigger: () => import('./trigger.js'),
  replay: () => import('./replay.js'),
  reconcile: () => import('./reconcile.js'),
  backup: () => import('./backup.js'),
};

/** One line per command for the usage text. */
const SUMMARIES: Record<string, string> = {
  emulator: 'run the local Polar emulator on its own',
  start: 'run the kit (and, in local mode, the emulator)',
  doctor: 'check the configuration, Polar, the webhook secret and the database',
  'import-customers': 'create or link Polar customers from an external_id,email,name CSV file',
  trigger: 'make the local emulator fire a webhook event',
  replay: 'apply a stored webhook delivery again',
  reconcile: "store what lost webhooks missed, from Polar's list endpoints",
  backup: 'copy the database safely while the kit runs',
};

const USAGE = `Usage: polar-kit <command> [options]

Commands:
${Object.keys(COMMANDS)
  .map((name) => `  ${name.padEnd(18)}${SUMMARIES[name] ?? ''}`.trimEnd())
  .join('\n')}

Run "polar-kit <command> --help" for a command's options.
Exit codes: 0 success, 1 failure at run time, 2 bad usage or configuration.`;

/** Runs the command named by `argv[0]` and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`polar-kit: unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  return command.run(rest);
}
