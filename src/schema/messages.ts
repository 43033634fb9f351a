import * as z from "zod/mini";
import {
  CacheControl,
  type ChatRequest,
  ChatRequestSchema,
  CommonRequestFields,
  MAX_MESSAGES,
  ModelId,
  Reasoning,
} from "./chat";
import { badRequest, GatewayError } from "./errors";
import { items } from "./items";
import { SERVER_TOOL_TYPES, serverToolPathsRenamer } from "./server-tools";
import { sparse } from "./sparse";
import { parseWith, withPathsRenamed } from "./validate";

/**
 * `POST /messages`: Anthropic's Messages API as OpenRouter serves it (any model of the catalog,
 * with OpenRouter's routing fields), answered by the chat path. The request is translated into a
 * chat request (messagesToChat) and the chat reply back into a Message (generation/messages.ts).
 * Anthropic's fields with no chat counterpart that change nothing of the answer's meaning
 * (`cache_control` where chat has no slot for it) are taken and dropped; what would be answered
 * wrongly without it (a server tool, a document by URL) is a 400 that names it.
 */

const Base64Source = z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() });
const UrlSource = z.looseObject({ type: z.literal("url"), url: z.string() });
const TextSource = z.looseObject({ type: z.literal("text"), media_type: z.optional(z.string()), data: z.string() });

const TextBlock = z.looseObject({ type: z.literal("text"), text: z.string(), cache_control: z.nullish(CacheControl) });
const ImageBlock = z.looseObject({
  type: z.literal("image"),
  source: z.discriminatedUnion("type", [Base64Source, UrlSource]),
});
const DocumentBlock = z.looseObject({
  type: z.literal("document"),
  source: z.discriminatedUnion("type", [Base64Source, UrlSource, TextSource]),
  title: z.nullish(z.string()),
});
const ToolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
});
const ToolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.optional(
    z.union([z.string(), items(z.discriminatedUnion("type", [TextBlock, ImageBlock, DocumentBlock]))]),
  ),
  is_error: z.optional(z.boolean()),
});
const ThinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() });
const RedactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });

/**
 * A server tool's call or result in an assistant turn, as Anthropic's API returns them (its own
 * web search or fetch, in a conversation a client began elsewhere and sends on): dropped, since
 * the turn's text after them carries what they found, as /responses drops web_search_call items.
 */
const SERVER_TOOL_BLOCK_TYPES = ["server_tool_use", "web_search_tool_result", "web_fetch_tool_result"] as const;
const ServerToolBlock = z.looseObject({ type: z.enum(SERVER_TOOL_BLOCK_TYPES) });

const ContentBlock = z.discriminatedUnion("type", [
  TextBlock,
  ImageBlock,
  DocumentBlock,
  ToolUseBlock,
  ToolResultBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
  ServerToolBlock,
]);
type ContentBlock = z.infer<typeof ContentBlock>;

const Message = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), items(ContentBlock)]),
});

/**
 * A client tool (`type` absent or "custom"), one of OpenRouter's server tools (`openrouter:*`, no
 * name: checked as chat checks them) or Anthropic's web search (run as OpenRouter's); Anthropic's
 * other server tools are refused by name in toChatTool.
 */
const Tool = z.looseObject({
  type: z.nullish(z.string()),
  name: z.optional(z.string()),
  description: z.nullish(z.string()),
  input_schema: z.optional(z.record(z.string(), z.unknown())),
  cache_control: z.nullish(CacheControl),
  strict: z.nullish(z.boolean()),
});

const ParallelFlag = { disable_parallel_tool_use: z.nullish(z.boolean()) };
const ToolChoice = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("auto"), ...ParallelFlag }),
  z.looseObject({ type: z.literal("any"), ...ParallelFlag }),
  z.looseObject({ type: z.literal("tool"), name: z.string(), ...ParallelFlag }),
  z.looseObject({ type: z.literal("none") }),
]);

const Thinking = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("enabled"), budget_tokens: z.number().check(z.int(), z.positive()) }),
  z.looseObject({ type: z.literal("disabled") }),
  z.looseObject({ type: z.literal("adaptive") }),
]);

/**
 * Anthropic's `output_config`: the effort (OpenRouter's reasoning effort) and a structured output
 * format (chat's `response_format` json_schema).
 */
