import type { AccountTotals, CreditEntry, GrantInput, GrantResult, Outcome } from "./account-types";
import { type Nanos, nanosToUsd } from "./money";

/** The account row: running totals of the credits ledger, of spend, and of holds in flight. */
export interface AccountRow extends Record<string, SqlStorageValue> {
  account_id: string;
  name: string;
  created_at: number;
  credits_nanos: number;
  usage_nanos: number;
  reserved_nanos: number;
}

export function readAccount(sql: SqlStorage): AccountRow | null {
  return sql.exec<AccountRow>("SELECT * FROM account WHERE singleton = 1").toArray()[0] ?? null;
}

/** Creates the account row once; a second call with the same id is a no-op. */
export function initAccount(sql: SqlStorage, accountId: string, name: string, now: number): Outcome<AccountRow> {
  const existing = readAccount(sql);
  if (existing) {
    if (existing.account_id !== accountId) {
      return { ok: false, status: 409, message: "This object already belongs to another account" };
    }
    return { ok: false, status: 409, message: `Account ${accountId} already exists` };
  }
  sql.exec("INSERT INTO account (singleton, account_id, name, created_at) VALUES (1, ?, ?, ?)", accountId, name, now);
  return { ok: true, value: readAccount(sql) as AccountRow };
}

/** What may still be reserved: credits − usage − holds. */
export function available(row: AccountRow): Nanos {
  return row.credits_nanos - row.usage_nanos - row.reserved_nanos;
}

export function totalsOf(row: AccountRow): AccountTotals {
  return {
    accountId: row.account_id,
    name: row.name,
    createdAt: row.created_at,
    creditsNanos: row.credits_nanos,
    usageNanos: row.usage_nanos,
    reservedNanos: row.reserved_nanos,
    balanceNanos: row.credits_nanos - row.usage_nanos,
  };
}

interface CreditRow extends Record<string, SqlStorageValue> {
  idempotency_id: string;
  amount_nanos: number;
  reason: string;
  created_at: number;
}

function entryOf(row: CreditRow): CreditEntry {
  return {
    idempotencyId: row.idempotency_id,
    amountNanos: row.amount_nanos,
    reason: row.reason,
    createdAt: row.created_at,
  };
}

/**
 * Adds (or, with a negative amount, removes) credits, once per idempotency id: repeating a call
 * changes nothing and answers with the entry first recorded; reusing an id for a different
 * amount is a 409. Credits can only be removed down to what is spent or held.
 */
export function grantCredits(sql: SqlStorage, input: GrantInput, now: number): Outcome<GrantResult> {
  const account = readAccount(sql);
  if (!account) return { ok: false, status: 404, message: "Account not found" };
  const existing = sql
    .exec<CreditRow>("SELECT * FROM credits WHERE idempotency_id = ?", input.idempotencyId)
    .toArray()[0];
  if (existing) {
    if (existing.amount_nanos !== input.amountNanos) {
      return {
        ok: false,
        status: 409,
        message: `idempotency_id ${input.idempotencyId} was already used for an amount of ${nanosToUsd(existing.amount_nanos)} USD`,
      };
    }
    return { ok: true, value: { entry: entryOf(existing), duplicate: true, totals: totalsOf(account) } };
  }
  if (input.amountNanos < 0 && -input.amountNanos > available(account)) {
    return {
      ok: false,
      status: 400,
      message: `Invalid request: amount: at most ${nanosToUsd(Math.max(0, available(account)))} USD can be removed (the rest is spent or held by requests in flight)`,
    };
  }
  if (!Number.isSafeInteger(account.credits_nanos + input.amountNanos)) {
    return {
      ok: false,
      status: 400,
      message: "Invalid request: amount: the account's credits would exceed what can be counted exactly",
    };
  }
  sql.exec(
    "INSERT INTO credits (idempotency_id, amount_nanos, reason, created_at) VALUES (?, ?, ?, ?)",
    input.idempotencyId,
    input.amountNanos,
    input.reason,
    now,
  );
  sql.exec("UPDATE account SET credits_nanos = credits_nanos + ? WHERE singleton = 1", input.amountNanos);
  const entry = {
    idempotencyId: input.idempotencyId,
    amountNanos: input.amountNanos,
    reason: input.reason,
    createdAt: now,
  };
  return { ok: true, value: { entry, duplicate: false, totals: totalsOf(readAccount(sql) as AccountRow) } };
}

export function listCredits(sql: SqlStorage, limit: number): CreditEntry[] {
  return sql
    .exec<CreditRow>("SELECT * FROM credits ORDER BY created_at DESC, idempotency_id LIMIT ?", limit)
    .toArray()
    .map(entryOf);
}

/** True once any credits were granted (OpenRouter's `is_free_tier` is the opposite). */
export function everGranted(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM credits WHERE amount_nanos > 0 LIMIT 1").toArray().length > 0;
}
