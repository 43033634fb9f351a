import type { NativeSearchCall, NativeSearchErrorCode } from "../types";

/** What is read of a reply's server tool blocks (everything optional: the reply is not trusted). */
interface ServerBlock {
  type?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
}

const ERROR_CODES: ReadonlySet<string> = new Set<NativeSearchErrorCode>([
  "invalid_tool_input",
  "unavailable",
  "max_uses_exceeded",
  "too_many_requests",
  "query_too_long",
  "request_too_large",
]);

/**
 * The web searches Anthropic ran in a reply, in order: each `server_tool_use` block named
 * `web_search` with its query, and what the `web_search_tool_result` paired with it by id holds,
 * the pages' addresses and titles or the error's code (one the gateway does not know: `unavailable`).
 * A call with no result in the reply (a turn paused mid-search) found nothing to show: left out.
 */
export function nativeSearchesOf(blocks: readonly ServerBlock[]): NativeSearchCall[] {
  const results = new Map<string, unknown>();
  for (const block of blocks) {
    if (block.type === "web_search_tool_result" && typeof block.tool_use_id === "string") {
      results.set(block.tool_use_id, block.content);
    }
  }
  const searches: NativeSearchCall[] = [];
  for (const block of blocks) {
    if (block.type !== "server_tool_use" || block.name !== "web_search" || !results.has(block.id ?? "")) continue;
    const query = (block.input as { query?: unknown } | null | undefined)?.query;
    searches.push({
      query: typeof query === "string" ? query : undefined,
      ...resultOf(results.get(block.id ?? "")),
    });
  }
  return searches;
}

/** A result block's content: its pages, or its error's code. */
function resultOf(content: unknown): Pick<NativeSearchCall, "results" | "errorCode"> {
  if (!Array.isArray(content)) {
    const code = (content as { error_code?: unknown } | null | undefined)?.error_code;
    return {
      results: [],
      errorCode: typeof code === "string" && ERROR_CODES.has(code) ? (code as NativeSearchErrorCode) : "unavailable",
    };
  }
  return {
    results: content.flatMap((page: { type?: unknown; url?: unknown; title?: unknown } | null) =>
      page?.type === "web_search_result" && typeof page.url === "string"
        ? [{ url: page.url, title: typeof page.title === "string" && page.title ? page.title : page.url }]
        : [],
    ),
  };
}
