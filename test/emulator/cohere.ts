import type { Fault } from "./directives";
import type { WireFormat } from "./format";
import { chunkString, generateReply, type NeutralRequest } from "./generate";
import { embeddingVector } from "./openai";
import type { Script } from "./script";
import { countTokens } from "./tokens";

/**
 * Cohere's v2 API (`POST …/v2/chat`, `POST …/v2/embed`): Bearer auth, content as typed items,
 * tool calls with `tool_plan`, `event:`-named SSE ending with `message-end`, billed units and
 * tokens in usage, and Cohere's `{id, message}` error bodies (498 for an invalid token).
 */
type Json = Record<string, any>;

const FINISH: Record<string, string> = { stop: "COMPLETE", length: "MAX_TOKENS", tool_calls: "TOOL_CALL" };
/** Cohere refuses a request with more stop sequences than this (a 400), as its API does. */
const MAX_STOP_SEQUENCES = 5;
/** Cohere's prompt scaffolding: `tokens.input_tokens` counts it, `billed_units` does not. */
const SCAFFOLDING_TOKENS = 400;

function errorScript(status: number, code: string | undefined, retryAfter: number | undefined): Script {
  const message =
    code === "context_length_exceeded"
      ? "too many tokens: total number of tokens in the prompt cannot exceed 256000 - received 300000. Try using a shorter prompt"
      : code === "content_policy_violation"
        ? "blocked output: the response was blocked by the safety filter"
        : status === 401 || status === 498
          ? "invalid api token"
          : status === 429
            ? "You are using a Trial key, which is limited to 10 API calls / minute."
            : `Emulated error ${status}${code ? ` (${code})` : ""}`;
  return {
    status,
    headers: {
      "content-type": "application/json",
      ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}),
    },
    body: JSON.stringify({ id: "emulated-error-id", message }),
  };
}

function textOf(content: unknown): { text: string; images: number } {
  if (typeof content === "string") return { text: content, images: 0 };
  let text = "";
  let images = 0;
  for (const item of (Array.isArray(content) ? content : []) as Json[]) {
    if (item.type === "text") text += item.text ?? "";
    else if (item.type === "image_url") images++;
    else if (item.type === "document") text += JSON.stringify(item.document ?? "");
  }
  return { text, images };
}

function neutral(body: Json): NeutralRequest {
  const format = body.response_format as Json | undefined;
  return {
    model: String(body.model ?? ""),
    messages: ((body.messages ?? []) as Json[]).map((m) => {
      const { text, images } = textOf(m.content ?? m.tool_plan ?? "");
      const calls = ((m.tool_calls ?? []) as Json[]).map((c) => c.function?.arguments ?? "").join("");
      return { role: String(m.role), text: text + calls, images };
    }),
    maxTokens: body.max_tokens,
    n: 1,
    stop: Array.isArray(body.stop_sequences) ? body.stop_sequences : [],
    tools: ((body.tools ?? []) as Json[]).map((t) => ({
      name: String(t.function?.name),
      parameters: t.function?.parameters,
    })),
    toolChoice: body.tool_choice === "REQUIRED" ? "required" : body.tool_choice === "NONE" ? "none" : "auto",
    parallelToolCalls: true,
    json:
      format?.type === "json_object"
        ? format.json_schema
          ? { kind: "schema", schema: format.json_schema }
          : { kind: "object" }
        : null,
    reasoning: body.thinking?.type === "enabled",
  };
}

/** Cohere's own validation of what it does not take. */
function rejection(body: Json): Script | undefined {
  const invalid = (message: string) => ({
    status: 400,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id: "emulated-error-id", message }),
  });
  for (const field of [
    "n",
    "logit_bias",
    "top_logprobs",
    "parallel_tool_calls",
    "user",
    "top_p",
    "top_k",
    "stop",
    "seed_value",
  ]) {
    if (body[field] !== undefined)
      return invalid(`invalid request: unknown field: parameter ${field} is not a valid field`);
  }
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > MAX_STOP_SEQUENCES) {
    return invalid(
      `invalid request: stop_sequences must contain at most ${MAX_STOP_SEQUENCES} items, got ${body.stop_sequences.length}`,
    );
  }
  if (body.response_format?.type === "json_object" && Array.isArray(body.tools) && body.tools.length > 0) {
    return invalid("invalid request: response_format is not supported with tools or documents");
  }
  if (body.tool_choice !== undefined && !["REQUIRED", "NONE"].includes(body.tool_choice)) {
    return invalid("invalid request: tool_choice must be one of REQUIRED, NONE");
  }
  for (const name of ["frequency_penalty", "presence_penalty"]) {
    if (body[name] !== undefined && (body[name] < 0 || body[name] > 1))
      return invalid(`invalid request: ${name} must be between 0 and 1`);
  }
  return undefined;
}

