import type { LeaseAsk, LeaseGrant, ReserveInput, ReserveResult, SettleInput } from "./contract";
import { generationValues, insertGenerationRow } from "./generations";
import {
  chargedKey,
  KEY_WINDOW_COLUMNS,
  type KeyRow,
  keyHeadroom,
  rateLimitOf,
  refuseKey,
  usageAgainstLimit,
} from "./key-store";
import { available } from "./ledger";
import { type Nanos, nanosToUsd } from "./money";
import type { RateLimiter } from "./rate-limit";
import type { RowCache } from "./row-cache";
import { SETTLEMENT, SETTLEMENT_BATCH } from "./sql-schema";

/**
 * Holds and charges. `reserve` runs before the upstream call and `settle` after it; both run
 * synchronously in the Durable Object, each atomic (reserve is one statement, settle runs in a
 * transaction), so concurrent requests of an account are serialised and can never together
 * commit more than the balance or a key's limit.
 */

/** How long a hold lives without being settled before the alarm releases it. */
export const RESERVATION_TTL_MS = 15 * 60_000;

/**
 * A lease (billing/leases.ts) takes at most this fraction of what the key could still hold after
 * the request's own hold: a key near its limit or balance gets none, so its every request is
 * checked here and, with several isolates leasing, idle leases hide little of the room.
 */
export const LEASE_SHARE = 1 / 16;
/**
 * The longest a lease may be used for, whatever the gateway asks: how stale the object's word may
 * get. Also what its release fits in: the request that got the lease waits out its time in
 * waitUntil, then sends the release for up to SETTLE_DELIVERY_MS (20 s) and, failing that, keeps
 * it in KV; all of it must end within the 30 s the runtime gives waitUntil after the response (at
 * 10 s it could not, and a release lost so locked the lease's rest until the hold's expiry).
 */
export const MAX_LEASE_MS = 5_000;

interface ReservationRow extends Record<string, SqlStorageValue> {
  id: string;
  key_hash: string;
  amount_nanos: number;
  created_at: number;
  expires_at: number;
}

/** Whether a generation already holds money, or was already settled: one lookup for both. */
function priorState(sql: SqlStorage, id: string): { heldUntil: number | null; settled: boolean } {
  const row = sql
    .exec<{ held_until: number | null; settled: number }>(
      `SELECT (SELECT expires_at FROM reservations WHERE id = ?1) AS held_until,
              EXISTS (SELECT 1 FROM generations WHERE id = ?1) AS settled`,
      id,
    )
    .one();
  return { heldUntil: row.held_until, settled: row.settled === 1 };
}

export type ReserveOutcome = { result: ReserveResult; expiresAt: number | null };

function assertNanos(name: string, value: unknown): asserts value is Nanos {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`reserve: ${name} must be a non-negative integer of nano-dollars, got ${String(value)}`);
  }
}

/**
 * Checks the key, its rate limit and the funds, and holds the worst case. Its only write is one
 * INSERT (the held totals move by trigger inside that statement), which SQLite applies whole or
 * not at all: the caller needs no transaction around it, and must keep it that way.
 */
