import * as z from "zod/mini";
import {
  type ChatRequest,
  ChatRequestSchema,
  CommonRequestFields,
  MAX_MESSAGES,
  Reasoning,
  type ResponseFormat,
} from "./chat";
import { badRequest, GatewayError } from "./errors";
import { items } from "./items";
import { MAX_TOOL_STEPS, SERVER_TOOL_TYPES, serverToolPathsRenamer, WEB_SEARCH_FUNCTION_NAME } from "./server-tools";
import { sparse } from "./sparse";
import { parseWith, withPathsRenamed } from "./validate";

/**
 * `POST /responses`: OpenAI's Responses API as OpenRouter serves it (beta, stateless), answered by
 * the chat path. The request is translated into a chat request (responsesToChat) and the chat
 * reply back into a Response (generation/responses.ts). What needs state the gateway does not
 * keep (a stored response, a conversation, a background run) or a tool it does not host is a 400
 * that names it, never silently ignored.
 */

/** Fields that only a stateful server can honour: refused unless absent, null or their stateless value. */
const stateless = <T extends z.core.util.Literal>(value: T, why: string) => z.nullish(z.literal(value, { error: why }));

const STATELESS =
  "the Responses API here is stateless (no responses are stored): send the whole conversation in `input`";

const Part = z.looseObject({ type: z.string() });

/** A message item: `type` may be left out, as the OpenAI SDK's EasyInputMessage does. */
const MessageItem = z.looseObject({
  type: z.optional(z.literal("message")),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), items(Part)]),
});
const FunctionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
});
const FunctionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string(),
  output: z.union([z.string(), items(Part)]),
});
const ReasoningText = z.looseObject({ text: z.string() });
const ReasoningItem = z.looseObject({
  type: z.literal("reasoning"),
  summary: z.nullish(items(ReasoningText)),
  content: z.nullish(items(ReasoningText)),
  encrypted_content: z.nullish(z.string()),
  signature: z.nullish(z.string()),
  format: z.nullish(z.string()),
});
const ITEMS: Record<string, z.ZodMiniType> = {
  message: MessageItem,
  function_call: FunctionCallItem,
  function_call_output: FunctionCallOutputItem,
  reasoning: ReasoningItem,
};
type InputItem =
  | z.infer<typeof MessageItem>
  | z.infer<typeof FunctionCallItem>
  | z.infer<typeof FunctionCallOutputItem>
  | z.infer<typeof ReasoningItem>
  | { type: string };
/**
 * An input item, checked as the kind its `type` names (a message when it has none), so that a bad
 * one is a 400 naming its own field; any other kind is refused by name in responsesToChat.
 */
const InputItem = z.pipe(
  z.looseObject({ type: z.optional(z.string()) }),
  z.transform((item, ctx): InputItem => {
    const schema = ITEMS[item.type ?? "message"];
    if (!schema) return item as { type: string };
    const result = schema.safeParse(item);
    if (result.success) return result.data as InputItem;
    for (const issue of result.error.issues) ctx.issues.push(issue as z.core.$ZodRawIssue);
    return z.NEVER;
  }),
);

/**
 * A function tool, flat as the Responses API has it, one of OpenRouter's server tools
 * (`openrouter:*`, checked as chat checks them) or OpenAI's web search (run as OpenRouter's); other
 * (built-in) tools are refused by name.
 */
const Tool = z.looseObject({
  type: z.string(),
  name: z.optional(z.string()),
  description: z.nullish(z.string()),
  parameters: z.nullish(z.record(z.string(), z.unknown())),
  strict: z.nullish(z.boolean()),
});

const ToolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.string(), name: z.optional(z.string()) }),
]);

const TextFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    name: z.string(),
    description: z.nullish(z.string()),
    schema: z.record(z.string(), z.unknown()),
    strict: z.nullish(z.boolean()),
  }),
]);

