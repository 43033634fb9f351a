import type { ReasoningDetail, ToolCall } from "../../schema/chat";
import type {
  ChatChunkOut,
  ChatCompletionOut,
  ChoiceOut,
  ChunkChoiceOut,
  FinishReason,
  StreamMapper,
  Usage,
} from "../types";
import { plainContentChunk } from "./plain-chunk";

/**
 * OpenAI's own finish reasons pass through; legacy and compatible-provider ones are mapped. A
 * turn with tool calls that says "stop" (OpenAI does with a named tool_choice) or nothing is a
 * tool turn; "length" or "content_filter" stay, since they tell the client the calls were cut
 * short or filtered (their arguments may not be whole JSON).
 */
export function mapOpenAIFinishReason(reason: string | null | undefined, hasToolCalls = false): FinishReason | null {
  const mapped = reason === null || reason === undefined ? null : mapReason(reason);
  return hasToolCalls && (mapped === "stop" || mapped === null) ? "tool_calls" : mapped;
}

function mapReason(reason: string): FinishReason {
  switch (reason) {
    case "stop":
    case "length":
    case "tool_calls":
    case "content_filter":
    case "error":
      return reason;
    case "function_call":
      return "tool_calls";
    case "eos":
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_length":
      return "length";
    default:
      return "stop";
  }
}

type Json = Record<string, unknown>;
const asRecord = (value: unknown): Json => (value && typeof value === "object" ? (value as Json) : {});
const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
/** A count or amount a reply reports, when it is a finite number (replies are not trusted). */
export const asNumber = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

/** Usage as OpenAI reports it (compatible providers may omit details or the object itself). */
export function mapOpenAIUsage(raw: unknown): Usage | undefined {
  const usage = asRecord(raw);
  const prompt = asNumber(usage.prompt_tokens);
  const completion = asNumber(usage.completion_tokens);
  if (prompt === undefined || completion === undefined) return undefined;
  const promptDetails = asRecord(usage.prompt_tokens_details);
  const cached = asNumber(promptDetails.cached_tokens) ?? asNumber(usage.prompt_cache_hit_tokens);
  const cacheWrite = asNumber(promptDetails.cache_write_tokens);
  const reasoning = asNumber(asRecord(usage.completion_tokens_details).reasoning_tokens);
  // One literal, what a provider did not count undefined (see hot-shapes.ts).
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: asNumber(usage.total_tokens) ?? prompt + completion,
    prompt_tokens_details:
      cached !== undefined || cacheWrite !== undefined
        ? { cached_tokens: cached, cache_write_tokens: cacheWrite }
        : undefined,
    completion_tokens_details: reasoning !== undefined ? { reasoning_tokens: reasoning } : undefined,
    billed_apart: billedApart(usage),
  };
}

/**
 * Perplexity's counts beside prompt and completion: `citation_tokens` (search results read),
 * top-level `reasoning_tokens` (Deep Research's reasoning over them, not the answer's CoT) and
 * `num_search_queries`. Its total is prompt + completion alone: these are on top, billed apart.
 */
function billedApart(usage: Json): Usage["billed_apart"] {
  const citation = asNumber(usage.citation_tokens);
  const searches = asNumber(usage.num_search_queries);
  // A top-level `reasoning_tokens` counts apart only beside Perplexity's search counts: another
  // OpenAI-compatible provider reporting one there may have it within completion_tokens, and
  // charging it again at `internal_reasoning` would bill the reasoning twice.
  const reasoning = citation || searches ? asNumber(usage.reasoning_tokens) : undefined;
  if (!citation && !reasoning && !searches) return undefined;
  return {
    ...(citation ? { citation_tokens: citation } : {}),
    ...(reasoning ? { reasoning_tokens: reasoning } : {}),
    ...(searches ? { web_searches: searches } : {}),
  };
}

/** Reasoning text: OpenRouter-style `reasoning`, or DeepSeek/vLLM-style `reasoning_content`. */
function reasoningText(message: Json): string | undefined {
  return asString(message.reasoning) ?? asString(message.reasoning_content);
}

function mapToolCalls(raw: unknown): ToolCall[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  return raw.map((call, i) => {
    const record = asRecord(call);
    const fn = asRecord(record.function);
    return {
      id: asString(record.id) ?? `call_${i}`,
      type: "function" as const,
      function: { name: asString(fn.name) ?? "", arguments: asString(fn.arguments) ?? "" },
    };
  });
}

/** Top-level reply fields some compatible providers add and clients read (Perplexity's sources). */
const PASSTHROUGH_FIELDS = ["citations", "search_results", "images"] as const;

