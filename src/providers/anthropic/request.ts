import type { ClaudeShape, Endpoint } from "../../catalog/types";
import type { ChatRequest, ContentPart, Message, MessageContent, ReasoningDetail } from "../../schema/chat";
import { parseDataUrl } from "../inline-image";
import { reasoningIncludedAlone, requestedReasoning, stopSequences, unsupportedParameters } from "../parameters";
import type { NativeWebSearch, UpstreamCall, UpstreamTarget } from "../types";
import { EFFORT_BUDGET, effortForBudget, nearestEffort } from "./effort";

/** Anthropic Messages request building: small pure functions, one per concern. */

type Block = Record<string, unknown>;
export interface AnthropicMessage {
  role: "user" | "assistant";
  content: Block[];
}

export const ANTHROPIC_VERSION = "2023-06-01";
/** The forced tool that carries `response_format: json_schema` (Anthropic has no JSON mode). */
export const JSON_TOOL = "json_output";
export const DEFAULT_MAX_TOKENS = 4096;
const MIN_THINKING_BUDGET = 1024;

/** OpenAI content parts ⇒ Anthropic blocks (text with its cache_control, images by data or URL). */
export function convertContent(content: MessageContent | null | undefined): Block[] {
  if (content == null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  const blocks: Block[] = [];
  for (const part of content as ContentPart[]) {
    if (part.type === "text") {
      if (part.text === "") continue;
      blocks.push({
        type: "text",
        text: part.text,
        ...(part.cache_control ? { cache_control: part.cache_control } : {}),
      });
    } else if (part.type === "image_url") {
      const url = typeof part.image_url === "string" ? part.image_url : part.image_url.url;
      const inline = parseDataUrl(url);
      blocks.push({ type: "image", source: inline ? { type: "base64", ...inline } : { type: "url", url } });
    } else if (part.type === "file" && part.file.file_data) {
      // A PDF by URL as Anthropic's URL document source (Claude fetches it); other data is left out.
      const data = part.file.file_data;
      const inline = parseDataUrl(data);
      if (inline) blocks.push({ type: "document", source: { type: "base64", ...inline } });
      else if (/^https?:\/\//i.test(data)) blocks.push({ type: "document", source: { type: "url", url: data } });
    }
  }
  return blocks;
}

/**
 * Reasoning details of an earlier assistant turn ⇒ thinking blocks, signatures intact. Only
 * Claude's own (format `anthropic-…`, or none given) are replayed: another provider's signatures
 * (Gemini's thought signatures, OpenAI's encrypted reasoning) would be refused as invalid.
 * A streamed block comes as text pieces closed by a signed piece; a client may send them back as
 * they came, so unsigned text pieces are joined into the signed one that follows them.
 */
export function thinkingBlocks(details: ReasoningDetail[] | null | undefined): Block[] {
  const blocks: Block[] = [];
  let pieces = "";
  for (const detail of details ?? []) {
    if (detail.format && !detail.format.startsWith("anthropic-")) continue;
    if (detail.type === "reasoning.text" && detail.signature) {
      blocks.push({ type: "thinking", thinking: pieces + (detail.text ?? ""), signature: detail.signature });
      pieces = "";
    } else if (detail.type === "reasoning.text") {
      pieces += detail.text ?? "";
    } else if (detail.type === "reasoning.encrypted" && detail.data) {
      blocks.push({ type: "redacted_thinking", data: detail.data });
      pieces = "";
    }
  }
  return blocks;
}

export function toolInput(args: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(args || "{}") as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { value: parsed };
  } catch {
    return { value: args };
  }
}

/**
 * Tool-use ids must match ^[a-zA-Z0-9_-]+$ (Anthropic's and Bedrock's rule); ids minted elsewhere
 * (e.g. Kimi's `functions.get_time:0`) are rewritten the same way in the call and in its result.
 * An empty id (which some OpenAI-compatible servers mint, and clients send back) matches no
 * pattern of one or more characters: it becomes `_`, or the turn was refused by the provider.
 */
export const toolId = (id: string) => id.replace(/[^a-zA-Z0-9_-]/g, "_") || "_";

/**
 * System and developer messages are hoisted into `system`; the rest alternate user/assistant:
 * tool results become tool_result blocks of a user turn, consecutive same-role turns merge, and
 * the conversation starts with a user turn.
 */
export function convertMessages(messages: readonly Message[]): { system: Block[]; messages: AnthropicMessage[] } {
  const system: Block[] = [];
  const out: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage["role"], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last?.role === role) {
      // Tool results must come first in a user turn.
      if (role === "user" && blocks[0]?.type === "tool_result") {
        const results = last.content.filter((b) => b.type === "tool_result");
        const rest = last.content.filter((b) => b.type !== "tool_result");
        last.content = [...results, ...blocks, ...rest];
      } else last.content.push(...blocks);
    } else out.push({ role, content: blocks });
  };
  for (const message of messages) {
    switch (message.role) {
      case "system":
      case "developer":
        system.push(...convertContent(message.content));
        break;
      case "user":
        push("user", convertContent(message.content));
        break;
      case "assistant": {
        const blocks = [
          ...thinkingBlocks(message.reasoning_details),
          ...convertContent(message.content ?? null),
          ...(message.tool_calls ?? []).map((call) => ({
            type: "tool_use",
            id: toolId(call.id),
            name: call.function.name,
            input: toolInput(call.function.arguments),
          })),
        ];
        push("assistant", blocks);
        break;
      }
      case "tool": {
        const text = typeof message.content === "string" ? message.content : convertContent(message.content);
        push("user", [{ type: "tool_result", tool_use_id: toolId(message.tool_call_id), content: text }]);
        break;
      }
    }
  }
  if (out[0]?.role !== "user") out.unshift({ role: "user", content: [{ type: "text", text: "(continue)" }] });
  return { system, messages: out };
}

