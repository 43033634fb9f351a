import type { ApiType, GenerationRecord } from "./contract";

interface GenerationRow extends Record<string, SqlStorageValue> {
  id: string;
  key_hash: string;
  created_at: number;
  model: string;
  provider_name: string;
  upstream_id: string | null;
  streamed: number;
  cancelled: number;
  finish_reason: string | null;
  native_finish_reason: string | null;
  tokens_prompt: number;
  tokens_completion: number;
  native_tokens_prompt: number;
  native_tokens_completion: number;
  native_tokens_reasoning: number;
  native_tokens_cached: number;
  usage_estimated: number;
  cost_nanos: number;
  latency_ms: number;
  generation_time_ms: number;
  app_referer: string | null;
  app_title: string | null;
  user: string | null;
  /**
   * Written from an ApiType. Rows from before the column read as its default, "completions"; a
   * NULL is a settlement by code from before it (a rolled-back deploy: see sql-schema.ts).
   */
  api_type: ApiType | null;
  /**
   * 0 when the generation had no first token (a stream failed or left before it): its latency is
   * unknown and latency_ms holds 0. Rows from before the column read as its default, 1; a NULL
   * is a settlement by code from before it, which always had a latency.
   */
  latency_known: number | null;
  /** The id of the preset the request named; NULL for none (and for rows from before the column). */
  preset_id: string | null;
  /** Rows from before the columns read as their default, 0; a NULL (code from before them) as 0 too. */
  native_tokens_completion_images: number | null;
  num_media_completion: number | null;
  /** The request's session and x-request-id; NULL for none, and for rows from before the columns. */
  session_id: string | null;
  request_id: string | null;
}

const int = (n: number) => Math.max(0, Math.round(Number.isFinite(n) ? n : 0));

/** The generations table's columns, in the order generationValues gives their values. */
export const GENERATION_COLUMNS = [
  "id",
  "key_hash",
  "created_at",
  "model",
  "provider_name",
  "upstream_id",
  "streamed",
  "cancelled",
  "finish_reason",
  "native_finish_reason",
  "tokens_prompt",
  "tokens_completion",
  "native_tokens_prompt",
  "native_tokens_completion",
  "native_tokens_reasoning",
  "native_tokens_cached",
  "usage_estimated",
  "cost_nanos",
  "latency_ms",
  "generation_time_ms",
  "app_referer",
  "app_title",
  "user",
  "api_type",
  "latency_known",
  "preset_id",
  "native_tokens_completion_images",
  "num_media_completion",
  "session_id",
  "request_id",
] as const satisfies ReadonlyArray<keyof GenerationRow>;

/** A generation log entry's row values, in GENERATION_COLUMNS order; `costNanos` must be what was charged. */
export function generationValues(record: GenerationRecord): SqlStorageValue[] {
  return [
    record.id,
    record.keyHash,
    record.createdAt,
    record.model,
    record.providerName,
    record.upstreamId,
    record.streamed ? 1 : 0,
    record.cancelled ? 1 : 0,
    record.finishReason,
    record.nativeFinishReason,
    int(record.tokensPrompt),
    int(record.tokensCompletion),
    int(record.nativeTokensPrompt),
    int(record.nativeTokensCompletion),
    int(record.nativeTokensReasoning),
    int(record.nativeTokensCached),
    record.usageEstimated ? 1 : 0,
    record.costNanos,
    int(record.latencyMs ?? 0),
    int(record.generationTimeMs),
    record.appReferer,
    record.appTitle,
    record.user,
    record.apiType,
    record.latencyMs === null ? 0 : 1,
    // A settlement kept from before the field (a dead letter: redelivery.ts) has none.
    record.presetId ?? null,
    int(record.nativeTokensCompletionImages ?? 0),
    int(record.numMediaCompletion ?? 0),
    record.sessionId ?? null,
    record.requestId ?? null,
  ];
}