let counter = 0;
const toolId = (name: string) => `${name}_${(++counter).toString(36).padStart(12, "x").slice(-12)}`;

function chatScript(body: Json, provider: string, fault: Fault): Script {
  const refused = rejection(body);
  if (refused) return refused;
  const request = neutral(body);
  const reply = generateReply(request, provider, fault);
  const choice = reply.choices[0];
  if (!choice) return errorScript(500, undefined, undefined);
  const calls = choice.toolCalls.map((c) => ({
    id: toolId(c.name),
    type: "function",
    function: { name: c.name, arguments: c.arguments },
  }));
  const finish = fault.error_finish ?? FINISH[choice.finish] ?? "COMPLETE";
  // Cohere's message-end may say what went wrong beside an ERROR finish.
  const failure = finish === "ERROR" ? { error: "internal error: the model failed to generate a response" } : {};
  const usage = {
    billed_units: { input_tokens: reply.promptTokens, output_tokens: reply.completionTokens },
    tokens: { input_tokens: reply.promptTokens + SCAFFOLDING_TOKENS, output_tokens: reply.completionTokens },
    // Served from Cohere's cache: its scaffolding, counted in `tokens` (so more than billed units).
    cached_tokens: SCAFFOLDING_TOKENS,
  };
  const id = `emulated-${Date.now().toString(36)}-${(++counter).toString(36)}`;
  const plan = calls.length > 0 ? `I will use the ${calls[0]?.function.name} tool.` : undefined;
  if (!body.stream) {
    const content: Json[] = [];
    if (choice.reasoning) content.push({ type: "thinking", thinking: choice.reasoning });
    if (calls.length === 0) content.push({ type: "text", text: choice.text });
    return {
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id,
        message: { role: "assistant", content, ...(calls.length > 0 ? { tool_plan: plan, tool_calls: calls } : {}) },
        finish_reason: finish,
        usage,
      }),
    };
  }
  const frames: string[] = [];
  const send = (type: string, data: Json) =>
    frames.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send("message-start", {
    id,
    delta: { message: { role: "assistant", content: [], tool_plan: "", tool_calls: [], citations: [] } },
  });
  let index = 0;
  if (choice.reasoning) {
    send("content-start", { index, delta: { message: { content: { type: "thinking", thinking: "" } } } });
    for (const piece of chunkString(choice.reasoning, 12))
      send("content-delta", { index, delta: { message: { content: { thinking: piece } } } });
    send("content-end", { index });
    index++;
  }
  if (calls.length > 0) {
    send("tool-plan-delta", { delta: { message: { tool_plan: plan } } });
    calls.forEach((call, i) => {
      send("tool-call-start", {
        index: i,
        delta: { message: { tool_calls: { ...call, function: { name: call.function.name, arguments: "" } } } },
      });
      for (const piece of chunkString(call.function.arguments, 6))
        send("tool-call-delta", { index: i, delta: { message: { tool_calls: { function: { arguments: piece } } } } });
      send("tool-call-end", { index: i });
    });
  } else {
    send("content-start", { index, delta: { message: { content: { type: "text", text: "" } } } });
    for (const piece of choice.pieces)
      send("content-delta", { index, delta: { message: { content: { text: piece } } } });
    send("content-end", { index });
  }
  return {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    frames,
    terminator: [
      `event: message-end\ndata: ${JSON.stringify({ type: "message-end", delta: { finish_reason: finish, ...failure, usage } })}\n\n`,
    ],
    malformedFrame: 'event: content-delta\ndata: {"type":"content-delta","index":0,"delta":{"message":{"cont\n\n',
  };
}

