import { contentText } from "../providers/content-text";
import type { UrlCitation } from "../providers/types";
import type { ChatRequest } from "../schema/chat";
import { badRequest } from "../schema/errors";
import { SERVER_SEARCH_LIMITS } from "../schema/server-tools";
import type { WebResult } from "./exa";

/**
 * OpenRouter's web search (the `web` plugin, or a model's `:online` variant, the plugin with its
 * defaults): results of a search for the last user message are put before that message as a
 * system message, cited back as `url_citation` annotations on the reply, and charged per result.
 */
export interface WebSearch {
  /**
   * `exa`: Exa's results, for every model. `native`: the provider's own search tool (search/native.ts),
   * only. Unset: native where the answering endpoint has it, else Exa (OpenRouter's default).
   */
  engine?: "exa" | "native";
  /** Exa's results, or the most searches a native search may run (Anthropic's `max_uses`). */
  maxResults: number;
  /** The text put before the results; OpenRouter's default (with today's date) when unset. */
  searchPrompt?: string;
  /** Domains the results must come from, or must not (`include_domains`, `exclude_domains`). */
  includeDomains?: string[];
  excludeDomains?: string[];
}

/** OpenRouter's price for Exa's results: $4 per 1000, in nano-dollars per result. */
export const WEB_RESULT_NANOS = 4_000_000;
/** Results fetched when `max_results` is not set (OpenRouter's default; the server tool's too). */
const DEFAULT_RESULTS = SERVER_SEARCH_LIMITS.defaultResults;
/** The most results a request may ask for (the most Exa's base price covers per search). */
export const MAX_RESULTS = SERVER_SEARCH_LIMITS.maxResults;
/** The page text asked of each result, in characters (the server tool's default too). */
export const RESULT_CHARACTERS = SERVER_SEARCH_LIMITS.defaultCharacters;
/**
 * Prompt tokens the injected message may add, per result and once (the prompt), held for before
 * the search runs: a token a character of the result's text (English runs about four characters a
 * token), and RESULT_HEADER_TOKENS for its title and URL (each cut to 300 characters in the message). Where a provider
 * counts more, it is charged what it counts, as for any prompt the estimate undercounts.
 */
const RESULT_HEADER_TOKENS = 200;
const PROMPT_TOKENS = 200;
/** The longest query sent to the search: the end of a longer message, where the question usually is. */
export const MAX_QUERY_CHARACTERS = 2000;

const ENGINES_NOT_RUN: Record<string, string> = {
  firecrawl: "this gateway searches with Exa only",
  parallel: "this gateway searches with Exa only",
  perplexity: "this gateway searches with Exa only",
};

/**
 * The request's web search, or undefined when it asks for none. Most requests have no plugins
 * and no `:online` model: they stop at the first check.
 */
export function webSearchOf(request: ChatRequest): WebSearch | undefined {
  if (request.plugins === undefined && request.models === undefined && !request.model?.endsWith(":online")) {
    return undefined;
  }
  let search: WebSearch | undefined;
  for (const plugin of request.plugins ?? []) {
    if (plugin.id !== "web") continue;
    search = plugin.enabled === false ? undefined : pluginSearch(plugin);
  }
  if (search) return search;
  const online = request.model?.endsWith(":online") || request.models?.some((id) => id.endsWith(":online"));
  return online ? { maxResults: DEFAULT_RESULTS } : undefined;
}

function pluginSearch(plugin: Record<string, unknown>): WebSearch {
  const { engine, max_results: maxResults, search_prompt: searchPrompt } = plugin;
  if (engine !== undefined && engine !== "exa" && engine !== "native") {
    const why = typeof engine === "string" ? ENGINES_NOT_RUN[engine] : undefined;
    throw badRequest(
      why
        ? `plugins: "web" engine ${JSON.stringify(engine)} is not supported: ${why} (only "exa" or "native")`
        : `plugins: "web" engine must be "exa" or "native" (or "firecrawl", "parallel", "perplexity", not run here)`,
      { plugin: "web", field: "engine" },
    );
  }
  if (
    maxResults !== undefined &&
    (typeof maxResults !== "number" || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS)
  ) {
    throw badRequest(`plugins: "web" max_results must be an integer from 1 to ${MAX_RESULTS}`, {
      plugin: "web",
      field: "max_results",
    });
  }
  if (searchPrompt !== undefined && (typeof searchPrompt !== "string" || searchPrompt.trim() === "")) {
    throw badRequest(`plugins: "web" search_prompt must be a non-empty string`, {
      plugin: "web",
      field: "search_prompt",
    });
  }
  const includeDomains = domainsOf(plugin.include_domains, "include_domains");
  const excludeDomains = domainsOf(plugin.exclude_domains, "exclude_domains");
  return {
    ...(engine !== undefined ? { engine } : {}),
    maxResults: maxResults ?? DEFAULT_RESULTS,
    ...(searchPrompt !== undefined ? { searchPrompt } : {}),
    ...(includeDomains ? { includeDomains } : {}),
    ...(excludeDomains ? { excludeDomains } : {}),
  };
}

