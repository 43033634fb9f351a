import { type Fault, stripDirectives } from "./directives";
import { sampleFromSchema } from "./schema-sample";
import { countTokens, IMAGE_TOKENS, MESSAGE_OVERHEAD, replyWords } from "./tokens";

/** A request in wire-format-neutral terms: each format module parses into this. */
export interface NeutralRequest {
  model: string;
  messages: Array<{ role: string; text: string; images: number }>;
  maxTokens: number | undefined;
  n: number;
  stop: string[];
  tools: Array<{ name: string; parameters: unknown }>;
  toolChoice: "auto" | "none" | "required" | { name: string };
  parallelToolCalls: boolean;
  json: null | { kind: "object" } | { kind: "schema"; schema: unknown };
  /** Thinking requested (reasoning models): a reasoning text precedes the answer. */
  reasoning: boolean;
}

export interface NeutralToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface NeutralChoice {
  /** The answer split into stream pieces; their concatenation is the full text. */
  pieces: string[];
  text: string;
  reasoning: string | null;
  toolCalls: NeutralToolCall[];
  finish: "stop" | "length" | "tool_calls";
}

export interface NeutralReply {
  choices: NeutralChoice[];
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  /** Prompt tokens read from the provider's cache and written to it (within promptTokens). */
  cacheRead: number;
  cacheWrite: number;
  /** Of cacheWrite, the tokens written for an hour (the rest for 5 minutes). */
  cacheWrite1h: number;
}

const DEFAULT_TOKENS = 16;
const TOOL_WORDS = /\b(call|weather|tool|tools|use|lookup|search)\b/i;

export function promptTokens(request: NeutralRequest): number {
  let tokens = 3;
  for (const message of request.messages) {
    tokens += MESSAGE_OVERHEAD + countTokens(message.text) + message.images * IMAGE_TOKENS;
  }
  for (const tool of request.tools) tokens += countTokens(JSON.stringify(tool));
  return tokens;
}

function lastUserText(request: NeutralRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i];
    if (message?.role === "user") return message.text;
  }
  return "";
}

/**
 * The first http(s) URL the user wrote (directives aside, trailing punctuation off): what a model
 * asked to "use the tool to read https://…" passes as a tool's `url`.
 */
function urlIn(text: string): string | undefined {
  return /https?:\/\/[^\s<>"'`]+/i.exec(stripDirectives(text))?.[0].replace(/[.,;:!?)\]}'"]+$/, "");
}

/** Turns of tool results in the conversation (runs of `tool` messages). */
const resultTurns = (request: NeutralRequest) =>
  request.messages.filter((m, i) => m.role === "tool" && request.messages[i - 1]?.role !== "tool").length;

function toolCallsFor(request: NeutralRequest, seed: string, rounds = 0, query?: string): NeutralToolCall[] {
  if (request.tools.length === 0 || request.toolChoice === "none") return [];
  // A conversation that already carries tool results gets a text answer (past `tool_rounds` of them).
  if (request.messages.at(-1)?.role === "tool" && resultTurns(request) >= rounds) return [];
  const text = lastUserText(request);
  let chosen: Array<{ name: string; parameters: unknown }> = [];
  if (typeof request.toolChoice === "object") {
    const named = request.tools.find((t) => t.name === (request.toolChoice as { name: string }).name);
    chosen = named ? [named] : [];
  } else if (request.toolChoice === "required" || TOOL_WORDS.test(text)) {
    chosen =
      request.parallelToolCalls && /\bboth\b/i.test(text) ? request.tools.slice(0, 2) : request.tools.slice(0, 1);
    // "twice": the first tool, called two times in one turn (a gateway's cap on a tool's uses).
    const first = chosen[0];
    if (first && /\btwice\b/i.test(text)) chosen = [first, first];
  }
  const url = urlIn(text);
  const strings: Record<string, string> = { ...(url ? { url } : {}), ...(query ? { query } : {}) };
  return chosen.map((tool, i) => ({
    id: `call_${seed.slice(0, 8)}${i}`,
    name: tool.name,
    arguments: JSON.stringify(sampleFromSchema(tool.parameters ?? { type: "object" }, "value", 0, strings)),
  }));
}