function embedScript(body: Json): Script {
  const texts: string[] = Array.isArray(body.texts) ? body.texts.map(String) : [];
  if (texts.length === 0 || typeof body.input_type !== "string") {
    return {
      status: 400,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "emulated-error-id", message: "invalid request: texts and input_type are required" }),
    };
  }
  // Cohere's own limits: 96 texts per call; embed-v4.0's output sizes.
  const refusal =
    texts.length > 96
      ? `invalid request: texts must contain at most 96 items, got ${texts.length}`
      : body.output_dimension !== undefined && ![256, 512, 1024, 1536].includes(body.output_dimension)
        ? "invalid request: output_dimension must be one of [256, 512, 1024, 1536]"
        : undefined;
  if (refusal) {
    return {
      status: 400,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "emulated-error-id", message: refusal }),
    };
  }
  const dimensions = typeof body.output_dimension === "number" ? body.output_dimension : 8;
  const tokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id: `emulated-embed-${(++counter).toString(36)}`,
      embeddings: { float: texts.map((text) => embeddingVector(text, dimensions)) },
      texts,
      meta: { api_version: { version: "2" }, billed_units: { input_tokens: tokens } },
      response_type: "embeddings_by_type",
    }),
  };
}

/** How relevant a document is to a query: the share of the query's words it has (deterministic). */
export function relevance(query: string, document: string): number {
  const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const wanted = new Set(words(query));
  if (wanted.size === 0) return 0;
  const present = new Set(words(document));
  let hits = 0;
  for (const word of wanted) if (present.has(word)) hits++;
  // A shorter document with the same hits ranks higher, so ties are rare and stable.
  return Math.round((hits / wanted.size) * 0.98 * 1e6 + 1e4 / (10 + document.length)) / 1e6;
}

/**
 * `POST /v2/rerank`: `{model, query, documents: string[], top_n?}` ⇒ results by relevance (no
 * documents in v2) with `meta.billed_units.search_units`: one unit per 100 documents, a document
 * over 500 tokens with the query counting once per 500-token chunk. Refuses what Cohere refuses:
 * an empty query, no documents, more than 1,000 documents, a non-positive top_n, an unknown field.
 */
const RERANK_FIELDS = new Set(["model", "query", "documents", "top_n", "max_tokens_per_doc", "return_documents"]);

function rerankScript(body: Json, fault: Fault): Script {
  // Cohere's v2 refuses a field it does not know with a 422 that names it.
  const unknown = Object.keys(body).find((field) => !RERANK_FIELDS.has(field));
  if (unknown) {
    return {
      status: 422,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: "emulated-error-id",
        message: `unknown field: parameter '${unknown}' is not a valid field. For proper usage, please refer to https://docs.cohere.com/reference/rerank`,
      }),
    };
  }
  const query = typeof body.query === "string" ? body.query : "";
  const documents: unknown[] = Array.isArray(body.documents) ? body.documents : [];
  const refusal =
    typeof body.model !== "string" || body.model === ""
      ? "invalid request: model is required"
      : query.trim() === ""
        ? "invalid request: query must not be empty"
        : documents.length === 0
          ? "invalid request: documents must not be empty"
          : documents.length > 1000
            ? `invalid request: documents must contain at most 1000 items, got ${documents.length}`
            : documents.some((d) => typeof d !== "string")
              ? "invalid request: documents must be strings"
              : body.top_n !== undefined && !(Number.isInteger(body.top_n) && body.top_n > 0)
                ? "invalid request: top_n must be a positive integer"
                : undefined;
  if (refusal) {
    return {
      status: 400,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "emulated-error-id", message: refusal }),
    };
  }
  const texts = documents as string[];
  const queryTokens = countTokens(query);
  const chunks = texts.reduce((sum, text) => sum + Math.max(1, Math.ceil((countTokens(text) + queryTokens) / 500)), 0);
  const ranked = texts
    .map((text, index) => ({ index, relevance_score: relevance(query, text) }))
    .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
  if (fault.stray_result && ranked[0]) ranked[0].index = texts.length;
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id: `emulated-rerank-${(++counter).toString(36)}`,
      results: typeof body.top_n === "number" ? ranked.slice(0, body.top_n) : ranked,
      meta: { api_version: { version: "2" }, billed_units: { search_units: Math.ceil(chunks / 100) } },
    }),
  };
}

export const cohereFormat: WireFormat = {
  name: "cohere",
  matches: (rest, method) => method === "POST" && /\/v2\/(chat|embed|rerank)$/.test(rest),
  authorized: (headers) => /^Bearer\s+\S+/i.test(headers.authorization ?? ""),
  error: errorScript,
  handle: ({ rest, body, provider, fault }) =>
    rest.endsWith("/v2/embed")
      ? embedScript(body)
      : rest.endsWith("/v2/rerank")
        ? rerankScript(body, fault)
        : chatScript(body, provider, fault),
};