export function reserve(
  sql: SqlStorage,
  rows: RowCache,
  limiter: RateLimiter,
  input: ReserveInput,
  now: number,
): ReserveOutcome {
  assertNanos("worstCaseNanos", input.worstCaseNanos);
  assertNanos("promptCostNanos", input.promptCostNanos);
  const key = rows.key(input.keyHash);
  const refusal = refuseKey(key, now);
  if (refusal || !key) {
    return { result: { ok: false, status: 401, message: refusal?.message ?? "User not found" }, expiresAt: null };
  }
  if (key.is_provisioning) {
    return {
      result: {
        ok: false,
        status: 403,
        message: "Provisioning keys cannot be used for inference; create an API key with POST /api/v1/keys",
      },
      expiresAt: null,
    };
  }
  const account = rows.account();
  if (!account)
    return { result: { ok: false, status: 401, message: "User not found: no such account" }, expiresAt: null };

  // A retried call for the same generation keeps its one hold.
  if (input.retried) {
    const prior = priorState(sql, input.generationId);
    if (prior.heldUntil !== null) {
      const lease = input.lease ? leaseHeld(rows, key, input.lease, now) : undefined;
      return { result: granted(rows, key.hash, now, lease), expiresAt: prior.heldUntil };
    }
    if (prior.settled) throw new Error(`reserve: generation ${input.generationId} is already settled`);
  }

  const rate = limiter.take(key.hash, rateLimitOf(key), now);
  if (!rate.ok) {
    const limit = rateLimitOf(key);
    return {
      result: {
        ok: false,
        status: 429,
        message: `Rate limit exceeded: this key allows ${limit?.requests} requests per ${limit?.interval}. Retry after ${rate.retryAfterSeconds}s`,
        retryAfterSeconds: rate.retryAfterSeconds,
        metadata: { rate_limit: limit },
      },
      expiresAt: null,
    };
  }

  if (key.limit_nanos !== null && usageAgainstLimit(key, now) >= key.limit_nanos) {
    return { result: keyLimitExceeded(key), expiresAt: null };
  }
  const headroom = keyHeadroom(key, now);
  const funds = available(account);
  const budget = headroom === null ? funds : Math.min(funds, headroom);
  if (input.worstCaseNanos > budget) {
    const boundByKey = headroom !== null && headroom < funds;
    if (boundByKey && (headroom as number) <= 0) return { result: keyLimitExceeded(key), expiresAt: null };
    return { result: cannotAfford(input, budget, boundByKey), expiresAt: null };
  }

  const expiresAt = placeHold(sql, rows, input.generationId, key.hash, input.worstCaseNanos, now);
  const lease = input.lease ? grantLease(sql, rows, key, input, input.lease, now) : undefined;
  return { result: granted(rows, key.hash, now, lease), expiresAt };
}

function granted(rows: RowCache, hash: string, now: number, lease: LeaseGrant | undefined): ReserveResult {
  const headStartNanos = headStartAfter(rows, hash, now);
  return lease ? { ok: true, headStartNanos, lease } : { ok: true, headStartNanos };
}

/**
 * Holds a lease for the key's next requests in the asking isolate, when the key has room for it
 * to spare: at most LEASE_SHARE of that room, in whole worst cases of this request (none for a
 * free request), never for a key with a request rate limit (each request must be counted here),
 * and never past the key's expiry. The lease's deadline is a hold's: the generations started
 * under it may run that long.
 */
function grantLease(
  sql: SqlStorage,
  rows: RowCache,
  key: KeyRow,
  input: ReserveInput,
  ask: LeaseAsk,
  now: number,
): LeaseGrant | undefined {
  assertNanos("lease.nanos", ask.nanos);
  if (!ask.id.startsWith("lease-")) throw new RangeError(`reserve: a lease id starts with "lease-", got ${ask.id}`);
  const ms = leaseMs(key, ask, now);
  if (ms <= 0 || rateLimitOf(key)) return undefined;
  // Whole worst cases of this request: a remainder no request like it could use would only be
  // money held from the key's other requests.
  const worst = input.worstCaseNanos;
  const most = Math.min(ask.nanos, Math.floor(headStartAfter(rows, key.hash, now) * LEASE_SHARE));
  const nanos = worst > 0 ? Math.floor(most / worst) * worst : 0;
  if (nanos <= 0) return undefined;
  placeHold(sql, rows, ask.id, key.hash, nanos, now);
  return { nanos, ms };
}

/**
 * One hold, one INSERT (the held totals move by trigger inside it), and the row cache told;
 * returns its deadline.
 */
function placeHold(sql: SqlStorage, rows: RowCache, id: string, keyHash: string, amount: Nanos, now: number): number {
  const expiresAt = now + RESERVATION_TTL_MS;
  sql.exec(
    "INSERT INTO reservations (id, key_hash, amount_nanos, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    id,
    keyHash,
    amount,
    now,
    expiresAt,
  );
  rows.holdPlaced(id, { key_hash: keyHash, amount_nanos: amount });
  return expiresAt;
}

