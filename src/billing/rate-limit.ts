import type { RateLimitSpec } from "./account-types";
import { parseInterval } from "./windows";

/**
 * Per-key fixed-window request counters, kept in the Account object's memory. The object is the
 * only place a key's requests are counted, so the count is exact while it is loaded; if it is
 * evicted the windows start over, which can only err on the side of letting requests through.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

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
    let window = this.windows.get(hash);
    if (!window || window.start !== start) {
      window = { start, count: 0 };
      this.windows.set(hash, window);
    }
    if (window.count >= limit.requests) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((start + intervalMs - now) / 1000)) };
    }
    window.count++;
    return { ok: true };
  }

  forget(hash: string): void {
    this.windows.delete(hash);
  }
}
