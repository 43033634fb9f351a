import type { Fault } from "./directives";
import type { WireFormat } from "./format";
import { chunkString, generateReply, type NeutralRequest } from "./generate";
import type { Script } from "./script";

/**
 * The Anthropic Messages wire format (`POST …/v1/messages`): x-api-key auth, `event:`-named SSE
 * with ping, thinking blocks with signatures, tool_use with input_json_delta fragments, Anthropic
 * error bodies (529 overloaded_error included).
 */
type Json = Record<string, any>;

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

function errorScript(status: number, code: string | undefined, retryAfter: number | undefined): Script {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  const message =
    code === "context_length_exceeded"
      ? "prompt is too long: 213462 tokens > 200000 maximum"
      : code === "content_policy_violation"
        ? "Output blocked by content filtering policy (safety)"
        : status === 529
          ? "Overloaded"
          : `Emulated ${type}${code ? ` (${code})` : ""}`;
  return {
    status,
    headers: {
      "content-type": "application/json",
      ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}),
    },
    body: JSON.stringify({ type: "error", error: { type, message }, request_id: "req_emulated" }),
  };
}

function blocksText(content: unknown): { text: string; images: number } {
  if (typeof content === "string") return { text: content, images: 0 };
  let text = "";
  let images = 0;
  for (const block of (Array.isArray(content) ? content : []) as Json[]) {
    if (block.type === "text") text += block.text ?? "";
    else if (block.type === "image") images++;
    else if (block.type === "tool_result")
      text += typeof block.content === "string" ? block.content : JSON.stringify(block.content ?? "");
    else if (block.type === "tool_use") text += JSON.stringify(block.input ?? {});
  }
  return { text, images };
}

function neutral(body: Json): NeutralRequest {
  const system = typeof body.system === "string" ? body.system : blocksText(body.system).text;
  const messages = [
    ...(system ? [{ role: "system", text: system, images: 0 }] : []),
    ...((body.messages ?? []) as Json[]).map((m) => {
      const { text, images } = blocksText(m.content);
      const onlyResults = Array.isArray(m.content) && m.content.every((b: Json) => b.type === "tool_result");
      return { role: onlyResults ? "tool" : String(m.role), text, images };
    }),
  ];
  const choice = body.tool_choice as Json | undefined;
  return {
    model: String(body.model ?? ""),
    messages,
    maxTokens: body.max_tokens,
    n: 1,
    stop: Array.isArray(body.stop_sequences) ? body.stop_sequences : [],
    // Server tools (web search) are Anthropic's to run, not the model's to call.
    tools: ((body.tools ?? []) as Json[])
      .filter((t) => !isSearchTool(t))
      .map((t) => ({ name: String(t.name), parameters: t.input_schema })),
    toolChoice:
      choice?.type === "tool"
        ? { name: String(choice.name) }
        : choice?.type === "any"
          ? "required"
          : choice?.type === "none"
            ? "none"
            : "auto",
    parallelToolCalls: !choice?.disable_parallel_tool_use,
    // Native structured output (output_config.format): the reply's text is the JSON.
    json:
      body.output_config?.format?.type === "json_schema"
        ? { kind: "schema", schema: body.output_config.format.schema }
        : null,
    reasoning: body.thinking?.type === "enabled" || body.thinking?.type === "adaptive",
  };
}

const isSearchTool = (tool: Json) => typeof tool.type === "string" && tool.type.startsWith("web_search_");

/**
 * The web search server tool's run, as Anthropic's reply shows it: one search (its
 * server_tool_use and web_search_tool_result blocks), cited by the text that follows, and counted
 * in usage.server_tool_use. Its one result is on the first allowed domain, if the tool lists any.
 * A search that fails (`errorCode`) has its error as its result, nothing to cite, and is not counted.
 */
function webSearchRun(body: Json, query: string, errorCode?: string): { blocks: Json[]; citation?: Json } | undefined {
  const tool = ((body.tools ?? []) as Json[]).find(isSearchTool);
  if (!tool) return undefined;
  const domain = Array.isArray(tool.allowed_domains) ? tool.allowed_domains[0] : "example.com";
  const url = `https://${domain}/emulated-result`;
  const title = `Emulated result on ${domain}`;
  const id = "srvtoolu_emulated01";
  const use = { type: "server_tool_use", id, name: "web_search", input: { query } };
  if (errorCode) {
    const content = { type: "web_search_tool_result_error", error_code: errorCode };
    return { blocks: [use, { type: "web_search_tool_result", tool_use_id: id, content }] };
  }
  return {
    blocks: [
      use,
      {
        type: "web_search_tool_result",
        tool_use_id: id,
        content: [{ type: "web_search_result", url, title, encrypted_content: "ZW11bGF0ZWQ=", page_age: null }],
      },
    ],
    citation: {
      type: "web_search_result_location",
      url,
      title,
      encrypted_index: "ZW11bGF0ZWQ=",
      cited_text: `What ${domain} says about ${query.slice(0, 40)}.`,
    },
  };
}