/** The most domains a list may name. */
const MAX_DOMAINS = 100;

/** A list of domains (`example.com`, `*.substack.com`, `openai.com/blog`), or undefined when absent or empty. */
function domainsOf(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    !Array.isArray(value) ||
    value.length > MAX_DOMAINS ||
    !value.every((d) => typeof d === "string" && d.length > 0 && d.length <= 253 && !/\s/.test(d))
  ) {
    throw badRequest(`plugins: "web" ${field} must be a list of up to ${MAX_DOMAINS} domains`, {
      plugin: "web",
      field,
    });
  }
  return value.length > 0 ? (value as string[]) : undefined;
}

/** The prompt tokens the search's message may add, for the hold. */
export const searchPromptTokens = (search: Pick<WebSearch, "maxResults">, resultCharacters = RESULT_CHARACTERS) =>
  search.maxResults * (resultCharacters + RESULT_HEADER_TOKENS) + PROMPT_TOKENS;

/** Where the last user message is (-1: none). */
function lastUserIndex(request: ChatRequest): number {
  for (let i = request.messages.length - 1; i >= 0; i--) if (request.messages[i]?.role === "user") return i;
  return -1;
}

/** The text of the last user message: what is searched for. No text is a 400 (nothing to search). */
export function searchQuery(request: ChatRequest): string {
  const text = contentText(request.messages[lastUserIndex(request)]?.content);
  const query = text.trim();
  if (!query) throw badRequest(`plugins: "web" searches for the last user message's text, and it has none`, {});
  return query.length > MAX_QUERY_CHARACTERS ? query.slice(-MAX_QUERY_CHARACTERS) : query;
}

/**
 * The request with the results as a system message just before its last user message, as
 * OpenRouter puts them. The client's messages are copied, never changed (a fallback reuses them).
 */
export function withResults(request: ChatRequest, search: WebSearch, results: WebResult[], now: Date): ChatRequest {
  const date = now.toISOString().slice(0, 10);
  const prompt =
    search.searchPrompt ??
    `A web search was conducted on ${date}. Incorporate the following web search results into your response.\n\nIMPORTANT: Cite them using markdown links named using the domain of the source.\nExample: [nytimes.com](https://nytimes.com/some-page).`;
  const message = { role: "system" as const, content: `${prompt}\n\n${listedResults(results)}` };
  const at = lastUserIndex(request);
  const messages = [...request.messages];
  messages.splice(at < 0 ? messages.length : at, 0, message as (typeof messages)[number]);
  return { ...request, messages };
}

/** The results as the model reads them: numbered, each with its title, URL and text. */
export const listedResults = (results: WebResult[]) =>
  results.map((r, i) => `[${i + 1}] ${r.title.slice(0, 300)}\nURL: ${r.url.slice(0, 300)}\n${r.text}`).join("\n\n");

/**
 * The results as `url_citation` annotations. Where the reply's text has the result's URL (a
 * markdown link, as the prompt asks), the indexes locate it; otherwise (or while a stream's text
 * is still to come) they are 0.
 */
export function citations(results: WebResult[], text = ""): UrlCitation[] {
  return results.map((r) => {
    const at = text ? text.indexOf(r.url) : -1;
    return {
      type: "url_citation",
      url_citation: {
        url: r.url,
        title: r.title,
        content: r.text,
        start_index: at < 0 ? 0 : at,
        end_index: at < 0 ? 0 : at + r.url.length,
      },
    };
  });
}
