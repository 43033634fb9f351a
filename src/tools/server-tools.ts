import type { Model } from "../catalog/types";
import type { Env } from "../env";
import { reservationFor } from "../generation/budget";
import type { RunGate } from "../generation/lifecycle";
import {
  type PricedUsage,
  priceUsage,
  type ServerToolUseDetails,
  type SettledUsage,
  settleUsage,
} from "../generation/usage";
import { producedText } from "../providers/assistant-message";
import type {
  AssistantMessageOut,
  ChatCompletionOut,
  NativeSearchErrorCode,
  NativeWebSearch,
  Usage,
} from "../providers/types";
import type { AttemptSuccess } from "../routing/attempts";
import type { Attempt } from "../routing/plan";
import type { ChatRequest, Message, ToolCall } from "../schema/chat";
import { badRequest, GatewayError } from "../schema/errors";
import { type ServerToolSpec, type StopCondition, serverToolType } from "../schema/server-tools";
import { type ExaAccess, exaAccess, exaSearch, type WebResult } from "../search/exa";
import { listedResults, MAX_QUERY_CHARACTERS, searchPromptTokens, WEB_RESULT_NANOS } from "../search/web";
import { currentTime } from "./datetime";
import {
  citeEarlierTurns,
  nativeSearchRecords,
  nativeSearchTool,
  nativeSearchWorstNanos,
  searchesNativelyAt,
  withoutSearchFunction,
} from "./native-web-search";
import { searchModels } from "./search-models";
import { EXA_PAGE_NANOS, type FetchEngine, fetchPage } from "./web-fetch";

/**
 * OpenRouter's server tools (`openrouter:web_search`, `openrouter:web_fetch`, `openrouter:datetime`) on one chat request:
 * the model is shown them as function tools (schema/server-tools.ts); when it calls them, the
 * gateway runs the calls, gives the model their results and calls it again, until it answers.
 * All the turns are one generation: one hold, covering the loop's worst case, one settlement of
 * every turn's usage (at the endpoint that answered the first turn, which answers them all), of
 * the search results fetched and of the pages read through Exa. Web search on an endpoint that
 * searches by itself is its provider's own tool instead (native-web-search.ts): no function, no
 * turn of the loop; its searches are in the turns' usage, billed at the endpoint's price.
 */

/**
 * Turns that may call server tools, unless `step_count_is` sets another number: with the last
 * turn, asked to answer (`tool_choice: "none"`), 5 model calls. The request holds for every turn
 * it may make, so the default stays short; a client that wants a longer loop asks for it.
 */
const DEFAULT_TOOL_STEPS = 4;
/** Server-tool calls a request may make per step it may take (at least 16); past them the loop ends. */
const CALLS_PER_STEP = 4;
const MIN_CALLS = 16;
/** Prompt tokens held for one call's message and a result other than a search's (datetime, an error). */
const CALL_TOKENS = 100;

/** What the hold of each turn rests on: the request's own terms (GenerationStart's). */
export interface TurnTerms {
  promptTokens: number;
  maxOutputTokens: number | null | undefined;
  reasoningTokens?: (attempt: Attempt) => number;
  images: number;
}

/** What the loop's stop conditions price and count against: the prompt's estimate and its images. */
export type LoopTerms = Pick<TurnTerms, "promptTokens" | "images">;

/**
 * One server-tool call the loop ran, as the Responses API lists it among a response's output
 * (generation/responses.ts) and the Messages API shows it in its content (generation/messages-server-blocks.ts):
 * a search's query and the pages it found, or the time told. `completed: false` for a call that
 * gave the model an error result (no query, a limit reached, Exa failing), and, for a search or
 * a fetch, why (`failure`), in Anthropic's error codes, which a native search's failure comes in
 * and the Messages API shows as they are.
 */
