import { keepShapes } from "../../hot-shapes";
import type { ChatRequest } from "../../schema/chat";
import { supports, unsupportedParameters } from "../parameters";
import type { UpstreamCall, UpstreamTarget } from "../types";
import { fitMessages } from "./message-fields";
import { developerAsSystem, quirksOf, withoutReasoningFields } from "./quirks";

/**
 * Fields of the public request that are OpenRouter's own (routing, accounting, transforms) and
 * never go upstream, plus fields that are re-expressed per provider below.
 */
export const GATEWAY_FIELDS: ReadonlySet<string> = new Set([
  "model",
  "models",
  "route",
  "provider",
  "transforms",
  "usage",
  "session_id",
  "stop_server_tools_when",
  "debug",
  "plugins",
  "reasoning",
  "reasoning_effort",
  "include_reasoning",
  "max_tokens",
  "max_completion_tokens",
  "stream",
  "stream_options",
  "top_a",
  "metadata",
  "user",
  "prediction",
]);

/** Parameter names in the `supported_parameters` vocabulary ⇒ the request fields they cover. */
const FIELDS_OF_PARAMETER: Record<string, string[]> = {
  tools: ["tools"],
  tool_choice: ["tool_choice"],
  parallel_tool_calls: ["parallel_tool_calls"],
  response_format: ["response_format"],
  structured_outputs: ["response_format"],
  reasoning: ["reasoning", "reasoning_effort"],
  include_reasoning: ["include_reasoning"],
};

/**
 * Providers that take OpenAI's `prediction` (Predicted Outputs); the others may refuse the field.
 * Not Azure: its GA api-version (azure/index.ts) predates the field, and old versions refuse it.
 */
const TAKES_PREDICTION = new Set(["openai", "mistral"]);

/** Providers whose API defines OpenAI's `developer` role; the others are sent it as `system`. */
const TAKES_DEVELOPER_ROLE = new Set(["openai", "azure"]);

/** Providers that take OpenAI's `max_completion_tokens` (required by its reasoning models). */
const USES_MAX_COMPLETION_TOKENS = new Set(["openai", "azure", "xai"]);

/**
 * `reasoning` as OpenAI's `reasoning_effort`, by OpenRouter's rules: the effort asked; from a
 * token budget, the effort whose share of the output cap is nearest (low ≈ 20%, medium ≈ 50%,
 * high ≈ 80%); `medium` when reasoning is only enabled; nothing when it is turned off.
 */
export function reasoningEffort(
  request: Pick<ChatRequest, "reasoning" | "reasoning_effort">,
  outputCap: number | null | undefined,
): string | undefined {
  const reasoning = request.reasoning;
  if (reasoning?.enabled === false) return undefined;
  const effort = reasoning?.effort ?? request.reasoning_effort;
  if (effort) return effort;
  if (reasoning?.max_tokens) {
    if (!outputCap) return "medium";
    const share = reasoning.max_tokens / outputCap;
    return share >= 0.65 ? "high" : share >= 0.35 ? "medium" : "low";
  }
  return reasoning?.enabled ? "medium" : undefined;
}

export function buildOpenAIBody(
  request: ChatRequest,
  target: UpstreamTarget,
  stream: boolean,
): { body: Record<string, unknown>; dropped: string[] } {
  const dropped = unsupportedParameters(request, target.endpoint);
  const droppedFields = new Set(dropped.flatMap((p) => FIELDS_OF_PARAMETER[p] ?? [p]));
  const quirks = quirksOf(target.provider.slug);
  const body: Record<string, unknown> = { model: target.endpoint.provider_model_id };
  for (const [field, value] of Object.entries(request)) {
    if (value === undefined || value === null) continue;
    if (GATEWAY_FIELDS.has(field) || droppedFields.has(field)) continue;
    // A strict API refuses the whole request for one field it does not know.
    if (quirks?.fields && !quirks.fields.has(field)) {
      dropped.push(field);
      continue;
    }
    body[field] = value;
  }

  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) {
    body[USES_MAX_COMPLETION_TOKENS.has(target.provider.slug) ? "max_completion_tokens" : "max_tokens"] = maxTokens;
  }

  // A JSON schema an endpoint cannot enforce still asks for JSON: JSON mode where the endpoint has
  // it (the schema is named dropped either way).
  if (dropped.includes("structured_outputs") && supports(target.endpoint, "response_format")) {
    body.response_format = { type: "json_object" };
  }

  const effort = reasoningEffort(request, maxTokens ?? target.endpoint.max_completion_tokens);
  if (effort && !droppedFields.has("reasoning")) body.reasoning_effort = effort;

  if (stream) {
    body.stream = true;
    // Usage is always requested: the final chunk must carry it and settlement charges from it.
    body.stream_options = { include_usage: true };
  }
  if (request.user) body.user = request.user;
  if (request.prediction != null && TAKES_PREDICTION.has(target.provider.slug)) body.prediction = request.prediction;
  if (!TAKES_DEVELOPER_ROLE.has(target.provider.slug)) body.messages = developerAsSystem(body.messages);
  // A strict API gets only what it takes inside messages; the others all but the reasoning fields.
  body.messages = quirks?.messages
    ? fitMessages(body.messages, quirks.messages, supports(target.endpoint, "reasoning"))
    : withoutReasoningFields(body.messages);
  if (quirks?.rewrite) dropped.push(...quirks.rewrite(body, request));
  return { body, dropped };
}

export function buildOpenAIChatRequest(request: ChatRequest, target: UpstreamTarget, stream: boolean): UpstreamCall {
  const { body, dropped } = buildOpenAIBody(request, target, stream);
  return openaiCall(`${target.baseUrl}/chat/completions`, target, body, stream, dropped);
}

/** A JSON POST to an OpenAI API with the provider's bearer key (Chat Completions, Responses). */
export function openaiCall(
  url: string,
  target: UpstreamTarget,
  body: Record<string, unknown>,
  stream: boolean,
  dropped: string[],
): UpstreamCall {
  const text = JSON.stringify(body);
  // Built field by field from the request: its maps are kept alive by its latest (hot-shapes.ts).
  keepShapes("upstream body", body, text.length);
  const headers: Record<string, string> = stream
    ? { "content-type": "application/json", authorization: `Bearer ${target.apiKey}`, accept: "text/event-stream" }
    : { "content-type": "application/json", authorization: `Bearer ${target.apiKey}` };
  return { url, init: { method: "POST", headers, body: text }, dropped };
}
