import type { Endpoint } from "../../catalog/types";
import type { ChatRequest, ContentPart, FunctionTool, Message, MessageContent, ToolCall } from "../../schema/chat";
import { contentText } from "../content-text";
import { stopSequences, unsupportedParameters } from "../parameters";
import type { UpstreamCall, UpstreamTarget } from "../types";

/**
 * Cohere Chat v2 request building (`POST /v2/chat`): small pure functions, one per concern.
 * Cohere speaks roles much like OpenAI (system, user, assistant, tool) but names its sampling
 * parameters differently (`p`, `k`, `stop_sequences`), has no named tool choice and narrates
 * tool calls in `tool_plan` instead of `content`.
 */

type Json = Record<string, unknown>;

export interface CohereTextPart {
  type: "text";
  text: string;
}
export interface CohereImagePart {
  type: "image_url";
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}
export type CohereUserPart = CohereTextPart | CohereImagePart;

export interface CohereToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type CohereMessage =
  | { role: "system"; content: string | CohereTextPart[] }
  | { role: "user"; content: string | CohereUserPart[] }
  | { role: "assistant"; content?: string | CohereTextPart[]; tool_plan?: string; tool_calls?: CohereToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string | CohereTextPart[] };

/** Thinking budgets by reasoning effort (`reasoning.max_tokens` wins when given). */
const EFFORT_BUDGET: Record<string, number> = { minimal: 512, low: 2048, medium: 8192, high: 16384, xhigh: 31000 };

/** Cohere's ranges: a value outside them is dropped (and named) rather than silently changed. */
const RANGES: Record<string, [number, number]> = {
  top_p: [0.01, 0.99],
  top_k: [0, 500],
  frequency_penalty: [0, 1],
  presence_penalty: [0, 1],
};

/** Text-only content: a string stays a string, parts become Cohere text parts (empty ones dropped). */
function textContent(content: MessageContent | null | undefined): string | CohereTextPart[] {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content
    .filter((part): part is Extract<ContentPart, { type: "text" }> => part.type === "text" && part.text !== "")
    .map((part) => ({ type: "text", text: part.text }));
}

/**
 * User content: text and images (Cohere v2 takes OpenAI's `image_url` part as is, data URLs and
 * https URLs alike). Audio and file parts have no Cohere equivalent in chat and are left out.
 */
export function convertUserContent(content: MessageContent): string | CohereUserPart[] {
  if (typeof content === "string") return content;
  const parts: CohereUserPart[] = [];
  for (const part of content) {
    if (part.type === "text") {
      if (part.text !== "") parts.push({ type: "text", text: part.text });
    } else if (part.type === "image_url") {
      const image = typeof part.image_url === "string" ? { url: part.image_url } : part.image_url;
      parts.push({
        type: "image_url",
        image_url: { url: image.url, ...(image.detail ? { detail: image.detail } : {}) },
      });
    }
  }
  return parts;
}

/** Tool arguments must be a JSON object string: empty or `null` arguments become `{}`. */
export function normalizeArguments(args: string | null | undefined): string {
  const trimmed = (args ?? "").trim();
  return trimmed === "" || trimmed === "null" ? "{}" : trimmed;
}

function convertToolCalls(calls: readonly ToolCall[]): CohereToolCall[] {
  return calls.map((call) => ({
    id: call.id,
    type: "function",
    function: { name: call.function.name, arguments: normalizeArguments(call.function.arguments) },
  }));
}

/**
 * OpenAI messages ⇒ Cohere messages. System and developer messages are `system` messages; an
 * assistant turn with tool calls carries its text as `tool_plan` (Cohere takes no `content` next
 * to `tool_calls`); tool results keep their `tool_call_id`. Earlier reasoning is not sent back:
 * Cohere has no signed thinking to continue.
 */
export function convertMessages(messages: readonly Message[]): CohereMessage[] {
  const out: CohereMessage[] = [];
  for (const message of messages) {
    switch (message.role) {
      case "system":
      case "developer":
        out.push({ role: "system", content: textContent(message.content) });
        break;
      case "user":
        out.push({ role: "user", content: convertUserContent(message.content) });
        break;
      case "assistant": {
        const calls = message.tool_calls ?? [];
        if (calls.length > 0) {
          const plan = contentText(message.content);
          out.push({
            role: "assistant",
            ...(plan ? { tool_plan: plan } : {}),
            tool_calls: convertToolCalls(calls),
          });
        } else {
          out.push({ role: "assistant", content: textContent(message.content) });
        }
        break;
      }
      case "tool":
        out.push({ role: "tool", tool_call_id: message.tool_call_id, content: textContent(message.content) });
        break;
    }
  }
  return out;
}

/** OpenAI function tools ⇒ Cohere v2 tools (the same shape, with a schema always present). */
export function convertTools(tools: readonly FunctionTool[]): Json[] {
  return tools.map((tool) => ({
    type: "function",
    function: {
      name: tool.function.name,
      ...(tool.function.description ? { description: tool.function.description } : {}),
      parameters: tool.function.parameters ?? { type: "object", properties: {} },
    },
  }));
}

/**
 * `tool_choice` ⇒ Cohere's `REQUIRED` / `NONE` (omitted for auto). Cohere cannot name a tool, so
 * a named choice becomes REQUIRED with only that tool offered (`only`): the client gets the call
 * it forced.
 */
export function convertToolChoice(choice: ChatRequest["tool_choice"]): {
  toolChoice?: "REQUIRED" | "NONE";
  only?: string;
} {
  if (choice == null || choice === "auto") return {};
  if (choice === "none") return { toolChoice: "NONE" };
  if (choice === "required") return { toolChoice: "REQUIRED" };
  return { toolChoice: "REQUIRED", only: choice.function.name };
}

