import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { migrate } from './migrate.js';

export type DatabaseOptions = {
  /** A file path, or `:memory:`. @default './data/kit.sqlite' */
  path: string;
  /**
   * `FULL` makes every commit durable against power loss; `NORMAL` (with WAL) against a process crash only
   * (the last commits before a power cut may be lost). Either case.
   * @default 'FULL'
   */
  synchronous?: 'FULL' | 'NORMAL' | 'full' | 'normal';
};

/** Opens (creating its folder if needed) and migrates the kit's SQLite database. Throws if migration fails. */
export function openDatabase(options: DatabaseOptions): Db {
  if (options.path !== ':memory:') mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
  const synchronous = (options.synchronous ?? 'FULL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL')
    throw new TypeError(`synchronous must be FULL or NORMAL, not ${JSON.stringify(options.synchronous)}`);
  const db = new Database(options.path);
  if (options.path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite's own default page cache (2 MB) rather than the 16 MB better-sqlite3 builds in: the kit's writes append
  // and its reads are index lookups, which the OS page cache serves as well, and a 16 MB cache fills up with
  // written pages and stays in the process's memory for good.
  db.pragma('cache_size = -2000');
  migrate(db);
  return db;
}
