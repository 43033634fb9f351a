import { fetchGuarded, GuardedFetchError, refusedTarget } from "../providers/guarded-fetch";
import { type ExaAccess, exaContents } from "../search/exa";
import { htmlText, htmlTitle } from "./page-text";

/**
 * The `openrouter:web_fetch` server tool's fetch of one URL the model asked for: through Exa's
 * Contents API (the `exa` engine), or directly (OpenRouter's `openrouter` engine: a GET of the
 * page, its text extracted here). Either way the model gets the page's URL, title and text, cut
 * to the tool's `max_content_tokens`, or an error it can read.
 */

/** How a request's fetches are made: through Exa (charged per page), or directly (free). */
export type FetchEngine = { kind: "exa"; access: ExaAccess } | { kind: "direct"; allowPrivate: boolean };

/** What the model reads of a fetched page. */
export interface FetchedPage {
  url: string;
  title: string;
  content: string;
  /** The content was cut at the tool's max_content_tokens. */
  truncated?: boolean;
  /** The page's HTTP status, where the direct engine saw it. */
  httpStatus?: number;
}

/** Why a URL gave the model no page: said to the model as its error result. */
export interface FetchFailure {
  error: string;
  httpStatus?: number;
}

/** OpenRouter's price for a page fetched through Exa: $1 per 1000, in nano-dollars per page. */
export const EXA_PAGE_NANOS = 1_000_000;

/**
 * What a page is asked with: text first, and a user agent that names the fetcher (many sites turn
 * away a request with none).
 */
const PAGE_REQUEST_HEADERS = {
  accept: "text/html, text/plain, application/json, text/*;q=0.9, */*;q=0.1",
  "user-agent": "Mozilla/5.0 (compatible; Tollgate-WebFetch/1.0)",
};

/** What a fetch may take, from the first byte asked to the last read. */
const FETCH_TIMEOUT_MS = 15_000;
/** The most of a page read directly; past it the rest is not read (the text is cut far sooner). */
const MAX_PAGE_BYTES = 2 * 1024 * 1024;
/** Characters a token of page text is taken as (the gateway's estimate for prose). */
const CHARACTERS_PER_TOKEN = 4;

/** Whether `host` is `domain` or one of its subdomains (`*.` before the domain, or a path after it, ignored). */
function inDomain(host: string, domain: string): boolean {
  const d = domain.toLowerCase().replace(/^\*\./, "").split("/")[0] ?? "";
  return d !== "" && (host === d || host.endsWith(`.${d}`));
}

/** The rules of a tool's `allowed_domains` and `blocked_domains`. */
export interface DomainRules {
  allowed?: string[];
  blocked?: string[];
}

/** Why the tool's domain rules refuse `url`, or undefined when they let it be fetched. */
function refusedByDomains(url: URL, rules: DomainRules): string | undefined {
  const host = url.hostname.toLowerCase();
  if (rules.allowed && !rules.allowed.some((d) => inDomain(host, d))) {
    return `${host} is not among the domains this tool may fetch from (allowed_domains)`;
  }
  if (rules.blocked?.some((d) => inDomain(host, d))) return `${host} is a blocked domain (blocked_domains)`;
  return undefined;
}

/**
 * The page at `url` as the model reads it, or why there is none. `signal` is the client's: its
 * leaving aborts the fetch (and throws); any other failure is the model's to read.
 */
export async function fetchPage(
  url: string,
  engine: FetchEngine,
  { domains, maxContentTokens }: { domains: DomainRules; maxContentTokens: number },
  signal: AbortSignal,
): Promise<FetchedPage | FetchFailure> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { error: "not a valid URL: give an absolute http(s) URL" };
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return { error: `${target.protocol} URLs are not fetched: give an http(s) URL` };
  }
  const refused = refusedByDomains(target, domains);
  if (refused) return { error: refused };
  const maxCharacters = maxContentTokens * CHARACTERS_PER_TOKEN;
  if (engine.kind === "exa") {
    // One character more than the model is given: Exa cuts a page silently, and a page longer
    // than the cap must be said to be cut.
    const answer = await exaContents(engine.access, target.href, maxCharacters + 1, signal);
    if ("failed" in answer)
      return { error: answer.failed, ...(answer.httpStatus ? { httpStatus: answer.httpStatus } : {}) };
    return cut({ url: answer.page.url, title: answer.page.title, content: answer.page.text }, maxCharacters);
  }
  return fetchDirectly(target, engine.allowPrivate, domains, maxCharacters, signal);
}