/** `response_format` ⇒ Cohere's JSON mode, with the schema when one was given. */
export function convertResponseFormat(format: ChatRequest["response_format"]): Json | undefined {
  if (format?.type === "json_object") return { type: "json_object" };
  if (format?.type === "json_schema") {
    const schema = format.json_schema.schema;
    return schema ? { type: "json_object", json_schema: schema } : { type: "json_object" };
  }
  return undefined;
}

/**
 * `reasoning` ⇒ Cohere's `thinking`: enabled with a token budget (an explicit `max_tokens`, else
 * the effort's), or explicitly disabled (Cohere's reasoning models think by default).
 */
export function convertThinking(
  request: ChatRequest,
): { type: "enabled"; token_budget: number } | { type: "disabled" } | undefined {
  const reasoning = request.reasoning;
  if (reasoning?.enabled === false || reasoning?.effort === "none" || request.reasoning_effort === "none") {
    return { type: "disabled" };
  }
  if (reasoning?.max_tokens) return { type: "enabled", token_budget: reasoning.max_tokens };
  const effort = reasoning?.effort ?? request.reasoning_effort ?? (reasoning?.enabled ? "medium" : undefined);
  if (!effort) return undefined;
  return { type: "enabled", token_budget: EFFORT_BUDGET[effort] ?? (EFFORT_BUDGET.medium as number) };
}

/** The `thinking` an endpoint is sent: none where it drops `reasoning`. */
function endpointThinking(request: ChatRequest, dropped: readonly string[]): ReturnType<typeof convertThinking> {
  return dropped.includes("reasoning") ? undefined : convertThinking(request);
}

/** The thinking budget Cohere is sent on top of the request's max_tokens (the hold allows for it). */
export function cohereReasoningAllowance(request: ChatRequest, endpoint: Endpoint): number {
  const thinking = endpointThinking(request, unsupportedParameters(request, endpoint));
  return thinking?.type === "enabled" ? thinking.token_budget : 0;
}

export function buildCohereBody(
  request: ChatRequest,
  target: UpstreamTarget,
  stream: boolean,
): { body: Record<string, unknown>; dropped: string[] } {
  const dropped = unsupportedParameters(request, target.endpoint);
  const drop = new Set(dropped);
  const body: Record<string, unknown> = {
    model: target.endpoint.provider_model_id,
    messages: convertMessages(request.messages),
  };
  if (stream) body.stream = true;

  const cap = target.endpoint.max_completion_tokens ?? undefined;
  const asked = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const thinking = endpointThinking(request, dropped);
  if (thinking) body.thinking = thinking;
  if (asked !== undefined) {
    // A thinking budget counts inside max_tokens: the visible answer keeps what the client asked for.
    const total = asked + (thinking?.type === "enabled" ? thinking.token_budget : 0);
    body.max_tokens = cap ? Math.min(cap, total) : total;
  }

  const inRange = (name: string, value: number | null | undefined): value is number => {
    if (value == null || drop.has(name)) return false;
    const [min, max] = RANGES[name] ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    if (value >= min && value <= max) return true;
    dropped.push(name);
    return false;
  };
  if (request.temperature != null && !drop.has("temperature")) body.temperature = request.temperature;
  if (inRange("top_p", request.top_p)) body.p = request.top_p;
  if (inRange("top_k", request.top_k)) body.k = request.top_k;
  if (request.seed != null && !drop.has("seed")) body.seed = request.seed;
  // Cohere's penalties range over 0..1 (OpenAI's over -2..2).
  if (inRange("frequency_penalty", request.frequency_penalty)) body.frequency_penalty = request.frequency_penalty;
  if (inRange("presence_penalty", request.presence_penalty)) body.presence_penalty = request.presence_penalty;
  // All of them: routing sends Cohere no more than it takes (cohereAdapter.limits), and a cut list
  // would stop the answer in the wrong place without a word.
  const stops = drop.has("stop") ? [] : stopSequences(request);
  if (stops.length > 0) body.stop_sequences = stops;
  if (request.logprobs && !drop.has("logprobs")) body.logprobs = true;

  const requestedTools = drop.has("tools") ? [] : (request.tools ?? []);
  if (requestedTools.length > 0) {
    const { toolChoice, only } = drop.has("tool_choice") ? {} : convertToolChoice(request.tool_choice);
    const named = only ? requestedTools.filter((tool) => tool.function.name === only) : [];
    const tools = named.length > 0 ? named : requestedTools;
    body.tools = convertTools(tools);
    if (toolChoice) body.tool_choice = toolChoice;
    if (tools.some((tool) => tool.function.strict === true)) body.strict_tools = true;
  }

  const format = request.response_format;
  const formatDropped =
    (format?.type === "json_object" && drop.has("response_format")) ||
    (format?.type === "json_schema" && drop.has("structured_outputs"));
  const responseFormat = formatDropped ? undefined : convertResponseFormat(format);
  // Cohere takes no response_format together with tools (its API reference says so): the tools
  // are kept, the format dropped.
  if (responseFormat && body.tools)
    dropped.push(format?.type === "json_schema" ? "structured_outputs" : "response_format");
  else if (responseFormat) body.response_format = responseFormat;

  // Cohere answers with one choice per request.
  if (request.n != null && request.n > 1) dropped.push("n");
  return { body, dropped };
}

export function buildCohereChatRequest(request: ChatRequest, target: UpstreamTarget, stream: boolean): UpstreamCall {
  const { body, dropped } = buildCohereBody(request, target, stream);
  return {
    url: `${target.baseUrl}/v2/chat`,
    init: {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${target.apiKey}`,
        "x-client-name": "tollgate",
        accept: stream ? "text/event-stream" : "application/json",
      },
      body: JSON.stringify(body),
    },
    dropped,
  };
}
