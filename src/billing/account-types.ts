import type { Nanos } from "./money";
import type { LimitReset } from "./windows";

/**
 * Domain types of the Account Durable Object's RPC API. Amounts are integer nano-dollars; times
 * are milliseconds since the epoch. The api/ layer turns these into OpenRouter's wire shapes.
 */

/** A per-key request rate limit: at most `requests` per `interval` ("10s", "1m", …). */
// A type, not an interface: it travels in a refusal's metadata, whose RPC type needs an index signature.
export type RateLimitSpec = {
  requests: number;
  interval: string;
};

/** Everything needed to create a key (the secret never reaches the object, only its hash). */
export interface KeySpec {
  hash: string;
  name: string;
  /** What `/key` shows as `label`: a masked form of the secret, e.g. `sk-tg-v1-0ab...f3c`. */
  label: string;
  isProvisioning: boolean;
  limitNanos: Nanos | null;
  limitReset: LimitReset | null;
  includeByokInLimit: boolean;
  rateLimit: RateLimitSpec | null;
  expiresAt: number | null;
  creatorUserId: string | null;
}

/** A change to a key; absent fields are left alone, `null` clears a limit. */
export interface KeyPatch {
  name?: string;
  disabled?: boolean;
  limitNanos?: Nanos | null;
  limitReset?: LimitReset | null;
  includeByokInLimit?: boolean;
  rateLimit?: RateLimitSpec | null;
  /** Epoch ms; null: never expires. */
  expiresAt?: number | null;
}

/** One key as the object reports it, with usage in the current UTC windows. */
export interface KeyView {
  hash: string;
  name: string;
  label: string;
  isProvisioning: boolean;
  disabled: boolean;
  limitNanos: Nanos | null;
  limitReset: LimitReset | null;
  /** `limit` minus the usage it counts against (clamped at 0); null without a limit. */
  limitRemainingNanos: Nanos | null;
  includeByokInLimit: boolean;
  usageNanos: Nanos;
  usageDailyNanos: Nanos;
  usageWeeklyNanos: Nanos;
  usageMonthlyNanos: Nanos;
  /** Held by requests in flight. */
  reservedNanos: Nanos;
  rateLimit: RateLimitSpec | null;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number | null;
  creatorUserId: string | null;
}

/** The account's money: balance = credits − usage − reserved, never below zero. */
export interface AccountTotals {
  accountId: string;
  name: string;
  createdAt: number;
  creditsNanos: Nanos;
  usageNanos: Nanos;
  reservedNanos: Nanos;
  balanceNanos: Nanos;
}

export interface AccountSummary extends AccountTotals {
  keys: KeyView[];
}

/** One entry of the credits ledger. */
export interface CreditEntry {
  idempotencyId: string;
  amountNanos: Nanos;
  reason: string;
  createdAt: number;
}

export interface GrantInput {
  idempotencyId: string;
  /** Positive to grant, negative to remove. */
  amountNanos: Nanos;
  reason: string;
}

export interface GrantResult {
  entry: CreditEntry;
  /** True when this id was already applied: nothing changed (the call is idempotent). */
  duplicate: boolean;
  totals: AccountTotals;
}

/** A refusal the api/ layer turns into an OpenRouter error body. */
export interface Refusal {
  ok: false;
  status: 400 | 401 | 403 | 404 | 409;
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | Refusal;

export interface ListKeysInput {
  offset: number;
  /** Page size (the API uses 100). */
  limit: number;
  includeDisabled: boolean;
}
