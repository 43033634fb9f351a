import type { Env } from "../env";

/** Timeouts, failover and other timing settings, each overridable by a var of the same name. */
export interface Timeouts {
  /** Waiting for the provider's response headers. */
  UPSTREAM_HEADERS_TIMEOUT_MS: number;
  /** Silence in a stream after which it is failed as stalled. */
  STREAM_IDLE_TIMEOUT_MS: number;
  /** A stream's events arriving within this of its last write are sent together with the next one. */
  STREAM_FLUSH_MS: number;
  /**
   * A streaming client that takes nothing for this long is treated as gone: its upstream is
   * cancelled and it is charged for what was produced, instead of its hold (and the key's room)
   * staying taken until the reservation expires.
   */
  CLIENT_STALL_TIMEOUT_MS: number;
  /** Interval of keep-alive comments before the first token. */
  KEEPALIVE_INTERVAL_MS: number;
  /** Waiting for a stream's first token; past it, the next endpoint is tried (nothing was sent yet). */
  FIRST_TOKEN_TIMEOUT_MS: number;
  /** The attempt loop's total wall time (all providers and retries). */
  ROUTING_DEADLINE_MS: number;
  /** How long an endpoint's open circuit breaker waits before one probe. */
  BREAKER_COOLDOWN_MS: number;
  /** Consecutive failures that open an endpoint's breaker. */
  BREAKER_FAILURES: number;
  /** How long a busy key's lease may start requests in this isolate (billing/leases.ts). */
  KEY_LEASE_MS: number;
  /**
   * How often a generation still running (a long stream) renews its hold, so it outlives the
   * hold's 15-minute expiry (billing/reservations.ts RESERVATION_TTL_MS) and stays the
   * generation's until it is charged.
   */
  HOLD_RENEW_MS: number;
  /**
   * How long a prompt near a context limit waits for the exact tokenizer's vocabulary still
   * downloading before it goes on with the estimate (transforms/tokenizer.ts).
   */
  TOKENIZER_WAIT_MS: number;
}

const DEFAULTS: Timeouts = {
  UPSTREAM_HEADERS_TIMEOUT_MS: 120_000,
  STREAM_IDLE_TIMEOUT_MS: 60_000,
  STREAM_FLUSH_MS: 20,
  CLIENT_STALL_TIMEOUT_MS: 120_000,
  KEEPALIVE_INTERVAL_MS: 5_000,
  FIRST_TOKEN_TIMEOUT_MS: 60_000,
  ROUTING_DEADLINE_MS: 180_000,
  BREAKER_COOLDOWN_MS: 30_000,
  BREAKER_FAILURES: 3,
  KEY_LEASE_MS: 1000,
  HOLD_RENEW_MS: 300_000,
  TOKENIZER_WAIT_MS: 3_000,
};

/** Settings where 0 means "off" rather than "unset" (every other one must be positive). */
const ZERO_ALLOWED: ReadonlySet<keyof Timeouts> = new Set(["STREAM_FLUSH_MS", "KEY_LEASE_MS"]);

let cached: { env: Env; timeouts: Timeouts } | undefined;

/**
 * Read once per isolate (the env object is stable), not per request. A value that cannot be the
 * setting (a typo such as "30s") keeps the default and says so in one error log line, naming it.
 */
export function timeoutsOf(env: Env): Timeouts {
  if (cached?.env === env) return cached.timeouts;
  const vars = env as unknown as Record<string, unknown>;
  const timeouts = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS) as Array<keyof Timeouts>) {
    const raw = vars[name];
    if (raw === undefined || raw === null || raw === "") continue;
    const value = Number(raw);
    if (Number.isFinite(value) && (value > 0 || (value === 0 && ZERO_ALLOWED.has(name)))) timeouts[name] = value;
    else console.error(JSON.stringify({ msg: "setting ignored", name, value: raw, using: DEFAULTS[name] }));
  }
  cached = { env, timeouts };
  return timeouts;
}
