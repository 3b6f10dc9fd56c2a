/**
 * The emulator's clock: real time plus an offset that the control API can move forward, so a test can pass a
 * checkout's one-hour expiry or a subscription period without waiting.
 *
 * Polar stamps objects with microseconds, so two changes of one object never share a `modified_at`, and
 * receivers rely on that to order the states of an object. {@link Clock.timestamp} gives the same guarantee:
 * every call returns a later instant than the one before, even within one millisecond.
 */
export type Clock = {
  /** The emulator's current time, never earlier than the last {@link Clock.timestamp}. */
  now(): Date;
  /**
   * A fresh timestamp for a change (`created_at`, `modified_at`, an envelope's `timestamp`): ISO-8601 UTC with
   * microseconds, as Polar writes them, strictly later than every timestamp this clock gave before.
   */
  timestamp(): string;
  /** Moves the clock forward (never backwards). */
  advance(seconds: number): Date;
  /** The offset from real time, in milliseconds (kept across restarts with `--data`). */
  offsetMs(): number;
  /** Sets the offset; the clock may go back (a reset), and timestamps start again from the new time. */
  setOffsetMs(ms: number): void;
};

export function createClock(offsetMs = 0): Clock {
  let offset = offsetMs;
  /** The last timestamp given, in microseconds since the epoch (well inside Number's exact integers). */
  let lastMicros = 0;
  const wallMs = () => Date.now() + offset;
  return {
    now: () => new Date(Math.max(wallMs(), Math.floor(lastMicros / 1000))),
    timestamp() {
      lastMicros = Math.max(wallMs() * 1000, lastMicros + 1);
      return microsIso(lastMicros);
    },
    advance(seconds) {
      if (!Number.isFinite(seconds) || seconds < 0)
        throw new RangeError('advance_seconds must be a number >= 0');
      offset += Math.round(seconds * 1000);
      return new Date(wallMs());
    },
    offsetMs: () => offset,
    setOffsetMs(ms) {
      offset = ms;
      lastMicros = 0;
    },
  };
}

/** `2026-01-15T10:00:05.123456Z` for a count of microseconds since the epoch. */
function microsIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const sub = String(micros - ms * 1000).padStart(3, '0');
  return `${new Date(ms).toISOString().slice(0, -1)}${sub}Z`;
}

/**
 * Adds `count` recurring intervals to an ISO timestamp, the way calendars do (Jan 31 + 1 month = Feb 28/29).
 * Digits below the millisecond (Polar's microseconds) are kept, so a period ends at the same time of day, to
 * the microsecond, as it started.
 */
export function addInterval(iso: string, interval: 'day' | 'week' | 'month' | 'year', count = 1): string {
  const d = new Date(iso);
  if (interval === 'day') d.setUTCDate(d.getUTCDate() + count);
  else if (interval === 'week') d.setUTCDate(d.getUTCDate() + 7 * count);
  else {
    const day = d.getUTCDate();
    d.setUTCDate(1);
    if (interval === 'month') d.setUTCMonth(d.getUTCMonth() + count);
    else d.setUTCFullYear(d.getUTCFullYear() + count);
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    d.setUTCDate(Math.min(day, last));
  }
  return withSubMilliseconds(d, iso);
}

/** `iso` plus `ms` milliseconds, keeping its digits below the millisecond. */
export function addMilliseconds(iso: string, ms: number): string {
  return withSubMilliseconds(new Date(Date.parse(iso) + ms), iso);
}

/** `d` as ISO-8601 UTC text, with the digits below the millisecond that `source` had (if any). */
function withSubMilliseconds(d: Date, source: string): string {
  const sub = /\.\d{3}(\d+)(?:Z|[+-]\d{2}:?\d{2})$/i.exec(source)?.[1];
  const out = d.toISOString();
  return sub ? `${out.slice(0, -1)}${sub}Z` : out;
}
