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
  // Each generation's row: insertGenerationRow in generations.ts.
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
 *
 * The first version of the schema, as objects made before schema versions were counted have it
 * (with the settlement view and its trigger, now SETTLEMENT_OBJECTS below). Every statement is
 * conditional, so running it on such an object changes nothing. Never edit it: a later change is
 * a step of its own in SCHEMA_STEPS.
 */
const FIRST_SCHEMA = [
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
  // An earlier settlement view and its trigger, replaced by SETTLEMENT_OBJECTS' (settlement).
  `DROP TRIGGER IF EXISTS settlement_applied`,
  `DROP VIEW IF EXISTS settlements`,
];

/**
 * The schema's versions, each the statements that take an object's database from the one before
 * to it: version n is the first n steps. Append only: a deployed object may be at any earlier
 * version, so a step, once shipped, is never edited. A new column is added with a DEFAULT that
 * the rows written before it read as (SQLite adds such a column without rewriting the table).
 */
const SCHEMA_STEPS: ReadonlyArray<readonly string[]> = [
  FIRST_SCHEMA,
  // 2: the kind of API call each generation was (`api_type` in /generation, an ApiType), as
  // text like the other enumerations here (finish_reason, limit_reset). The rows from before it
  // read as "completions", what /generation said of every generation until then: nothing
  // recorded which of them were embeddings. It takes NULL, read as "completions" too, because
  // code from before it, should a deploy be rolled back, inserts into the settlement view
  // without it (which gives the trigger a NULL, not the default): NOT NULL would fail every
  // such settlement.
  [`ALTER TABLE generations ADD COLUMN api_type TEXT DEFAULT 'completions'`],
  // 3: each rate-limited key's current request window (rate-limit.ts), which lived in the
  // object's memory only and started over whenever the object was evicted.
  [
    `CREATE TABLE IF NOT EXISTS rate_windows (
      key_hash TEXT PRIMARY KEY,
      start INTEGER NOT NULL,
      count INTEGER NOT NULL
    )`,
  ],
  // 4: whether a generation's latency is known: a stream that failed, or whose client left,
  // before its first token has none (`latency: null` in /generation), where latency_ms, NOT NULL,
  // used to hold the time to its end. Nullable for the reason api_type is (step 2); the rows from
  // before it, and a NULL, read as known.
  [`ALTER TABLE generations ADD COLUMN latency_known INTEGER DEFAULT 1`],
  // 5: the account's presets (preset-store.ts): one row a preset, one a version. Versions are
  // numbered here, by the object that alone writes them, so concurrent creations never lose one.
  [
    `CREATE TABLE IF NOT EXISTS presets (
      slug TEXT PRIMARY KEY,
      id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      designated_version INTEGER NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS preset_versions (
      slug TEXT NOT NULL,
      version INTEGER NOT NULL,
      id TEXT NOT NULL,
      config TEXT NOT NULL,
      system_prompt TEXT,
      creator_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (slug, version)
    )`,
  ],
  // 6: the preset a generation's request named (its id; `preset_id` in /generation). NULL for
  // none, and for the rows from before it, which could name none.
  [`ALTER TABLE generations ADD COLUMN preset_id TEXT`],
  // 7: generated images: their output tokens (within native_tokens_completion) and how many the
  // reply held, OpenRouter's native_tokens_completion_images and num_media_completion. Every
  // generation before them drew none: DEFAULT 0, and nullable for the reason api_type is.
  [
    `ALTER TABLE generations ADD COLUMN native_tokens_completion_images INTEGER DEFAULT 0`,
    `ALTER TABLE generations ADD COLUMN num_media_completion INTEGER DEFAULT 0`,
  ],
  // 8: the session a generation's request named (`session_id` in /generation, OpenRouter's
  // grouping of a conversation's or an agent's generations) and the request's x-request-id
  // (`request_id`, to find its log line). NULL for none, and for the rows from before them.
  [`ALTER TABLE generations ADD COLUMN session_id TEXT`, `ALTER TABLE generations ADD COLUMN request_id TEXT`],
];

/**
 * Built from the current columns, so rebuilt after every step (see migrate). A settlement is one
 * INSERT into this view (SETTLEMENT above; see settle in reservations.ts): its trigger swaps the
 * generation's hold for its record, or takes the charge out of the lease it ran under, and adds
 * the charge to the account's and the key's usage (the key's windows as the caller computed
 * them, in the key_* columns). SQLite applies a statement and its trigger whole or not at all,
 * so settling needs no savepoint, and it is one call into the runtime instead of four (the
 * object's reservation-and-settlement cycle went from ~198 to ~170 µs).
 */
const SETTLEMENT_OBJECTS = {
  drop: [`DROP TRIGGER IF EXISTS settlement_recorded`, `DROP VIEW IF EXISTS settlement`],
  create: [
    `CREATE VIEW settlement AS
    SELECT *, ${[...SETTLEMENT_KEY_COLUMNS, ...SETTLEMENT_LEASE_COLUMNS].map((c) => `0 AS ${c}`).join(", ")}
    FROM generations WHERE 0`,
    `CREATE TRIGGER settlement_recorded INSTEAD OF INSERT ON settlement BEGIN
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
  ],
};

/** The latest schema version: what migrate leaves every object at. */
export const SCHEMA_VERSION = SCHEMA_STEPS.length;

/**
 * Brings the object's database to SCHEMA_VERSION; runs when the object starts. The version it is
 * at is kept in the schema_version table (Durable Objects refuse `PRAGMA user_version`), and an
 * object made before it existed counts as version 0. The steps it lacks run in order, in one
 * transaction with the new version, so an object is never left between two versions. An object
 * already at the latest version makes two statements here (it used to run the whole schema's
 * fourteen on every start).
 */
export function migrate(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  sql.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    version INTEGER NOT NULL
  )`);
  const at = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0]?.version ?? 0;
  // Further than this code knows (a deploy rolled back): its steps are there, left as they are.
  if (at >= SCHEMA_VERSION) return;
  storage.transactionSync(() => {
    // The settlement view and trigger name the generations table's columns: they are dropped
    // while the steps change the tables, and built again from the columns the code now writes.
    for (const statement of SETTLEMENT_OBJECTS.drop) sql.exec(statement);
    for (const step of SCHEMA_STEPS.slice(at)) for (const statement of step) sql.exec(statement);
    for (const statement of SETTLEMENT_OBJECTS.create) sql.exec(statement);
    sql.exec(
      `INSERT INTO schema_version (singleton, version) VALUES (1, ?)
        ON CONFLICT (singleton) DO UPDATE SET version = excluded.version`,
      SCHEMA_VERSION,
    );
  });
}