/** `page` with its content cut to `maxCharacters`, said so. */
function cut(page: FetchedPage, maxCharacters: number): FetchedPage {
  return page.content.length > maxCharacters
    ? { ...page, content: page.content.slice(0, maxCharacters), truncated: true }
    : page;
}

/** The direct engine: a guarded GET (no private addresses, each redirect within the tool's domains). */
async function fetchDirectly(
  target: URL,
  allowPrivate: boolean,
  domains: DomainRules,
  maxCharacters: number,
  clientSignal: AbortSignal,
): Promise<FetchedPage | FetchFailure> {
  if (refusedTarget(target, allowPrivate) === "private") {
    return { error: `${target.hostname} is a private or loopback address, which is not fetched` };
  }
  const timeout = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  const signal = AbortSignal.any([clientSignal, timeout]);
  const late = () => ({ error: `the page did not arrive within ${FETCH_TIMEOUT_MS / 1000} s` });
  let response: Response;
  try {
    response = await fetchGuarded(
      target,
      {
        allowPrivate,
        headers: PAGE_REQUEST_HEADERS,
        within: (hop) => refusedByDomains(hop, domains),
      },
      signal,
    );
  } catch (error) {
    if (clientSignal.aborted) throw error;
    if (timeout.aborted) return late();
    return { error: guardedFetchProblem(error) };
  }
  const finalUrl = response.url || target.href;
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return { error: `the page answered HTTP ${response.status}`, httpStatus: response.status };
  }
  const type = (response.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const kind = pageKind(type);
  if (kind !== "html" && kind !== "text") {
    await response.body?.cancel().catch(() => undefined);
    const error =
      kind === "pdf"
        ? "the page is a PDF, which this gateway's direct fetch does not read (the exa engine does)"
        : `the page is not text (content-type ${type})`;
    return { error, httpStatus: response.status };
  }
  let body: string;
  try {
    body = await readText(response, MAX_PAGE_BYTES);
  } catch (error) {
    if (clientSignal.aborted) throw error;
    if (timeout.aborted) return late();
    return { error: "the page broke off while it was read" };
  }
  const html = kind === "html" || (type === "" && /<html[\s>]/i.test(body.slice(0, 1024)));
  const page = html
    ? { url: finalUrl, title: htmlTitle(body) ?? finalUrl, content: htmlText(body) }
    : { url: finalUrl, title: finalUrl, content: body.trim() };
  return { ...cut(page, maxCharacters), httpStatus: response.status };
}

/** How a page of this media type is read: as HTML, as text, not at all (a PDF is said apart). */
function pageKind(type: string): "html" | "text" | "pdf" | "other" {
  if (type === "text/html" || type === "application/xhtml+xml") return "html";
  if (type === "" || type.startsWith("text/")) return "text";
  if (/^application\/([\w.-]+\+)?(json|xml)$/.test(type) || type === "application/javascript") return "text";
  return type === "application/pdf" ? "pdf" : "other";
}

/** What the model is told of a guarded fetch that stopped. */
function guardedFetchProblem(error: unknown): string {
  if (!(error instanceof GuardedFetchError)) return "the page could not be fetched";
  switch (error.reason) {
    case "unreachable":
      return "the page could not be fetched (no connection)";
    case "too_many_redirects":
      return "the page redirects too many times";
    case "bad_location":
      return "the page redirects to an invalid URL";
    case "protocol":
      return `the page redirects to ${error.to}, which is not an http(s) URL`;
    case "private":
      return `the page redirects to ${error.to}, a private or loopback address, which is not fetched`;
    case "outside":
      return `the page redirects to ${error.to}: ${error.detail}`;
  }
}

/** The body as UTF-8 text, at most `maxBytes` of it read (the rest left unread). */
async function readText(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - read;
    read += value.byteLength;
    text += decoder.decode(value.byteLength > room ? value.subarray(0, room) : value, { stream: true });
    if (read >= maxBytes) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return text + decoder.decode();
}
