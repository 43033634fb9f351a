import { type Env, readEnvString } from "../env";
import { postJson } from "../post-json";
import { GatewayError } from "../schema/errors";

/** One result of a web search, as the gateway injects it and cites it. */
export interface WebResult {
  url: string;
  title: string;
  /** The page's text, cut to what was asked (`contents.text.maxCharacters`). */
  text: string;
}

/** Where Exa's search API is, and with which key; undefined when web search is not configured. */
export interface ExaAccess {
  baseUrl: string;
  apiKey: string;
}

/**
 * As a provider's upstream is resolved (routing/upstream.ts): `EXA_API_KEY` at Exa's URL (or
 * `EXA_BASE_URL`); without a key, the bundled emulator under `EMULATOR_URL` (npm start, tests), or
 * `EXA_BASE_URL` alone (a self-hosted search that takes no key).
 */
export function exaAccess(env: Env): ExaAccess | undefined {
  const apiKey = readEnvString(env, "EXA_API_KEY");
  const override = readEnvString(env, "EXA_BASE_URL")?.replace(/\/+$/, "");
  if (apiKey) return { baseUrl: override ?? "https://api.exa.ai", apiKey };
  if (env.EMULATOR_URL)
    return { baseUrl: override ?? `${env.EMULATOR_URL.replace(/\/+$/, "")}/exa`, apiKey: "emulator-key" };
  if (override) return { baseUrl: override, apiKey: "none" };
  return undefined;
}

/** What is asked of Exa's search. */
export interface ExaQuery {
  query: string;
  numResults: number;
  /** Each page's text, at most. */
  maxCharacters: number;
  includeDomains?: string[];
  excludeDomains?: string[];
  /** An ISO 3166-1 alpha-2 country code, lower case: results biased to users there. */
  userLocation?: string;
}

/** Exa's `POST /search` reply, the fields read of it. */
interface ExaReply {
  results?: Array<{ url?: unknown; title?: unknown; text?: unknown }>;
}

/**
 * Exa's search (its `auto` type) for the query, with up to `numResults` results (from the domains
 * asked, if any) and each page's text up to `maxCharacters`. Any failure (Exa's error status, a timeout, a reply without results) is a
 * 502 naming Exa: the request fails before any model is called, and costs nothing.
 */
export async function exaSearch(access: ExaAccess, ask: ExaQuery, signal: AbortSignal): Promise<WebResult[]> {
  const { numResults, maxCharacters } = ask;
  const answer = await exaPost(
    access,
    "/search",
    {
      query: ask.query,
      type: "auto",
      numResults,
      ...(ask.includeDomains ? { includeDomains: ask.includeDomains } : {}),
      ...(ask.excludeDomains ? { excludeDomains: ask.excludeDomains } : {}),
      ...(ask.userLocation ? { userLocation: ask.userLocation } : {}),
      contents: { text: { maxCharacters } },
    },
    signal,
  );
  if ("failed" in answer) throw searchFailed(answer.failed);
  const reply = answer.reply as ExaReply | null;
  if (!reply || !Array.isArray(reply.results)) throw searchFailed("a reply without results");
  const results: WebResult[] = [];
  for (const r of reply.results.slice(0, numResults)) {
    const result = webResult(r, maxCharacters);
    if (result) results.push(result);
  }
  return results;
}

/** A result of Exa's, if it has a URL: its title (else the URL) and its text cut to `maxCharacters`. */
function webResult(r: { url?: unknown; title?: unknown; text?: unknown }, maxCharacters: number): WebResult | null {
  if (typeof r.url !== "string") return null;
  return {
    url: r.url,
    title: typeof r.title === "string" && r.title ? r.title : r.url,
    text: typeof r.text === "string" ? r.text.slice(0, maxCharacters) : "",
  };
}

/** Exa's `POST /contents` reply, the fields read of it. */
interface ExaContentsReply extends ExaReply {
  statuses?: Array<{ id?: unknown; status?: unknown; error?: { tag?: unknown; httpStatusCode?: unknown } }>;
}

/**
 * The page at `url` through Exa's Contents API, its text up to `maxCharacters`; or why Exa has
 * none: its per-URL status (`CRAWL_NOT_FOUND` and the page's HTTP status), or Exa itself failing.
 */
export async function exaContents(
  access: ExaAccess,
  url: string,
  maxCharacters: number,
  signal: AbortSignal,
): Promise<{ page: WebResult } | { failed: string; httpStatus?: number }> {
  const answer = await exaPost(access, "/contents", { urls: [url], text: { maxCharacters } }, signal);
  if ("failed" in answer) return { failed: `the fetch provider (Exa) answered with ${answer.failed}` };
  const reply = answer.reply as ExaContentsReply | null;
  const status = reply?.statuses?.find((s) => s.id === url) ?? reply?.statuses?.[0];
  if (status?.status === "error") {
    const tag = typeof status.error?.tag === "string" ? status.error.tag : "an error";
    const code = status.error?.httpStatusCode;
    return {
      failed: `the page could not be fetched (${tag})`,
      ...(typeof code === "number" ? { httpStatus: code } : {}),
    };
  }
  const page = Array.isArray(reply?.results) && reply.results[0] ? webResult(reply.results[0], maxCharacters) : null;
  return page ? { page } : { failed: "the fetch provider (Exa) answered with no content for the page" };
}

/**
 * One call to Exa's API (post-json.ts): its JSON reply, or what went wrong (no answer in time, an error status,
 * a body that is no JSON). A call the client's leaving aborted throws.
 */
function exaPost(
  access: ExaAccess,
  path: string,
  body: unknown,
  signal: AbortSignal,
): Promise<{ reply: unknown } | { failed: string }> {
  return postJson(`${access.baseUrl}${path}`, { "x-api-key": access.apiKey }, body, signal, SEARCH_TIMEOUT_MS);
}

/** How long a call to Exa may take before it counts as failed (a model call has its own timeouts). */
const SEARCH_TIMEOUT_MS = 15_000;

const searchFailed = (what: string) =>
  new GatewayError(502, `web search failed: the search provider (Exa) answered with ${what}`, {
    provider_name: "Exa",
  });
