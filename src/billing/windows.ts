/**
 * Usage windows, as OpenRouter counts them: days start at midnight UTC, weeks run Monday through
 * Sunday (UTC), months start on the 1st (UTC). A key's `limit_reset` picks which window its limit
 * applies to; `null` means the limit applies to all-time usage.
 */

export type LimitReset = "daily" | "weekly" | "monthly";
export const LIMIT_RESETS: readonly LimitReset[] = ["daily", "weekly", "monthly"];

const DAY_MS = 86_400_000;

export function dayStart(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

export function weekStart(now: number): number {
  const day = dayStart(now);
  const weekday = new Date(day).getUTCDay(); // 0 = Sunday
  return day - ((weekday + 6) % 7) * DAY_MS;
}

export function monthStart(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

export function windowStart(reset: LimitReset, now: number): number {
  switch (reset) {
    case "daily":
      return dayStart(now);
    case "weekly":
      return weekStart(now);
    case "monthly":
      return monthStart(now);
  }
}

/** When the current window of `reset` ends (the next reset), in ms since the epoch. */
export function windowEnd(reset: LimitReset, now: number): number {
  switch (reset) {
    case "daily":
      return dayStart(now) + DAY_MS;
    case "weekly":
      return weekStart(now) + 7 * DAY_MS;
    case "monthly": {
      const date = new Date(now);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    }
  }
}

/** A counter that belongs to one window: its value counts only while the window is current. */
export function windowValue(value: number, start: number, currentStart: number): number {
  return start === currentStart ? value : 0;
}

/** Parses a rate-limit interval such as "10s", "1m", "1h" or "1d" into milliseconds. */
export function parseInterval(text: string): number | null {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = match[2] as "ms" | "s" | "m" | "h" | "d";
  const scale = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS }[unit];
  const ms = amount * scale;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}
