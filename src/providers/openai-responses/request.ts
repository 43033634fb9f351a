import type { ChatRequest, ContentPart, Message, MessageContent, ReasoningDetail } from "../../schema/chat";
import { contentText } from "../content-text";
import { gpt6Effort } from "../openai/quirks";
import { GATEWAY_FIELDS, openaiCall, reasoningEffort } from "../openai/request";
import { supports, unsupportedParameters } from "../parameters";
import type { UpstreamCall, UpstreamTarget } from "../types";

/**
 * OpenAI's Responses API (`POST /responses`) asked with a chat request: messages as `input` items,
 * flat function tools, `text.format` for structured output, and each earlier turn's encrypted
 * reasoning sent back as a `reasoning` item, since the call is stateless (`store: false`).
 */

/** The `format` of the reasoning details this API's reasoning items become (OpenRouter's name). */
export const OPENAI_RESPONSES_FORMAT = "openai-responses-v1";

type Json = Record<string, unknown>;

/** The least `max_output_tokens` the API takes. */
const MIN_OUTPUT_TOKENS = 16;

/** Chat fields re-expressed below in Responses' terms. */
const MAPPED = new Set(["messages", "tools", "tool_choice", "parallel_tool_calls", "response_format", "verbosity"]);

/** Chat fields the Responses API takes under the same name and meaning, sent as they are. */
const SAME = new Set(["temperature", "top_p", "service_tier", "prompt_cache_key", "safety_identifier"]);

/** A chat content part as a Responses input part (audio has no place here: left out). */
function inputPart(part: ContentPart): Json | undefined {
  switch (part.type) {
    case "text":
      return { type: "input_text", text: part.text };
    case "image_url": {
      const image = typeof part.image_url === "string" ? { url: part.image_url } : part.image_url;
      return { type: "input_image", image_url: image.url, detail: image.detail ?? "auto" };
    }
    case "file": {
      const { filename, file_data, file_id } = part.file;
      return {
        type: "input_file",
        ...(filename ? { filename } : {}),
        ...(file_data ? { file_data } : {}),
        ...(file_id ? { file_id } : {}),
      };
    }
    default:
      return undefined;
  }
}

function inputContent(content: MessageContent): string | Json[] {
  if (typeof content === "string") return content;
  return content.map(inputPart).filter((part): part is Json => part !== undefined);
}

/**
 * The reasoning items this API gave an earlier turn, from its reasoning details: each encrypted
 * item (with its summaries, by `id`). Details of other formats (a Claude signature after a
 * fallback) mean nothing to OpenAI and are left out.
 */
function reasoningItems(details: ReasoningDetail[] | null | undefined): Json[] {
  const ours = (details ?? []).filter((d) => d.format === OPENAI_RESPONSES_FORMAT);
  return ours
    .filter((d) => d.type === "reasoning.encrypted" && d.data)
    .map((d) => ({
      type: "reasoning",
      ...(d.id ? { id: d.id } : {}),
      summary: summaryParts(ours.filter((s) => s.id === d.id && (s.summary || s.text))),
      encrypted_content: d.data,
    }));
}

/**
 * Summary details as summary parts: the pieces of one part (a stream's deltas, as a client may
 * send them back unmerged, sharing their `index`) joined into it.
 */
function summaryParts(details: ReasoningDetail[]): Json[] {
  const parts: Array<{ index: number | undefined; text: string }> = [];
  for (const detail of details) {
    const last = parts.at(-1);
    // A summary comes back as `reasoning.summary`, or as `reasoning.text` through /responses.
    const text = detail.summary ?? detail.text ?? "";
    if (last && detail.index !== undefined && last.index === detail.index) last.text += text;
    else parts.push({ index: detail.index, text });
  }
  return parts.map((part) => ({ type: "summary_text", text: part.text }));
}

/** One chat message as the Responses input items it stands for. */
function inputItems(message: Message): Json[] {
  switch (message.role) {
    case "system":
    case "developer":
    case "user":
      return [{ type: "message", role: message.role, content: inputContent(message.content) }];
    case "tool":
      return [{ type: "function_call_output", call_id: message.tool_call_id, output: contentText(message.content) }];
    case "assistant": {
      const items = reasoningItems(message.reasoning_details);
      const text = contentText(message.content);
      if (text) items.push({ type: "message", role: "assistant", content: text });
      for (const call of message.tool_calls ?? []) {
        items.push({
          type: "function_call",
          call_id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        });
      }
      return items;
    }
  }
}

/** Chat's `tool_choice` in Responses' shape: a named function is `{type, name}`. */
function toolChoice(choice: ChatRequest["tool_choice"]): unknown {
  if (choice == null || typeof choice === "string") return choice;
  return { type: "function", name: choice.function.name };
}