export type ServerToolCallRecord =
  | {
      kind: "web_search";
      query: string | undefined;
      /** The results given to the model: each page's address and title. */
      results: Array<Pick<WebResult, "url" | "title">>;
      completed: boolean;
      failure?: NativeSearchErrorCode;
    }
  | { kind: "datetime"; datetime: string; timezone: string; completed: true }
  /** A search of the catalog's models: its query, and the arguments as the model wrote them. */
  | { kind: "search_models"; query: string | undefined; arguments: string; completed: boolean }
  | {
      kind: "web_fetch";
      /** The URL the model asked for (undefined: its arguments named none), or the page's own after redirects. */
      url: string | undefined;
      title?: string;
      content?: string;
      error?: string;
      httpStatus?: number;
      completed: boolean;
      failure?: FetchFailure;
    };

/**
 * Why a fetch gave the model an error result, as Anthropic's web fetch tool tells it: its
 * arguments lacked the URL, `max_uses` was reached, or the page could not be read.
 */
export type FetchFailure = "invalid_tool_input" | "max_uses_exceeded" | "url_not_accessible";

/** Runs one attempt loop with `request` (chat.ts's call, with the request to send). */
export type CallModel = (plan: Attempt[], gate: RunGate, request: ChatRequest) => Promise<AttemptSuccess>;

export class ServerTools {
  /** Each turn's reply, in order; the last is the answer. */
  private readonly turns: ChatCompletionOut[] = [];
  /** The results of every search run, in order (cited on the answer, charged each). */
  readonly results: WebResult[] = [];
  /** Every server-tool call run, in the order the model made them (their count: the calls requested). */
  readonly calls: ServerToolCallRecord[] = [];
  /**
   * What a Messages reply shows of the searches (generation/messages-server-blocks.ts): the calls
   * run and the searches the endpoint ran natively, in the order they ran (a turn's native searches
   * before the calls it made). Not counted as calls: OpenRouter counts those the loop ran.
   */
  readonly shown: ServerToolCallRecord[] = [];
  /** Searches sent to Exa (max_uses counts them as they start, parallel ones too; a native search's are its turns'). */
  private searches = 0;
  /** Fetches started (max_uses counts them as they start), and the pages Exa returned (each charged). */
  private fetches = 0;
  private exaPages = 0;
  /** Model calls the request may make: its tool steps and the answer after them. */
  private readonly maxTurns: number;
  private readonly maxCalls: number;

  private constructor(
    private readonly byName: Map<string, ServerToolSpec>,
    /** The request as the next turn is sent it: the client's, then grown by each turn and its results. */
    private sent: ChatRequest,
    private readonly access: ExaAccess | undefined,
    private readonly fetchEngine: FetchEngine | undefined,
    private readonly stops: StopCondition[],
    /** The catalog's models in force: what the model search looks in. */
    private readonly models: readonly Model[],
  ) {
    // The fewest steps any condition allows (each ends the loop on its own).
    const counts = stops.flatMap((stop) => (stop.type === "step_count_is" ? [stop.step_count] : []));
    const steps = counts.length > 0 ? Math.min(...counts) : DEFAULT_TOOL_STEPS;
    this.maxTurns = steps + 1;
    this.maxCalls = Math.max(MIN_CALLS, steps * CALLS_PER_STEP);
  }