/** Splits text into stream pieces of one token each (a word with its leading space). */
function piecesOf(words: string[]): string[] {
  return words.map((word, i) => (i === 0 ? word : ` ${word}`));
}

function truncateAtStop(pieces: string[], stop: string[]): { pieces: string[]; stopped: boolean } {
  if (stop.length === 0) return { pieces, stopped: false };
  let text = "";
  for (let i = 0; i < pieces.length; i++) {
    const next = text + pieces[i];
    for (const sequence of stop) {
      const at = next.indexOf(sequence);
      if (at !== -1) {
        const kept = pieces.slice(0, i);
        const partial = next.slice(text.length, at);
        if (partial) kept.push(partial);
        return { pieces: kept, stopped: true };
      }
    }
    text = next;
  }
  return { pieces, stopped: false };
}

/** The deterministic reply to a request at a provider, honouring the fault's `tokens`. */
export function generateReply(request: NeutralRequest, provider: string, fault: Fault): NeutralReply {
  const prompt = request.messages.map((m) => m.text).join("\n");
  const wanted = fault.tokens ?? DEFAULT_TOKENS;
  const cap = request.maxTokens ?? Number.POSITIVE_INFINITY;
  const choices: NeutralChoice[] = [];
  let completionTokens = 0;
  let reasoningTokens = 0;
  for (let index = 0; index < Math.max(1, request.n); index++) {
    // A reply that ends in the provider's error finish is text only (its `tokens`, maybe none).
    const calls =
      fault.error_finish === undefined
        ? toolCallsFor(request, `${prompt}${index}`.replace(/\W/g, "") || "x", fault.tool_rounds, fault.query)
        : [];
    const reasoning = request.reasoning ? `Thinking about the request to ${request.model}.` : null;
    const reasoningCount = reasoning ? countTokens(reasoning) : 0;
    reasoningTokens += reasoningCount;
    if (calls.length > 0) {
      choices.push({ pieces: [], text: "", reasoning, toolCalls: calls, finish: "tool_calls" });
      completionTokens += reasoningCount + calls.reduce((sum, c) => sum + countTokens(c.arguments) + 1, 0);
      continue;
    }
    let pieces: string[];
    // Scripted text is what the reply says, cut at max_tokens like any text (not kept whole as JSON is).
    const scripted = fault.content !== undefined ? Buffer.from(fault.content, "base64url").toString("utf8") : undefined;
    const json = request.json !== null && scripted === undefined;
    if (scripted !== undefined) {
      pieces = chunkString(scripted, 8);
    } else if (request.json) {
      const value =
        request.json.kind === "schema"
          ? sampleFromSchema(request.json.schema ?? { type: "object" })
          : { answer: replyWords(provider, request.model, prompt, 6).join(" ") };
      // JSON is never truncated into invalid JSON by the emulator: it is one piece per token-ish chunk.
      pieces = chunkString(JSON.stringify(value), 8);
    } else {
      pieces = piecesOf(replyWords(provider, request.model, `${prompt}${index}`, wanted));
    }
    const room = Math.max(0, cap - reasoningCount);
    let finish: NeutralChoice["finish"] = "stop";
    if (!json && pieces.length > room) {
      pieces = pieces.slice(0, room);
      finish = "length";
    }
    const stopped = truncateAtStop(pieces, request.stop);
    if (stopped.stopped) {
      pieces = stopped.pieces;
      finish = "stop";
    }
    completionTokens += reasoningCount + (json ? countTokens(pieces.join("")) : pieces.length);
    choices.push({ pieces, text: pieces.join(""), reasoning, toolCalls: [], finish });
  }
  const promptCount = fault.prompt_tokens ?? promptTokens(request);
  const cacheRead = Math.min(fault.cache_read ?? 0, promptCount);
  const cacheWrite = Math.min(fault.cache_write ?? 0, promptCount - cacheRead);
  const cacheWrite1h = Math.min(fault.cache_write_1h ?? 0, cacheWrite);
  return { choices, promptTokens: promptCount, completionTokens, reasoningTokens, cacheRead, cacheWrite, cacheWrite1h };
}

export function chunkString(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [""];
}
