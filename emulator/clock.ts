/**
 * The emulator's clock: real time plus an offset that the control API can move forward, so a test can pass a
 * checkout's one-hour expiry or a subscription period without waiting.
 */
export type Clock = {
  /** The emulator's current time. */
  now(): Date;
  /** Moves the clock forward (never backwards). */
  advance(seconds: number): Date;
  /** The offset from real time, in milliseconds (kept across restarts with `--data`). */
  offsetMs(): number;
  setOffsetMs(ms: number): void;
};

export function createClock(offsetMs = 0): Clock {
  let offset = offsetMs;
  return {
    now: () => new Date(Date.now() + offset),
    advance(seconds) {
      if (!Number.isFinite(seconds) || seconds < 0)
        throw new RangeError('advance_seconds must be a number >= 0');
      offset += Math.round(seconds * 1000);
      return new Date(Date.now() + offset);
    },
    offsetMs: () => offset,
    setOffsetMs(ms) {
      offset = ms;
    },
  };
}

/** Adds `count` recurring intervals to an ISO timestamp, the way calendars do (Jan 31 + 1 month = Feb 28/29). */
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
  return d.toISOString();
}
