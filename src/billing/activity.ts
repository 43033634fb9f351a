import type { Nanos } from "./money";

/**
 * `GET /activity`: an account's generations summed per UTC day, model and provider, read from its
 * generation records. Nothing is kept for it on the request path (a running total per day would
 * be one more row write per settlement); it is summed when asked, over the days asked for only.
 */

export interface ActivityQuery {
  /** The first moment counted (ms, a UTC midnight). */
  since: number;
  /** The first moment not counted (ms, a UTC midnight). */
  until: number;
  /** Only this key's generations. */
  keyHash?: string;
  /** Only generations whose request named this `user`. */
  user?: string;
}

export interface ActivityRow extends Record<string, SqlStorageValue> {
  date: string;
  model: string;
  provider_name: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  usage_nanos: Nanos;
}

/**
 * Generations are written in the order they settle, so their rowids run in nearly the order of
 * their `created_at` (a generation settles within minutes of its start; one kept for redelivery,
 * within the hour). Rows older than this margin before the window are skipped by rowid, so the
 * sum reads the window's rows and not the account's whole history.
 */
const SETTLED_WITHIN_MS = 24 * 3_600_000;

/** The first rowid of a generation created at `at` or later, or null when there is none. */
function firstRowidFrom(sql: SqlStorage, at: number): number | null {
  const bounds = sql
    .exec<{ low: number | null; high: number | null }>("SELECT MIN(rowid) AS low, MAX(rowid) AS high FROM generations")
    .one();
  if (bounds.low === null || bounds.high === null) return null;
  let low = bounds.low;
  let high = bounds.high + 1;
  // Binary search over rowids (gaps are fine: each probe reads the first row at or after it).
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const row = sql
      .exec<{ rowid: number; created_at: number }>(
        "SELECT rowid, created_at FROM generations WHERE rowid >= ? ORDER BY rowid LIMIT 1",
        middle,
      )
      .toArray()[0];
    if (!row || row.created_at >= at) high = middle;
    else low = row.rowid + 1;
  }
  return low > bounds.high ? null : low;
}

export function activityRows(sql: SqlStorage, query: ActivityQuery): ActivityRow[] {
  const from = firstRowidFrom(sql, query.since - SETTLED_WITHIN_MS);
  if (from === null) return [];
  const filters: string[] = [];
  const values: SqlStorageValue[] = [from, query.since, query.until];
  if (query.keyHash !== undefined) {
    filters.push("AND key_hash = ?");
    values.push(query.keyHash);
  }
  if (query.user !== undefined) {
    filters.push("AND user = ?");
    values.push(query.user);
  }
  return sql
    .exec<ActivityRow>(
      `SELECT date(created_at / 1000, 'unixepoch') AS date, model, provider_name,
         COUNT(*) AS requests,
         SUM(tokens_prompt) AS prompt_tokens,
         SUM(tokens_completion) AS completion_tokens,
         SUM(native_tokens_reasoning) AS reasoning_tokens,
         SUM(cost_nanos) AS usage_nanos
       FROM generations
       WHERE rowid >= ? AND created_at >= ? AND created_at < ? ${filters.join(" ")}
       GROUP BY date, model, provider_name
       ORDER BY date DESC, usage_nanos DESC, model, provider_name`,
      ...values,
    )
    .toArray();
}
