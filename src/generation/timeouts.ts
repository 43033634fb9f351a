import type { Env } from "../env";

/** Timeouts of the upstream call, each overridable by a var of the same name (milliseconds). */
export interface Timeouts {
  /** Waiting for the provider's response headers. */
  UPSTREAM_HEADERS_TIMEOUT_MS: number;
  /** Silence in a stream after which it is failed as stalled. */
  STREAM_IDLE_TIMEOUT_MS: number;
  /** Interval of keep-alive comments before the first token. */
  KEEPALIVE_INTERVAL_MS: number;
}

const DEFAULTS: Timeouts = {
  UPSTREAM_HEADERS_TIMEOUT_MS: 120_000,
  STREAM_IDLE_TIMEOUT_MS: 60_000,
  KEEPALIVE_INTERVAL_MS: 5_000,
};

let cached: { env: Env; timeouts: Timeouts } | undefined;

/** Read once per isolate (the env object is stable), not per request. */
export function timeoutsOf(env: Env): Timeouts {
  if (cached?.env === env) return cached.timeouts;
  const vars = env as unknown as Record<string, unknown>;
  const timeouts = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS) as Array<keyof Timeouts>) {
    const value = Number(vars[name]);
    if (Number.isFinite(value) && value > 0) timeouts[name] = value;
  }
  cached = { env, timeouts };
  return timeouts;
}