  /**
   * The request's server tools, or undefined when it lists none. A client function named as a
   * server tool is shown is a 400 (the model could not tell them apart), as is one listed twice,
   * `n` above 1 (the loop follows one answer), or web search with Exa on an endpoint of the plan
   * (`attempts`; not: one that searches natively), or web fetch asking for Exa, on a gateway
   * without Exa (503).
   */
  static of(env: Env, request: ChatRequest, models: readonly Model[], attempts: Attempt[]): ServerTools | undefined {
    const tools = request.tools ?? [];
    // Most requests with tools have function tools only: one pass, nothing built.
    if (!tools.some((tool) => "server_tool" in tool)) return undefined;
    const byName = new Map<string, ServerToolSpec>();
    const clientNames = new Set<string>();
    for (const tool of tools) {
      const spec = (tool as { server_tool?: ServerToolSpec }).server_tool;
      if (!spec) clientNames.add(tool.function.name);
      else if (byName.has(tool.function.name)) {
        throw badRequest(`tools: "${serverToolType(spec.kind)}" is listed more than once`, {
          tool: serverToolType(spec.kind),
        });
      } else byName.set(tool.function.name, spec);
    }
    for (const [name, spec] of byName) {
      if (clientNames.has(name)) {
        throw badRequest(
          `tools: the function "${name}" has the name the server tool "${serverToolType(spec.kind)}" is shown to the model by: rename it`,
          { tool: name },
        );
      }
    }
    if ((request.n ?? 1) > 1) throw badRequest("n: a request with server tools answers one choice", { n: request.n });
    let access: ExaAccess | undefined;
    const web = specOf(byName, "web_search");
    if (web && attempts.some((attempt) => !searchesNativelyAt(web, attempt))) {
      access = exaAccess(env);
      if (!access) {
        throw new GatewayError(
          503,
          "web search is not configured on this gateway (the operator sets EXA_API_KEY): the request was not answered",
          { tool: "openrouter:web_search" },
        );
      }
    }
    const fetchSpec = specOf(byName, "web_fetch");
    const fetchEngine = fetchSpec ? fetchEngineFor(env, fetchSpec.engine) : undefined;
    // Every turn is called unstreamed (a stream's answer is sent whole, at the end), with the tools
    // as plain function tools. `stop_server_tools_when` is the loop's own (not sent on).
    const { stream: _stream, stream_options: _options, stop_server_tools_when: stops, ...rest } = request;
    const upstream: ChatRequest = {
      ...rest,
      tools: tools.map((tool) => {
        const { server_tool: _spec, ...plain } = tool as typeof tool & { server_tool?: ServerToolSpec };
        return plain;
      }),
    };
    return new ServerTools(byName, upstream, access, fetchEngine, stops ?? [], models);
  }

  private get webSearch() {
    return specOf(this.byName, "web_search");
  }

  private get webFetch() {
    return specOf(this.byName, "web_fetch");
  }

  /** The most results the request's searches may fetch (with Exa). */
  private get worstResults(): number {
    const web = this.webSearch;
    return web ? Math.min(web.maxUses * web.maxResults, web.maxTotalResults) : 0;
  }

  /** Whether `attempt`'s endpoint runs the request's web searches itself (the model is not shown the function). */
  private searchesNatively(attempt: Attempt): boolean {
    const web = this.webSearch;
    return web !== undefined && searchesNativelyAt(web, attempt);
  }

  /** Whether the model calls `name` as a server tool on `attempt` (web search: not where it is native). */
  private runsOn(name: string, attempt: Attempt): boolean {
    const spec = this.byName.get(name);
    return spec !== undefined && (spec.kind !== "web_search" || !this.searchesNatively(attempt));
  }

  /** Searches the endpoint ran natively in the turns so far (its count, in each turn's usage). */
  private get nativeSearches(): number {
    return this.turns.reduce((sum, turn) => sum + (turn.usage?.billed_apart?.web_searches ?? 0), 0);
  }

  /** The request as `attempt` is sent it: without the web search function where the endpoint searches itself. */
  requestFor(request: ChatRequest, attempt: Attempt): ChatRequest {
    return this.searchesNatively(attempt) ? withoutSearchFunction(request) : request;
  }

  /**
   * The web search `attempt`'s endpoint runs with its own tool (UpstreamTarget.webSearch), with
   * the searches the request's earlier turns left of `max_uses`; undefined where it does not (or none is left).
   */
  nativeFor(attempt: Attempt): NativeWebSearch | undefined {
    const web = this.webSearch;
    return web && this.searchesNatively(attempt) ? nativeSearchTool(web, this.nativeSearches) : undefined;
  }