/** Mistral's reasoning models send content as parts: text parts are the answer, thinking parts reasoning. */
function flattenContent(content: unknown): { text: string | null; reasoning?: string } {
  if (typeof content === "string" || content === null || content === undefined) return { text: content ?? null };
  if (!Array.isArray(content)) return { text: null };
  let text = "";
  let reasoning = "";
  for (const part of content as Json[]) {
    if (part.type === "text" && typeof part.text === "string") text += part.text;
    else if (part.type === "thinking") {
      const inner = Array.isArray(part.thinking) ? (part.thinking as Json[]) : [];
      for (const piece of inner) if (typeof piece.text === "string") reasoning += piece.text;
    }
  }
  return reasoning ? { text, reasoning } : { text };
}

export function parseOpenAIChatResponse(raw: unknown, fixUsage?: (usage: Usage) => Usage): ChatCompletionOut {
  const body = asRecord(raw);
  const choices: ChoiceOut[] = (Array.isArray(body.choices) ? body.choices : []).map((c, i) => {
    const choice = asRecord(c);
    const message = asRecord(choice.message);
    const toolCalls = mapToolCalls(message.tool_calls);
    const flat = flattenContent(message.content);
    const reasoning = reasoningText(message) ?? flat.reasoning;
    const native = asString(choice.finish_reason) ?? null;
    // Fields a reply may lack are undefined (JSON leaves them out), not spread in: one hidden
    // class for every choice (see hot-shapes.ts).
    return {
      index: asNumber(choice.index) ?? i,
      message: {
        role: "assistant",
        content: flat.text,
        refusal: asString(message.refusal) || undefined,
        reasoning,
        reasoning_details: Array.isArray(message.reasoning_details)
          ? (message.reasoning_details as ReasoningDetail[])
          : undefined,
        tool_calls: toolCalls,
      },
      finish_reason: mapOpenAIFinishReason(native, toolCalls !== undefined),
      native_finish_reason: native,
      logprobs: choice.logprobs || undefined,
    };
  });
  const mapped = mapOpenAIUsage(body.usage);
  const usage = mapped && fixUsage ? fixUsage(mapped) : mapped;
  const passed = PASSTHROUGH_FIELDS.filter((field) => body[field] !== undefined);
  const extra = passed.length > 0 ? Object.fromEntries(passed.map((field) => [field, body[field]])) : undefined;
  return { choices, usage, system_fingerprint: asString(body.system_fingerprint) ?? null, extra };
}

/** An upstream stream that reported an error inside the body (after HTTP 200). */
export class UpstreamStreamError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "UpstreamStreamError";
  }
}

/**
 * Maps OpenAI-format SSE events to chunks; `[DONE]` marks the natural end. This runs once per
 * streamed token, so it normalises the parsed chunk in place instead of rebuilding it.
 */
export function createOpenAIStreamMapper(fixUsage?: (usage: Usage) => Usage): StreamMapper {
  let done = false;
  /** Choices whose tool calls were seen, so their "stop" is reported as "tool_calls". */
  const withToolCalls = new Set<number>();
  /** Per choice, the tool-call numbering across the stream (for deltas that carry no index). */
  const toolIndexes = new Map<number, ToolIndexes>();
  return {
    get done() {
      return done;
    },
    map(event) {
      if (event.data === "[DONE]") {
        done = true;
        return [];
      }
      const plain = plainContentChunk(event.data);
      if (plain) {
        const choices: ChunkChoiceOut[] = [{ index: 0, delta: { content: plain.content }, finish_reason: null }];
        return [{ choices, serializedChoices: plain.serializedChoices }];
      }
      const chunk = asRecord(JSON.parse(event.data));
      if (chunk.error !== undefined && chunk.error !== null) {
        const { message, code } = asRecord(chunk.error);
        throw new UpstreamStreamError(asString(message) ?? "upstream stream error", asString(code));
      }
      const choices = (Array.isArray(chunk.choices) ? chunk.choices : []) as Json[];
      for (let i = 0; i < choices.length; i++) {
        const choice = asRecord(choices[i]);
        choices[i] = choice;
        const index = asNumber(choice.index) ?? i;
        choice.index = index;
        const delta = asRecord(choice.delta);
        choice.delta = delta;
        if (delta.reasoning_content !== undefined) {
          if (typeof delta.reasoning_content === "string") delta.reasoning = delta.reasoning_content;
          delete delta.reasoning_content;
        }
        if (delta.content === null) delete delta.content;
        else if (Array.isArray(delta.content)) {
          const flat = flattenContent(delta.content);
          delta.content = flat.text ?? "";
          if (flat.reasoning) delta.reasoning = flat.reasoning;
        }
        if (delta.refusal === null) delete delta.refusal;
        const native = asString(choice.finish_reason) ?? null;
        // Looked up only for a chunk with tool calls or a finish: every token of a plain answer
        // passes here, and pays for nothing of it.
        let toolDeltas: Json[] | undefined;
        if (Array.isArray(delta.tool_calls)) {
          withToolCalls.add(index);
          let indexes = toolIndexes.get(index);
          if (!indexes) {
            indexes = { next: 0, last: -1, byId: new Map(), opened: new Set(), unnamed: new Map() };
            toolIndexes.set(index, indexes);
          }
          toolDeltas = normaliseToolCallDeltas(delta.tool_calls as Json[], indexes);
        }
        const calls = native !== null ? toolIndexes.get(index) : undefined;
        if (calls) toolDeltas = [...(toolDeltas ?? []), ...releaseUnnamed(calls)];
        if (toolDeltas !== undefined && toolDeltas.length > 0) delta.tool_calls = toolDeltas;
        else delete delta.tool_calls;
        if (choice.logprobs === null) delete choice.logprobs;
        // A choice the provider ended in error (`finish_reason: "error"`, no error object) goes out
        // as an error finish, as every format's does: the relay fails the stream at the provider's
        // end, with the usage chunk that follows the finish (thrown here, that usage was lost and
        // the stream charged an estimate, without a provider code).
        // Only the chunk that finishes is promoted: chunks before it keep finish_reason null.
        choice.finish_reason = mapOpenAIFinishReason(native, native !== null && withToolCalls.has(index));
        if (native !== null) choice.native_finish_reason = native;
      }
      // Groq puts the final usage under x_groq when the top-level one is absent.
      const mapped = mapOpenAIUsage(chunk.usage ?? asRecord(chunk.x_groq).usage);
      const usage = mapped && fixUsage ? fixUsage(mapped) : mapped;
      return [{ choices: choices as unknown as ChunkChoiceOut[], ...(usage ? { usage } : {}) } satisfies ChatChunkOut];
    },
  };
}