export function convertToolChoice(
  choice: ChatRequest["tool_choice"],
  parallel: boolean | null | undefined,
): Block | undefined {
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice == null) return parallel === false ? { type: "auto", ...noParallel } : undefined;
  if (choice === "auto") return { type: "auto", ...noParallel };
  if (choice === "required") return { type: "any", ...noParallel };
  if (choice === "none") return { type: "none" };
  return { type: "tool", name: choice.function.name, ...noParallel };
}

/**
 * `reasoning` ⇒ a thinking budget: an explicit max_tokens wins, else the effort's budget;
 * `include_reasoning: true` alone (unless `dropped` names it) is the medium effort's, as on
 * OpenRouter, where it means reasoning on with the default effort.
 */
export function thinkingBudget(request: ChatRequest, dropped: readonly string[] = []): number | undefined {
  const asked =
    requestedReasoning(request) ?? (reasoningIncludedAlone(request, dropped) ? { effort: "medium" } : undefined);
  if (!asked) return undefined;
  if ("maxTokens" in asked) return Math.max(MIN_THINKING_BUDGET, asked.maxTokens);
  return EFFORT_BUDGET[asked.effort] ?? EFFORT_BUDGET.medium;
}

/**
 * Whether the request forces a tool call (tool_choice `required` or a named function, with tools
 * sent). A forced json_schema tool is not the client's choice: with thinking it is only offered.
 */
export function forcesToolUse(request: ChatRequest, dropped: readonly string[]): boolean {
  if (dropped.includes("tools") || dropped.includes("tool_choice") || !request.tools?.length) return false;
  if (request.response_format?.type === "json_schema" && !dropped.includes("structured_outputs")) return false;
  const choice = request.tool_choice;
  return choice === "required" || (choice != null && typeof choice === "object");
}

/**
 * The thinking budget Claude may be sent. Claude refuses thinking with forced tool use (400
 * "Thinking may not be enabled when tool_choice forces tool use.", providers.md §2.6): the
 * client's tool_choice is kept, thinking is left off and `reasoning` is named as dropped.
 */
export function claudeThinkingBudget(request: ChatRequest, dropped: string[]): number | undefined {
  if (dropped.includes("reasoning")) return undefined;
  const budget = thinkingBudget(request, dropped);
  if (budget !== undefined && leftOffForForcedTool(request, dropped)) return undefined;
  return budget;
}

/** Whether thinking is left off for a forced tool (see claudeThinkingBudget), naming what was asked. */
function leftOffForForcedTool(request: ChatRequest, dropped: string[]): boolean {
  if (!forcesToolUse(request, dropped)) return false;
  // Named as the client sent it: `reasoning`, or the legacy flag that turned it on.
  dropped.push(reasoningIncludedAlone(request, dropped) ? "include_reasoning" : "reasoning");
  return true;
}

/**
 * `reasoning` ⇒ adaptive thinking, for endpoints whose `claude.thinking` is "adaptive" (they
 * refuse or deprecate budget_tokens): an effort becomes the nearest `output_config.effort` the
 * model takes, a max_tokens budget the effort whose budget is nearest it; `enabled: true` (or
 * `include_reasoning: true`) alone sends no effort, leaving the model's default. The reasoning
 * is asked for summarized unless the client excludes it: the newest models' default display
 * leaves the thinking text empty, which would return nothing to show.
 */
