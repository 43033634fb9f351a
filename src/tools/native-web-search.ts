import type { AssistantMessageOut, ChatCompletionOut, NativeWebSearch, UrlCitation } from "../providers/types";
import type { Attempt } from "../routing/plan";
import type { ChatRequest } from "../schema/chat";
import { type ServerToolSpec, WEB_SEARCH_FUNCTION_NAME } from "../schema/server-tools";
import { nativeOnly, nativeWorstNanos, searchesNatively } from "../search/native";
import type { WebSearch } from "../search/web";
import type { ServerToolCallRecord } from "./server-tools";

/**
 * `openrouter:web_search` searched natively, as OpenRouter's server tool defaults to (its
 * `engine` `native`, and `auto` where the endpoint can): on an endpoint whose provider searches
 * with its own tool (search/native.ts decides, as for the `web` plugin: Claude on Anthropic), the
 * model is not shown the `web_search` function; the endpoint is sent its provider's search tool,
 * with the server tool's settings, and bills each search it runs at its `web_search` price.
 */

export type WebSearchSpec = Extract<ServerToolSpec, { kind: "web_search" }>;

/** The server tool as search/native.ts reads a web search: its `max_uses` the most searches, `auto` as unset. */
function asSearch(spec: WebSearchSpec): WebSearch {
  return {
    ...(spec.engine !== "auto" ? { engine: spec.engine } : {}),
    maxResults: spec.maxUses,
    ...(spec.includeDomains ? { includeDomains: spec.includeDomains } : {}),
    ...(spec.excludeDomains ? { excludeDomains: spec.excludeDomains } : {}),
  };
}

/** Whether `attempt`'s endpoint runs the tool's searches itself. */
export const searchesNativelyAt = (spec: WebSearchSpec, attempt: Attempt) =>
  searchesNatively(asSearch(spec), attempt.provider, attempt.endpoint);

/** The request's `openrouter:web_search`, if it lists one (its tools as the chat schema parsed them). */
export function webSearchSpecOf(request: ChatRequest): WebSearchSpec | undefined {
  for (const tool of request.tools ?? []) {
    const spec = (tool as { server_tool?: ServerToolSpec }).server_tool;
    if (spec?.kind === "web_search") return spec;
  }
  return undefined;
}

const SERVER_TOOL = {
  name: 'tools: "openrouter:web_search"',
  metadata: { tool: "openrouter:web_search", field: "engine" },
};

/**
 * With the tool's `engine: "native"`, the plan's endpoints that search natively; none is a 400
 * naming the model (the `web` plugin's rule). Any other request's plan as it is.
 */
export function nativeSearchOnly(request: ChatRequest, attempts: Attempt[]): Attempt[] {
  const spec = request.tools == null ? undefined : webSearchSpecOf(request);
  return spec ? nativeOnly(asSearch(spec), attempts, SERVER_TOOL) : attempts;
}

/** The most the request's native searches may cost at `attempt`: `max_uses` of them at its price. */
export const nativeSearchWorstNanos = (spec: WebSearchSpec, attempt: Attempt) =>
  nativeWorstNanos(asSearch(spec), attempt);

/**
 * What the endpoint's own search tool is asked on a turn, after `used` searches in the request's
 * earlier turns (`max_uses` is the request's, as with Exa): undefined once none is left.
 */
export function nativeSearchTool(spec: WebSearchSpec, used: number): NativeWebSearch | undefined {
  const left = spec.maxUses - used;
  if (left <= 0) return undefined;
  return {
    ...asSearch(spec),
    maxResults: left,
    ...(spec.userLocation ? { userLocation: spec.userLocation } : {}),
  };
}

/**
 * The request as an endpoint that searches natively is sent it: without the `web_search`
 * function (its own tool searches), and without a `tool_choice` that forced it (by name, or
 * `required` with no other tool left): the model searches where it sees fit.
 */
export function withoutSearchFunction(request: ChatRequest): ChatRequest {
  const { tools: all, tool_choice: choice, ...rest } = request;
  const tools = (all ?? []).filter((tool) => tool.function.name !== WEB_SEARCH_FUNCTION_NAME);
  const forcedSearch =
    (typeof choice === "object" && choice?.function.name === WEB_SEARCH_FUNCTION_NAME) ||
    (choice === "required" && tools.length === 0);
  return {
    ...rest,
    ...(tools.length > 0 ? { tools } : {}),
    ...(choice != null && !forcedSearch ? { tool_choice: choice } : {}),
  };
}

/**
 * The answer's message citing, after its own, what the native searches of the loop's earlier
 * turns found (each URL once; their places were in those turns' text, so none is given here).
 */
export function citeEarlierTurns(answer: AssistantMessageOut, earlier: ChatCompletionOut[]): void {
  const cited = earlier.flatMap((turn) =>
    (turn.choices[0]?.message.annotations ?? []).flatMap((a): UrlCitation[] =>
      a.type === "url_citation" ? [{ ...a, url_citation: { ...a.url_citation, start_index: 0, end_index: 0 } }] : [],
    ),
  );
  if (cited.length === 0) return;
  const own = answer.annotations ?? [];
  const seen = new Set(own.flatMap((a) => (a.type === "url_citation" ? [a.url_citation.url] : [])));
  const fresh = cited.filter((a) => !seen.has(a.url_citation.url) && seen.add(a.url_citation.url));
  answer.annotations = [...own, ...fresh];
}

/** The searches a turn's endpoint ran natively, as the loop records its own (a failed one with its provider's error code). */
export function nativeSearchRecords(turn: ChatCompletionOut): ServerToolCallRecord[] {
  return (turn.nativeSearches ?? []).map(({ query, results, errorCode }) => ({
    kind: "web_search",
    query,
    results,
    completed: errorCode === undefined,
    ...(errorCode !== undefined ? { failure: errorCode } : {}),
  }));
}
