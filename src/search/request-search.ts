import type { Env } from "../env";
import type { Attempt } from "../routing/plan";
import type { ChatRequest } from "../schema/chat";
import { GatewayError } from "../schema/errors";
import { type ExaAccess, exaAccess, exaSearch, type WebResult } from "./exa";
import { nativeWorstNanos, searchesByItself, searchesNatively } from "./native";
import { RESULT_CHARACTERS, searchQuery, WEB_RESULT_NANOS, type WebSearch, withResults } from "./web";

/**
 * One request's web search. Exa's is run once, after the request's hold is placed and before the
 * first upstream call that needs it (none, when every endpoint tried searches natively), its
 * results given to every attempt that needs them (a fallback reuses them).
 */
export class RequestSearch {
  private results: WebResult[] | undefined;
  private searched: ChatRequest | undefined;
  private pending: Promise<void> | undefined;

  private constructor(
    readonly search: WebSearch,
    private readonly access: ExaAccess | undefined,
    private readonly request: ChatRequest,
  ) {}

  /**
   * The search a request's plan needs, or undefined when none does (a plan of models that search
   * by themselves, unasked and unbilled by the gateway: Perplexity's). Exa asked of a gateway with
   * no search configured is a 503, before any hold or call: never an answer without the search.
   */
  static of(env: Env, request: ChatRequest, search: WebSearch, attempts: Attempt[]): RequestSearch | undefined {
    const exa = attempts.some((a) => needsExa(search, a));
    if (!exa && !attempts.some((a) => searchesNatively(search, a.provider, a.endpoint))) return undefined;
    if (!exa) return new RequestSearch(search, undefined, request);
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

  /**
   * Before `attempt` is called: Exa's search, once, where the attempt needs its results (after
   * `admitted`, the hold, so it is never run for a request its account refuses); nothing else.
   */
  before(attempt: Attempt, signal: AbortSignal, admitted?: Promise<unknown>): Promise<void> | undefined {
    if (!this.needsExa(attempt)) return undefined;
    return (async () => {
      await admitted;
      await this.run(signal);
    })();
  }

  /** Runs Exa's search, once, however many times the attempts are (re)started. */
  private run(signal: AbortSignal): Promise<void> {
    const { maxResults, includeDomains, excludeDomains } = this.search;
    const access = this.access as ExaAccess;
    this.pending ??= exaSearch(
      access,
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

  /** The search, where `attempt`'s endpoint runs it with its provider's own tool (its adapter adds the tool). */
  nativeFor(attempt: Attempt): WebSearch | undefined {
    return searchesNatively(this.search, attempt.provider, attempt.endpoint) ? this.search : undefined;
  }

  /** Whether `attempt` is given Exa's results (not: its model searches by itself). */
  needsExa(attempt: Attempt): boolean {
    return needsExa(this.search, attempt);
  }

  /**
   * The request as `attempt` is sent it: with the results, where its model needs them (a native
   * search's tool is the adapter's to add: providers/anthropic/request.ts).
   */
  requestFor(request: ChatRequest, attempt: Attempt): ChatRequest {
    return this.searched && this.needsExa(attempt) ? this.searched : request;
  }

  /** The results the answering attempt was given (undefined if none: it searched natively). */
  resultsFor(attempt: Attempt): WebResult[] | undefined {
    return this.needsExa(attempt) ? this.results : undefined;
  }

  /**
   * The most the search may cost at `attempt`, for the hold: Exa's every result, or every search
   * a native search may run at the endpoint's `web_search` price (charged from the provider's count).
   */
  worstNanosFor(attempt: Attempt): number {
    if (this.needsExa(attempt)) return this.search.maxResults * WEB_RESULT_NANOS;
    return searchesNatively(this.search, attempt.provider, attempt.endpoint)
      ? nativeWorstNanos(this.search, attempt)
      : 0;
  }

  /** What the results given to `attempt` cost: $4 per 1000 results. */
  costFor(attempt: Attempt): number {
    return (this.resultsFor(attempt)?.length ?? 0) * WEB_RESULT_NANOS;
  }
}

/** Whether `attempt` is given Exa's results: its model neither searches by itself nor natively here. */
const needsExa = (search: WebSearch, attempt: Attempt) =>
  !searchesByItself(attempt.provider) && !searchesNatively(search, attempt.provider, attempt.endpoint);