export function adaptiveThinking(
  request: ChatRequest,
  shape: ClaudeShape,
  dropped: string[],
): { thinking: Block; effort?: string } | undefined {
  if (dropped.includes("reasoning")) return undefined;
  const alone = reasoningIncludedAlone(request, dropped);
  const asked = requestedReasoning(request);
  if (!asked && !alone) return undefined;
  if (shape.forced_tool_use && leftOffForForcedTool(request, dropped)) return undefined;
  const reasoning = request.reasoning;
  const enabledAlone = reasoning?.enabled === true && !reasoning.effort && !reasoning.max_tokens;
  let effort: string | undefined;
  if (asked && !(enabledAlone && request.reasoning_effort == null)) {
    effort =
      "maxTokens" in asked
        ? effortForBudget(asked.maxTokens, shape.efforts)
        : nearestEffort(asked.effort, shape.efforts);
  }
  const hidden = reasoning?.exclude === true || request.include_reasoning === false;
  return { thinking: { type: "adaptive", display: hidden ? "omitted" : "summarized" }, ...(effort ? { effort } : {}) };
}

/**
 * How Claude is asked to think, by Anthropic and by Bedrock alike: adaptive thinking (with its
 * effort) where the endpoint's `claude` shape says so, else a budget; neither when not asked.
 */
export function claudeThinking(
  request: ChatRequest,
  shape: ClaudeShape | undefined,
  dropped: string[],
): { adaptive?: { thinking: Block; effort?: string }; budget?: number } {
  if (shape?.thinking === "adaptive") {
    const adaptive = adaptiveThinking(request, shape, dropped);
    return adaptive ? { adaptive } : {};
  }
  const budget = claudeThinkingBudget(request, dropped);
  return budget === undefined ? {} : { budget };
}

/**
 * Sampling Claude can take with thinking on: no temperature or top_k, and top_p only from 0.95
 * to 1 (Anthropic's extended-thinking rules, on Bedrock too). What it cannot take is named dropped.
 */
export function thinkingTopP(request: ChatRequest, drop: ReadonlySet<string>, dropped: string[]): number | undefined {
  for (const name of ["temperature", "top_k"] as const) {
    if (request[name] != null && !drop.has(name)) dropped.push(name);
  }
  if (request.top_p == null || drop.has("top_p")) return undefined;
  if (request.top_p >= 0.95) return request.top_p;
  dropped.push("top_p");
  return undefined;
}

/**
 * The thinking budget Claude is sent on top of the request's max_tokens, by Anthropic and by
 * Bedrock alike (the hold allows for it).
 */
export function claudeReasoningAllowance(request: ChatRequest, endpoint: Endpoint): number {
  // Adaptive thinking has no budget to add: the model spends what it decides within max_tokens.
  if (endpoint.claude?.thinking === "adaptive") return 0;
  return claudeThinkingBudget(request, unsupportedParameters(request, endpoint)) ?? 0;
}

/**
 * The stop sequences Claude can be sent, by Anthropic and by Bedrock alike. Empty ones mean
 * nothing, and Claude refuses them (400 "stop_sequences: each stop sequence must be non-empty");
 * it also refuses one of whitespace alone (400 "…each stop sequence must contain non-whitespace"),
 * which is left out too, but meant something (a newline, say): `stop` is then named as dropped,
 * so `provider.require_parameters` passes the endpoint over.
 */
export function claudeStopSequences(request: ChatRequest, dropped: string[]): string[] {
  const stops = stopSequences(request);
  const kept = stops.filter((sequence) => sequence.trim() !== "");
  if (kept.length < stops.length && !dropped.includes("stop")) dropped.push("stop");
  return kept;
}