const OutputConfig = z.looseObject({
  effort: Reasoning.shape.effort,
  format: z.nullish(z.looseObject({ type: z.literal("json_schema"), schema: z.record(z.string(), z.unknown()) })),
});

/** The prompt's fields and OpenRouter's routing ones: what count_tokens reads of a Messages body. */
const MessagesFields = {
  model: CommonRequestFields.model,
  messages: items(Message, (array) =>
    array.check(
      z.minLength(1, "messages must contain at least one message"),
      z.maxLength(MAX_MESSAGES, `at most ${MAX_MESSAGES} messages (Anthropic's limit)`),
    ),
  ),
  system: z.nullish(z.union([z.string(), items(TextBlock)])),
  tools: z.nullish(items(Tool)),
  tool_choice: z.nullish(ToolChoice),
  thinking: z.nullish(Thinking),
  // OpenRouter's own fields, taken here as on chat.
  models: CommonRequestFields.models,
  /** OpenRouter's: models to try after `model`, in order (its `models`, in Anthropic's form); not with `models`. */
  fallbacks: z.nullish(
    items(z.looseObject({ model: ModelId }), (array) => array.check(z.maxLength(3, "at most 3 fallbacks"))),
  ),
  route: CommonRequestFields.route,
  provider: CommonRequestFields.provider,
  transforms: CommonRequestFields.transforms,
  preset: CommonRequestFields.preset,
  plugins: z.optional(items(z.looseObject({ id: z.string() }))),
  session_id: CommonRequestFields.session_id,
  user: CommonRequestFields.user,
};

export const MessagesRequestSchema = sparse(
  z.looseObject({
    ...MessagesFields,
    // Required by Anthropic's API, optional in OpenRouter's (its SDK's MessagesRequest): left
    // out, the provider's default applies, as on chat.
    max_tokens: z.optional(z.number().check(z.int(), z.positive())),
    stop_sequences: z.nullish(items(z.string())),
    temperature: CommonRequestFields.temperature,
    top_p: CommonRequestFields.top_p,
    top_k: CommonRequestFields.top_k,
    metadata: z.nullish(z.looseObject({ user_id: z.nullish(z.string()) })),
    output_config: z.nullish(OutputConfig),
    stream: CommonRequestFields.stream,
  }),
);
export type MessagesRequest = z.infer<typeof MessagesRequestSchema>;

/** `POST /messages/count_tokens`: the prompt's fields; sampling and output settings count for nothing. */
export const CountTokensRequestSchema = sparse(z.looseObject(MessagesFields));
export type CountTokensRequest = z.infer<typeof CountTokensRequestSchema>;

/**
 * The chat request that answers a Messages request (validated as a chat request too). Fields
 * Anthropic's API has and chat does not (`container`, `mcp_servers`, `context_management`,
 * `service_tier`'s Anthropic values, …) are not passed on: the chat path has no place for them,
 * and most providers would refuse them as unknown.
 */
