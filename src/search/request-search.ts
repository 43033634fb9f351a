import type { Env } from "../env";
import type { Attempt } from "../routing/plan";
import type { ChatRequest } from "../schema/chat";
import { GatewayError } from "../schema/errors";
import { type ExaAccess, exaAccess, exaSearch, type WebResult } from "./exa";
import { RESULT_CHARACTERS, searchQuery, WEB_RESULT_NANOS, type WebSearch, withResults } from "./web";

/**
 * Providers whose models search the web themselves (OpenRouter's docs: Perplexity's are "native
 * only"): the plugin adds no search of its own there, and charges none.
 */
const SEARCHES_NATIVELY = new Set(["perplexity"]);

const needsSearch = (attempt: Attempt) => !SEARCHES_NATIVELY.has(attempt.provider.slug);

/**
 * One request's web search: run once, after the request's hold is placed and before its first
 * upstream call, its results given to every attempt that needs them (a fallback reuses them).
 */
export class RequestSearch {
  private results: WebResult[] | undefined;
  private searched: ChatRequest | undefined;
  private pending: Promise<void> | undefined;

  private constructor(
    readonly search: WebSearch,
    private readonly access: ExaAccess,
    private readonly request: ChatRequest,
  ) {}

  /**
   * The search a request's plan needs, or undefined when no attempt needs one (a plan of models
   * that search natively). Web search asked of a gateway with no search configured is a 503, before
   * any hold or call: never an answer without the search.
   */
  static of(env: Env, request: ChatRequest, search: WebSearch, attempts: Attempt[]): RequestSearch | undefined {
    if (!attempts.some(needsSearch)) return undefined;
    const access = exaAccess(env);
    if (!access) {
      throw new GatewayError(
        503,
        "web search is not configured on this gateway (the operator sets EXA_API_KEY): the request was not answered",
        { plugin: "web" },
      );
    }
    // A request with no text to search for is refused here, before any hold.
    searchQuery(request);
    return new RequestSearch(search, access, request);
  }

  /** Runs the search, once, however many times the attempts are (re)started. */
  run(signal: AbortSignal): Promise<void> {
    const { maxResults, includeDomains, excludeDomains } = this.search;
    this.pending ??= exaSearch(
      this.access,
      {
        query: searchQuery(this.request),
        numResults: maxResults,
        maxCharacters: RESULT_CHARACTERS,
        ...(includeDomains ? { includeDomains } : {}),
        ...(excludeDomains ? { excludeDomains } : {}),
      },
      signal,
    ).then((results) => {
      this.results = results;
      this.searched = withResults(this.request, this.search, results, new Date());
    });
    return this.pending;
  }

  /** The request as `attempt` is sent it: with the results, where its model needs them. */
  requestFor(request: ChatRequest, attempt: Attempt): ChatRequest {
    return this.searched && needsSearch(attempt) ? this.searched : request;
  }

  /** The results the answering attempt was given (undefined if none: it searched natively). */
  resultsFor(attempt: Attempt): WebResult[] | undefined {
    return needsSearch(attempt) ? this.results : undefined;
  }

  /** What the results given to `attempt` cost: $4 per 1000 results. */
  costFor(attempt: Attempt): number {
    return (this.resultsFor(attempt)?.length ?? 0) * WEB_RESULT_NANOS;
  }
}
