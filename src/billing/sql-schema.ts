import { GENERATION_COLUMNS } from "./generations";
import { KEY_WINDOW_COLUMNS } from "./key-store";

/** The settlements view's columns for the key's windows after the charge (KEY_WINDOW_COLUMNS' order). */
const SETTLEMENT_KEY_COLUMNS = KEY_WINDOW_COLUMNS.map((c) => `key_${c}`);
/** The settlements view's columns for a generation run under a lease: the lease's id and what it gives up. */
const SETTLEMENT_LEASE_COLUMNS = ["lease_id", "lease_take_nanos"];
const SETTLEMENT_COLUMNS = [...GENERATION_COLUMNS, ...SETTLEMENT_KEY_COLUMNS, ...SETTLEMENT_LEASE_COLUMNS];

/**
 * One settlement: the generation record's values in GENERATION_COLUMNS order, the key's windows
 * in KEY_WINDOW_COLUMNS order, then the lease's id and take (null and 0 for a generation with a
 * hold of its own); see the settlement view below.
 */
export const SETTLEMENT = `INSERT INTO settlement (${SETTLEMENT_COLUMNS.join(", ")})
  VALUES (${SETTLEMENT_COLUMNS.map(() => "?").join(", ")})`;

/**
 * A gathered batch of settlements, written together (settleAll in reservations.ts): what the
 * settlement view's trigger below does for one, with each total moved once for the batch. The
 * two must change together.
 */
export const SETTLEMENT_BATCH = {
  /** A lease's hold shrinks by the batch's charges taken out of it (the held totals follow by trigger). */
  shrinkLease: "UPDATE reservations SET amount_nanos = amount_nanos - ? WHERE id = ?",
  /** A hold freed (the held totals follow by trigger); also how one settlement without a charge frees its own. */
  releaseHold: "DELETE FROM reservations WHERE id = ?",
  /** One generation's record, values in GENERATION_COLUMNS order. */
  insertGeneration: `INSERT INTO generations (${GENERATION_COLUMNS.join(", ")})
    VALUES (${GENERATION_COLUMNS.map(() => "?").join(", ")})`,
  chargeAccount: "UPDATE account SET usage_nanos = usage_nanos + ? WHERE singleton = 1",
  /** The key's usage grows by the batch's charges; its windows are set as its last charge left them. */
  chargeKey: `UPDATE keys SET usage_nanos = usage_nanos + ?,
    ${KEY_WINDOW_COLUMNS.map((column) => `${column} = ?`).join(", ")} WHERE hash = ?`,
};