/** A generation row's INSERT, the columns whose bit is set in `zeros` or `nulls` written as 0 or NULL. */
function insertOfShape(zeros: number, nulls: number): string {
  const slots = GENERATION_COLUMNS.map((_, i) => (nulls & (1 << i) ? "NULL" : zeros & (1 << i) ? "0" : "?"));
  return `INSERT INTO generations (${GENERATION_COLUMNS.join(", ")}) VALUES (${slots.join(", ")})`;
}

/** The row's insert with every value bound. */
const INSERT_GENERATION = insertOfShape(0, 0);

/** A shape is two bit masks over the columns: a table of more columns binds every value. */
const SHAPED = GENERATION_COLUMNS.length <= 31;
/** The most row shapes (which values are 0 and which NULL) kept as statements of their own. */
const MAX_ROW_SHAPES = 64;
const rowStatements = new Map<string, string>();

/**
 * Inserts a generation's row (its values in GENERATION_COLUMNS order), its zeros and NULLs written
 * into the statement as literals and only its other values bound. The runtime costs ~0.45 µs a
 * bound value (a row of 30 integers bound: 13–19 µs; the same as literals: 3–4), and a row has a
 * dozen zeros and NULLs (the counts a request did not use, the attribution it did not send).
 * Only 0 and NULL are ever written into the text, never a value the request sent. A statement a
 * shape (most rows share a few); past MAX_ROW_SHAPES a new shape binds everything.
 */
export function insertGenerationRow(sql: SqlStorage, values: readonly SqlStorageValue[]): void {
  if (!SHAPED) {
    sql.exec(INSERT_GENERATION, ...values);
    return;
  }
  let zeros = 0;
  let nulls = 0;
  const bound: SqlStorageValue[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as SqlStorageValue;
    if (value === null) nulls |= 1 << i;
    else if (value === 0) zeros |= 1 << i;
    else bound.push(value);
  }
  const shape = `${zeros}:${nulls}`;
  let statement = rowStatements.get(shape);
  if (statement === undefined && rowStatements.size < MAX_ROW_SHAPES) {
    statement = insertOfShape(zeros, nulls);
    rowStatements.set(shape, statement);
  }
  if (statement === undefined) sql.exec(INSERT_GENERATION, ...values);
  else sql.exec(statement, ...bound);
}

export function readGeneration(sql: SqlStorage, id: string): GenerationRecord | null {
  const row = sql.exec<GenerationRow>("SELECT * FROM generations WHERE id = ?", id).toArray()[0];
  if (!row) return null;
  return {
    id: row.id,
    keyHash: row.key_hash,
    createdAt: row.created_at,
    model: row.model,
    providerName: row.provider_name,
    apiType: row.api_type ?? "completions",
    upstreamId: row.upstream_id,
    streamed: row.streamed === 1,
    cancelled: row.cancelled === 1,
    finishReason: row.finish_reason,
    nativeFinishReason: row.native_finish_reason,
    tokensPrompt: row.tokens_prompt,
    tokensCompletion: row.tokens_completion,
    nativeTokensPrompt: row.native_tokens_prompt,
    nativeTokensCompletion: row.native_tokens_completion,
    nativeTokensReasoning: row.native_tokens_reasoning,
    nativeTokensCached: row.native_tokens_cached,
    nativeTokensCompletionImages: row.native_tokens_completion_images ?? 0,
    numMediaCompletion: row.num_media_completion ?? 0,
    usageEstimated: row.usage_estimated === 1,
    costNanos: row.cost_nanos,
    latencyMs: row.latency_known === 0 ? null : row.latency_ms,
    generationTimeMs: row.generation_time_ms,
    appReferer: row.app_referer,
    appTitle: row.app_title,
    user: row.user,
    presetId: row.preset_id,
    sessionId: row.session_id,
    requestId: row.request_id,
  };
}

/** Sum of every generation's cost: equals the account's usage, to the nano-dollar. */
export function sumGenerationCosts(sql: SqlStorage): number {
  return sql.exec<{ total: number }>("SELECT COALESCE(SUM(cost_nanos), 0) AS total FROM generations").one().total;
}
