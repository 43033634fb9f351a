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
const asNumber = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

/** Usage as OpenAI reports it (compatible providers may omit details or the object itself). */
export function mapOpenAIUsage(raw: unknown): Usage | undefined {
  const usage = asRecord(raw);
  const prompt = asNumber(usage.prompt_tokens);
  const completion = asNumber(usage.completion_tokens);
  if (prompt === undefined || completion === undefined) return undefined;
  const out: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: asNumber(usage.total_tokens) ?? prompt + completion,
  };
  const promptDetails = asRecord(usage.prompt_tokens_details);
  const cached = asNumber(promptDetails.cached_tokens) ?? asNumber(usage.prompt_cache_hit_tokens);
  const cacheWrite = asNumber(promptDetails.cache_write_tokens);
  if (cached !== undefined || cacheWrite !== undefined) {
    out.prompt_tokens_details = {
      ...(cached !== undefined ? { cached_tokens: cached } : {}),
      ...(cacheWrite !== undefined ? { cache_write_tokens: cacheWrite } : {}),
    };
  }
  const reasoning = asNumber(asRecord(usage.completion_tokens_details).reasoning_tokens);
  if (reasoning !== undefined) out.completion_tokens_details = { reasoning_tokens: reasoning };
  return out;
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
    return {
      index: asNumber(choice.index) ?? i,
      message: {
        role: "assistant",
        content: flat.text,
        ...(asString(message.refusal) ? { refusal: asString(message.refusal) } : {}),
        ...(reasoning !== undefined ? { reasoning } : {}),
        ...(Array.isArray(message.reasoning_details)
          ? { reasoning_details: message.reasoning_details as ReasoningDetail[] }
          : {}),
        ...(toolCalls ? { tool_calls: toolCalls } : {}),
      },
      finish_reason: mapOpenAIFinishReason(native, toolCalls !== undefined),
      native_finish_reason: native,
      ...(choice.logprobs ? { logprobs: choice.logprobs } : {}),
    };
  });
  const mapped = mapOpenAIUsage(body.usage);
  const usage = mapped && fixUsage ? fixUsage(mapped) : mapped;
  const passed = PASSTHROUGH_FIELDS.filter((field) => body[field] !== undefined);
  const extra = passed.length > 0 ? Object.fromEntries(passed.map((field) => [field, body[field]])) : undefined;
  return {
    choices,
    ...(usage ? { usage } : {}),
    system_fingerprint: asString(body.system_fingerprint) ?? null,
    ...(extra ? { extra } : {}),
  };
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
        if (Array.isArray(delta.tool_calls)) {
          withToolCalls.add(index);
          let indexes = toolIndexes.get(index);
          if (!indexes) {
            indexes = { next: 0, last: -1, byId: new Map() };
            toolIndexes.set(index, indexes);
          }
          normaliseToolCallDeltas(delta.tool_calls as Json[], indexes);
        } else delete delta.tool_calls;
        if (choice.logprobs === null) delete choice.logprobs;
        const native = asString(choice.finish_reason) ?? null;
        // A choice the provider ended in error, with no error object to say so: a failed stream
        // (an error chunk, or failover before the first token), not an answer that looks finished.
        if (native === "error") throw new UpstreamStreamError("the provider ended the answer with an error");
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

/** One choice's tool-call numbering: the next index to open, the last one used, indexes by id. */
interface ToolIndexes {
  next: number;
  last: number;
  byId: Map<string, number>;
}

/**
 * Compatible providers stream tool calls loosely (Mistral, Groq, Ollama send each call whole,
 * without `index` or `type`, possibly one call per chunk): every delta leaves here with an index
 * and, when it opens a call, its type, as OpenAI clients expect. Numbering runs across the whole
 * stream: a delta without index but with an id not seen before opens the next index, one with a
 * known id keeps that call's, and one without id continues the last call.
 */
function normaliseToolCallDeltas(calls: Json[], indexes: ToolIndexes): void {
  for (let i = 0; i < calls.length; i++) {
    const call = asRecord(calls[i]);
    calls[i] = call;
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
    if (call.id !== undefined && call.type === undefined) call.type = "function";
  }
}