export function buildAnthropicBody(
  request: ChatRequest,
  target: UpstreamTarget,
  stream: boolean,
): { body: Record<string, unknown>; dropped: string[] } {
  const dropped = unsupportedParameters(request, target.endpoint);
  const drop = new Set(dropped);
  const { system, messages } = convertMessages(request.messages);
  const cap = target.endpoint.max_completion_tokens ?? DEFAULT_MAX_TOKENS;
  let maxTokens = Math.min(request.max_completion_tokens ?? request.max_tokens ?? cap, cap);
  const body: Record<string, unknown> = { model: target.endpoint.provider_model_id, messages };
  if (system.length > 0) body.system = system;
  const shape = target.endpoint.claude;
  const { adaptive, budget } = claudeThinking(request, shape, dropped);
  const outputConfig: Block = {};
  if (adaptive) {
    body.thinking = adaptive.thinking;
    if (adaptive.effort) outputConfig.effort = adaptive.effort;
    const topP = thinkingTopP(request, drop, dropped);
    if (topP !== undefined) body.top_p = topP;
  } else if (budget !== undefined) {
    // The budget counts inside max_tokens: the visible answer keeps what the client asked for.
    maxTokens = Math.min(cap, maxTokens + budget);
    body.thinking = { type: "enabled", budget_tokens: Math.min(budget, maxTokens - 1) };
    const topP = thinkingTopP(request, drop, dropped);
    if (topP !== undefined) body.top_p = topP;
  } else {
    if (request.temperature != null && !drop.has("temperature")) body.temperature = Math.min(1, request.temperature);
    if (request.top_p != null && !drop.has("top_p")) body.top_p = request.top_p;
    if (request.top_k != null && !drop.has("top_k")) body.top_k = request.top_k;
  }
  body.max_tokens = maxTokens;
  const stops = drop.has("stop") ? [] : claudeStopSequences(request, dropped);
  if (stops.length > 0) body.stop_sequences = stops;
  const tools: Block[] = (drop.has("tools") ? [] : (request.tools ?? [])).map((tool) => ({
    name: tool.function.name,
    ...(tool.function.description ? { description: tool.function.description } : {}),
    input_schema: tool.function.parameters ?? { type: "object", properties: {} },
    ...(tool.cache_control ? { cache_control: tool.cache_control } : {}),
  }));
  let toolChoice = drop.has("tool_choice")
    ? undefined
    : convertToolChoice(request.tool_choice, request.parallel_tool_calls);
  if (shape && !shape.forced_tool_use && (toolChoice?.type === "any" || toolChoice?.type === "tool")) {
    // The model refuses a forced tool (400): Claude is offered the tools, and the choice named dropped.
    toolChoice = { ...toolChoice, type: "auto" };
    delete toolChoice.name;
    dropped.push("tool_choice");
  }
  const format = request.response_format;
  if (format?.type === "json_schema" && !drop.has("structured_outputs") && shape?.json_schema === "native") {
    // Native structured output: the reply's text is the JSON, no tool in between.
    outputConfig.format = { type: "json_schema", schema: format.json_schema.schema ?? { type: "object" } };
  } else if (format?.type === "json_schema" && !drop.has("structured_outputs")) {
    tools.push({
      name: JSON_TOOL,
      description: `Respond with ${format.json_schema.name} as this tool's input.`,
      input_schema: format.json_schema.schema ?? { type: "object" },
    });
    if (budget !== undefined || adaptive) {
      // Forced tool use and thinking do not mix: with thinking on, the tool is offered, not forced.
      toolChoice = { type: "auto" };
    } else if (tools.length > 1 && toolChoice?.type !== "none") {
      // The client's own tools are in play: the client's choice stands, since forcing the JSON
      // tool would keep Claude from ever calling theirs; the final answer goes through it.
      toolChoice ??= { type: "auto" };
      system.push({ type: "text", text: `Give your final answer as the input of the ${JSON_TOOL} tool.` });
      body.system = system;
    } else toolChoice = { type: "tool", name: JSON_TOOL };
  } else if (format?.type === "json_object") {
    system.push({ type: "text", text: "Respond with a single valid JSON object and nothing else." });
    body.system = system;
  }
  if (target.webSearch) tools.push(webSearchTool(target.webSearch));
  if (tools.length > 0) body.tools = tools;
  if (toolChoice && tools.length > 0) body.tool_choice = toolChoice;
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  if (request.user) body.metadata = { user_id: request.user };
  if (stream) body.stream = true;
  // Claude answers with one choice per request.
  if (request.n != null && request.n > 1) dropped.push("n");
  return { body, dropped };
}

/**
 * Anthropic's web search server tool, for a web search this endpoint runs natively
 * (UpstreamTarget.webSearch): `max_results` is its `max_uses` (the most searches Claude may run);
 * the domains its allowed or blocked lists, which Anthropic refuses together (400): the allowed
 * list, the narrower, is sent alone; a user's location its `user_location` (an approximate one).
 */
function webSearchTool(search: NativeWebSearch): Block {
  const { includeDomains, excludeDomains, userLocation } = search;
  return {
    type: "web_search_20250305",
    name: "web_search",
    max_uses: search.maxResults,
    ...(includeDomains
      ? { allowed_domains: includeDomains }
      : excludeDomains
        ? { blocked_domains: excludeDomains }
        : {}),
    ...(userLocation ? { user_location: { type: "approximate", ...userLocation } } : {}),
  };
}

export function buildAnthropicChatRequest(request: ChatRequest, target: UpstreamTarget, stream: boolean): UpstreamCall {
  const { body, dropped } = buildAnthropicBody(request, target, stream);
  return {
    url: `${target.baseUrl}/v1/messages`,
    init: {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": target.apiKey,
        "anthropic-version": ANTHROPIC_VERSION,
        ...(stream ? { accept: "text/event-stream" } : {}),
      },
      body: JSON.stringify(body),
    },
    dropped,
  };
}
