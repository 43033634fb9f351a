import { runInDurableObject } from "cloudflare:test";
import { GenerationResponse$inboundSchema } from "@openrouter/sdk/models";
import { describe, expect, it } from "vitest";
import { accountStub } from "../src/billing/client";
import { SCHEMA_VERSION } from "../src/billing/sql-schema";
import { audit, env } from "./billing-support";
import { BASE, chat, fundedAccount, gatewayFetch, sleep } from "./support/gateway";

/**
 * An Account object made before its schema was versioned, holding money and a generation, starts
 * on today's code: it must come up at the latest version with its rows as they were.
 */

/**
 * The schema as objects made before versions were counted have it: what every start ran then,
 * as SQLite received it. Frozen here on purpose; it must not follow src/billing/sql-schema.ts.
 */
const UNVERSIONED_SCHEMA = [
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
  `DROP INDEX IF EXISTS reservations_expiry`,
  `CREATE TRIGGER IF NOT EXISTS hold_placed AFTER INSERT ON reservations BEGIN
    UPDATE account SET reserved_nanos = reserved_nanos + NEW.amount_nanos WHERE singleton = 1;
    UPDATE keys SET reserved_nanos = reserved_nanos + NEW.amount_nanos WHERE hash = NEW.key_hash;
  END`,
  `CREATE TRIGGER IF NOT EXISTS hold_removed AFTER DELETE ON reservations BEGIN
    UPDATE account SET reserved_nanos = reserved_nanos - OLD.amount_nanos WHERE singleton = 1;
    UPDATE keys SET reserved_nanos = reserved_nanos - OLD.amount_nanos WHERE hash = OLD.key_hash;
  END`,
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
  `DROP INDEX IF EXISTS generations_created`,
  `DROP TRIGGER IF EXISTS settlement_applied`,
  `DROP VIEW IF EXISTS settlements`,
  `CREATE VIEW IF NOT EXISTS settlement AS
    SELECT *, 0 AS key_daily_usage_nanos, 0 AS key_daily_start, 0 AS key_weekly_usage_nanos, 0 AS key_weekly_start, 0 AS key_monthly_usage_nanos, 0 AS key_monthly_start, 0 AS lease_id, 0 AS lease_take_nanos
    FROM generations WHERE 0`,
  `CREATE TRIGGER IF NOT EXISTS settlement_recorded INSTEAD OF INSERT ON settlement BEGIN
    DELETE FROM reservations WHERE id = NEW.id;
    UPDATE reservations SET amount_nanos = amount_nanos - NEW.lease_take_nanos
      WHERE id = NEW.lease_id AND NEW.lease_take_nanos > 0;
    INSERT INTO generations (id, key_hash, created_at, model, provider_name, upstream_id, streamed, cancelled, finish_reason, native_finish_reason, tokens_prompt, tokens_completion, native_tokens_prompt, native_tokens_completion, native_tokens_reasoning, native_tokens_cached, usage_estimated, cost_nanos, latency_ms, generation_time_ms, app_referer, app_title, user)
      VALUES (NEW.id, NEW.key_hash, NEW.created_at, NEW.model, NEW.provider_name, NEW.upstream_id, NEW.streamed, NEW.cancelled, NEW.finish_reason, NEW.native_finish_reason, NEW.tokens_prompt, NEW.tokens_completion, NEW.native_tokens_prompt, NEW.native_tokens_completion, NEW.native_tokens_reasoning, NEW.native_tokens_cached, NEW.usage_estimated, NEW.cost_nanos, NEW.latency_ms, NEW.generation_time_ms, NEW.app_referer, NEW.app_title, NEW.user);
    UPDATE account SET usage_nanos = usage_nanos + NEW.cost_nanos WHERE singleton = 1;
    UPDATE keys SET usage_nanos = usage_nanos + NEW.cost_nanos,
      daily_usage_nanos = NEW.key_daily_usage_nanos, daily_start = NEW.key_daily_start, weekly_usage_nanos = NEW.key_weekly_usage_nanos, weekly_start = NEW.key_weekly_start, monthly_usage_nanos = NEW.key_monthly_usage_nanos, monthly_start = NEW.key_monthly_start
      WHERE hash = NEW.key_hash;
  END`,
];

type Row = Record<string, SqlStorageValue>;

function insert(sql: SqlStorage, table: string, row: Row): void {
  const columns = Object.keys(row);
  sql.exec(
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
    ...Object.values(row),
  );
}

/**
 * A generation settled as code from before versions settles one: a hold, then one INSERT into the
 * settlement view naming the columns that code knows (the key's windows left as they are).
 */
function settleAsBefore(sql: SqlStorage, generation: Row & { id: string; key_hash: string }): void {
  const now = Date.now();
  insert(sql, "reservations", {
    id: generation.id,
    key_hash: generation.key_hash,
    amount_nanos: 5_000,
    created_at: now,
    expires_at: now + 60_000,
  });
  const windows = sql
    .exec<Row>(
      `SELECT daily_usage_nanos AS key_daily_usage_nanos, daily_start AS key_daily_start,
         weekly_usage_nanos AS key_weekly_usage_nanos, weekly_start AS key_weekly_start,
         monthly_usage_nanos AS key_monthly_usage_nanos, monthly_start AS key_monthly_start
       FROM keys WHERE hash = ?`,
      generation.key_hash,
    )
    .one();
  insert(sql, "settlement", { ...generation, ...windows, lease_id: null, lease_take_nanos: 0 });
}

