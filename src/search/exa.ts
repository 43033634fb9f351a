import { type Env, readEnvString } from "../env";
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
  let response: Response;
  try {
    response = await fetch(`${access.baseUrl}/search`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": access.apiKey },
      body: JSON.stringify({
        query: ask.query,
        type: "auto",
        numResults,
        ...(ask.includeDomains ? { includeDomains: ask.includeDomains } : {}),
        ...(ask.excludeDomains ? { excludeDomains: ask.excludeDomains } : {}),
        ...(ask.userLocation ? { userLocation: ask.userLocation } : {}),
        contents: { text: { maxCharacters } },
      }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(SEARCH_TIMEOUT_MS)]),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw searchFailed("no answer");
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw searchFailed(`status ${response.status}`);
  }
  const reply = (await response.json().catch(() => null)) as ExaReply | null;
  if (!reply || !Array.isArray(reply.results)) throw searchFailed("a reply without results");
  const results: WebResult[] = [];
  for (const r of reply.results.slice(0, numResults)) {
    if (typeof r.url !== "string") continue;
    results.push({
      url: r.url,
      title: typeof r.title === "string" && r.title ? r.title : r.url,
      text: typeof r.text === "string" ? r.text.slice(0, maxCharacters) : "",
    });
  }
  return results;
}

/** How long the search may take before the request fails (a model call has its own timeouts). */
const SEARCH_TIMEOUT_MS = 15_000;

const searchFailed = (what: string) =>
  new GatewayError(502, `web search failed: the search provider (Exa) answered with ${what}`, {
    provider_name: "Exa",
  });
