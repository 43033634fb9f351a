import { openaiSpeech, openaiTranscription } from "./audio";
import type { Fault } from "./directives";
import { generateReply, type NeutralReply, type NeutralRequest, type NeutralToolCall } from "./generate";
import { providerExtras, providerRejection, providerToolId } from "./openai-quirks";
import { openaiResponses } from "./openai-responses";
import type { Script } from "./script";
import { countTokens, seededFloat } from "./tokens";

/** The OpenAI wire format (and the OpenAI-compatible family): chat, completions, embeddings, audio (audio.ts). */

type Json = Record<string, any>;

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };
const JSON_HEADERS = { "content-type": "application/json" };
const sse = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
const DONE = "data: [DONE]\n\n";
const MALFORMED = 'data: {"id":"chatcmpl-broken","choices":[{"delta":{"content":"oops"\n\n';

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout",
  429: "rate_limit_error",
  500: "server_error",
  503: "server_error",
};

export function openaiError(status: number, code: string | undefined, retryAfter?: number): Script {
  const messages: Record<string, string> = {
    context_length_exceeded:
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
    invalid_api_key: "Incorrect API key provided: emulator-***. You can find your API key at https://example.invalid.",
    rate_limit_exceeded: "Rate limit reached for requests. Please try again later.",
    content_policy_violation: "Your request was rejected as a result of our safety system.",
  };
  const message = (code && messages[code]) ?? `Emulated error ${status}${code ? ` (${code})` : ""}`;
  return {
    status,
    headers: { ...JSON_HEADERS, ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}) },
    body: JSON.stringify({
      error: { message, type: ERROR_TYPES[status] ?? "api_error", param: null, code: code ?? null },
    }),
  };
}

function textOf(content: unknown): { text: string; images: number } {
  if (typeof content === "string") return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: "", images: 0 };
  let text = "";
  let images = 0;
  for (const part of content as Json[]) {
    if (part?.type === "text" && typeof part.text === "string") text += part.text;
    else if (part?.type === "image_url") images++;
  }
  return { text, images };
}

export function neutralFromOpenAIChat(body: Json): NeutralRequest {
  const messages = (Array.isArray(body.messages) ? body.messages : []).map((m: Json) => {
    const { text, images } = textOf(m?.content);
    const calls = Array.isArray(m?.tool_calls)
      ? m.tool_calls.map((c: Json) => c?.function?.arguments ?? "").join(" ")
      : "";
    return { role: String(m?.role ?? "user"), text: calls ? `${text} ${calls}` : text, images };
  });
  const tools = (Array.isArray(body.tools) ? body.tools : []).map((t: Json) => ({
    name: String(t?.function?.name ?? "tool"),
    parameters: t?.function?.parameters,
  }));
  const choice = body.tool_choice;
  const format = body.response_format as Json | undefined;
  return {
    model: String(body.model ?? ""),
    messages,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    n: typeof body.n === "number" ? body.n : 1,
    stop: typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop : [],
    tools,
    toolChoice:
      typeof choice === "object" && choice?.function?.name
        ? { name: String(choice.function.name) }
        : choice === "none" || choice === "required"
          ? choice
          : "auto",
    parallelToolCalls: body.parallel_tool_calls !== false,
    json:
      format?.type === "json_object"
        ? { kind: "object" }
        : format?.type === "json_schema"
          ? { kind: "schema", schema: format.json_schema?.schema }
          : null,
    reasoning: Boolean(body.reasoning_effort || body.reasoning),
  };
}

function usageOf(reply: NeutralReply) {
  return {
    prompt_tokens: reply.promptTokens,
    completion_tokens: reply.completionTokens,
    total_tokens: reply.promptTokens + reply.completionTokens,
    prompt_tokens_details: { cached_tokens: reply.cacheRead, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reply.reasoningTokens, audio_tokens: 0 },
  };
}

/**
 * Chat logprobs of one token, as OpenAI gives them when asked (`logprobs: true`): its logprob and
 * bytes, and the `top` most likely tokens at its position, the sampled one first.
 */
function tokenLogprob(token: string, position: number, top: number) {
  const bytes = (text: string) => [...new TextEncoder().encode(text)];
  const logprob = -Math.abs(seededFloat(token, position)) / 2;
  const alternatives = Array.from({ length: top }, (_, i) => {
    const alt = i === 0 ? token : `${token.trimEnd()}${"~".repeat(i)}`;
    return { token: alt, logprob: logprob - i, bytes: bytes(alt) };
  });
  return { token, logprob, bytes: bytes(token), top_logprobs: alternatives };
}

/** A choice's (or a chunk's) `logprobs`: null unless the request asked for them. */
function logprobsOf(body: Json, pieces: string[], first = 0) {
  if (body.logprobs !== true || pieces.length === 0) return null;
  const top = typeof body.top_logprobs === "number" ? body.top_logprobs : 0;
  return { content: pieces.map((piece, i) => tokenLogprob(piece, first + i, top)), refusal: null };
}

