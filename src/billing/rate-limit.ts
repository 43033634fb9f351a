import type { RateLimitSpec } from "./account-types";
import { parseInterval } from "./windows";

interface Window {
  start: number;
  count: number;
}

/**
 * Per-key fixed-window request counters. The Account object is the only place a key's requests
 * are counted, so the count is exact; it is kept in the object's SQLite (the `rate_windows`
 * table) as well as in memory, because an object is evicted when idle: kept in memory only, a
 * key limited to 10 requests a day had its window start over each time its object went idle,
 * so it was hardly limited at all. Only rate-limited keys write here (one upsert per counted
 * request, in the reservation's own commit).
 */
export class RateLimiter {
  /** The windows read or written since the object started (a key's row is read once). */
  private readonly windows = new Map<string, Window>();

  constructor(private readonly sql: SqlStorage) {}

  /** Counts one request; returns the seconds to wait when the key is over its limit. */
  take(
    hash: string,
    limit: RateLimitSpec | null,
    now: number,
  ): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (!limit || limit.requests < 0) return { ok: true };
    const intervalMs = parseInterval(limit.interval);
    if (intervalMs === null) return { ok: true };
    const start = Math.floor(now / intervalMs) * intervalMs;
    let window = this.windowOf(hash);
    if (!window || window.start !== start) {
      window = { start, count: 0 };
      this.windows.set(hash, window);
    }
    if (window.count >= limit.requests) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((start + intervalMs - now) / 1000)) };
    }
    window.count++;
    this.sql.exec(
      `INSERT INTO rate_windows (key_hash, start, count) VALUES (?1, ?2, ?3)
        ON CONFLICT (key_hash) DO UPDATE SET start = excluded.start, count = excluded.count`,
      hash,
      window.start,
      window.count,
    );
    return { ok: true };
  }

  forget(hash: string): void {
    this.windows.delete(hash);
    this.sql.exec("DELETE FROM rate_windows WHERE key_hash = ?", hash);
  }

  private windowOf(hash: string): Window | undefined {
    const known = this.windows.get(hash);
    if (known) return known;
    const row = this.sql
      .exec<{ start: number; count: number }>("SELECT start, count FROM rate_windows WHERE key_hash = ?", hash)
      .toArray()[0];
    if (!row) return undefined;
    const window = { start: row.start, count: row.count };
    this.windows.set(hash, window);
    return window;
  }
}