export const ResponsesRequestSchema = sparse(
  z.looseObject({
    model: CommonRequestFields.model,
    models: CommonRequestFields.models,
    route: CommonRequestFields.route,
    provider: CommonRequestFields.provider,
    transforms: CommonRequestFields.transforms,
    user: CommonRequestFields.user,
    session_id: CommonRequestFields.session_id,
    metadata: z.nullable(CommonRequestFields.metadata),
    stream: CommonRequestFields.stream,
    temperature: CommonRequestFields.temperature,
    top_p: CommonRequestFields.top_p,
    top_k: CommonRequestFields.top_k,
    frequency_penalty: CommonRequestFields.frequency_penalty,
    presence_penalty: CommonRequestFields.presence_penalty,
    seed: CommonRequestFields.seed,
    input: z.union([
      z.string(),
      items(InputItem, (array) =>
        array.check(
          z.minLength(1, "input must hold at least one item"),
          z.maxLength(MAX_MESSAGES, `at most ${MAX_MESSAGES} items`),
        ),
      ),
    ]),
    instructions: z.nullish(z.string()),
    max_output_tokens: z.nullish(z.number().check(z.int(), z.positive())),
    // OpenAI's bound on built-in tools' calls; with OpenRouter's server tools, as on OpenRouter, the
    // most steps of their loop (serverToolSteps). Echoed in the Response, as OpenAI does.
    max_tool_calls: z.nullish(z.number().check(z.int(), z.nonnegative())),
    tools: z.nullish(items(Tool)),
    tool_choice: z.nullish(ToolChoice),
    parallel_tool_calls: z.nullish(z.boolean()),
    reasoning: z.nullish(z.extend(Reasoning, { summary: z.nullish(z.enum(["auto", "concise", "detailed"])) })),
    text: z.nullish(
      z.looseObject({ format: z.nullish(TextFormat), verbosity: z.nullish(z.enum(["low", "medium", "high"])) }),
    ),
    plugins: z.optional(items(z.looseObject({ id: z.string() }))),
    service_tier: z.nullish(z.string()),
    // What a response may include beside its output: the reasoning's encrypted form (always sent
    // here, as signature or encrypted_content) and a web search call's sources (always listed in
    // its action here) ask for nothing more; logprobs are not returned, and asking is refused.
    include: z.nullish(
      items(
        z.string().check(
          z.refine((value) => value !== "message.output_text.logprobs", {
            error: "message.output_text.logprobs is not supported on /responses",
          }),
        ),
      ),
    ),
    // OpenAI's chat takes these too: passed on as a chat request's would be.
    prompt_cache_key: z.nullish(z.string()),
    // OpenRouter's: a stream's `response.debug` event shows the body sent upstream.
    debug: CommonRequestFields.debug,
    safety_identifier: z.nullish(z.string()),
    truncation: z.nullish(z.literal("disabled", { error: 'truncation "auto" is not supported: only "disabled"' })),
    // Stateful features: a stateless gateway cannot serve them.
    store: stateless(false, `store: true is not supported: ${STATELESS}`),
    previous_response_id: z.optional(z.null({ error: `previous_response_id is not supported: ${STATELESS}` })),
    conversation: z.optional(z.null({ error: `conversation is not supported: ${STATELESS}` })),
    background: stateless(false, "background: true is not supported: responses are answered in the request"),
    prompt: z.optional(
      z.null({ error: "prompt (a stored prompt template) is not supported: send `instructions` and `input`" }),
    ),
    top_logprobs: z.optional(z.null({ error: "top_logprobs is not supported on /responses" })),
  }),
);
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;

/**
 * Fields not passed on as unknown fields are: the Responses API's own that have no place in a chat
 * request (the schema's fields are translated one by one), and chat's that would ask for more than
 * a Response can carry (`n`: more choices, billed, of which a Response holds one; `logprobs`).
 */
const NOT_FORWARDED = new Set([
  "stream_options",
  "context_management",
  "moderation",
  "prompt_cache_options",
  "n",
  "logprobs",
]);