  /**
   * What the turns after the first, and the results, may cost at `attempt` beyond the first
   * turn's hold (chat.ts holds for that one as for any request): each later turn's prompt is the
   * first's plus every earlier turn's whole output and every result the loop may fetch. Where the
   * endpoint searches natively: `max_uses` searches at its price instead of Exa's results, and no
   * later turn at all when no other server tool is shown to the model (none can be called).
   */
  worstNanosFor(attempt: Attempt, terms: TurnTerms): number {
    const web = this.webSearch;
    const native = web !== undefined && this.searchesNatively(attempt);
    const nativeNanos = native ? nativeSearchWorstNanos(web, attempt) : 0;
    if (![...this.byName.keys()].some((name) => this.runsOn(name, attempt))) return nativeNanos;
    const hold = (promptTokens: number) =>
      reservationFor([attempt], promptTokens, terms.maxOutputTokens, {
        reasoningTokens: terms.reasoningTokens,
        images: terms.images,
      });
    const output = hold(terms.promptTokens).maxOutputTokens;
    const results = native ? 0 : this.worstResults;
    const characters = this.webSearch?.maxCharacters;
    const fetch = this.webFetch;
    const added =
      (results > 0 ? searchPromptTokens({ maxResults: results }, characters) : 0) +
      (fetch ? fetch.maxUses * fetch.maxContentTokens : 0) +
      this.maxCalls * CALL_TOKENS;
    let nanos =
      nativeNanos +
      results * WEB_RESULT_NANOS +
      (fetch && this.fetchEngine?.kind === "exa" ? fetch.maxUses * EXA_PAGE_NANOS : 0);
    // No turn's prompt can be billed past the endpoint's context: a longer one is refused, unpaid.
    const context = attempt.endpoint.context_length;
    for (let turn = 1; turn < this.maxTurns; turn++) {
      nanos += hold(Math.min(context, terms.promptTokens + turn * output + added)).worstCaseNanos;
    }
    return nanos;
  }

  /**
   * The turns, inside the generation's run: the first on the plan (its fallbacks as any request's),
   * the next ones on the endpoint that answered it (`first` then `rest`).
   */
  async run(plan: Attempt[], gate: RunGate, call: CallModel, terms: LoopTerms): Promise<AttemptSuccess> {
    return this.rest(await this.first(plan, gate, call), gate.clientSignal, call, terms);
  }

  /**
   * The first turn, once the hold is confirmed (`gate.admitted`): no tool runs for a request its
   * account refuses.
   */
  async first(plan: Attempt[], gate: RunGate, call: CallModel): Promise<AttemptSuccess> {
    const success = await call(plan, gate, this.sent);
    await gate.admitted;
    return success;
  }

  /** The turns after `first`: while the model calls server tools only, their results and another turn. */
  async rest(first: AttemptSuccess, signal: AbortSignal, call: CallModel, terms: LoopTerms): Promise<AttemptSuccess> {
    let success = first;
    const reports = [...success.reports];
    let answering = false;
    for (let turn = 1; ; turn++) {
      const completion = success.adapter.parseChatResponse(success.json, success.target);
      this.turns.push(completion);
      this.shown.push(...nativeSearchRecords(completion));
      const message = completion.choices[0]?.message;
      const calls = message?.tool_calls ?? [];
      const server = calls.filter((c) => this.runsOn(c.function.name, success.attempt));
      // A reply calling the client's functions too goes back to the client (without the server
      // calls, which it cannot run): the loop cannot go on without the client's results.
      if (answering || !message || server.length === 0 || server.length < calls.length || turn >= this.maxTurns) break;
      if (this.calls.length + server.length > this.maxCalls) break;
      const ran = await Promise.all(server.map((c) => this.execute(c, signal)));
      this.calls.push(...ran.map((r) => r.record));
      this.shown.push(...ran.map((r) => r.record));
      const messages: Message[] = [
        ...this.sent.messages,
        assistantTurn(message),
        ...server.map((c, i) => ({ role: "tool" as const, tool_call_id: c.id, content: ran[i]?.output ?? "" })),
      ];
      // The last turn is asked for the answer, so the client is not handed a call it cannot run:
      // the turn cap's, or the one after a stop condition fired (its calls ran all the same).
      answering = turn + 1 >= this.maxTurns || this.stopFires(completion, server, success.attempt, terms);
      // A tool_choice that forced a call ("required", or a tool by name) was met by this turn's:
      // kept, it would force one every turn until the cap (a search per turn, each paid for).
      const forced = this.sent.tool_choice === "required" || typeof this.sent.tool_choice === "object";
      const toolChoice = answering ? { tool_choice: "none" as const } : forced ? { tool_choice: "auto" as const } : {};
      this.sent = { ...this.sent, messages, ...toolChoice };
      success = await call([success.attempt], { clientSignal: signal }, this.sent);
      reports.push(...success.reports);
    }
    return { ...success, reports };
  }