/** One choice's tool calls: their numbering (next index, last one used, indexes by id) and openings. */
interface ToolIndexes {
  next: number;
  last: number;
  byId: Map<string, number>;
  /** Calls whose opening (id, type, name) went out: their later deltas carry arguments only. */
  opened: Set<number>;
  /** Calls seen without a name yet: the id and arguments they brought, held until it comes. */
  unnamed: Map<number, { id?: string; arguments: string }>;
}

/**
 * Compatible providers stream tool calls loosely (Mistral, Groq, Ollama send each call whole,
 * without `index` or `type`, possibly one call per chunk; others repeat id and name on every
 * delta, send them as null, or send the name after the id): every delta leaves here as OpenAI's
 * would. Numbering runs across the whole stream: a delta without index but with an id not seen
 * before opens the next index, one with a known id keeps that call's, and one without id
 * continues the last call. Returns the deltas to relay (a delta bringing nothing new has none).
 */
function normaliseToolCallDeltas(calls: Json[], indexes: ToolIndexes): Json[] {
  const relayed: Json[] = [];
  for (const raw of calls) {
    const call = asRecord(raw);
    const id = asString(call.id);
    if (typeof call.index !== "number") {
      const known = id !== undefined ? indexes.byId.get(id) : undefined;
      if (known !== undefined) call.index = known;
      else if (id === undefined && indexes.last >= 0) call.index = indexes.last;
      else call.index = indexes.next;
    }
    const at = call.index as number;
    if (id !== undefined && !indexes.byId.has(id)) indexes.byId.set(id, at);
    indexes.last = at;
    indexes.next = Math.max(indexes.next, at + 1);
    const delta = clientToolDelta(at, id, asRecord(call.function), indexes);
    if (delta) relayed.push(delta);
  }
  return relayed;
}

/**
 * What a client is sent for one upstream tool-call delta. Clients take the first delta of an index
 * as the call's opening and want its id, type "function" and name there, and only argument
 * fragments after (the AI SDK provider throws on an opening without type or name; @openrouter/sdk
 * rejects a chunk whose id, type, name or arguments is null): so the opening waits for the name,
 * holding what came before it, and repeats are dropped.
 */
function clientToolDelta(index: number, id: string | undefined, fn: Json, indexes: ToolIndexes): Json | null {
  const fragment = asString(fn.arguments) ?? "";
  if (indexes.opened.has(index)) return fragment ? { index, function: { arguments: fragment } } : null;
  const held = indexes.unnamed.get(index);
  const callId = held?.id ?? id;
  const args = (held?.arguments ?? "") + fragment;
  const name = asString(fn.name);
  if (!name) {
    indexes.unnamed.set(index, { ...(callId !== undefined ? { id: callId } : {}), arguments: args });
    return null;
  }
  indexes.unnamed.delete(index);
  return openingDelta(index, callId, name, args, indexes);
}

/** A finished choice's calls that never got a name go out as they are, rather than not at all. */
function releaseUnnamed(indexes: ToolIndexes): Json[] {
  const released = [...indexes.unnamed.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, held]) => openingDelta(index, held.id, "", held.arguments, indexes));
  indexes.unnamed.clear();
  return released;
}

function openingDelta(index: number, id: string | undefined, name: string, args: string, indexes: ToolIndexes): Json {
  indexes.opened.add(index);
  return { index, ...(id !== undefined ? { id } : {}), type: "function", function: { name, arguments: args } };
}
