import type { KeyPatch, KeySpec, KeyView, ListKeysInput, RateLimitSpec, Refusal } from "./account-types";
import type { Nanos } from "./money";
import { dayStart, type LimitReset, monthStart, weekStart, windowValue } from "./windows";

/** A row of the `keys` table (see sql-schema.ts). */
export interface KeyRow extends Record<string, SqlStorageValue> {
  hash: string;
  name: string;
  label: string;
  is_provisioning: number;
  disabled: number;
  deleted_at: number | null;
  limit_nanos: number | null;
  limit_reset: string | null;
  include_byok_in_limit: number;
  usage_nanos: number;
  daily_usage_nanos: number;
  daily_start: number;
  weekly_usage_nanos: number;
  weekly_start: number;
  monthly_usage_nanos: number;
  monthly_start: number;
  reserved_nanos: number;
  rate_limit_requests: number | null;
  rate_limit_interval: string | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number | null;
  creator_user_id: string | null;
}

/** The key, deleted or not (deleted keys stay as rows so their spend stays attributed). */
export function readKey(sql: SqlStorage, hash: string): KeyRow | null {
  return sql.exec<KeyRow>("SELECT * FROM keys WHERE hash = ?", hash).toArray()[0] ?? null;
}

/** The key unless it was deleted. */
export function readLiveRow(sql: SqlStorage, hash: string): KeyRow | null {
  const row = readKey(sql, hash);
  return row && row.deleted_at === null ? row : null;
}

/**
 * Why a key may not be used right now, or null when it may. This object, not KV, is the
 * authority: a key deleted or disabled here is refused even while KV and isolate caches still
 * resolve it.
 */
export function refuseKey(row: KeyRow | null, now: number): Refusal | null {
  if (!row || row.deleted_at !== null) {
    return { ok: false, status: 401, message: "User not found: this API key was deleted or never existed" };
  }
  if (row.disabled) return { ok: false, status: 401, message: "This API key is disabled" };
  if (row.expires_at !== null && row.expires_at <= now) {
    return { ok: false, status: 401, message: "This API key has expired" };
  }
  return null;
}

