import type { UpstreamErrorKind } from "../providers/types";

/**
 * What to do after a failed attempt: the failover table, one row per failure kind.
 *   retrySame  — try the same endpoint once more (transient: a reset or a plain 5xx)
 *   next       — move on to the next endpoint (or the next model)
 *   largerContext — move on only to endpoints with a larger context window
 *   stop       — deterministic: the same request fails the same way anywhere; answer now
 * `breaker` says whether the failure counts against the endpoint's health.
 */
export type FailureKind = UpstreamErrorKind | "connection" | "headers_timeout" | "invalid_response";

export interface FailoverRule {
  action: "retrySame" | "next" | "largerContext" | "stop";
  breaker: boolean;
}

export const FAILOVER_TABLE: Record<FailureKind, FailoverRule> = {
  connection: { action: "retrySame", breaker: true },
  server: { action: "retrySame", breaker: true },
  headers_timeout: { action: "next", breaker: true },
  timeout: { action: "next", breaker: true },
  overloaded: { action: "next", breaker: true },
  rate_limit: { action: "next", breaker: false },
  auth: { action: "next", breaker: true },
  payment: { action: "next", breaker: true },
  not_found: { action: "next", breaker: true },
  invalid_response: { action: "next", breaker: true },
  context_length: { action: "largerContext", breaker: false },
  content_policy: { action: "stop", breaker: false },
  invalid_request: { action: "stop", breaker: false },
};

/** Bounds that keep failover from hammering anyone. */
export const FAILOVER_LIMITS = {
  /** Tries of one endpoint in one request (the first + one retry). */
  perEndpoint: 2,
  /** Upstream calls in one request, across endpoints and models. */
  perRequest: 8,
  /** Backoff before retrying the same endpoint: base × 2^n plus up to 100% jitter. */
  backoffBaseMs: 100,
  /** A `retry-after` longer than this is not waited for; the endpoint is skipped instead. */
  maxRetryAfterWaitMs: 2_000,
};

export function backoffMs(retry: number, random: () => number = Math.random): number {
  const base = FAILOVER_LIMITS.backoffBaseMs * 2 ** retry;
  return base + base * random();
}