/** The chat request that answers a Responses request (validated as a chat request too). */
export function responsesToChat(request: ResponsesRequest): ChatRequest {
  const messages: Record<string, unknown>[] = [];
  // Where each message came from in the request, for the path of a 400 about it.
  const sources: string[] = [];
  if (request.instructions) {
    messages.push({ role: "system", content: request.instructions });
    sources.push("instructions");
  }
  if (typeof request.input === "string") {
    messages.push({ role: "user", content: request.input });
    sources.push("input");
  } else {
    // Reasoning items waiting for the assistant turn they came before.
    const pending: Record<string, unknown>[] = [];
    for (let index = 0; index < request.input.length; index++) {
      addItem(messages, request.input[index] as InputItem, index, pending);
      while (sources.length < messages.length) sources.push(`input.${index}`);
    }
  }

  const chat: Record<string, unknown> = {
    model: request.model,
    models: request.models,
    route: request.route,
    provider: request.provider,
    transforms: request.transforms,
    user: request.user,
    session_id: request.session_id,
    metadata: request.metadata ?? undefined,
    stream: request.stream,
    temperature: request.temperature,
    top_p: request.top_p,
    top_k: request.top_k,
    frequency_penalty: request.frequency_penalty,
    presence_penalty: request.presence_penalty,
    seed: request.seed,
    messages,
    max_tokens: request.max_output_tokens,
    parallel_tool_calls: request.parallel_tool_calls,
    plugins: request.plugins,
    service_tier: request.service_tier,
    prompt_cache_key: request.prompt_cache_key,
    safety_identifier: request.safety_identifier,
    debug: request.debug,
  };
  if (request.tools && request.tools.length > 0) {
    if (request.tools.filter(isWebSearchTool).length > 1) {
      throw badRequest(
        "tools: one web search tool at most (web_search, web_search_preview and openrouter:web_search are one tool here)",
      );
    }
    chat.tools = request.tools.map(toChatTool);
    const stepCap = serverToolSteps(request);
    if (stepCap !== undefined) chat.stop_server_tools_when = [{ type: "step_count_is", step_count: stepCap }];
  }
  if (request.tool_choice != null) chat.tool_choice = toChatToolChoice(request.tool_choice, request.tools ?? []);
  if (request.reasoning) {
    const { summary: _summary, ...reasoning } = request.reasoning;
    if (Object.values(reasoning).some((v) => v != null)) chat.reasoning = reasoning;
  }
  const format = request.text?.format;
  if (format) chat.response_format = toResponseFormat(format);
  // Chat's own (unlisted) field, sent where the endpoint takes it and named dropped elsewhere.
  if (request.text?.verbosity != null) chat.verbosity = request.text.verbosity;
  // Fields it does not know (a provider's own, OpenRouter's newer ones) go on as chat's unknown
  // fields do.
  for (const [field, value] of Object.entries(request)) {
    if (!(field in ResponsesRequestSchema.shape) && !NOT_FORWARDED.has(field) && chat[field] == null) {
      chat[field] = value;
    }
  }
  for (const key of Object.keys(chat)) if (chat[key] === undefined || chat[key] === null) delete chat[key];
  try {
    return parseWith(ChatRequestSchema, chat);
  } catch (error) {
    throw error instanceof GatewayError ? inRequestTerms(error, request, messages, sources) : error;
  }
}

/**
 * A 400 from validating the chat request, its paths put back in the Responses request's terms:
 * `messages.3.content.1.image_url.url` is `input.2.content.1.image_url.url` (a tool result's
 * content is its item's `output`), `tools.0.function.name` is `tools.0.name`, an OpenAI-style web
 * search tool's `tools.0.parameters.max_results` is `tools.0.max_results` and its domain lists are
 * under `filters` (by the name it gave them), and `response_format.json_schema.x` is `text.format.x`.
 */
function inRequestTerms(
  error: GatewayError,
  request: ResponsesRequest,
  messages: Record<string, unknown>[],
  sources: string[],
): GatewayError {
  const tools = request.tools ?? [];
  const searchSetting = serverToolPathsRenamer(
    tools,
    (tool) => WEB_SEARCH_TOOL_TYPES.has(tool.type),
    (parameter, index) => {
      if (parameter === "allowed_domains") return "filters.allowed_domains";
      if (parameter !== "excluded_domains") return parameter;
      const filters = (tools[index] as { filters?: { blocked_domains?: unknown } }).filters;
      return filters?.blocked_domains != null ? "filters.blocked_domains" : "filters.excluded_domains";
    },
  );
  const rename = (text: string) =>
    searchSetting(text)
      .replace(/\bmessages\.(\d+)(\.content)?/g, (whole, at: string, content: string | undefined) => {
        const source = sources[Number(at)];
        if (!source) return whole;
        const field = content ? (messages[Number(at)]?.role === "tool" ? ".output" : ".content") : "";
        return `${source}${field}`;
      })
      .replace(/\btools\.(\d+)\.function\./g, "tools.$1.")
      .replace(/\bresponse_format\.json_schema\./g, "text.format.");
  return withPathsRenamed(error, rename);
}