export function messagesToChat(request: MessagesRequest | CountTokensRequest): ChatRequest {
  const messages: Record<string, unknown>[] = [];
  const { system } = request;
  if (typeof system === "string" && system) messages.push({ role: "system", content: system });
  else if (Array.isArray(system) && system.length > 0) {
    messages.push({ role: "system", content: system.map((block, i) => toChatPart(block, `system.${i}`)) });
  }
  request.messages.forEach((message, index) => {
    addMessage(messages, message, index);
  });
  const full = request as Partial<MessagesRequest>;
  if (request.fallbacks?.length && request.models?.length) {
    throw badRequest("fallbacks: cannot be combined with models (both name the models to try after `model`)");
  }
  const chat: Record<string, unknown> = {
    model: request.model,
    models: request.fallbacks?.length ? request.fallbacks.map((fallback) => fallback.model) : request.models,
    route: request.route,
    provider: request.provider,
    transforms: request.transforms,
    preset: request.preset,
    plugins: request.plugins,
    session_id: request.session_id,
    user: full.metadata?.user_id ?? request.user,
    messages,
    max_tokens: full.max_tokens,
    stop: full.stop_sequences?.length ? full.stop_sequences : undefined,
    temperature: full.temperature,
    top_p: full.top_p,
    top_k: full.top_k,
    stream: full.stream,
  };
  if (request.tools?.length) chat.tools = request.tools.map(toChatTool);
  // OpenRouter's, for its server tools' loop: checked by chat's schema.
  const stops = (request as { stop_server_tools_when?: unknown }).stop_server_tools_when;
  if (stops != null) chat.stop_server_tools_when = stops;
  const choice = request.tool_choice;
  if (choice) {
    chat.tool_choice = toChatToolChoice(choice);
    if ("disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use) chat.parallel_tool_calls = false;
  }
  // Anthropic's budget is OpenRouter's reasoning.max_tokens; adaptive thinking is reasoning left to the model.
  if (request.thinking?.type === "enabled") chat.reasoning = { max_tokens: request.thinking.budget_tokens };
  else if (request.thinking?.type === "adaptive") chat.reasoning = { enabled: true };
  const output = full.output_config;
  // A thinking budget, where given, says more than an effort.
  if (output?.effort && request.thinking?.type !== "enabled") {
    chat.reasoning = { ...(chat.reasoning as object | undefined), effort: output.effort };
  }
  if (output?.format) {
    chat.response_format = { type: "json_schema", json_schema: { name: "output", schema: output.format.schema } };
  }
  for (const key of Object.keys(chat)) if (chat[key] == null) delete chat[key];
  try {
    return parseWith(ChatRequestSchema, chat);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    // An Anthropic web search or fetch tool's settings, checked as the server tool's parameters, by the
    // names the request gave them.
    const tools = request.tools ?? [];
    const rename = serverToolPathsRenamer(tools, isAnthropicServerTool, (parameter, index) =>
      parameter === "excluded_domains" && isAnthropicWebSearch(tools[index] as z.infer<typeof Tool>)
        ? "blocked_domains"
        : parameter,
    );
    throw withPathsRenamed(error, rename);
  }
}

/**
 * One Anthropic turn as chat messages. A user turn's tool results become tool messages, before
 * the rest of the turn (Anthropic puts them first); an assistant turn's thinking becomes its
 * reasoning details, so Claude's signatures (and redacted thinking) go back to it as they came.
 */
function addMessage(messages: Record<string, unknown>[], message: z.infer<typeof Message>, index: number): void {
  const at = `messages.${index}.content`;
  if (typeof message.content === "string") {
    messages.push({ role: message.role, content: message.content });
    return;
  }
  if (message.role === "user") {
    const parts: unknown[] = [];
    message.content.forEach((block, i) => {
      if (block.type === "tool_result") {
        messages.push({
          role: "tool",
          tool_call_id: block.tool_use_id,
          content: toolResultContent(block, `${at}.${i}`),
        });
      } else parts.push(toChatPart(block, `${at}.${i}`));
    });
    if (parts.length > 0) messages.push({ role: "user", content: parts });
    return;
  }
  const text: string[] = [];
  const toolCalls: unknown[] = [];
  const details: Record<string, unknown>[] = [];
  message.content.forEach((block, i) => {
    if (block.type === "text") text.push(block.text);
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input) },
      });
    } else if (block.type === "thinking") {
      details.push({
        type: "reasoning.text",
        text: block.thinking,
        ...(block.signature ? { signature: block.signature } : {}),
      });
    } else if (block.type === "redacted_thinking") details.push({ type: "reasoning.encrypted", data: block.data });
    else if ((SERVER_TOOL_BLOCK_TYPES as readonly string[]).includes(block.type)) return;
    else throw badRequest(`${at}.${i}.type: ${JSON.stringify(block.type)} blocks are not taken in an assistant turn`);
  });
  messages.push({
    role: "assistant",
    content: text.length > 0 ? text.join("") : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(details.length > 0 ? { reasoning_details: details } : {}),
  });
}

/** A user turn's block as a chat content part. */
function toChatPart(block: ContentBlock, at: string): unknown {
  switch (block.type) {
    case "text":
      return { type: "text", text: block.text, ...(block.cache_control ? { cache_control: block.cache_control } : {}) };
    case "image": {
      const { source } = block;
      const url = source.type === "base64" ? `data:${source.media_type};base64,${source.data}` : source.url;
      return { type: "image_url", image_url: { url } };
    }
    case "document": {
      const { source } = block;
      // A plain-text document is its text; a PDF goes as chat's file part (Anthropic's document again for Claude).
      if (source.type === "text") return { type: "text", text: source.data };
      if (source.type === "url") {
        throw badRequest(`${at}.source: a document by URL is not supported: send it as base64 (source.type "base64")`);
      }
      return {
        type: "file",
        file: {
          file_data: `data:${source.media_type};base64,${source.data}`,
          ...(block.title ? { filename: block.title } : {}),
        },
      };
    }
    default:
      throw badRequest(`${at}.type: ${JSON.stringify(block.type)} blocks are not taken in a user turn`);
  }
}