/** The lease a retried call's first try granted, if it did. */
function leaseHeld(rows: RowCache, key: KeyRow, ask: LeaseAsk, now: number): LeaseGrant | undefined {
  const held = rows.hold(ask.id);
  const ms = leaseMs(key, ask, now);
  return held && ms > 0 ? { nanos: held.amount_nanos, ms } : undefined;
}

function leaseMs(key: KeyRow, ask: LeaseAsk, now: number): number {
  const asked = Number.isFinite(ask.ms) ? Math.min(Math.floor(ask.ms), MAX_LEASE_MS) : 0;
  return key.expires_at === null ? asked : Math.min(asked, key.expires_at - now);
}

/** What the key could still hold once this hold is placed; nothing for a rate-limited key. */
function headStartAfter(rows: RowCache, hash: string, now: number): Nanos {
  const key = rows.key(hash);
  const account = rows.account();
  if (!key || !account || rateLimitOf(key)) return 0;
  const headroom = keyHeadroom(key, now);
  const funds = available(account);
  return Math.max(0, headroom === null ? funds : Math.min(funds, headroom));
}

function keyLimitExceeded(key: KeyRow): ReserveResult {
  const which = key.limit_reset ? `${key.limit_reset} limit` : "total limit";
  return {
    ok: false,
    status: 403,
    message: `Key limit exceeded (${which}). Manage it using PATCH /api/v1/keys/${key.hash} with a provisioning key`,
    metadata: { limit: nanosToUsd(key.limit_nanos ?? 0), limit_reset: key.limit_reset },
  };
}

/** Output tokens `budget` pays for after the prompt, never more than the cap that was refused. */
export function affordableTokens(input: ReserveInput, budget: Nanos): number {
  if (budget <= input.promptCostNanos) return 0;
  const perToken = BigInt(input.completionPriceAtto);
  if (perToken <= 0n) return Math.max(0, input.maxOutputTokens - 1);
  const tokens = Number((BigInt(budget - input.promptCostNanos) * 1_000_000_000n) / perToken);
  return Math.max(0, Math.min(tokens, input.maxOutputTokens - 1));
}

function cannotAfford(input: ReserveInput, budget: Nanos, boundByKey: boolean): ReserveResult {
  const afford = affordableTokens(input, budget);
  const metadata = {
    requested_tokens: input.maxOutputTokens,
    affordable_tokens: afford,
    available: nanosToUsd(Math.max(0, budget)),
  };
  if (afford === 0) {
    return {
      ok: false,
      status: 402,
      message: boundByKey
        ? "Insufficient credits: what is left of this key's limit does not cover this request's prompt. Raise the key's limit to continue"
        : "Insufficient credits: the account's balance does not cover this request's prompt. Add credits to continue",
      metadata,
    };
  }
  const requested = input.maxTokensRequested
    ? `You requested up to ${input.maxOutputTokens} tokens`
    : `You requested up to ${input.maxOutputTokens} tokens (the model's default output cap, as max_tokens was not set)`;
  const remedy = boundByKey ? "raise this key's limit" : "add credits to the account";
  return {
    ok: false,
    status: 402,
    message: `This request requires more credits, or fewer max_tokens. ${requested}, but can only afford ${afford}. To increase, ${remedy}, or send a lower max_tokens`,
    metadata,
  };
}

export interface SettleOutcome {
  /** What was charged (0 for a release, or when the generation was already settled). */
  chargedNanos: Nanos;
  /**
   * True when this generation's record had been written before: nothing happened (a release,
   * with no record, is never one).
   */
  duplicate: boolean;
  /** True when the charge was lowered to what the account or key could still pay. */
  clamped: boolean;
}

/**
 * What one settlement writes, worked out against the row cache (which already shows it): the
 * hold it frees, and with a record the generation's row, its charge, the key's windows after the
 * charge and the part of its lease's hold the charge takes.
 */
interface SettlementWrite {
  outcome: SettleOutcome;
  id: string;
  /** Its own hold, freed by the settlement (none under a lease). */
  holdReleased: boolean;
  charge: {
    keyHash: string;
    nanos: Nanos;
    generation: SqlStorageValue[];
    /** The key's row after the charge; null when the key is gone. */
    key: KeyRow | null;
    leaseId: string | null;
    leaseTake: Nanos;
  } | null;
}