  /**
   * Whether one of the request's stop conditions fires after `completion`, a turn whose server
   * calls (`server`) have run: costs and tokens are the loop's so far, results included.
   */
  private stopFires(completion: ChatCompletionOut, server: ToolCall[], attempt: Attempt, terms: LoopTerms): boolean {
    const fires = (stop: StopCondition): boolean => {
      // The fewest steps asked for is the loop's cap (maxTurns), which ends it there already.
      if (stop.type === "step_count_is") return false;
      if (stop.type === "has_tool_call") {
        return server.some((c) => {
          const spec = this.byName.get(c.function.name);
          return (
            c.function.name === stop.tool_name || (spec !== undefined && stop.tool_name === serverToolType(spec.kind))
          );
        });
      }
      if (stop.type === "max_cost") {
        return this.priced(attempt, terms.promptTokens, terms.images).costNanos > stop.max_cost_in_dollars * 1e9;
      }
      if (stop.type === "max_tokens_used") return this.usage(terms.promptTokens).usage.total_tokens > stop.max_tokens;
      return completion.choices[0]?.finish_reason === stop.reason;
    };
    return this.stops.some(fires);
  }

  /**
   * The answer: the last turn's reply, less any server-tool call left in it, citing what native
   * searches of earlier turns found too (their places were in those turns' text: none here).
   */
  answer(): ChatCompletionOut {
    const last = this.turns[this.turns.length - 1] as ChatCompletionOut;
    const answer = last.choices[0]?.message;
    if (answer && this.turns.length > 1) citeEarlierTurns(answer, this.turns.slice(0, -1));
    for (const choice of last.choices) {
      const calls = choice.message.tool_calls?.filter((c) => !this.byName.has(c.function.name));
      if (!choice.message.tool_calls || calls?.length === choice.message.tool_calls.length) continue;
      if (calls && calls.length > 0) choice.message.tool_calls = calls;
      else {
        delete choice.message.tool_calls;
        if (choice.finish_reason === "tool_calls") choice.finish_reason = "stop";
      }
    }
    return last;
  }

  /** Every turn's usage summed (each settled as a lone call's: the provider's, else estimated). */
  usage(promptEstimate: number): SettledUsage {
    let usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    let estimated = false;
    for (const turn of this.settledTurns(promptEstimate)) {
      usage = addCounts(usage, turn.usage);
      estimated ||= turn.estimated;
    }
    return { usage, estimated };
  }

  /** The charge: each turn priced at `attempt`'s endpoint (its own prompt tier), plus the results. */
  priced(attempt: Attempt, promptEstimate: number, images: number): PricedUsage {
    let costNanos = this.results.length * WEB_RESULT_NANOS + this.exaPages * EXA_PAGE_NANOS;
    const details = {
      upstream_inference_cost: null,
      upstream_inference_prompt_cost: 0,
      upstream_inference_completions_cost: 0,
    };
    for (const turn of this.settledTurns(promptEstimate)) {
      const priced = priceUsage(attempt.endpoint.pricing, turn.usage, images);
      costNanos += priced.costNanos;
      details.upstream_inference_prompt_cost += priced.details.upstream_inference_prompt_cost;
      details.upstream_inference_completions_cost += priced.details.upstream_inference_completions_cost;
    }
    return { costNanos, details };
  }

