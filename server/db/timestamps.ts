const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Normalises an ISO-8601 timestamp with a zone to fixed-width UTC text with microseconds
 * (`2026-01-15T10:00:00.123456Z`), so that text order is time order. Polar sends anything from whole
 * seconds to microseconds, with `Z` or `+00:00`. Returns `null` for anything else (naive times included).
 */
export function normalizeTimestamp(value: string): string | null {
  const match = ISO.exec(value);
  if (!match) return null;
  const [, date, time, fraction = '', zone = 'Z'] = match;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${date}T${time}${offset}`);
  if (Number.isNaN(ms)) return null;
  const whole = new Date(ms).toISOString().slice(0, 19);
  return `${whole}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
}

/** Like `normalizeTimestamp`, but for values already checked by a schema. */
export function canonicalTimestamp(value: string): string {
  const normalized = normalizeTimestamp(value);
  if (normalized === null) throw new TypeError(`Not an ISO-8601 timestamp with a zone: ${JSON.stringify(value)}`);
  return normalized;
}

/** `canonicalTimestamp` that passes `null`/`undefined` through as `null`. */
export function optionalTimestamp(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : canonicalTimestamp(value);
}

/**
 * The key that orders two states of one Polar object: its `modified_at` (else `created_at`), then the
 * envelope timestamp of the event that carried it (empty when it came from the API). A state is written
 * only when its key is not older than the stored one, so deliveries in any order converge.
 */
export function versionKey(object: { created_at: string; modified_at?: string | null }, eventTimestamp?: string | null): string {
  const changed = canonicalTimestamp(object.modified_at ?? object.created_at);
  return `${changed}|${eventTimestamp ? canonicalTimestamp(eventTimestamp) : ''}`;
}
