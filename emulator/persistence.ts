/**
 * `--data FILE`: the emulator's whole state (store, clock offset, webhook dispatcher) kept in one SQLite row,
 * written in a transaction after each change and read back at start. The emulator only builds a snapshot when
 * the store's or the dispatcher's revision (or the clock) moved, and `save` skips a snapshot equal to the last.
 */
import Database from 'better-sqlite3';

export type SavedState = { version: 1; store: unknown; clockOffsetMs: number; webhooks: unknown };

export type StateFile = {
  load(): SavedState | undefined;
  /** Writes the snapshot if it differs from the last one written. */
  save(snapshot: SavedState): void;
  close(): void;
};

export function openStateFile(path: string): StateFile {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS emulator_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    saved_at TEXT NOT NULL
  ) STRICT`);
  const select = db.prepare<[], { body: string }>('SELECT body FROM emulator_state WHERE id = 1');
  const upsert = db.prepare<{ body: string; saved_at: string }>(
    `INSERT INTO emulator_state (id, body, saved_at) VALUES (1, @body, @saved_at)
     ON CONFLICT (id) DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at`,
  );
  const write = db.transaction((body: string) => upsert.run({ body, saved_at: new Date().toISOString() }));
  let last: string | undefined;

  return {
    load() {
      const row = select.get();
      if (!row) return undefined;
      last = row.body;
      const parsed = JSON.parse(row.body) as SavedState;
      if (parsed.version !== 1)
        throw new Error(`${path}: unknown emulator state version ${String(parsed.version)}`);
      return parsed;
    },
    save(snapshot) {
      const body = JSON.stringify(snapshot);
      if (body === last) return;
      write(body);
      last = body;
    },
    close() {
      db.close();
    },
  };
}