  /** OpenRouter's `usage.server_tool_use_details`. */
  useDetails(): ServerToolUseDetails {
    return {
      tool_calls_requested: this.calls.length,
      tool_calls_executed: this.calls.filter((call) => call.completed).length,
      web_search_requests: this.searches + this.nativeSearches,
    };
  }

  private settledTurns(promptEstimate: number): SettledUsage[] {
    return this.turns.map((turn) =>
      settleUsage(turn.usage, promptEstimate, () => turn.choices.map((c) => producedText(c.message)).join("")),
    );
  }

  /** A web fetch call: the page as the model reads it (URL, title, text), or an error result. */
  private async fetch(
    spec: Extract<ServerToolSpec, { kind: "web_fetch" }>,
    call: ToolCall,
    signal: AbortSignal,
  ): Promise<{ output: string; record: ServerToolCallRecord }> {
    const url = argumentOf(call.function.arguments, "url");
    const failed = (failure: FetchFailure, error: string, httpStatus?: number) => ({
      output: toolError(error),
      record: {
        kind: "web_fetch" as const,
        url,
        error,
        ...(httpStatus !== undefined ? { httpStatus } : {}),
        completed: false,
        failure,
      },
    });
    if (!url) return failed("invalid_tool_input", "the url argument (a non-empty string) is required");
    if (this.fetches >= spec.maxUses)
      return failed("max_uses_exceeded", `max_uses reached: at most ${spec.maxUses} web fetches in this request`);
    this.fetches++;
    const engine = this.fetchEngine as FetchEngine;
    const page = await fetchPage(
      url,
      engine,
      {
        domains: { allowed: spec.allowedDomains, blocked: spec.blockedDomains },
        maxContentTokens: spec.maxContentTokens,
      },
      signal,
    );
    if ("error" in page) return failed("url_not_accessible", page.error, page.httpStatus);
    if (engine.kind === "exa") this.exaPages++;
    const { httpStatus, ...read } = page;
    return {
      output: JSON.stringify(read),
      record: {
        kind: "web_fetch",
        url: page.url,
        title: page.title,
        content: page.content,
        ...(httpStatus !== undefined ? { httpStatus } : {}),
        completed: true,
      },
    };
  }

  /**
   * One call's result as the model reads it, and its record; a failure is an error result, never
   * the request's.
   */
  private async execute(
    call: ToolCall,
    signal: AbortSignal,
  ): Promise<{ output: string; record: ServerToolCallRecord }> {
    const spec = this.byName.get(call.function.name) as ServerToolSpec;
    if (spec.kind === "datetime") {
      const now = currentTime(new Date(), spec.timezone);
      return { output: JSON.stringify(now), record: { kind: "datetime", ...now, completed: true } };
    }
    if (spec.kind === "web_fetch") return this.fetch(spec, call, signal);
    if (spec.kind === "search_models") {
      const query = queryOf(call.function.arguments);
      const record = { kind: "search_models" as const, query, arguments: call.function.arguments };
      if (!query) {
        return {
          output: toolError("the query argument (a non-empty string) is required"),
          record: { ...record, completed: false },
        };
      }
      const found = searchModels(this.models, query, spec.maxResults);
      return { output: JSON.stringify({ models: found }), record: { ...record, completed: true } };
    }
    const query = queryOf(call.function.arguments);
    const failed = (failure: NativeSearchErrorCode, message: string) => ({
      output: toolError(message),
      record: { kind: "web_search" as const, query, results: [], completed: false, failure },
    });
    if (!query) return failed("invalid_tool_input", "the query argument (a non-empty string) is required");
    if (this.searches >= spec.maxUses) {
      return failed("max_uses_exceeded", `max_uses reached: at most ${spec.maxUses} web searches in this request`);
    }
    const left = spec.maxTotalResults - this.results.length;
    if (left <= 0) {
      return failed(
        "max_uses_exceeded",
        `max_total_results reached: at most ${spec.maxTotalResults} results in this request`,
      );
    }
    this.searches++;
    let results: WebResult[];
    try {
      results = await exaSearch(
        this.access as ExaAccess,
        {
          query: query.slice(-MAX_QUERY_CHARACTERS),
          // Parallel searches share what is left of max_total_results: each takes it as it starts.
          numResults: Math.min(spec.maxResults, left),
          maxCharacters: spec.maxCharacters,
          ...(spec.includeDomains ? { includeDomains: spec.includeDomains } : {}),
          ...(spec.excludeDomains ? { excludeDomains: spec.excludeDomains } : {}),
          ...(spec.userLocation?.country ? { userLocation: spec.userLocation.country.toLowerCase() } : {}),
        },
        signal,
      );
    } catch (error) {
      if (signal.aborted) throw error;
      return failed("unavailable", error instanceof GatewayError ? error.message : "the web search failed");
    }
    // Results past what is left (parallel searches) are dropped, never charged.
    results = results.slice(0, Math.max(0, spec.maxTotalResults - this.results.length));
    this.results.push(...results);
    return {
      output: results.length > 0 ? listedResults(results) : "No results.",
      record: {
        kind: "web_search",
        query,
        results: results.map(({ url, title }) => ({ url, title })),
        completed: true,
      },
    };
  }
}

