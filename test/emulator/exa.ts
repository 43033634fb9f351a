import { createHash } from "node:crypto";
import type { WireFormat } from "./format";
import type { Script } from "./script";

/**
 * Exa's search API (`POST /search`, the `x-api-key` header), the web search the gateway's `web`
 * plugin runs: `{query, type, numResults, contents: {text: {maxCharacters}}}` answered with
 * `{requestId, resolvedSearchType, results: [{id, url, title, publishedDate, author, text}],
 * (from `includeDomains` only, when it is sent)
 * costDollars}`, and Exa's `{requestId, error, tag}` error bodies. Results are derived from the
 * query (the same query, the same results), their text quoting it, so a test can find them in
 * what the model was sent.
 *
 * And Exa's Contents API (`POST /contents`, what `openrouter:web_fetch` reads a page with):
 * `{urls, text: {maxCharacters} | true}` answered with `{requestId, results: [{id, url, title, text,
 * publishedDate, author}], statuses, costDollars}`, HTTP 200 even when a page fails: its status
 * (`{id, status: "error", error: {tag, httpStatusCode}}`) says so and it has no result. A URL whose
 * path has `/missing` is not found (CRAWL_NOT_FOUND, 404); any other is a page whose text quotes
 * its URL, padded past 2,000 characters so a cut to `maxCharacters` shows.
 */
type Json = Record<string, any>;
const JSON_HEADERS = { "content-type": "application/json" };
/** Exa's default when `numResults` is not sent. */
const DEFAULT_RESULTS = 10;

const TAGS: Record<number, string> = {
  400: "INVALID_REQUEST_BODY",
  401: "INVALID_API_KEY",
  402: "NO_MORE_CREDITS",
  429: "RATE_LIMIT_EXCEEDED",
};

function errorScript(status: number, code: string | undefined, retryAfter: number | undefined): Script {
  const tag = code ?? TAGS[status] ?? "INTERNAL_ERROR";
  return {
    status,
    headers: { ...JSON_HEADERS, ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}) },
    body: JSON.stringify({ requestId: requestId(tag), error: `Emulated Exa error ${status}`, tag }),
  };
}

const requestId = (seed: string) => createHash("sha256").update(seed).digest("hex").slice(0, 32);

function search(body: Json): Script {
  const query = typeof body.query === "string" ? body.query : "";
  if (!query) return errorScript(400, "INVALID_REQUEST_BODY", undefined);
  const count = Math.max(1, Math.min(100, Number(body.numResults ?? DEFAULT_RESULTS)));
  const maxCharacters = Number(body.contents?.text?.maxCharacters ?? 0);
  const id = requestId(query);
  // Results only from `includeDomains` where it is given (a wildcard's parent domain, a path's host).
  const domains = Array.isArray(body.includeDomains)
    ? (body.includeDomains as string[]).map((d) => d.replace(/^\*\./, "").split("/")[0])
    : [];
  const results = Array.from({ length: count }, (_, i) => {
    const host = domains.length > 0 ? domains[i % domains.length] : `source${i + 1}.example.com`;
    const url = `https://${host}/${id.slice(0, 8)}/${i + 1}`;
    const text = `Result ${i + 1} for "${query}": emulated page text.`;
    return {
      id: url,
      url,
      title: `Source ${i + 1} on ${query.slice(0, 40)}`,
      publishedDate: "2026-01-01T00:00:00.000Z",
      author: null,
      // Text only when contents asked for it, cut to its maxCharacters (as Exa does).
      ...(body.contents?.text ? { text: maxCharacters > 0 ? text.slice(0, maxCharacters) : text } : {}),
    };
  });
  return {
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      requestId: id,
      resolvedSearchType: "neural",
      results,
      costDollars: { total: 0.005 + 0.001 * count, search: { neural: 0.005 }, contents: { text: 0.001 * count } },
    }),
  };
}

/** Exa's price of a page's text (per page), and the length every emulated page's text reaches. */
const CONTENTS_TEXT_PRICE = 0.001;
const PAGE_TEXT_LENGTH = 2_000;
const PAGE_FILLER = " This sentence pads the emulated page so that a cut to maxCharacters shows.";

/** The emulated page at a URL: its text quotes the URL, then filler up to PAGE_TEXT_LENGTH. */
export function exaPageText(url: string): string {
  const start = `Content of ${url}: emulated page text.`;
  return start + PAGE_FILLER.repeat(Math.ceil(Math.max(0, PAGE_TEXT_LENGTH - start.length) / PAGE_FILLER.length));
}

function pageTitle(url: string): string {
  try {
    const parsed = new URL(url);
    return `Page ${parsed.pathname.split("/").filter(Boolean).at(-1) ?? parsed.host}`;
  } catch {
    return `Page ${url}`;
  }
}

function contents(body: Json): Script {
  const urls: unknown = body.urls;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === "string" && u.length > 0)) {
    return errorScript(400, "INVALID_REQUEST_BODY", undefined);
  }
  const maxCharacters = Number((body.text as Json | undefined)?.maxCharacters ?? 0);
  const results: Json[] = [];
  const statuses: Json[] = [];
  for (const url of urls as string[]) {
    let path = "";
    try {
      path = new URL(url).pathname;
    } catch {
      path = url;
    }
    if (path.includes("/missing")) {
      statuses.push({ id: url, status: "error", error: { tag: "CRAWL_NOT_FOUND", httpStatusCode: 404 } });
      continue;
    }
    const text = exaPageText(url);
    statuses.push({ id: url, status: "success" });
    results.push({
      id: url,
      url,
      title: pageTitle(url),
      text: maxCharacters > 0 ? text.slice(0, maxCharacters) : text,
      publishedDate: "2026-01-01T00:00:00.000Z",
      author: null,
    });
  }
  const cost = CONTENTS_TEXT_PRICE * results.length;
  return {
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      requestId: requestId(`contents\u0000${urls.join("\u0000")}`),
      results,
      statuses,
      costDollars: { total: cost, contents: { text: cost } },
    }),
  };
}

export const exaFormat: WireFormat = {
  name: "exa",
  matches: (rest, method) => method === "POST" && (rest === "/search" || rest === "/contents"),
  authorized: (headers) => typeof headers["x-api-key"] === "string" && headers["x-api-key"].length > 0,
  error: errorScript,
  handle: ({ rest, body }) => (rest === "/contents" ? contents(body) : search(body)),
};
