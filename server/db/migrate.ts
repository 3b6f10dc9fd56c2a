import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Database } from 'better-sqlite3';

/** The folder of numbered SQL migrations shipped with the kit. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

export type Migration = { version: number; name: string; sql: string };

/** Reads `NNNN_verb_noun.sql` files in version order; any other file name is an error. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => {
      const match = FILE_NAME.exec(name);
      if (!match) throw new Error(`Migration file "${name}" must be named NNNN_verb_noun.sql.`);
      return { version: Number(match[1]), name, sql: readFileSync(path.join(dir, name), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new Error(`Two migrations share version ${migrations[i]!.version}: ${migrations[i]!.name}.`);
    }
  }
  return migrations;
}

/**
 * Applies every migration newer than `PRAGMA user_version`, each file and its version bump in one transaction,
 * so a failed file leaves the database at the previous version. Forward only.
 */
export function migrate(db: Database, migrations: Migration[] = loadMigrations()): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  let applied = 0;
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
    applied++;
  }
  return applied;
}
