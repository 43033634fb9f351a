import type { NativeSearchErrorCode } from "../providers/types";
import type { FetchFailure, ServerToolCallRecord } from "../tools/server-tools";

/**
 * The web searches and fetches run for a Messages request (the server-tool loop's records, and
 * the searches the endpoint ran natively: ServerTools.shown, tools/server-tools.ts) as Anthropic's
 * content blocks: each a `server_tool_use` block
 * (the call: its name and input) then its result block, `web_search_tool_result` or
 * `web_fetch_tool_result`, paired by id. Claude Code's WebSearch tool and other Anthropic SDK
 * clients read the searches and their links there. OpenRouter's other server tools (datetime,
 * the model search) have no Anthropic block: they are not shown.
 *
 * Where Anthropic's blocks carry what only its own search has, the gateway gives what it has:
 * `encrypted_content` (Anthropic's opaque copy of the page, sent back for later turns to cite) is
 * empty, as `encrypted_index` is on the citations; `page_age` and a fetch's `retrieved_at` are null.
 * A native search's blocks are rebuilt the same way from its record (their ids the gateway's).
 */

export interface ServerToolUseContent {
  type: "server_tool_use";
  id: string;
  name: "web_search" | "web_fetch";
  input: { query: string } | { url: string } | Record<string, never>;
}
export interface WebSearchResultContent {
  type: "web_search_result";
  url: string;
  title: string;
  encrypted_content: string;
  page_age: string | null;
}
export interface WebSearchToolResultContent {
  type: "web_search_tool_result";
  tool_use_id: string;
  content: WebSearchResultContent[] | { type: "web_search_tool_result_error"; error_code: NativeSearchErrorCode };
}
export interface WebFetchResult {
  type: "web_fetch_result";
  url: string;
  content: {
    type: "document";
    source: { type: "text"; media_type: "text/plain"; data: string };
    title: string | null;
    citations: null;
  };
  retrieved_at: string | null;
}
export interface WebFetchToolResultContent {
  type: "web_fetch_tool_result";
  tool_use_id: string;
  content: WebFetchResult | { type: "web_fetch_tool_result_error"; error_code: FetchFailure };
}
export type ServerToolResultContent = WebSearchToolResultContent | WebFetchToolResultContent;

/** A call and its result, as two content blocks. */
export type ServerToolBlocks = [ServerToolUseContent, ServerToolResultContent];

/**
 * A block pair's id, Anthropic's `srvtoolu_` prefix on the message's (the generation's) id and
 * the call's place among the request's server-tool calls: unique in the reply, and the same in
 * its stream as in its whole form.
 */
const serverToolUseId = (messageId: string, n: number) => `srvtoolu_${messageId.replace(/^gen-/, "")}_${n}`;

/** The blocks of every search and fetch of `calls`, in the order they ran (other tools' calls left out). */
export function serverToolBlocks(calls: readonly ServerToolCallRecord[], messageId: string): ServerToolBlocks[] {
  const blocks: ServerToolBlocks[] = [];
  calls.forEach((call, n) => {
    const pair = blocksOf(call, serverToolUseId(messageId, n));
    if (pair) blocks.push(pair);
  });
  return blocks;
}

function blocksOf(call: ServerToolCallRecord, id: string): ServerToolBlocks | undefined {
  if (call.kind === "web_search") {
    const use: ServerToolUseContent = {
      type: "server_tool_use",
      id,
      name: "web_search",
      input: call.query !== undefined ? { query: call.query } : {},
    };
    const content: WebSearchToolResultContent["content"] = call.completed
      ? call.results.map(({ url, title }) => ({
          type: "web_search_result",
          url,
          title,
          encrypted_content: "",
          page_age: null,
        }))
      : { type: "web_search_tool_result_error", error_code: call.failure ?? "unavailable" };
    return [use, { type: "web_search_tool_result", tool_use_id: id, content }];
  }
  if (call.kind === "web_fetch") {
    const use: ServerToolUseContent = {
      type: "server_tool_use",
      id,
      name: "web_fetch",
      input: call.url !== undefined ? { url: call.url } : {},
    };
    const content: WebFetchToolResultContent["content"] =
      call.completed && call.url !== undefined
        ? {
            type: "web_fetch_result",
            url: call.url,
            content: {
              type: "document",
              source: { type: "text", media_type: "text/plain", data: call.content ?? "" },
              title: call.title ?? null,
              citations: null,
            },
            retrieved_at: null,
          }
        : { type: "web_fetch_tool_result_error", error_code: call.failure ?? "url_not_accessible" };
    return [use, { type: "web_fetch_tool_result", tool_use_id: id, content }];
  }
  return undefined;
}
