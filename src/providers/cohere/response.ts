import type { ToolCall } from "../../schema/chat";
import { assistantMessage, singleChoiceChunk, singleChoiceReply } from "../assistant-message";
import { UpstreamStreamError } from "../openai/response";
import type { ChatChunkOut, ChatCompletionOut, FinishReason, StreamMapper, Usage } from "../types";

/** Cohere Chat v2 replies and stream events ⇒ OpenAI's shapes. */

/** What Tollgate reads of Cohere's wire shapes (everything optional: the reply is not trusted). */
interface CohereTokenCounts {
  input_tokens?: number;
  output_tokens?: number;
}

interface CohereUsage {
  billed_units?: CohereTokenCounts;
  tokens?: CohereTokenCounts;
  cached_tokens?: number;
}

interface CohereToolCall {
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface CohereContent {
  type?: string;
  text?: string;
  thinking?: string;
}

interface CohereReply {
  message?: { content?: CohereContent[]; tool_calls?: CohereToolCall[]; tool_plan?: string };
  finish_reason?: string;
  usage?: CohereUsage;
}

/** One stream event: `delta.message` holds one content part, one tool call or a tool-plan piece. */
interface CohereStreamEvent {
  type?: string;
  index?: number;
  delta?: {
    message?: { content?: CohereContent; tool_calls?: CohereToolCall; tool_plan?: string };
    finish_reason?: string;
    error?: string;
    usage?: CohereUsage;
  };
}

export function mapCohereFinishReason(reason: string | null | undefined): FinishReason | null {
  switch (reason) {
    case undefined:
    case null:
      return null;
    case "COMPLETE":
    case "STOP_SEQUENCE":
      return "stop";
    case "MAX_TOKENS":
      return "length";
    case "TOOL_CALL":
      return "tool_calls";
    default:
      // ERROR, TIMEOUT and anything newer: not a clean end.
      return "error";
  }
}

/**
 * Cohere reports `billed_units` (what it charges) and `tokens` (what the model saw, including
 * Cohere's own prompt scaffolding, which it does not charge for); providers.md §4.6 lets an adapter
 * read either if it says which. Tollgate bills what the provider bills: billed units first.
 *
 * `cached_tokens` counts model tokens, not billed units (providers.md §4.3: billed 12, tokens 507,
 * cached 448), while OpenAI's prompt_tokens includes cached_tokens (§1.3). So it is reported only
 * with the `tokens` reading, capped at the prompt; beside billed units it would claim 448 cached of
 * 12 prompt tokens, and price the whole prompt at a cache-read rate where one is listed.
 */
export function mapCohereUsage(raw: unknown): Usage | undefined {
  const usage = (raw ?? {}) as CohereUsage;
  const billed = usage.billed_units ?? {};
  const tokens = usage.tokens ?? {};
  const billedPrompt = typeof billed.input_tokens === "number";
  const prompt = billedPrompt ? billed.input_tokens : tokens.input_tokens;
  const completion = typeof billed.output_tokens === "number" ? billed.output_tokens : tokens.output_tokens;
  if (typeof prompt !== "number" || typeof completion !== "number") return undefined;
  const out: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  const cached = billedPrompt ? 0 : Math.min(Number(usage.cached_tokens ?? 0), prompt);
  if (cached > 0) out.prompt_tokens_details = { cached_tokens: cached };
  return out;
}

/** Arguments of a tool with no parameters may come back as "null". */
const normaliseArguments = (args: unknown) =>
  typeof args !== "string" || args === "null" || args === "" ? "{}" : args;

export function parseCohereResponse(raw: unknown): ChatCompletionOut {
  const body = (raw ?? {}) as CohereReply;
  const message = body.message ?? {};
  let text = "";
  let reasoning = "";
  for (const item of Array.isArray(message.content) ? message.content : []) {
    if (item.type === "text" && typeof item.text === "string") text += item.text;
    else if (item.type === "thinking" && typeof item.thinking === "string") reasoning += item.thinking;
  }
  const calls: ToolCall[] = (Array.isArray(message.tool_calls) ? message.tool_calls : []).map((call) => ({
    id: String(call.id ?? ""),
    type: "function",
    function: { name: String(call.function?.name ?? ""), arguments: normaliseArguments(call.function?.arguments) },
  }));
  // The tool plan is the narration before the calls: it is the turn's text when there is no other.
  if (!text && typeof message.tool_plan === "string") text = message.tool_plan;
  const native = typeof body.finish_reason === "string" ? body.finish_reason : null;
  return singleChoiceReply(
    assistantMessage({ text, reasoning, toolCalls: calls }),
    mapCohereFinishReason(native),
    native,
    mapCohereUsage(body.usage),
  );
}

/**
 * A streamed tool call: its OpenAI index, and the start of its arguments while they may yet be
 * the string "null" (Cohere's arguments for a tool without any), which goes out as {} as in a
 * whole reply (normaliseArguments): a client parsing the streamed fragments would get null, or
 * nothing to parse when none came.
 */
interface StreamedCall {
  index: number;
  /** What came of the arguments while held back; undefined once they started going out. */
  held: string | undefined;
}

/** The fragment to relay now: held back while what came could still be "null". */
function nextArguments(call: StreamedCall, fragment: string): string {
  if (call.held === undefined) return fragment;
  const held = call.held + fragment;
  if ("null".startsWith(held)) {
    call.held = held;
    return "";
  }
  call.held = undefined;
  return held;
}

/** What a call still holding back its arguments gets at its end: {} for none or for "null". */
function closeArguments(call: StreamedCall): string {
  if (call.held === undefined) return "";
  const held = call.held;
  call.held = undefined;
  return normaliseArguments(held);
}

/**
 * Cohere's typed stream events ⇒ OpenAI chunks. Tool calls open with id and name
 * (`tool-call-start`) and continue with argument fragments (`tool-call-delta`); thinking content
 * becomes `reasoning`; `message-end` carries the finish reason and usage and ends the stream.
 */
export function createCohereStreamMapper(): StreamMapper {
  let done = false;
  /** Content blocks by index: whether each is thinking (its deltas are reasoning). */
  const thinking = new Set<number>();
  /** Cohere numbers tool calls within the message; OpenAI clients want 0.. in order. */
  const toolCalls = new Map<number, StreamedCall>();
  const chunk = singleChoiceChunk;
  const argumentsChunk = (call: StreamedCall, args: string): ChatChunkOut[] =>
    args ? [chunk({ tool_calls: [{ index: call.index, function: { arguments: args } }] })] : [];
  /** Closes the calls still holding back their arguments: a call without arguments takes {}. */
  const closeCalls = (calls: Iterable<StreamedCall>): ChatChunkOut[] =>
    [...calls].flatMap((call) => argumentsChunk(call, closeArguments(call)));
  return {
    get done() {
      return done;
    },
    map(event) {
      if (event.data === "[DONE]") {
        done = true;
        return [];
      }
      const data = JSON.parse(event.data) as CohereStreamEvent;
      const type = data.type ?? event.event;
      const index = Number(data.index ?? 0);
      const message = data.delta?.message ?? {};
      switch (type) {
        case "message-start":
          return [chunk({ role: "assistant", content: "" })];
        case "content-start":
          if (message.content?.type === "thinking") thinking.add(index);
          return [];
        case "content-delta": {
          const content = message.content ?? {};
          if (thinking.has(index) || typeof content.thinking === "string") {
            return content.thinking ? [chunk({ reasoning: String(content.thinking) })] : [];
          }
          return content.text ? [chunk({ content: String(content.text) })] : [];
        }
        case "tool-plan-delta":
          // Narration of what the model is about to call: surfaced as text, like the JSON reply.
          return message.tool_plan ? [chunk({ content: String(message.tool_plan) })] : [];
        case "tool-call-start": {
          const call = message.tool_calls ?? {};
          const streamed: StreamedCall = { index: toolCalls.size, held: "" };
          toolCalls.set(index, streamed);
          const args = typeof call.function?.arguments === "string" ? call.function.arguments : "";
          const opening = chunk({
            tool_calls: [
              {
                index: streamed.index,
                id: String(call.id ?? ""),
                type: "function",
                function: { name: String(call.function?.name ?? ""), arguments: "" },
              },
            ],
          });
          return [opening, ...argumentsChunk(streamed, nextArguments(streamed, args))];
        }
        case "tool-call-delta": {
          const args = message.tool_calls?.function?.arguments;
          const call = toolCalls.get(index);
          if (typeof args !== "string" || !call) return [];
          return argumentsChunk(call, nextArguments(call, args));
        }
        case "tool-call-end": {
          const call = toolCalls.get(index);
          return call ? closeCalls([call]) : [];
        }
        case "message-end": {
          done = true;
          const end = data.delta ?? {};
          const native = typeof end.finish_reason === "string" ? end.finish_reason : "COMPLETE";
          // An ERROR finish may come with the error's text: it is still an error finish, carrying
          // the usage of what was produced. Thrown here, it lost both: the stream was charged an
          // estimate, and its error chunk had no provider code. The relay fails it as any error
          // finish, its text (errorText) in the error chunk's message.
          if (typeof end.error === "string" && end.error && mapCohereFinishReason(native) !== "error") {
            throw new UpstreamStreamError(end.error);
          }
          const usage = mapCohereUsage(end.usage);
          const final: ChatChunkOut = {
            ...chunk({}, mapCohereFinishReason(native), native),
            ...(usage ? { usage } : {}),
            ...(typeof end.error === "string" && end.error ? { errorText: end.error } : {}),
          };
          return [...closeCalls(toolCalls.values()), final];
        }
        default:
          // content-end, citation-start/end, debug: nothing for an OpenAI client.
          return [];
      }
    },
  };
}