/** A generation's row as the unversioned schema has it. */
function generationBeforeVersions(id: string, keyHash: string): Row & { id: string; key_hash: string } {
  return {
    id,
    key_hash: keyHash,
    created_at: Date.now() - 86_400_000,
    model: "openai/gpt-4o-mini",
    provider_name: "OpenAI",
    upstream_id: "chatcmpl-old",
    streamed: 1,
    cancelled: 0,
    finish_reason: "stop",
    native_finish_reason: "stop",
    tokens_prompt: 11,
    tokens_completion: 7,
    native_tokens_prompt: 11,
    native_tokens_completion: 7,
    native_tokens_reasoning: 0,
    native_tokens_cached: 0,
    usage_estimated: 0,
    cost_nanos: 4_321,
    latency_ms: 90,
    generation_time_ms: 300,
    app_referer: "https://old.example",
    app_title: "Old App",
    user: null,
  };
}

/**
 * Rebuilds the account's object as one made before versions were counted: its account, credits
 * and keys rows put back into the unversioned schema, and `generation` settled as it was then.
 */
async function toUnversionedSchema(accountId: string, generation: Row & { id: string; key_hash: string }) {
  await runInDurableObject(accountStub(env, accountId), async (_instance, state) => {
    const sql = state.storage.sql;
    const kept = Object.fromEntries(
      ["account", "credits", "keys"].map((table) => [table, sql.exec<Row>(`SELECT * FROM ${table}`).toArray()]),
    );
    await state.storage.deleteAll();
    for (const statement of UNVERSIONED_SCHEMA) sql.exec(statement);
    for (const [table, rows] of Object.entries(kept)) for (const row of rows) insert(sql, table, row);
    settleAsBefore(sql, generation);
  });
}

/** Stops the object; the next call starts it again, from its storage, as after a deploy. */
async function restart(accountId: string): Promise<void> {
  await expect(
    runInDurableObject(accountStub(env, accountId), (_instance, state) => state.abort("restart for the test")),
  ).rejects.toThrow("restart for the test");
}

/** `/generation?id=` once the generation is settled, as the OpenRouter SDK parses it. */
async function generation(key: string, id: string) {
  for (let i = 0; i < 200; i++) {
    const response = await gatewayFetch(`${BASE}/generation?id=${id}`, { headers: { authorization: `Bearer ${key}` } });
    if (response.ok) return GenerationResponse$inboundSchema.parse(await response.json()).data;
    await sleep(20);
  }
  throw new Error(`generation ${id} was never recorded`);
}

describe("the Account object's schema migration", () => {
  it("brings an object made before schema versions to the latest, keeping its rows; old generations read as completions", async () => {
    const { accountId, key, hash } = await fundedAccount("1");
    const oldId = `gen-${Date.now()}-beforeversions`;
    await toUnversionedSchema(accountId, generationBeforeVersions(oldId, hash));
    await restart(accountId);

    const version = await runInDurableObject(accountStub(env, accountId), (_instance, state) =>
      state.storage.sql.exec<{ version: number }>("SELECT version FROM schema_version").one(),
    );
    expect(version.version).toBe(SCHEMA_VERSION);
    expect(await generation(key, oldId)).toMatchObject({
      id: oldId,
      apiType: "completions",
      model: "openai/gpt-4o-mini",
      upstreamId: "chatcmpl-old",
      streamed: true,
      tokensPrompt: 11,
      tokensCompletion: 7,
      totalCost: 0.000004321,
      latency: 90,
      generationTime: 300,
      httpReferer: "https://old.example",
    });

    // The migrated object settles new generations with their kind.
    const embedded = (await (
      await gatewayFetch(`${BASE}/embeddings`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "openai/text-embedding-3-small", input: "after the migration" }),
      })
    ).json()) as { id: string };
    const chatted = (await (
      await chat(key, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "after the migration" }] })
    ).json()) as { id: string };
    expect((await generation(key, embedded.id)).apiType).toBe("embeddings");
    expect((await generation(key, chatted.id)).apiType).toBe("completions");

    // Code from before the column (a deploy rolled back) settles without it: the settlement
    // lands, and reads as what that code would have said.
    const rolledBackId = `gen-${Date.now()}-rolledback`;
    await runInDurableObject(accountStub(env, accountId), (_instance, state) =>
      settleAsBefore(state.storage.sql, generationBeforeVersions(rolledBackId, hash)),
    );
    expect(await generation(key, rolledBackId)).toMatchObject({ apiType: "completions", latency: 90 });

    // The books still add up, the old generations' charges included.
    const books = await audit(accountId);
    expect(books.generationCostSum).toBe(books.totals.usageNanos);
    expect(books.keyUsageSum).toBe(books.totals.usageNanos);
    expect(books.totals.creditsNanos).toBe(1_000_000_000);
  });
});
