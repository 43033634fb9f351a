import { toolInput } from "../providers/anthropic/request";
import type { UrlCitation } from "../providers/types";
import type { MessagesRequest } from "../schema/messages";
import type { ServerToolCallRecord } from "../tools/server-tools";
import { type ChatChoice, citationsIn, reasoningBlocks } from "./chat-events";
import { type ServerToolResultContent, type ServerToolUseContent, serverToolBlocks } from "./messages-server-blocks";
import type { CompletionReply } from "./reply-shape";
import type { RouterMetadata } from "./router-metadata";
import type { ReplyUsage } from "./usage";

/**
 * Anthropic's Messages API reply, translated from the chat path's (generation/chat.ts): the same
 * generation (routing, hold, settlement, cost, /generation record), presented as a Message. The
 * Message's id is the generation's (`gen-…`, where Anthropic's are `msg_…`: its SDK takes any
 * string), so `/generation?id=` finds it.
 */

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal";

export interface TextContent {
  type: "text";
  text: string;
  /** Web search results the text was given (the gateway's search: search/web.ts). */
  citations?: WebSearchCitation[];
}
/**
 * A web search result cited, as Claude's native search cites one. `encrypted_index` is
 * Anthropic's opaque pointer into its own search results, which a result found by the gateway's
 * search has none of: it is empty.
 */
export interface WebSearchCitation {
  type: "web_search_result_location";
  url: string;
  title: string;
  cited_text: string;
  encrypted_index: string;
}

/** A chat `url_citation` annotation as Anthropic's web search citation. */
export const webSearchCitation = ({ url_citation }: UrlCitation): WebSearchCitation => ({
  type: "web_search_result_location",
  url: url_citation.url,
  title: url_citation.title,
  cited_text: url_citation.content,
  encrypted_index: "",
});
export interface ThinkingContent {
  type: "thinking";
  thinking: string;
  signature: string;
}
export interface RedactedThinkingContent {
  type: "redacted_thinking";
  data: string;
}
export interface ToolUseContent {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
}
export type MessageContent =
  | TextContent
  | ThinkingContent
  | RedactedThinkingContent
  | ToolUseContent
  | ServerToolUseContent
  | ServerToolResultContent;

/**
 * Anthropic's `usage`, with OpenRouter's `cost` (what the generation was charged) beside it: an
 * extra field, which Anthropic's SDKs keep without reading. Anthropic's `input_tokens` leaves out
 * the prompt's cache reads and writes, which it counts apart.
 */
export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Anthropic's count of server-tool use: here, the searches of OpenRouter's `openrouter:web_search`. */
  server_tool_use?: { web_search_requests: number };
  cost: number;
}

/** `POST /messages`, non-streaming: Anthropic's Message. */
export interface MessagesReply {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  provider?: string;
  content: MessageContent[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: MessagesUsage;
  /** The router's metadata, for a request that opted in (router-metadata.ts). */
  openrouter_metadata?: RouterMetadata;
}

export function messagesUsage(usage: ReplyUsage): MessagesUsage {
  const cacheRead = usage.prompt_tokens_details.cached_tokens;
  const cacheWrite = usage.prompt_tokens_details.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.prompt_tokens - cacheRead - cacheWrite),
    output_tokens: usage.completion_tokens,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    ...(usage.server_tool_use_details
      ? { server_tool_use: { web_search_requests: usage.server_tool_use_details.web_search_requests } }
      : {}),
    cost: usage.cost,
  };
}

/**
 * A chat finish as Anthropic's stop reason (providers.md §7.2 read backwards). A stop on one of
 * the request's stop sequences is told apart where the provider says so (Claude's own
 * `stop_sequence`); which one matched is known only when there was one to match.
 */
export function stopOf(
  finishReason: string | null | undefined,
  nativeFinishReason: string | null | undefined,
  stopSequences: readonly string[] | null | undefined,
): { stop_reason: StopReason | null; stop_sequence: string | null } {
  switch (finishReason) {
    case "length":
      return { stop_reason: "max_tokens", stop_sequence: null };
    case "tool_calls":
      return { stop_reason: "tool_use", stop_sequence: null };
    case "content_filter":
      return { stop_reason: "refusal", stop_sequence: null };
    case null:
    case undefined:
      return { stop_reason: null, stop_sequence: null };
    default:
      if (nativeFinishReason === "stop_sequence") {
        return { stop_reason: "stop_sequence", stop_sequence: stopSequences?.length === 1 ? stopSequences[0]! : null };
      }
      return { stop_reason: "end_turn", stop_sequence: null };
  }
}

/** A reasoning block as Anthropic's: Claude's redacted thinking, or thinking with its signature ("" when none was given). */
export function thinkingContent(
  block: ReturnType<typeof reasoningBlocks>[number],
): ThinkingContent | RedactedThinkingContent {
  if (block.encrypted) return { type: "redacted_thinking", data: block.encrypted };
  return { type: "thinking", thinking: block.text, signature: block.signature ?? "" };
}

/**
 * A non-streaming chat reply (CHAT_SHAPE) as a Message; the searches and fetches its server-tool
 * loop ran (`serverCalls`) come first in its content, in the order they ran (messages-server-blocks.ts).
 */
export function messageFromChat(
  request: MessagesRequest,
  chat: CompletionReply<unknown>,
  serverCalls: readonly ServerToolCallRecord[] = [],
): MessagesReply {
  const choice = (chat.choices as ChatChoice[])[0];
  const message = choice?.message ?? {};
  const content: MessageContent[] = serverToolBlocks(serverCalls, chat.id).flat();
  content.push(...reasoningBlocks(message).map(thinkingContent));
  const text = (message.content ?? "") + (message.refusal ?? "");
  if (text) {
    const cited = citationsIn(message.annotations);
    content.push(
      cited?.length ? { type: "text", text, citations: cited.map(webSearchCitation) } : { type: "text", text },
    );
  }
  for (const call of message.tool_calls ?? []) {
    content.push({
      type: "tool_use",
      id: call.id,
      name: call.function.name,
      input: toolInput(call.function.arguments),
    });
  }
  return {
    id: chat.id,
    type: "message",
    role: "assistant",
    model: chat.model,
    provider: chat.provider,
    content,
    ...stopOf(choice?.finish_reason, choice?.native_finish_reason, request.stop_sequences),
    usage: messagesUsage(chat.usage),
    ...(chat.openrouter_metadata ? { openrouter_metadata: chat.openrouter_metadata } : {}),
  };
}

/** Anthropic's error types, by the HTTP status the gateway chose (providers.md §2.5). */
export function errorTypeOf(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      return status < 500 ? "invalid_request_error" : "api_error";
  }
}

/** Anthropic's error body. */
export const errorBody = (status: number, message: string) => ({
  type: "error" as const,
  error: { type: errorTypeOf(status), message },
});