const STOP: Record<string, string> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use" };
const MEDIA_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/** A 400 in Anthropic's shape, with the API's own message. */
function invalid(message: string): Script {
  return {
    ...errorScript(400, undefined, undefined),
    body: JSON.stringify({
      type: "error",
      error: { type: "invalid_request_error", message },
      request_id: "req_emulated",
    }),
  };
}

/**
 * The Claude 5.5 models: adaptive thinking only (budget thinking is a 400), default sampling only
 * (temperature, top_p, top_k are 400s), output_config taken; Opus and Sonnet 5.5 also refuse a
 * forced tool. The messages are the emulator's wording of those refusals.
 */
const CURRENT_CLAUDE = new Set(["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"]);
const NO_FORCED_TOOL = new Set(["claude-opus-5-5", "claude-sonnet-5-5"]);

function currentModelRejection(body: Json): Script | undefined {
  const model = String(body.model ?? "");
  if (!CURRENT_CLAUDE.has(model)) return undefined;
  if (body.thinking?.type === "enabled") {
    return invalid(
      `thinking.type.enabled is not supported for ${model}. Use thinking.type.adaptive and output_config.effort to control thinking behavior.`,
    );
  }
  for (const name of ["temperature", "top_p", "top_k"]) {
    if (body[name] !== undefined) return invalid(`${name}: is deprecated for ${model}; only the default is accepted.`);
  }
  if (NO_FORCED_TOOL.has(model) && ["any", "tool"].includes(body.tool_choice?.type)) {
    return invalid(`tool_choice: forced tool use is not supported for ${model}.`);
  }
  return undefined;
}

/**
 * The web search tool's settings the API refuses: both domain lists, and a `user_location` that is
 * not an approximate one with at most a two-letter country (the emulator's wording).
 */
function searchToolRejection(body: Json): Script | undefined {
  for (const [t, tool] of ((body.tools ?? []) as Json[]).entries()) {
    if (!isSearchTool(tool)) continue;
    if (tool.allowed_domains && tool.blocked_domains) {
      return invalid(`tools.${t}: allowed_domains and blocked_domains cannot be used together`);
    }
    const location = tool.user_location as Json | undefined;
    if (location === undefined) continue;
    if (location.type !== "approximate") return invalid(`tools.${t}.user_location.type: Input should be 'approximate'`);
    if (location.country !== undefined && String(location.country).length !== 2) {
      return invalid(`tools.${t}.user_location.country: String should have exactly 2 characters`);
    }
    for (const field of ["city", "region", "timezone"]) {
      if (location[field] !== undefined && !String(location[field])) {
        return invalid(`tools.${t}.user_location.${field}: String should have at least 1 character`);
      }
    }
  }
  return undefined;
}

/** What the Messages API itself rejects (the adapter must never send it). */
function rejection(body: Json): Script | undefined {
  const current = currentModelRejection(body) ?? searchToolRejection(body);
  if (current) return current;
  const stops = Array.isArray(body.stop_sequences) ? (body.stop_sequences as unknown[]) : [];
  if (stops.some((stop) => stop === "")) return invalid("stop_sequences: each stop sequence must be non-empty");
  if (stops.some((stop) => typeof stop === "string" && stop.trim() === "")) {
    return invalid("stop_sequences: each stop sequence must contain non-whitespace");
  }
  const forced = ["any", "tool"].includes(body.tool_choice?.type);
  if (body.thinking?.type === "enabled" && forced) {
    return invalid("Thinking may not be enabled when tool_choice forces tool use.");
  }
  for (const [m, message] of ((body.messages ?? []) as Json[]).entries()) {
    for (const [b, block] of (Array.isArray(message.content) ? (message.content as Json[]) : []).entries()) {
      const source = block.type === "image" ? (block.source as Json | undefined) : undefined;
      if (source?.type === "base64" && !MEDIA_TYPES.includes(source.media_type)) {
        return invalid(
          `messages.${m}.content.${b}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`,
        );
      }
      // Anthropic's own check of the data (its wording; what exactly it takes is not documented).
      if (source?.type === "base64" && !/^[A-Za-z0-9+/]*={0,2}$/.test(String(source.data ?? ""))) {
        return invalid(`messages.${m}.content.${b}.image.source.base64: invalid base64 data`);
      }
    }
  }
  return undefined;
}

