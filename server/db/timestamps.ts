import { hash } from 'node:crypto';

/** Sorts before every real time: a state read from the API loses a tie with one carried by an event. */
const NO_EVENT = '0000-00-00T00:00:00.000000Z';
const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Normalises an ISO-8601 timestamp with a zone to fixed-width UTC text with microseconds
 * (`2026-01-15T10:00:00.123456Z`), so that text order is time order. Polar sends anything from whole
 * seconds to microseconds, with `Z` or `+00:00`. Returns `null` for anything else (naive times included).
 */
export function normalizeTimestamp(value: string): string | null {
  // One event checks and converts each of its timestamps several times (schema, row, version key).
  const known = recent.get(value);
  if (known !== undefined) return known;
  const normalized = normalize(value);
  if (recent.size >= RECENT_LIMIT) recent.clear();
  recent.set(value, normalized);
  return normalized;
}

/** The last few hundred conversions: a pure function of the text, so a hit is always right. */
const recent = new Map<string, string | null>();
const RECENT_LIMIT = 512;

function normalize(value: string): string | null {
  if (value.length > 64) return null;
  const match = ISO.exec(value);
  if (!match) return null;
  const [, date, time, fraction = '', zone = 'Z'] = match;
  const offset =
    zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${date}T${time}${offset}`);
  if (Number.isNaN(ms)) return null;
  const whole = new Date(ms).toISOString().slice(0, 19);
  return `${whole}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
}

/** Like `normalizeTimestamp`, but for values already checked by a schema. */
export function canonicalTimestamp(value: string): string {
  const normalized = normalizeTimestamp(value);
  if (normalized === null)
    throw new TypeError(`Not an ISO-8601 timestamp with a zone: ${JSON.stringify(value)}`);
  return normalized;
}

/** `canonicalTimestamp` that passes `null`/`undefined` through as `null`. */
export function optionalTimestamp(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : canonicalTimestamp(value);
}

/**
 * Stands for the source of a copy embedded in another object's event (an order's `subscription`, a grant's
 * `customer`), in place of an event time. It sorts before every event time and before {@link NO_EVENT}
 * (`-` < `0`), so such a copy never wins over the object's own event, or a read from the API, with the same
 * `modified_at` and rank.
 */
const EMBEDDED = '-';

/**
 * The key that totally orders the states of one Polar object, so that writing only states whose key is newer
 * than the stored one makes deliveries in any order converge (an equal key is the state already stored):
 * 1. its `modified_at` (else `created_at`);
 * 2. `rank`: how far along a one-way status is (a checkout `succeeded` after `confirmed`), for states that
 *    share a `modified_at`;
 * 3. where the copy came from: a copy embedded in another object's event loses to the object's own event and
 *    to a read from the API (it may only fill in a row that is missing or older); between those two, the
 *    envelope timestamp of the event (lowest when it came from the API). Embedded copies are not told apart by
 *    the event that carried them: every order of a customer carries the customer, and the same state carried
 *    again is then the same key, which writes nothing;
 * 4. a digest of the state as the kit stores it (`state`: the row's other columns), so that two different
 *    copies stamped with the same instant still resolve the same way every time (two copies that differ only in
 *    fields the kit does not store write the same row, so either may win).
 *
 * Polar stamps every change with a new microsecond `modified_at`, so step 1 decides between two states of an
 * object; steps 3 and 4 only break ties between copies of one state (or of a sender with a coarse clock).
 */
export function versionKey(
  object: { created_at: string; modified_at?: string | null },
  eventTimestamp: string | null | undefined,
  state: object,
  rank = 0,
  options: { embedded?: boolean } = {},
): string {
  const changed = canonicalTimestamp(object.modified_at ?? object.created_at);
  const source = options.embedded ? EMBEDDED : eventTimestamp ? canonicalTimestamp(eventTimestamp) : NO_EVENT;
  // The row's few hundred bytes, not the whole Polar object: JSON keeps null, numbers and text apart.
  const digest = hash('sha256', JSON.stringify(state), 'hex').slice(0, 16);
  return `${changed}|${rank}|${source}|${digest}`;
}
