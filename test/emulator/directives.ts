/**
 * Fault directives ride in the text of a user message, so they reach the emulator through the
 * gateway untouched: `[[emulate status=500]]` for every emulated provider,
 * `[[emulate@together status=500 times=1]]` for one provider slug only.
 */
export interface Fault {
  /** Anthropic only: its web search tool fails, its result `web_search_tool_result_error` with this `error_code` (not counted). */
  search_error?: string;
  status?: number;
  retry_after?: number;
  code?: string;
  delay_ms?: number;
  ttft_ms?: number;
  chunk_delay_ms?: number;
  cut_after?: number;
  stall_after?: number;
  /** Before frame N, the stream goes quiet for `pause_ms`, then carries on (a provider's hiccup). */
  pause_after?: number;
  pause_ms?: number;
  reset?: boolean;
  no_done?: boolean;
  malformed?: boolean;
  /** The reply reports no usage (some OpenAI-compatible providers send none). */
  no_usage?: boolean;
  /** OpenAI format only: the model refuses, its text in `refusal` (structured outputs), not `content`. */
  refusal?: boolean;
  /**
   * The provider fails with an error text that repeats the caller's credential (Bedrock only: its
   * secret access key and session token), as a careless upstream might: the gateway must clean it.
   */
  echo_credentials?: boolean;
  /**
   * The reply ends with this finish reason of the provider's own format after its `tokens` tokens
   * (0: before any), as a provider reports an answer it failed mid-way: Gemini's `finishReason`
   * (`OTHER`, `MALFORMED_FUNCTION_CALL`), Cohere's `finish_reason` (`ERROR`, `TIMEOUT`), Bedrock's
   * `stopReason` (`malformed_model_output`, `malformed_tool_use`), an OpenAI-compatible
   * provider's `finish_reason` (`error`, as some send for an answer they failed). No tool calls are made.
   */
  error_finish?: string;
  /**
   * OpenAI format only: streamed tool calls in the shapes some OpenAI-compatible providers send:
   * `repeat` (the default) repeats id, type and name on every delta; `null` sends them as null on
   * the later deltas; `late_name` sends the id first and the name on a later delta.
   */
  quirky_tool_deltas?: string;
  tokens?: number;
  /**
   * A reply that does not fit its request, as a broken provider might send: an embeddings reply
   * (OpenAI format) one vector short of its inputs, a rerank reply (Cohere's) whose first result
   * names a document past the last one sent.
   */
  stray_result?: boolean;
  /**
   * The reply's text, exactly (base64url, UTF-8: a directive's value has no spaces or quotes), in
   * place of the generated one, JSON mode or not: a model's malformed JSON, say. Cut to
   * `max_tokens` as any reply is (a token is 8 characters of it).
   */
  content?: string;
  /** The prompt tokens the reply reports (a provider whose tokenizer counts more than the gateway's estimate). */
  prompt_tokens?: number;
  /**
   * Of the prompt's tokens, how many the provider reports read from its cache (`cache_read`) and
   * written to it (`cache_write`), each in its own format's terms: inside OpenAI's prompt_tokens
   * and Gemini's promptTokenCount, beside Anthropic's input_tokens and Bedrock's inputTokens.
   */
  cache_read?: number;
  cache_write?: number;
  /**
   * Of `cache_write`, how many were written for an hour (`cache_control.ttl: "1h"`): Anthropic
   * reports them apart in `usage.cache_creation`, and bills them dearer than 5-minute writes.
   */
  cache_write_1h?: number;
  /**
   * The model calls tools again after their results, until the conversation holds this many
   * turns of results (an agent that searches more than once); without it, results get an answer.
   */
  tool_rounds?: number;
  /** The `query` argument of the model's tool calls, in place of the sampled one (a word: no spaces). */
  query?: string;
  times?: number;
}

export interface Directive {
  raw: string;
  provider: string | undefined;
  fault: Fault;
}

const DIRECTIVE = /\[\[emulate(?:@([a-z0-9-]+))?((?:\s+[a-z][a-z0-9_]*(?:=[\w.-]+)?)*)\s*\]\]/gi;
const FLAGS = new Set(["reset", "no_done", "malformed", "no_usage", "echo_credentials", "refusal", "stray_result"]);
const WORDS = new Set(["code", "error_finish", "quirky_tool_deltas", "content", "query", "search_error"]);

export function parseDirectives(text: string): Directive[] {
  const found: Directive[] = [];
  for (const match of text.matchAll(DIRECTIVE)) {
    const fault: Record<string, number | string | boolean> = {};
    for (const pair of (match[2] ?? "").trim().split(/\s+/).filter(Boolean)) {
      const [key = "", value] = pair.split("=");
      const name = key.toLowerCase();
      if (FLAGS.has(name)) fault[name] = value === undefined ? true : value !== "false" && value !== "0";
      else if (WORDS.has(name)) fault[name] = value ?? "";
      else if (value !== undefined && Number.isFinite(Number(value))) fault[name] = Number(value);
    }
    found.push({ raw: match[0], provider: match[1]?.toLowerCase(), fault: fault as Fault });
  }
  return found;
}

/**
 * The text without its directives (what the model "sees"; a directive never reaches a reply). A
 * directive becomes a space, so one written against a word (a URL) does not run into the next.
 */
export function stripDirectives(text: string): string {
  return text
    .replace(DIRECTIVE, " ")
    .replace(/\s{2,}/g, " ")
    .trim();
}

/** How many times each `times=N` directive has fired, keyed by directive + request text. */
const fired = new Map<string, number>();

/**
 * The fault for this request at this provider: every directive that names no provider or this
 * one, merged in order; a directive with `times=N` stops applying after N matching requests.
 */
export function faultFor(directives: Directive[], provider: string, requestText: string): Fault {
  const merged: Fault = {};
  for (const directive of directives) {
    if (directive.provider !== undefined && directive.provider !== provider) continue;
    const { times, ...fault } = directive.fault;
    if (times !== undefined) {
      const key = `${directive.raw}\u0000${requestText}`;
      const count = fired.get(key) ?? 0;
      if (count >= times) continue;
      fired.set(key, count + 1);
      if (fired.size > 10_000) fired.clear();
    }
    Object.assign(merged, fault);
  }
  return merged;
}