const toolError = (message: string) => JSON.stringify({ error: message });

/** The request's server tool of `kind`, if it lists one (each kind at most once). */
function specOf<K extends ServerToolSpec["kind"]>(
  byName: ReadonlyMap<string, ServerToolSpec>,
  kind: K,
): Extract<ServerToolSpec, { kind: K }> | undefined {
  for (const spec of byName.values()) if (spec.kind === kind) return spec as Extract<ServerToolSpec, { kind: K }>;
  return undefined;
}

/** The string argument `name` of a call's arguments, trimmed, if it has a non-empty one. */
function argumentOf(args: string, name: string): string | undefined {
  try {
    const value = (JSON.parse(args) as Record<string, unknown>)[name];
    return typeof value === "string" && value.trim() ? value.trim() : undefined;
  } catch {
    return undefined;
  }
}

const queryOf = (args: string) => argumentOf(args, "query");

/**
 * How the request's web fetches are made, for the tool's `engine`: `openrouter` directly, `exa`
 * through Exa (a 503 on a gateway without it), `auto` through Exa where the gateway has it and
 * directly otherwise (OpenRouter's `auto` prefers a provider's own fetch, which no endpoint here
 * runs). Direct fetches reach private addresses only where the operator allows it
 * (`IMAGE_FETCH_PRIVATE=allow`, as image URLs do).
 */
function fetchEngineFor(env: Env, engine: "auto" | "exa" | "openrouter"): FetchEngine {
  const direct: FetchEngine = { kind: "direct", allowPrivate: env.IMAGE_FETCH_PRIVATE === "allow" };
  if (engine === "openrouter") return direct;
  const access = exaAccess(env);
  if (access) return { kind: "exa", access };
  if (engine === "auto") return direct;
  throw new GatewayError(
    503,
    'web fetch through Exa is not configured on this gateway (the operator sets EXA_API_KEY): the request was not answered (engine "openrouter" fetches directly)',
    { tool: "openrouter:web_fetch" },
  );
}

/** The model's tool-calling turn as it is sent back to it (its reasoning kept, for providers that need it). */
function assistantTurn(message: AssistantMessageOut): Message {
  return {
    role: "assistant",
    content: message.content ?? null,
    tool_calls: message.tool_calls,
    ...(message.reasoning_details?.length ? { reasoning_details: message.reasoning_details } : {}),
  } as Message;
}

/** Two usages' counts added, field by field (nested details included). */
function addCounts<T extends object>(a: T, b: T): T {
  const out = { ...a } as Record<string, unknown>;
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key];
    if (typeof value === "number") out[key] = (typeof mine === "number" ? mine : 0) + value;
    else if (value && typeof value === "object") out[key] = addCounts((mine as object) ?? {}, value as object);
  }
  return out as T;
}