export function insertKey(sql: SqlStorage, spec: KeySpec, now: number): void {
  sql.exec(
    `INSERT INTO keys (hash, name, label, is_provisioning, limit_nanos, limit_reset, include_byok_in_limit,
       rate_limit_requests, rate_limit_interval, expires_at, created_at, creator_user_id,
       daily_start, weekly_start, monthly_start)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    spec.hash,
    spec.name,
    spec.label,
    spec.isProvisioning ? 1 : 0,
    spec.limitNanos,
    spec.limitReset,
    spec.includeByokInLimit ? 1 : 0,
    spec.rateLimit?.requests ?? null,
    spec.rateLimit?.interval ?? null,
    spec.expiresAt,
    now,
    spec.creatorUserId,
    dayStart(now),
    weekStart(now),
    monthStart(now),
  );
}

export function patchKey(sql: SqlStorage, hash: string, patch: KeyPatch, now: number): void {
  const sets: string[] = [];
  const values: (string | number | null)[] = [];
  const set = (column: string, value: string | number | null) => {
    sets.push(`${column} = ?`);
    values.push(value);
  };
  if (patch.name !== undefined) set("name", patch.name);
  if (patch.disabled !== undefined) set("disabled", patch.disabled ? 1 : 0);
  if (patch.limitNanos !== undefined) set("limit_nanos", patch.limitNanos);
  if (patch.limitReset !== undefined) set("limit_reset", patch.limitReset);
  if (patch.includeByokInLimit !== undefined) set("include_byok_in_limit", patch.includeByokInLimit ? 1 : 0);
  if (patch.expiresAt !== undefined) set("expires_at", patch.expiresAt);
  if (patch.rateLimit !== undefined) {
    set("rate_limit_requests", patch.rateLimit?.requests ?? null);
    set("rate_limit_interval", patch.rateLimit?.interval ?? null);
  }
  set("updated_at", now);
  sql.exec(`UPDATE keys SET ${sets.join(", ")} WHERE hash = ?`, ...values, hash);
}

export function markDeleted(sql: SqlStorage, hash: string, now: number): void {
  sql.exec("UPDATE keys SET deleted_at = ?, updated_at = ? WHERE hash = ?", now, now, hash);
}

/** Inference keys of the account, oldest first, one page. Provisioning keys are not listed. */
export function listKeyRows(sql: SqlStorage, input: ListKeysInput): KeyRow[] {
  return sql
    .exec<KeyRow>(
      `SELECT * FROM keys WHERE deleted_at IS NULL AND is_provisioning = 0 ${input.includeDisabled ? "" : "AND disabled = 0"}
       ORDER BY created_at, hash LIMIT ? OFFSET ?`,
      input.limit,
      input.offset,
    )
    .toArray();
}

export function allKeyRows(sql: SqlStorage): KeyRow[] {
  return sql.exec<KeyRow>("SELECT * FROM keys WHERE deleted_at IS NULL ORDER BY created_at, hash").toArray();
}

export interface WindowUsage {
  daily: Nanos;
  weekly: Nanos;
  monthly: Nanos;
}

export function windowUsage(row: KeyRow, now: number): WindowUsage {
  return {
    daily: windowValue(row.daily_usage_nanos, row.daily_start, dayStart(now)),
    weekly: windowValue(row.weekly_usage_nanos, row.weekly_start, weekStart(now)),
    monthly: windowValue(row.monthly_usage_nanos, row.monthly_start, monthStart(now)),
  };
}

/** The usage the key's limit is measured against: its current reset window, or all time. */
export function usageAgainstLimit(row: KeyRow, now: number): Nanos {
  const reset = row.limit_reset as LimitReset | null;
  if (reset === null) return row.usage_nanos;
  return windowUsage(row, now)[reset];
}

/** What the key may still commit to new holds (limit − counted usage − holds), or null when unlimited. */
export function keyHeadroom(row: KeyRow, now: number): Nanos | null {
  if (row.limit_nanos === null) return null;
  return row.limit_nanos - usageAgainstLimit(row, now) - row.reserved_nanos;
}

/**
 * The key after a charge: all-time usage and the daily/weekly/monthly windows (UTC) grow by the
 * charge, and a window that has rolled over starts from it.
 */
export function chargedKey(row: KeyRow, charge: Nanos, now: number): KeyRow {
  const current = windowUsage(row, now);
  return {
    ...row,
    usage_nanos: row.usage_nanos + charge,
    daily_usage_nanos: current.daily + charge,
    daily_start: dayStart(now),
    weekly_usage_nanos: current.weekly + charge,
    weekly_start: weekStart(now),
    monthly_usage_nanos: current.monthly + charge,
    monthly_start: monthStart(now),
  };
}

/** The key's usage windows a charge sets (see chargedKey), as the settlement statement writes them. */
export const KEY_WINDOW_COLUMNS = [
  "daily_usage_nanos",
  "daily_start",
  "weekly_usage_nanos",
  "weekly_start",
  "monthly_usage_nanos",
  "monthly_start",
] as const satisfies ReadonlyArray<keyof KeyRow>;

export function rateLimitOf(row: KeyRow): RateLimitSpec | null {
  if (row.rate_limit_requests === null || row.rate_limit_interval === null) return null;
  return { requests: row.rate_limit_requests, interval: row.rate_limit_interval };
}

export function viewKey(row: KeyRow, now: number): KeyView {
  const usage = windowUsage(row, now);
  return {
    hash: row.hash,
    name: row.name,
    label: row.label,
    isProvisioning: row.is_provisioning === 1,
    disabled: row.disabled === 1,
    limitNanos: row.limit_nanos,
    limitReset: row.limit_reset as LimitReset | null,
    limitRemainingNanos: row.limit_nanos === null ? null : Math.max(0, row.limit_nanos - usageAgainstLimit(row, now)),
    includeByokInLimit: row.include_byok_in_limit === 1,
    usageNanos: row.usage_nanos,
    usageDailyNanos: usage.daily,
    usageWeeklyNanos: usage.weekly,
    usageMonthlyNanos: usage.monthly,
    reservedNanos: row.reserved_nanos,
    rateLimit: rateLimitOf(row),
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    creatorUserId: row.creator_user_id,
  };
}
