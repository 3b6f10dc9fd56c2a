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

const USAGE = `Usage: polar-kit <command> [options]

Commands:
${Object.keys(COMMANDS)
  .map((name) => `  ${name}`)
  .join('\n')}

Run "polar-kit <command> --help" for a command's options.`;

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