/**
 * The Account Durable Object's SQLite schema. Every amount is INTEGER nano-dollars and every
 * time INTEGER milliseconds since the epoch. CHECK constraints are the last line of defence for
 * the money invariants: a statement that would make a balance or a hold negative fails and its
 * transaction rolls back, so a bug can refuse a request but never overspend.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS account (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    credits_nanos INTEGER NOT NULL DEFAULT 0,
    usage_nanos INTEGER NOT NULL DEFAULT 0 CHECK (usage_nanos >= 0),
    reserved_nanos INTEGER NOT NULL DEFAULT 0 CHECK (reserved_nanos >= 0),
    CHECK (credits_nanos - usage_nanos - reserved_nanos >= 0)
  )`,
  `CREATE TABLE IF NOT EXISTS credits (
    idempotency_id TEXT PRIMARY KEY,
    amount_nanos INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS keys (
    hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    is_provisioning INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    deleted_at INTEGER,
    limit_nanos INTEGER,
    limit_reset TEXT,
    include_byok_in_limit INTEGER NOT NULL DEFAULT 0,
    usage_nanos INTEGER NOT NULL DEFAULT 0,
    daily_usage_nanos INTEGER NOT NULL DEFAULT 0,
    daily_start INTEGER NOT NULL DEFAULT 0,
    weekly_usage_nanos INTEGER NOT NULL DEFAULT 0,
    weekly_start INTEGER NOT NULL DEFAULT 0,
    monthly_usage_nanos INTEGER NOT NULL DEFAULT 0,
    monthly_start INTEGER NOT NULL DEFAULT 0,
    reserved_nanos INTEGER NOT NULL DEFAULT 0 CHECK (reserved_nanos >= 0),
    rate_limit_requests INTEGER,
    rate_limit_interval TEXT,
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER,
    creator_user_id TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS reservations (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    amount_nanos INTEGER NOT NULL CHECK (amount_nanos >= 0),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  )`,
  // No index on expires_at: only the expiry alarm reads holds by deadline, and the table holds
  // only the holds in flight, so it scans them; the index was two more B-tree writes per request
  // (at the hold and at its release) and one more page in each commit.
  `DROP INDEX IF EXISTS reservations_expiry`,
  // The held totals of the account and of each key follow the reservations table by trigger: a
  // hold placed or removed moves them in the same statement, so they can never disagree with the
  // holds (and the request path makes one SQL call per hold instead of three).
  `CREATE TRIGGER IF NOT EXISTS hold_placed AFTER INSERT ON reservations BEGIN
    UPDATE account SET reserved_nanos = reserved_nanos + NEW.amount_nanos WHERE singleton = 1;
    UPDATE keys SET reserved_nanos = reserved_nanos + NEW.amount_nanos WHERE hash = NEW.key_hash;
  END`,
  `CREATE TRIGGER IF NOT EXISTS hold_removed AFTER DELETE ON reservations BEGIN
    UPDATE account SET reserved_nanos = reserved_nanos - OLD.amount_nanos WHERE singleton = 1;
    UPDATE keys SET reserved_nanos = reserved_nanos - OLD.amount_nanos WHERE hash = OLD.key_hash;
  END`,
  // A lease's hold shrinks by each charge taken out of it (billing/leases.ts).
  `CREATE TRIGGER IF NOT EXISTS hold_resized AFTER UPDATE OF amount_nanos ON reservations BEGIN
    UPDATE account SET reserved_nanos = reserved_nanos + NEW.amount_nanos - OLD.amount_nanos WHERE singleton = 1;
    UPDATE keys SET reserved_nanos = reserved_nanos + NEW.amount_nanos - OLD.amount_nanos WHERE hash = NEW.key_hash;
  END`,
  `CREATE TABLE IF NOT EXISTS generations (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    model TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    upstream_id TEXT,
    streamed INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    finish_reason TEXT,
    native_finish_reason TEXT,
    tokens_prompt INTEGER NOT NULL,
    tokens_completion INTEGER NOT NULL,
    native_tokens_prompt INTEGER NOT NULL,
    native_tokens_completion INTEGER NOT NULL,
    native_tokens_reasoning INTEGER NOT NULL,
    native_tokens_cached INTEGER NOT NULL,
    usage_estimated INTEGER NOT NULL,
    cost_nanos INTEGER NOT NULL CHECK (cost_nanos >= 0),
    latency_ms INTEGER NOT NULL,
    generation_time_ms INTEGER NOT NULL,
    app_referer TEXT,
    app_title TEXT,
    user TEXT
  )`,
  // No index on created_at: nothing reads generations by time, and each index is one more B-tree
  // write per request (oldest-first pruning, if ever needed, can walk the rowid).
  `DROP INDEX IF EXISTS generations_created`,
  // A settlement is one INSERT into this view (SETTLEMENT above; see settle in reservations.ts):
  // its trigger swaps the generation's hold for its record, or takes the charge out of the lease
  // it ran under, and adds the charge to the account's and the key's usage (the key's windows as
  // the caller computed them, in the key_* columns). SQLite applies a statement and its trigger
  // whole or not at all, so settling needs no savepoint, and it is one call into the runtime
  // instead of four (the object's reservation-and-settlement cycle went from ~198 to ~170 µs).
  // A change to its columns needs a view of another name (the old one is dropped below).
  `DROP TRIGGER IF EXISTS settlement_applied`,
  `DROP VIEW IF EXISTS settlements`,
  `CREATE VIEW IF NOT EXISTS settlement AS
    SELECT *, ${[...SETTLEMENT_KEY_COLUMNS, ...SETTLEMENT_LEASE_COLUMNS].map((c) => `0 AS ${c}`).join(", ")}
    FROM generations WHERE 0`,
  `CREATE TRIGGER IF NOT EXISTS settlement_recorded INSTEAD OF INSERT ON settlement BEGIN
    DELETE FROM reservations WHERE id = NEW.id;
    UPDATE reservations SET amount_nanos = amount_nanos - NEW.lease_take_nanos
      WHERE id = NEW.lease_id AND NEW.lease_take_nanos > 0;
    INSERT INTO generations (${GENERATION_COLUMNS.join(", ")})
      VALUES (${GENERATION_COLUMNS.map((c) => `NEW.${c}`).join(", ")});
    UPDATE account SET usage_nanos = usage_nanos + NEW.cost_nanos WHERE singleton = 1;
    UPDATE keys SET usage_nanos = usage_nanos + NEW.cost_nanos,
      ${KEY_WINDOW_COLUMNS.map((c, i) => `${c} = NEW.${SETTLEMENT_KEY_COLUMNS[i]}`).join(", ")}
      WHERE hash = NEW.key_hash;
  END`,
];

export function migrate(sql: SqlStorage): void {
  for (const statement of STATEMENTS) sql.exec(statement);
}