function addItem(
  messages: Record<string, unknown>[],
  item: InputItem,
  index: number,
  pending: Record<string, unknown>[],
): void {
  const type = item.type ?? "message";
  if (type === "message") {
    const { role, content } = item as z.infer<typeof MessageItem>;
    const message: Record<string, unknown> = {
      role,
      content: toChatContent(content, `input.${index}`, role === "assistant"),
    };
    if (role === "assistant") takeReasoning(message, pending);
    messages.push(message);
    return;
  }
  if (type === "function_call") {
    const call = item as z.infer<typeof FunctionCallItem>;
    const toolCall = { id: call.call_id, type: "function", function: { name: call.name, arguments: call.arguments } };
    // A response's text and its calls (parallel calls come as consecutive items) are one
    // assistant turn.
    const last = messages.at(-1);
    if (last?.role === "assistant") {
      last.tool_calls = [...((last.tool_calls as unknown[] | undefined) ?? []), toolCall];
      takeReasoning(last, pending);
    } else {
      const message: Record<string, unknown> = { role: "assistant", content: null, tool_calls: [toolCall] };
      takeReasoning(message, pending);
      messages.push(message);
    }
    return;
  }
  if (type === "function_call_output") {
    const result = item as z.infer<typeof FunctionCallOutputItem>;
    messages.push({
      role: "tool",
      tool_call_id: result.call_id,
      content: toChatContent(result.output, `input.${index}.output`, false),
    });
    return;
  }
  // A reasoning item is the model's earlier reasoning: it goes with the assistant turn it belongs
  // to (as reasoning_details, so that a provider can continue from its signature), the one just
  // before it if the turn has begun, else the next.
  if (type === "reasoning") {
    const details = reasoningDetails(item as z.infer<typeof ReasoningItem>);
    const last = messages.at(-1);
    if (last?.role === "assistant") takeReasoning(last, details);
    else pending.push(...details);
    return;
  }
  // A server-tool call a response listed (its output sent back as input, as a stateless client
  // does): the gateway ran it, and the answer that followed carries what it found; nothing to send.
  if (type.startsWith("openrouter:") || type === "web_search_call") return;
  if (type === "item_reference") throw badRequest(`input.${index}: item_reference is not supported: ${STATELESS}`);
  throw badRequest(`input.${index}: input items of type ${JSON.stringify(type)} are not supported`);
}

/** Moves waiting reasoning details onto an assistant message. */
function takeReasoning(message: Record<string, unknown>, details: Record<string, unknown>[]): void {
  if (details.length === 0) return;
  message.reasoning_details = [...((message.reasoning_details as unknown[] | undefined) ?? []), ...details];
  details.length = 0;
}

/** A reasoning item as chat's reasoning details: its text (signed, if it was) and its encrypted form. */
function reasoningDetails(item: z.infer<typeof ReasoningItem>): Record<string, unknown>[] {
  const texts = item.summary?.length ? item.summary : (item.content ?? []);
  const text = texts.map((part) => part.text).join("");
  const format = item.format ? { format: item.format } : {};
  const details: Record<string, unknown>[] = [];
  if (text || item.signature) {
    details.push({ type: "reasoning.text", text, ...(item.signature ? { signature: item.signature } : {}), ...format });
  }
  if (item.encrypted_content) details.push({ type: "reasoning.encrypted", data: item.encrypted_content, ...format });
  return details;
}

/** A Responses content list as chat content parts. */
function toChatContent(content: string | z.infer<typeof Part>[], at: string, assistant: boolean): unknown {
  if (typeof content === "string") return content;
  const parts = content.map((part, index) => {
    const p = part as Record<string, unknown>;
    switch (part.type) {
      case "input_text":
      case "output_text":
      case "text":
        return { type: "text", text: p.text };
      case "refusal":
        return { type: "text", text: p.refusal };
      case "input_image": {
        if (typeof p.image_url !== "string") {
          throw badRequest(`${at}.content.${index}: input_image needs image_url (file_id needs stored files)`);
        }
        return { type: "image_url", image_url: { url: p.image_url, ...(p.detail ? { detail: p.detail } : {}) } };
      }
      case "input_file": {
        if (typeof p.file_data !== "string") {
          throw badRequest(
            `${at}.content.${index}: input_file needs file_data (file_id and file_url are not supported)`,
          );
        }
        return { type: "file", file: { file_data: p.file_data, ...(p.filename ? { filename: p.filename } : {}) } };
      }
      default:
        throw badRequest(
          `${at}.content.${index}: content parts of type ${JSON.stringify(part.type)} are not supported`,
        );
    }
  });
  // An assistant turn of text only is sent as text: chat providers take text parts from it unevenly.
  if (assistant && parts.every((p) => p.type === "text")) return parts.map((p) => p.text).join("");
  return parts;
}

/**
 * OpenAI's built-in web search, by each name its API has had: OpenRouter runs it as its own
 * `openrouter:web_search` (the same engines and limits, set on the tool itself rather than in
 * `parameters`), and lists its calls as OpenAI's `web_search_call` items.
 */
export const WEB_SEARCH_TOOL_TYPES: ReadonlySet<string> = new Set([
  "web_search",
  "web_search_preview",
  "web_search_preview_2025_03_11",
  "web_search_2025_08_26",
]);

const isWebSearchTool = (tool: { type: string }) =>
  tool.type === "openrouter:web_search" || WEB_SEARCH_TOOL_TYPES.has(tool.type);
