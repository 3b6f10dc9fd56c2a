/**
 * `polar-kit backup FILE`: a consistent copy of the kit's SQLite database, taken online (SQLite's backup API),
 * so the kit keeps serving and the copy includes what is still in the WAL file.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseArgs } from 'node:util';
import type { CliCommand } from './command.js';
import { EXIT, loadCliConfig, tryParseArgs, usageError } from './context.js';

const HELP = `Usage: polar-kit backup FILE [options]

Copies the kit's database (DATABASE_PATH) to FILE with SQLite's online backup API: safe while the kit is
running, and the copy includes recent writes still in the -wal file (copying kit.sqlite alone would miss
them). The copy is a complete database; restore it by stopping the kit and putting it at DATABASE_PATH
(remove any old kit.sqlite-wal and kit.sqlite-shm beside it).

Options:
  --force        replace FILE if it exists
  -h, --help     show this help

Exit codes: 0 copied, 1 the database could not be read or FILE written, 2 bad usage or configuration
(FILE exists without --force).`;

export const command: CliCommand = {
  help: HELP,
  async run(args) {
    const parsed = tryParseArgs('backup', () =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: true,
        options: {
          force: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    );
    if (!parsed) return EXIT.usage;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) {
      usageError('backup', 'name one FILE to write.');
      return EXIT.usage;
    }
    const config = loadCliConfig('backup');
    if (!config) return EXIT.usage;
    const source = path.resolve(config.db.path);
    const target = path.resolve(positionals[0]!);
    if (target === source) {
      usageError('backup', 'FILE must not be the database itself.');
      return EXIT.usage;
    }
    if (existsSync(target) && !values.force) {
      usageError('backup', `${target} exists; pass --force to replace it.`);
      return EXIT.usage;
    }
    if (!existsSync(source)) {
      console.error(`polar-kit backup: there is no database at ${source} (DATABASE_PATH).`);
      return EXIT.failure;
    }
    const partial = `${target}.partial`;
    let db: Database.Database | null = null;
    try {
      mkdirSync(path.dirname(target), { recursive: true });
      rmSync(partial, { force: true });
      db = new Database(source, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      const { totalPages } = await db.backup(partial);
      renameSync(partial, target);
      console.log(`Backed up ${source} to ${target} (${totalPages} pages).`);
      return EXIT.ok;
    } catch (error) {
      rmSync(partial, { force: true });
      console.error(`polar-kit backup: ${(error as Error).message}`);
      return EXIT.failure;
    } finally {
      db?.close();
    }
  },
};