/**
 * Releases the hold and, with a record, charges its cost and writes the generation log entry. A
 * generation run under a lease (`leaseId`) has no hold of its own: its charge comes out of the
 * lease's hold instead. Settling the same generation twice changes nothing. A charge above the
 * hold (the caller should never send one) or after the hold expired is taken only as far as the
 * balance and the key's limit allow, so nothing goes negative; the log records what was actually
 * charged, keeping the sum of generation costs equal to usage.
 */
export function settle(sql: SqlStorage, rows: RowCache, input: SettleInput, now: number): SettleOutcome {
  const write = settlementWrite(rows, input, now);
  const { charge } = write;
  if (!charge) {
    if (write.holdReleased) sql.exec(SETTLEMENT_BATCH.releaseHold, write.id);
    return write.outcome;
  }
  try {
    sql.exec(
      SETTLEMENT,
      ...charge.generation,
      ...KEY_WINDOW_COLUMNS.map((column) => charge.key?.[column] ?? 0),
      charge.leaseId,
      charge.leaseTake,
    );
  } catch (error) {
    // Settled before (a retried call whose first try was applied): the generation's id is taken,
    // and SQLite undid the whole statement, trigger and all. Looking first would cost every
    // settlement without a hold of its own (all of a lease's) a query for what only a retry sees.
    rows.clear();
    if (!isSettledAlready(error)) throw error;
    return { chargedNanos: 0, clamped: false, duplicate: true };
  }
  return write.outcome;
}

/**
 * Several settlements, as settle would make them one after the other, written together: the
 * generations' rows one by one, and the holds, the leases, the account and each key moved once
 * by the batch's totals. Under a busy key's lease a settlement was seven row writes (the lease's
 * hold and the held totals, the record, the usage totals); in a batch it is one, plus five for
 * the batch. Must run in a transaction: a failure (a generation settled before, say) undoes the
 * whole batch and leaves the row cache stale, for the caller to clear and settle one by one.
 */
export function settleAll(sql: SqlStorage, rows: RowCache, inputs: SettleInput[], now: number): SettleOutcome[] {
  return rows.whileAhead(() => writeBatch(sql, rows, inputs, now));
}

function writeBatch(sql: SqlStorage, rows: RowCache, inputs: SettleInput[], now: number): SettleOutcome[] {
  // Holds freed earlier in the batch, still in SQLite until the batch is written.
  const freed = new Set<string>();
  const writes = inputs.map((input) => settlementWrite(rows, input, now, freed));
  const leaseTakes = new Map<string, Nanos>();
  const keyCharges = new Map<string, { nanos: Nanos; row: KeyRow }>();
  let accountCharge = 0;
  for (const { charge } of writes) {
    if (!charge) continue;
    accountCharge += charge.nanos;
    if (charge.leaseId !== null && charge.leaseTake > 0) {
      leaseTakes.set(charge.leaseId, (leaseTakes.get(charge.leaseId) ?? 0) + charge.leaseTake);
    }
    // The key's windows as its last charge left them, with every charge's usage added.
    if (charge.key) {
      const nanos = (keyCharges.get(charge.keyHash)?.nanos ?? 0) + charge.nanos;
      keyCharges.set(charge.keyHash, { nanos, row: charge.key });
    }
  }
  // Leases shrink before holds go: a lease released in this batch is deleted with what is left
  // of it, as it would be one settlement at a time.
  for (const [leaseId, take] of leaseTakes) sql.exec(SETTLEMENT_BATCH.shrinkLease, take, leaseId);
  for (const write of writes) if (write.holdReleased) sql.exec(SETTLEMENT_BATCH.releaseHold, write.id);
  for (const { charge } of writes) if (charge) insertGenerationRow(sql, charge.generation);
  if (accountCharge > 0) sql.exec(SETTLEMENT_BATCH.chargeAccount, accountCharge);
  for (const [hash, { nanos, row }] of keyCharges) {
    sql.exec(SETTLEMENT_BATCH.chargeKey, nanos, ...KEY_WINDOW_COLUMNS.map((column) => row[column]), hash);
  }
  return writes.map((write) => write.outcome);
}