let counter = 0;
const newId = (prefix: string) => `${prefix}-emu${Date.now().toString(36)}${(++counter).toString(36)}`;

export function openaiChat(body: Json, provider: string, fault: Fault): Script {
  const rejection = providerRejection(provider, body);
  if (rejection) return rejection;
  const request = neutralFromOpenAIChat(body);
  const reply = generateReply(request, provider, fault);
  for (const choice of reply.choices) {
    for (const call of choice.toolCalls) call.id = providerToolId(provider, call.id);
  }
  const id = newId("chatcmpl");
  const created = Math.floor(Date.now() / 1000);
  const base = {
    id,
    object: "chat.completion.chunk",
    created,
    model: request.model,
    system_fingerprint: "fp_emulator",
  };
  /** How a choice ends: `error_finish` puts the provider's error finish in its place. */
  const finishOf = (c: NeutralReply["choices"][number]) => fault.error_finish ?? c.finish;
  if (!body.stream) {
    return {
      status: 200,
      headers: JSON_HEADERS,
      body: JSON.stringify({
        id,
        object: "chat.completion",
        created,
        model: request.model,
        system_fingerprint: "fp_emulator",
        ...providerExtras(provider),
        choices: reply.choices.map((c, index) => ({
          index,
          message: {
            role: "assistant",
            content: c.toolCalls.length > 0 || fault.refusal ? null : c.text,
            refusal: fault.refusal ? c.text : null,
            ...(c.reasoning ? { reasoning_content: c.reasoning } : {}),
            ...(c.toolCalls.length > 0
              ? {
                  tool_calls: c.toolCalls.map((t) => ({
                    id: t.id,
                    type: "function",
                    function: { name: t.name, arguments: t.arguments },
                  })),
                }
              : {}),
          },
          logprobs: c.toolCalls.length > 0 || fault.refusal ? null : logprobsOf(body, c.pieces),
          finish_reason: finishOf(c),
        })),
        ...(fault.no_usage ? {} : { usage: usageOf(reply) }),
      }),
    };
  }
  const frames: string[] = [];
  const chunk = (index: number, delta: Json, finish: string | null = null, logprobs: unknown = null) =>
    sse({ ...base, choices: [{ index, delta, logprobs, finish_reason: finish }] });
  reply.choices.forEach((c, index) => {
    frames.push(chunk(index, { role: "assistant", content: c.toolCalls.length > 0 ? null : "" }));
    if (c.reasoning) frames.push(chunk(index, { reasoning_content: c.reasoning }));
    c.pieces.forEach((piece, at) => {
      if (fault.refusal) frames.push(chunk(index, { refusal: piece }));
      else frames.push(chunk(index, { content: piece }, null, logprobsOf(body, [piece], at)));
    });
    if (provider === "mistral" && c.toolCalls.length > 0) {
      // Mistral streams each call whole, without index or type, in the finishing chunk.
      const calls = c.toolCalls.map((t) => ({ id: t.id, function: { name: t.name, arguments: t.arguments } }));
      frames.push(chunk(index, { tool_calls: calls }, finishOf(c)));
      return;
    }
    c.toolCalls.forEach((call, i) => {
      if (fault.quirky_tool_deltas !== undefined) {
        for (const delta of quirkyToolDeltas(call, i, fault.quirky_tool_deltas)) frames.push(chunk(index, delta));
        return;
      }
      frames.push(
        chunk(index, {
          tool_calls: [{ index: i, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
        }),
      );
      const third = Math.ceil(call.arguments.length / 3) || 1;
      for (let at = 0; at < call.arguments.length; at += third) {
        frames.push(
          chunk(index, { tool_calls: [{ index: i, function: { arguments: call.arguments.slice(at, at + third) } }] }),
        );
      }
    });
    frames.push(chunk(index, {}, finishOf(c)));
  });
  if (body.stream_options?.include_usage && !fault.no_usage) {
    frames.push(sse({ ...base, choices: [], usage: usageOf(reply) }));
  }
  return { status: 200, headers: SSE_HEADERS, frames, terminator: [DONE], malformedFrame: MALFORMED };
}

/**
 * One streamed tool call as some OpenAI-compatible providers send it (`quirky_tool_deltas`), its
 * arguments in three fragments: `repeat` (or no value) puts id, type and name on every delta;
 * `null` opens the call as OpenAI does, then sends them as null beside each fragment; `late_name`
 * opens with the id alone and names the function on the next delta, with the first fragment.
 */
function quirkyToolDeltas(call: NeutralToolCall, index: number, variant: string): Json[] {
  const third = Math.ceil(call.arguments.length / 3) || 1;
  const fragments: string[] = [];
  for (let at = 0; at < call.arguments.length; at += third) fragments.push(call.arguments.slice(at, at + third));
  const delta = (fields: Json, fn: Json) => ({ tool_calls: [{ index, ...fields, function: fn }] });
  const whole = { id: call.id, type: "function" };
  switch (variant) {
    case "null":
      return [
        delta(whole, { name: call.name, arguments: "" }),
        ...fragments.map((arguments_) => delta({ id: null, type: null }, { name: null, arguments: arguments_ })),
      ];
    case "late_name":
      return [
        delta({ id: call.id }, { arguments: "" }),
        ...fragments.map((arguments_, i) =>
          i === 0
            ? delta({ type: "function" }, { name: call.name, arguments: arguments_ })
            : delta({}, { arguments: arguments_ }),
        ),
      ];
    default:
      return [
        delta(whole, { name: call.name, arguments: "" }),
        ...fragments.map((arguments_) => delta(whole, { name: call.name, arguments: arguments_ })),
      ];
  }
}

/** Legacy completions: `prompt` in, `choices[].text` out. */
export function openaiCompletions(body: Json, provider: string, fault: Fault): Script {
  const prompts = Array.isArray(body.prompt) ? body.prompt.map(String) : [String(body.prompt ?? "")];
  const request: NeutralRequest = {
    model: String(body.model ?? ""),
    messages: prompts.map((text: string) => ({ role: "user", text, images: 0 })),
    maxTokens: body.max_tokens ?? 16,
    n: typeof body.n === "number" ? body.n : 1,
    stop: typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop : [],
    tools: [],
    toolChoice: "none",
    parallelToolCalls: false,
    json: null,
    reasoning: false,
  };
  const reply = generateReply(request, provider, fault);
  const id = newId("cmpl");
  const created = Math.floor(Date.now() / 1000);
  const usage = {
    prompt_tokens: reply.promptTokens,
    completion_tokens: reply.completionTokens,
    total_tokens: reply.promptTokens + reply.completionTokens,
  };
  if (!body.stream) {
    return {
      status: 200,
      headers: JSON_HEADERS,
      body: JSON.stringify({
        id,
        object: "text_completion",
        created,
        model: request.model,
        choices: reply.choices.map((c, index) => ({ index, text: c.text, logprobs: null, finish_reason: c.finish })),
        usage,
      }),
    };
  }
  const frames: string[] = [];
  const base = { id, object: "text_completion", created, model: request.model };
  reply.choices.forEach((c, index) => {
    for (const piece of c.pieces)
      frames.push(sse({ ...base, choices: [{ index, text: piece, logprobs: null, finish_reason: null }] }));
    frames.push(sse({ ...base, choices: [{ index, text: "", logprobs: null, finish_reason: c.finish }] }));
  });
  if (body.stream_options?.include_usage) frames.push(sse({ ...base, choices: [], usage }));
  return { status: 200, headers: SSE_HEADERS, frames, terminator: [DONE], malformedFrame: MALFORMED };
}

/** Deterministic unit vectors: the same text always embeds the same way. */
export function embeddingVector(text: string, dimensions: number): number[] {
  const raw = Array.from({ length: dimensions }, (_, i) => seededFloat(text, i));
  const norm = Math.sqrt(raw.reduce((s, v) => s + v * v, 0)) || 1;
  return raw.map((v) => v / norm);
}

export function openaiEmbeddings(body: Json, fault: Fault = {}): Script {
  // Texts, or token ids: an array of integers is one input, an array of such arrays several.
  const raw: unknown[] = Array.isArray(body.input) ? body.input : [body.input ?? ""];
  const items = raw.every((item) => typeof item === "number") ? [raw] : raw;
  const inputs: string[] = items.map(String);
  const dimensions = typeof body.dimensions === "number" ? body.dimensions : 8;
  const tokens = items.reduce<number>(
    (sum, item) => sum + (Array.isArray(item) ? item.length : countTokens(String(item))),
    0,
  );
  const data = inputs.map((text, index) => {
    const vector = embeddingVector(text, dimensions);
    const embedding =
      body.encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector;
    return { object: "embedding", index, embedding };
  });
  if (fault.stray_result) data.pop();
  return {
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      object: "list",
      data,
      model: String(body.model ?? ""),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    }),
  };
}

export function openaiModels(provider: string): Script {
  return {
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      object: "list",
      data: [{ id: `${provider}-emulated-model`, object: "model", created: 1700000000, owned_by: provider }],
    }),
  };
}

/** Routes an OpenAI-format path suffix to its handler, or undefined when the path is not this format's. */
export function openaiRoute(
  rest: string,
  method: string,
  body: Json,
  provider: string,
  fault: Fault,
): Script | undefined {
  if (method === "POST" && rest.endsWith("/chat/completions")) return openaiChat(body, provider, fault);
  if (method === "POST" && rest.endsWith("/completions")) return openaiCompletions(body, provider, fault);
  if (method === "POST" && rest.endsWith("/responses")) return openaiResponses(body, fault);
  if (method === "POST" && rest.endsWith("/embeddings")) return openaiEmbeddings(body, fault);
  if (method === "POST" && rest.endsWith("/audio/transcriptions")) return openaiTranscription(body);
  if (method === "POST" && rest.endsWith("/audio/speech")) return openaiSpeech(body);
  if (method === "GET" && rest.endsWith("/models")) return openaiModels(provider);
  return undefined;
}