/**
 * A tool result's content as a tool message's. Chat has no error flag on a tool result: an
 * errored one is marked in its text, so the model still reads it as the failure it was.
 */
function toolResultContent(block: z.infer<typeof ToolResultBlock>, at: string): unknown {
  const content = block.content ?? "";
  const parts =
    typeof content === "string" ? content : content.map((part, i) => toChatPart(part, `${at}.content.${i}`));
  if (!block.is_error) return parts;
  if (typeof parts === "string") return `Error: ${parts}`;
  return [{ type: "text", text: "Error:" }, ...parts];
}

/** Anthropic's web search tool, by each version's type (`web_search_20250305`, `web_search_20260209`). */
const isAnthropicWebSearch = (tool: z.infer<typeof Tool>) => /^web_search_\d{8}$/.test(tool.type ?? "");

/**
 * Anthropic's web search tool as OpenRouter's `openrouter:web_search` (as OpenRouter's Messages API
 * takes it): `max_uses`, `allowed_domains`, `blocked_domains` (the server tool's
 * `excluded_domains`) and `user_location` become its parameters.
 */
function asServerWebSearch(tool: z.infer<typeof Tool>) {
  const { type: _type, name: _name, cache_control: _cache, blocked_domains, ...settings } = tool;
  return {
    type: "openrouter:web_search",
    parameters: { ...settings, ...(blocked_domains != null ? { excluded_domains: blocked_domains } : {}) },
  };
}

/** Anthropic's web fetch tool, by each version's type (`web_fetch_20250910`, …). */
const isAnthropicWebFetch = (tool: z.infer<typeof Tool>) => /^web_fetch_\d{8}$/.test(tool.type ?? "");

/**
 * Anthropic's web fetch tool as OpenRouter's `openrouter:web_fetch`, whose parameters have the
 * same names (`max_uses`, `allowed_domains`, `blocked_domains`, `max_content_tokens`); its
 * `citations` switch is dropped (the fetched text reaches the model as a tool result either way).
 */
function asServerWebFetch(tool: z.infer<typeof Tool>) {
  const { type: _type, name: _name, cache_control: _cache, citations: _citations, ...settings } = tool;
  return { type: "openrouter:web_fetch", parameters: settings };
}

/** Anthropic's own server tools that run as OpenRouter's (their settings on the tool itself). */
const isAnthropicServerTool = (tool: z.infer<typeof Tool>) => isAnthropicWebSearch(tool) || isAnthropicWebFetch(tool);

function toChatTool(tool: z.infer<typeof Tool>, index: number) {
  // OpenRouter's server tools: chat's schema reads them (their parameters, by their path) and the
  // chat path runs them.
  if (tool.type?.startsWith("openrouter:")) return tool;
  if (isAnthropicWebSearch(tool)) return asServerWebSearch(tool);
  if (isAnthropicWebFetch(tool)) return asServerWebFetch(tool);
  if (tool.type != null && tool.type !== "custom") {
    throw badRequest(
      `tools.${index}.type: Anthropic's server tool ${JSON.stringify(tool.type)} is not supported: client tools (name, input_schema), web search ("web_search_20250305"), web fetch ("web_fetch_20250910"), and OpenRouter's server tools (${SERVER_TOOL_TYPES})`,
      { tool: tool.type },
    );
  }
  if (!tool.name) throw badRequest(`tools.${index}.name: a client tool needs a name`);
  return {
    type: "function",
    function: {
      name: tool.name,
      ...(tool.description != null ? { description: tool.description } : {}),
      parameters: tool.input_schema ?? { type: "object", properties: {} },
      ...(tool.strict != null ? { strict: tool.strict } : {}),
    },
    ...(tool.cache_control ? { cache_control: tool.cache_control } : {}),
  };
}

function toChatToolChoice(choice: z.infer<typeof ToolChoice>) {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return { type: "function", function: { name: choice.name } };
  }
}