/**
 * Works out one settlement (see settle) and moves the row cache as its writes will: the caller
 * makes them, or clears the cache if SQLite refuses them. In a batch, `freed` has the holds the
 * batch's earlier settlements free: the cache no longer has them, and SQLite still does.
 */
function settlementWrite(rows: RowCache, input: SettleInput, now: number, freed?: Set<string>): SettlementWrite {
  const holdOf = (holdId: string) => (freed?.has(holdId) ? null : rows.hold(holdId));
  const id = input.generationId;
  const leaseId = input.leaseId ?? null;
  const hold = leaseId === null ? holdOf(id) : null;
  // The hold counts as free from here on: the settlement's writes remove it (and the held totals
  // with it, by trigger).
  if (hold) {
    rows.holdReleasing(id, hold);
    freed?.add(id);
  }
  const record = input.record;
  const before = record ? rows.account() : null;
  const uncharged = { chargedNanos: 0, clamped: false, duplicate: false };
  if (!record || !before) return { outcome: uncharged, id, holdReleased: hold !== null, charge: null };

  const cost = Math.max(0, Math.ceil(Number.isFinite(record.costNanos) ? record.costNanos : 0));
  // Under a lease, the part of the lease's hold this charge uses counts as free, as a hold does.
  const lease = leaseId === null ? null : holdOf(leaseId);
  const leaseTake = lease ? Math.min(lease.amount_nanos, cost) : 0;
  if (lease && leaseId !== null) rows.holdShrinking(leaseId, lease, leaseTake);
  const held = hold ? hold.amount_nanos : leaseTake;
  // Read again: a lease's shrink moved the account's held total.
  const account = rows.account() ?? before;
  let charge = Math.min(cost, Math.max(0, available(account)));
  const key = rows.key(input.keyHash);
  const headroom = key ? keyHeadroom(key, now) : null;
  if (headroom !== null) charge = Math.min(charge, Math.max(held, headroom));
  const charged = key ? chargedKey(key, charge, now) : null;
  rows.charged(charge, charged);
  return {
    outcome: { chargedNanos: charge, duplicate: false, clamped: charge !== cost },
    id,
    holdReleased: hold !== null,
    charge: {
      keyHash: input.keyHash,
      nanos: charge,
      generation: generationValues({ ...record, id, keyHash: input.keyHash, costNanos: charge }),
      key: charged,
      leaseId,
      leaseTake,
    },
  };
}

/**
 * Gives the holds `ids` (a generation's own, or the lease it runs under) a full life again from
 * `now`: a generation still running when its hold would expire (a stream longer than
 * RESERVATION_TTL_MS) would otherwise lose it to the alarm, and the money it held could be spent
 * by other requests before its charge lands. Returns how many were still held.
 */
export function renewHolds(sql: SqlStorage, ids: readonly string[], now: number): number {
  let renewed = 0;
  for (const id of ids) {
    renewed += sql.exec(
      "UPDATE reservations SET expires_at = ? WHERE id = ?",
      now + RESERVATION_TTL_MS,
      id,
    ).rowsWritten;
  }
  return renewed;
}

/** Releases every hold whose deadline passed; returns the next deadline, if any hold remains. */
export function expireReservations(
  sql: SqlStorage,
  rows: RowCache,
  now: number,
): { released: number; next: number | null } {
  const due = sql.exec<ReservationRow>("DELETE FROM reservations WHERE expires_at <= ? RETURNING *", now).toArray();
  for (const hold of due) rows.holdRemoved(hold.id, hold);
  const next = sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM reservations").one().next;
  return { released: due.length, next };
}

export function sumReservations(sql: SqlStorage): Nanos {
  return sql.exec<{ total: number }>("SELECT COALESCE(SUM(amount_nanos), 0) AS total FROM reservations").one().total;
}

/** The error SQLite raises when a generation's record is inserted a second time. */
function isSettledAlready(error: unknown): boolean {
  return String(error).includes("UNIQUE constraint failed: generations.id");
}