/** Chat's `response_format` as Responses' `text.format`. */
function textFormat(request: ChatRequest, target: UpstreamTarget, dropped: string[]): Json | undefined {
  const format = request.response_format;
  if (!format || format.type === "text") return undefined;
  // A JSON schema the endpoint cannot enforce still asks for JSON (JSON mode where it has it), as
  // on Chat Completions.
  if (format.type === "json_object" || dropped.includes("structured_outputs")) {
    return supports(target.endpoint, "response_format") ? { type: "json_object" } : undefined;
  }
  const { name, description, schema, strict } = format.json_schema;
  return {
    type: "json_schema",
    name,
    ...(description ? { description } : {}),
    schema: schema ?? { type: "object" },
    ...(strict != null ? { strict } : {}),
  };
}

/**
 * `reasoning` as Responses takes it: the effort asked (reasoning turned off is effort none, which
 * GPT-6 models that cannot stop reasoning take as low), or the model's default; and a summary,
 * so that the reasoning's text comes back (the model's own never does), unless the client hides
 * it or nothing is reasoned.
 */
function reasoningOf(request: ChatRequest, model: string, maxTokens: number | null | undefined): Json {
  const off = request.reasoning?.enabled === false;
  const asked = off ? "none" : reasoningEffort(request, maxTokens);
  const effort = asked === undefined ? undefined : gpt6Effort(model, asked);
  const hidden = off || request.reasoning?.exclude === true || request.include_reasoning === false;
  return {
    ...(effort ? { effort } : {}),
    ...(!hidden && effort !== "none" ? { summary: "auto" } : {}),
  };
}

export function buildResponsesBody(
  request: ChatRequest,
  target: UpstreamTarget,
  stream: boolean,
): { body: Json; dropped: string[] } {
  const dropped = unsupportedParameters(request, target.endpoint);
  const has = (parameter: string) => !dropped.includes(parameter);
  const same: Json = {};
  for (const [field, value] of Object.entries(request)) {
    if (value == null || GATEWAY_FIELDS.has(field) || MAPPED.has(field) || dropped.includes(field)) continue;
    if (SAME.has(field)) same[field] = value;
    // Any other field (chat's `n` past one, `modalities`, `store`, `prediction`…) has no place in
    // a Response, and the API refuses a parameter it does not know: named dropped instead.
    else if (!(field === "n" && value === 1)) dropped.push(field);
  }

  const body: Json = {
    model: target.endpoint.provider_model_id,
    ...same,
    input: request.messages.flatMap(inputItems),
    // Stateless: nothing is kept at OpenAI, so the reasoning comes back encrypted for the next turn.
    store: false,
    include: ["reasoning.encrypted_content"],
  };
  if (request.tools?.length && has("tools")) {
    body.tools = request.tools.map((tool) => ({
      type: "function",
      name: tool.function.name,
      ...(tool.function.description ? { description: tool.function.description } : {}),
      parameters: tool.function.parameters ?? { type: "object", properties: {} },
      // Responses makes a function strict unless told otherwise; chat's default is not strict.
      strict: tool.function.strict ?? false,
    }));
    if (request.tool_choice != null && has("tool_choice")) body.tool_choice = toolChoice(request.tool_choice);
    if (request.parallel_tool_calls != null && has("parallel_tool_calls")) {
      body.parallel_tool_calls = request.parallel_tool_calls;
    }
  }

  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  // The API refuses a cap under 16 (400 "integer below minimum value"): a smaller one is raised to
  // it rather than failing a request that Chat Completions would have answered.
  if (maxTokens != null) body.max_output_tokens = Math.max(MIN_OUTPUT_TOKENS, maxTokens);

  const reasoning = has("reasoning")
    ? reasoningOf(request, target.endpoint.provider_model_id, maxTokens ?? target.endpoint.max_completion_tokens)
    : {};
  if (Object.keys(reasoning).length > 0) body.reasoning = reasoning;

  const format = textFormat(request, target, dropped);
  const verbosity = has("verbosity") ? (request as Json).verbosity : undefined;
  if (format || typeof verbosity === "string") {
    body.text = { ...(format ? { format } : {}), ...(typeof verbosity === "string" ? { verbosity } : {}) };
  }
  if (request.user) body.user = request.user;
  // Both take metadata as string pairs (Chat Completions only with `store`, so it never goes there).
  if (request.metadata) body.metadata = request.metadata;
  if (stream) body.stream = true;
  return { body, dropped };
}

export function buildResponsesChatRequest(request: ChatRequest, target: UpstreamTarget, stream: boolean): UpstreamCall {
  const { body, dropped } = buildResponsesBody(request, target, stream);
  return openaiCall(`${target.baseUrl}/responses`, target, body, stream, dropped);
}