function messagesScript(body: Json, provider: string, fault: Fault): Script {
  const refused = rejection(body);
  if (refused) return refused;
  const request = neutral(body);
  const reply = generateReply(request, provider, fault);
  const choice = reply.choices[0]!;
  const id = `msg_emu${Date.now().toString(36)}`;
  const signature = `sig_${Buffer.from(choice.reasoning ?? "")
    .toString("base64")
    .slice(0, 24)}`;
  const stopSequence =
    choice.finish === "stop" &&
    request.stop.some((s) => !choice.text.includes(s)) &&
    choice.pieces.length < (fault.tokens ?? 16)
      ? request.stop[0]
      : null;
  const stopReason = stopSequence ? "stop_sequence" : (STOP[choice.finish] ?? "end_turn");
  // input_tokens leaves out the prompt tokens read from or written to the cache.
  const usage = {
    input_tokens: reply.promptTokens - reply.cacheRead - reply.cacheWrite,
    cache_creation_input_tokens: reply.cacheWrite,
    cache_read_input_tokens: reply.cacheRead,
    // The writes by lifetime, as the real API reports them beside their sum. The emulator's
    // message_delta does not repeat the split, so a stream must keep message_start's.
    cache_creation: {
      ephemeral_5m_input_tokens: reply.cacheWrite - reply.cacheWrite1h,
      ephemeral_1h_input_tokens: reply.cacheWrite1h,
    },
    output_tokens: reply.completionTokens,
    // The newest models break the thinking out of output_tokens.
    ...(CURRENT_CLAUDE.has(request.model) ? { output_tokens_details: { thinking_tokens: reply.reasoningTokens } } : {}),
  };
  const content: Json[] = [];
  // display "omitted": the block comes with its signature and no text.
  const shown = body.thinking?.display === "omitted" ? "" : choice.reasoning;
  if (choice.reasoning) content.push({ type: "thinking", thinking: shown, signature });
  const lastUser = request.messages.filter((m) => m.role === "user").at(-1)?.text ?? "";
  // With the web search tool, Claude searches before it answers or calls a tool, and says what it
  // found (cited) before the call; tool_choice "none" keeps it from every tool, server tools too.
  const search =
    (choice.text || choice.toolCalls.length > 0) && body.tool_choice?.type !== "none"
      ? webSearchRun(body, lastUser, fault.search_error)
      : undefined;
  if (search) content.push(...search.blocks);
  const text = choice.text || (search ? "Searched the web first." : "");
  if (text) content.push({ type: "text", text, citations: search?.citation ? [search.citation] : null });
  const serverToolUse = search?.citation ? { server_tool_use: { web_search_requests: 1 } } : {};
  for (const call of choice.toolCalls)
    content.push({ type: "tool_use", id: `toolu_${call.id}`, name: call.name, input: JSON.parse(call.arguments) });
  if (!body.stream) {
    return {
      status: 200,
      headers: { "content-type": "application/json", "request-id": "req_emulated" },
      body: JSON.stringify({
        id,
        type: "message",
        role: "assistant",
        model: request.model,
        content,
        stop_reason: stopReason,
        stop_sequence: stopSequence,
        usage: { ...usage, ...serverToolUse },
      }),
    };
  }
  const frames: string[] = [];
  const send = (type: string, data: Json) =>
    frames.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send("message_start", {
    message: {
      id,
      type: "message",
      role: "assistant",
      model: request.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  send("ping", {});
  content.forEach((block, index) => {
    if (block.type === "thinking") {
      send("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } });
      for (const piece of chunkString(block.thinking, 12))
        send("content_block_delta", { index, delta: { type: "thinking_delta", thinking: piece } });
      send("content_block_delta", { index, delta: { type: "signature_delta", signature: block.signature } });
    } else if (block.type === "server_tool_use") {
      send("content_block_start", { index, content_block: { ...block, input: {} } });
      send("content_block_delta", {
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
      });
    } else if (block.type === "web_search_tool_result") {
      send("content_block_start", { index, content_block: block });
    } else if (block.type === "text") {
      send("content_block_start", { index, content_block: { type: "text", text: "" } });
      // A cited text block streams its citation first, then its text.
      for (const citation of block.citations ?? [])
        send("content_block_delta", { index, delta: { type: "citations_delta", citation } });
      for (const piece of choice.text ? choice.pieces : [block.text])
        send("content_block_delta", { index, delta: { type: "text_delta", text: piece } });
    } else {
      send("content_block_start", {
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      // The first fragment is empty; a tool called without arguments gets nothing more (not "{}").
      send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: "" } });
      if (Object.keys(block.input ?? {}).length > 0) {
        for (const piece of chunkString(JSON.stringify(block.input), 6))
          send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } });
      }
    }
    send("content_block_stop", { index });
  });
  send("message_delta", {
    delta: { stop_reason: stopReason, stop_sequence: stopSequence },
    // Recent streams repeat the input side beside the cumulative output_tokens.
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      output_tokens: reply.completionTokens,
      ...(usage.output_tokens_details ? { output_tokens_details: usage.output_tokens_details } : {}),
      ...serverToolUse,
    },
  });
  const terminator = [`event: message_stop\ndata: ${JSON.stringify({ type: "message_stop" })}\n\n`];
  return {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "request-id": "req_emulated",
    },
    frames,
    terminator,
    malformedFrame:
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n',
  };
}

export const anthropicFormat: WireFormat = {
  name: "anthropic",
  matches: (rest, method) => method === "POST" && rest.endsWith("/v1/messages"),
  // `x-api-key`, or a bearer token as the current official SDK sends; a version header either way.
  authorized: (headers) =>
    ((typeof headers["x-api-key"] === "string" && headers["x-api-key"].length > 0) ||
      /^Bearer\s+\S+/i.test(headers.authorization ?? "")) &&
    typeof headers["anthropic-version"] === "string",
  error: errorScript,
  handle: ({ body, provider, fault }) => messagesScript(body, provider, fault),
};