const isServerTool = (tool: z.infer<typeof Tool>) =>
  tool.type.startsWith("openrouter:") || WEB_SEARCH_TOOL_TYPES.has(tool.type);

/**
 * An OpenAI-style web search tool as `openrouter:web_search`: its settings become the server tool's
 * parameters, `filters`' domain lists its `allowed_domains` and `excluded_domains` (OpenRouter's
 * `blocked_domains` is another name for the latter: one or the other). Chat's schema checks them, by their path.
 */
function asServerWebSearch(tool: z.infer<typeof Tool>, index: number) {
  const { type: _type, filters, ...settings } = tool as z.infer<typeof Tool> & { filters?: unknown };
  const parameters: Record<string, unknown> = settings;
  if (filters != null) {
    if (typeof filters !== "object" || Array.isArray(filters)) {
      throw badRequest(`tools.${index}.filters: an object of domain lists (allowed_domains, excluded_domains)`);
    }
    const { allowed_domains, excluded_domains, blocked_domains } = filters as Record<string, unknown>;
    if (excluded_domains != null && blocked_domains != null) {
      throw badRequest(`tools.${index}.filters: excluded_domains and blocked_domains are one list: send one of them`);
    }
    if (allowed_domains != null) parameters.allowed_domains = allowed_domains;
    if ((excluded_domains ?? blocked_domains) != null)
      parameters.excluded_domains = excluded_domains ?? blocked_domains;
  }
  return { type: "openrouter:web_search", parameters };
}

/**
 * OpenRouter's reading of `max_tool_calls` with server tools: the most steps of the server-tool
 * loop (1–30), unless `stop_server_tools_when` (passed on to chat as it is) sets them; undefined
 * leaves the gateway's default.
 */
function serverToolSteps(request: ResponsesRequest): number | undefined {
  const steps = request.max_tool_calls;
  if (steps == null || !request.tools?.some(isServerTool)) return undefined;
  if ((request as { stop_server_tools_when?: unknown }).stop_server_tools_when != null) return undefined;
  if (steps < 1 || steps > MAX_TOOL_STEPS) {
    throw badRequest(`max_tool_calls: with server tools, the steps of their loop: 1 to ${MAX_TOOL_STEPS}`, {
      max_tool_calls: steps,
    });
  }
  return steps;
}

function toChatTool(tool: z.infer<typeof Tool>, index: number) {
  // Chat's schema reads it (its parameters, by their path) and the chat path runs it.
  if (WEB_SEARCH_TOOL_TYPES.has(tool.type)) return asServerWebSearch(tool, index);
  if (isServerTool(tool)) return tool;
  if (tool.type !== "function") {
    throw badRequest(
      `tools.${index}: built-in tool ${JSON.stringify(tool.type)} is not supported: function tools, web search ("web_search", "web_search_preview"), and OpenRouter's server tools (${SERVER_TOOL_TYPES})`,
      { tool: tool.type },
    );
  }
  if (!tool.name) throw badRequest(`tools.${index}.name: a function tool needs a name`);
  return {
    type: "function",
    function: {
      name: tool.name,
      ...(tool.description != null ? { description: tool.description } : {}),
      ...(tool.parameters != null ? { parameters: tool.parameters } : {}),
      ...(tool.strict != null ? { strict: tool.strict } : {}),
    },
  };
}

function toChatToolChoice(choice: z.infer<typeof ToolChoice>, tools: z.infer<typeof Tool>[]) {
  if (typeof choice === "string") return choice;
  if (choice.type === "function" && choice.name) return { type: "function", function: { name: choice.name } };
  // OpenAI's forced web search: the server tool's function, for the loop's first turn.
  if (isWebSearchTool(choice)) {
    if (!tools.some(isWebSearchTool)) {
      throw badRequest(`tool_choice: ${JSON.stringify(choice.type)} forces a web search, and tools lists none`);
    }
    return { type: "function", function: { name: WEB_SEARCH_FUNCTION_NAME } };
  }
  throw badRequest(
    `tool_choice: ${JSON.stringify(choice.type)} is not supported: "none", "auto", "required", a function, or a web search tool`,
  );
}

function toResponseFormat(format: z.infer<typeof TextFormat>): z.infer<typeof ResponseFormat> {
  if (format.type !== "json_schema") return { type: format.type };
  const { name, description, schema, strict } = format;
  return {
    type: "json_schema",
    json_schema: {
      name,
      schema,
      ...(description != null ? { description } : {}),
      ...(strict != null ? { strict } : {}),
    },
  };
}
