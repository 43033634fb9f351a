import type { Context } from "hono";
import { getCatalog } from "../catalog/store";
import type { AppEnv } from "../context";
import { carriesFiles, RequestFiles } from "../files/request-files";
import { producedText } from "../providers/assistant-message";
import { credentialSecrets, withoutSecrets } from "../providers/errors";
import { asksForImages, atDefault } from "../providers/parameters";
import { adapterFor } from "../providers/registry";
import type { ChatCompletionOut, ChoiceOut, Usage } from "../providers/types";
import { type AttemptReport, type AttemptSuccess, runAttempts } from "../routing/attempts";
import { health } from "../routing/health";
import { planLive } from "../routing/live-plan";
import { type Attempt, endpointKey } from "../routing/plan";
import { StickyRoute } from "../routing/sticky";
import { withVariant } from "../routing/variants";
import { type ChatRequest, sessionIdOf } from "../schema/chat";
import { badRequest, GatewayError } from "../schema/errors";
import type { WebResult } from "../search/exa";
import { nativeOnly } from "../search/native";
import { RequestSearch } from "../search/request-search";
import { citations, searchPromptTokens, webSearchOf } from "../search/web";
import { builtStamped } from "../stamp";
import { createChatStream, type StreamSource, type StreamSummary } from "../streaming/chat-stream";
import { KEEP_ALIVE_BYTES, SSE_HEADERS } from "../streaming/sse";
import { errorEvents, wholeReplyEvents } from "../streaming/whole-reply";
import { nativeSearchOnly } from "../tools/native-web-search";
import { type CallModel, ServerTools } from "../tools/server-tools";
import { fitToEndpoint } from "../transforms/middle-out";
import { healChoices, healsReply } from "../transforms/response-healing";
import { countImages } from "../transforms/tokens";
import { reasoningAllowance } from "./budget";
import { insured } from "./insurance";
import {
  type Generation,
  type RunGate,
  record,
  replyHeaders,
  settleGeneration,
  startGeneration,
  upstreamIdOf,
} from "./lifecycle";
import { countPrompt } from "./prompt-tokens";
import { CHAT_SHAPE, type CompletionReply, type ReplyShape } from "./reply-shape";
import { CACHE_HEADER, ResponseCache } from "./response-cache";
import { pipelineOf, type RouterMetadataOf, routerMetadata, wantsRouterMetadata } from "./router-metadata";
import { timeoutsOf } from "./timeouts";
import { type PricedUsage, priceUsage, publicUsage, settleUsage, UNPRICED } from "./usage";

/**
 * One chat completion, along DESIGN.md's request path: plan ⇒ reserve (one DO call) ⇒ attempts
 * (the first may start beside the reservation: a head start) ⇒ reply (JSON or stream) ⇒ settle in
 * waitUntil. A request that got no answer is never charged.
 */
export async function completeChat(
  c: Context<AppEnv>,
  request: ChatRequest,
  shape: ReplyShape = CHAT_SHAPE,
): Promise<Response> {
  // From the request's arrival, so a generation's latency includes its key check and body parse.
  const receivedAt = c.get("receivedAt");
  if (!shape.showsImages && asksForImages(request)) {
    throw badRequest(
      "modalities: image output is returned by /chat/completions only (this API's reply has no field for images)",
      { modalities: request.modalities },
    );
  }
  c.set("requestedModel", request.model ?? null);
  // Response caching (response-cache.ts), asked for by its header or the request's preset: a
  // request without either pays these two reads.
  const cache =
    c.req.header(CACHE_HEADER) === undefined && c.get("preset") == null ? null : await ResponseCache.open(c, request);
  if (cache?.hit) return cache.replay(request, shape.reply);
  const env = c.env;
  const catalog = await getCatalog(env, c.executionCtx);
  const { promptTokens, counterFor } = await countPrompt(env, c.executionCtx, catalog, request);
  // Web search (the `web` plugin, `:online`): undefined, at one check, for a request that asks none.
  const web = webSearchOf(request);
  const planned = planLive(env, {
    request,
    catalog,
    promptTokens,
  });
  // A conversation's next request goes first to the endpoint whose prompt cache it warmed.
  const sessionId = sessionIdOf(c.req.raw, request.session_id);
  const sticky = StickyRoute.of(c.get("auth").accountId, request, sessionId);
  c.set("sticky", sticky);
  // `engine: "native"` (the web plugin's, or openrouter:web_search's) is served only by endpoints
  // that search by themselves (400 when none does).
  const searching = web ? nativeOnly(web, planned) : nativeSearchOnly(request, planned);
  // PDFs (file parts): read (Mistral OCR, Workers AI) for the endpoints that cannot read them (undefined: none).
  const files = carriesFiles(request.messages) ? await RequestFiles.of(env, request, catalog, searching) : undefined;
  const reading = files ? files.nativeOnly(searching) : searching;
  const attempts = sticky ? sticky.order(reading) : reading;
  const search = web && RequestSearch.of(env, request, web, attempts);
  // OpenRouter's server tools (`openrouter:*` in tools): one check for a request without tools.
  const tools = request.tools == null ? undefined : ServerTools.of(env, request, catalog.catalog.models, attempts);
  if (tools) {
    c.set("serverToolCalls", tools.calls);
    c.set("serverToolCallsShown", tools.shown);
  }
  if (tools && web) {
    throw badRequest("plugins: the web plugin and server tools cannot be used together (use openrouter:web_search)", {
      plugin: "web",
    });
  }

  // What shapes each attempt's request for a web search and gives its endpoint the native search
  // tool: the web plugin's search, or the server tools' (never both: refused above).
  const searcher = search || tools;

  const settings = timeoutsOf(env);
  const deadline = Date.now() + settings.ROUTING_DEADLINE_MS;
  // `sent`: the request as the attempts send it (a server-tool loop's turns send their own).
  const call = (plan: Attempt[], gate: RunGate = { clientSignal: c.req.raw.signal }, sent = request) =>
    runAttempts(plan, {
      request: sent,
      adapterFor: (attempt) => adapterFor(attempt.provider.adapter),
      buildCall: async (adapter, req, target) => {
        const call = await adapter.buildChatRequest(req, target, sent.stream === true);
        // A parameter left out at its API default is not one the client loses: not named dropped.
        return {
          url: call.url,
          init: call.init,
          dropped: call.dropped.filter((parameter) => !atDefault(req, parameter)),
        };
      },
      stream: sent.stream === true,
      // Options a request may not need are undefined rather than spread in or left out, so that
      // every request's options have one hidden class (see hot-shapes.ts).
      clientSignal: gate.clientSignal,
      admitted: gate.admitted,
      clientGone: gate.clientGone,
      headersTimeoutMs: settings.UPSTREAM_HEADERS_TIMEOUT_MS,
      deadlineMs: Math.max(0, deadline - Date.now()),
      prepare: (req, attempt) => {
        const searched = searcher ? searcher.requestFor(req, attempt) : req;
        return fitToEndpoint(
          withVariant(files ? files.requestFor(searched, attempt) : searched, attempt),
          attempt.endpoint,
          counterFor(attempt.model.id),
        );
      },
      // With Exa, its search first (once), after the hold (RequestSearch.before): never run (and
      // paid to Exa) for a request its account refuses, nor for an endpoint that searches natively.
      // The PDFs are read the same way, once, for the first endpoint that needs their text.
      beforeAttempt:
        search || files
          ? (attempt: Attempt) =>
              both(
                search?.before(attempt, gate.clientSignal, gate.admitted),
                files?.before(attempt, gate.clientSignal, gate.admitted),
              )
          : undefined,
      nativeSearch: searcher ? (attempt: Attempt) => searcher.nativeFor(attempt) : undefined,
    });
  const terms = {
    // The results' message lengthens the prompt: held for (each attempt's own fits its context:
    // fitToEndpoint counts the request as sent).
    promptTokens:
      promptTokens + (search ? searchPromptTokens(search.search) : 0) + (files?.heldPromptTokens(attempts) ?? 0),
    maxOutputTokens: request.max_completion_tokens ?? request.max_tokens,
    reasoningTokens: reasoningAllowance(request),
    images: countImages(request.messages),
  };
  const { gen, success } = await startGeneration(
    c,
    attempts,
    {
      // Legacy completions (api/completions.ts) come this way too, and are the same kind.
      apiType: "completions",
      requestedModel: request.model ?? null,
      stream: request.stream === true,
      user: request.user ?? null,
      sessionId,
      receivedAt,
      promptTokens: terms.promptTokens,
      maxOutputTokens: terms.maxOutputTokens,
      reasoningTokens: terms.reasoningTokens,
      images: terms.images,
      choices: request.n ?? 1,
      // With server tools, the hold covers the loop's later turns and its results too; with PDFs
      // to read, their pages.
      fixedNanos:
        search || tools || files
          ? (attempt: Attempt) =>
              (search?.worstNanosFor(attempt) ?? 0) +
              (tools?.worstNanosFor(attempt, terms) ?? 0) +
              (files?.worstNanosFor(attempt) ?? 0)
          : 0,
      // A whole reply without server tools is settled as its answer comes (jsonReply): its request
      // is kept alive only if its client leaves first. A stream, or a tool loop's later turns,
      // run after the attempt loop has answered.
      settlesWhenAnswered: !tools && request.stream !== true,
    },
    // A stream's loop goes on after the first turn, in the stream (keep-alives meanwhile).
    (gate) =>
      tools
        ? request.stream
          ? tools.first(attempts, gate, call)
          : tools.run(attempts, gate, call, terms)
        : call(attempts, gate),
  );
  // Router metadata (opted in by a header): built from the answering attempt when the reply is.
  const metadata: RouterMetadataOf | undefined = wantsRouterMetadata(c)
    ? (answered, reports) =>
        routerMetadata(
          c,
          request,
          attempts,
          answered,
          reports,
          pipelineOf({
            calls: tools?.calls,
            webResults: search ? (search.resultsFor(answered.attempt)?.length ?? 0) : undefined,
            healing: healsReply(request) && !request.stream ? { repaired: gen.healed ?? 0 } : undefined,
          }),
        )
    : undefined;
  const headers = replyHeaders(gen, success);
  if (cache) Object.assign(headers, cache.missHeaders());
  // `reasoning.exclude` (or include_reasoning: false), or a reply shape with no room for it
  // (legacy completions): the model still reasons, and is billed for it, but the reasoning is not
  // returned.
  const hideReasoning =
    shape.hidesReasoning === true || request.reasoning?.exclude === true || request.include_reasoning === false;
  if (tools) {
    return request.stream
      ? toolsStreamReply(gen, success, headers, shape, hideReasoning, { tools, files }, call, metadata)
      : jsonReply(gen, success, headers, {
          shape,
          hideReasoning,
          heal: healsReply(request),
          cache,
          extras: { tools, files },
          metadata,
        });
  }
  return request.stream
    ? streamReply(gen, success, headers, {
        attempts,
        run: call,
        shape,
        hideReasoning,
        choices: request.n ?? 1,
        extras: { search, files },
        cache,
        echo: request.debug?.echo_upstream_body === true,
        metadata,
      })
    : jsonReply(gen, success, headers, {
        shape,
        hideReasoning,
        heal: healsReply(request),
        extras: { search, files },
        cache,
        metadata,
      });
}

/**
 * Chat's shape less its images, for the APIs answered through chat in a shape of their own
 * (/responses, /messages): their replies have no place for generated images, so a request asking
 * for them is refused before any call.
 */
const TRANSLATED_SHAPE: ReplyShape = { ...CHAT_SHAPE, showsImages: false };

/**
 * A chat completion answered in another API's shape: a reply whole as `reply` builds it from the
 * chat reply's object, a stream as `events` translates the chat stream; an error (a refusal, a
 * failed attempt) as the chat path answers it.
 */
export async function completeTranslated(
  c: Context<AppEnv>,
  request: ChatRequest,
  translate: {
    reply: (chat: CompletionReply<unknown>) => unknown;
    events: (chat: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
  },
): Promise<Response> {
  if (!request.stream) return completeChat(c, request, { ...TRANSLATED_SHAPE, reply: translate.reply });
  const reply = await completeChat(c, request, TRANSLATED_SHAPE);
  if (!reply.ok || !reply.body) return reply;
  return new Response(translate.events(reply.body), { headers: reply.headers });
}

/** How a whole (non-streamed) reply is made, beside its generation, answer and headers. */
interface JsonReplyOptions {
  shape: ReplyShape;
  hideReasoning: boolean;
  /** The `response-healing` plugin: the reply's JSON repaired. */
  heal: boolean;
  extras: Extras;
  cache: ResponseCache | null;
  metadata?: RouterMetadataOf;
}

/** What the gateway runs beside the model for a request, and charges and annotates the answer with. */
interface Extras {
  /** The `web` plugin's search, whose results the answer cites and is charged for. */
  search?: RequestSearch | undefined;
  /** A server-tool loop, whose last turn is the answer. */
  tools?: ServerTools | undefined;
  /** The PDFs read for a model that cannot read them, whose text the answer is annotated with. */
  files?: RequestFiles | undefined;
}

function jsonReply(
  gen: Generation,
  success: AttemptSuccess,
  headers: Record<string, string>,
  { shape, hideReasoning, heal, extras, cache, metadata }: JsonReplyOptions,
): Response {
  const body = wholeReply(gen, success, shape, hideReasoning, heal, extras);
  const first = (body.choices as ChoiceOut[])[0];
  cache?.storeReply(body, {
    model: body.model,
    provider: body.provider,
    finishReason: first?.finish_reason ?? null,
    nativeFinishReason: first?.native_finish_reason ?? null,
  });
  // After it is stored: a cached reply's replays route nothing, and say nothing of this routing.
  if (metadata) body.openrouter_metadata = metadata(success, gen.reports);
  return builtStamped(gen.c, Response.json(shape.reply ? shape.reply(body) : body, { headers }));
}

/** The reply of an answer the gateway has whole, its generation settled. */
function wholeReply(
  gen: Generation,
  success: AttemptSuccess,
  shape: ReplyShape,
  hideReasoning: boolean,
  heal: boolean,
  extras: Extras,
): CompletionReply<unknown> {
  const { search, tools, files } = extras;
  const completion: ChatCompletionOut = tools
    ? tools.answer()
    : success.adapter.parseChatResponse(success.json, success.target);
  const produced = () => completion.choices.map((ch) => producedText(ch.message)).join("");
  const { usage, estimated } = tools
    ? tools.usage(gen.promptTokens)
    : settleUsage(completion.usage, gen.promptTokens, produced);
  const ending = {
    finishReasons: completion.choices.map((ch) => ch.finish_reason),
    completionTokens: usage.completion_tokens,
  };
  if (!ending.finishReasons.includes("error")) {
    gen.c.get("sticky")?.served(success.attempt, usage.prompt_tokens_details?.cached_tokens ?? 0);
  }
  // A server-tool loop's turns are each charged (its later turns were asked for by its first).
  const priced = tools
    ? withExtrasCost(tools.priced(success.attempt, gen.promptTokens, gen.images ?? 0), { files }, success.attempt)
    : insured(gen.c.env, ending)
      ? UNPRICED
      : withExtrasCost(priceUsage(success.attempt.endpoint.pricing, usage, gen.images), extras, success.attempt);
  if (hideReasoning) {
    // Emptied rather than deleted (a deleted field leaves the object a dictionary): JSON leaves them out.
    for (const choice of completion.choices) {
      choice.message.reasoning = undefined;
      choice.message.reasoning_details = undefined;
    }
  }
  // After the usage is settled (an estimate is of what the model wrote): healing changes what
  // the client reads, not what is charged. Before settling, for the log line's count.
  if (heal) gen.healed = healChoices(completion.choices);
  // The search's results, cited on each choice (OpenRouter's `url_citation` annotations).
  const results = tools ? tools.results : search?.resultsFor(success.attempt);
  if (results?.length) {
    for (const choice of completion.choices) {
      choice.message.annotations = citations(results, choice.message.content ?? "");
    }
  }
  // The PDFs' text the answer was given (OpenRouter's `file` annotations), for the client to send back.
  const read = files?.annotationsFor(success.attempt);
  if (read?.length) {
    for (const choice of completion.choices)
      choice.message.annotations = [...(choice.message.annotations ?? []), ...read];
  }
  const first = completion.choices[0];
  settleGeneration(
    gen,
    record(gen, success, {
      usage,
      estimated,
      costNanos: priced.costNanos,
      // A server-tool loop's stream sends its answer whole, as this reply is built.
      streamed: gen.stream,
      cancelled: false,
      finishReason: first?.finish_reason ?? null,
      nativeFinishReason: first?.native_finish_reason ?? null,
      firstByteAt: Date.now(),
      upstreamId: upstreamIdOf(success.json),
      images: completion.choices.reduce((sum, choice) => sum + (choice.message.images?.length ?? 0), 0),
    }),
  );
  const reply: CompletionReply<unknown> = {
    id: gen.id,
    provider: success.attempt.provider.name,
    model: success.attempt.model.id,
    object: shape.object,
    created: Math.floor(gen.receivedAt / 1000),
    choices: shape.choices ? shape.choices(completion.choices) : completion.choices,
    system_fingerprint: completion.system_fingerprint ?? null,
    usage: publicUsage(usage, priced),
    openrouter_metadata: undefined,
  };
  // A literal unless the provider sent fields of its own (Perplexity's citations), which come first.
  const body: CompletionReply<unknown> = completion.extra ? { ...completion.extra, ...reply } : reply;
  if (tools) {
    // OpenRouter's count of the loop's tool calls (its SDK's ChatUsage.server_tool_use_details).
    const counted = { ...body.usage, server_tool_use_details: tools.useDetails() };
    body.usage = counted;
  }
  return body;
}

/**
 * A server-tool loop asked to stream: the reply starts once the first turn has answered (so a
 * refusal or a first turn no endpoint answers is the usual error status), keep-alive comments
 * are sent while the next turns and their tools run, and the answer goes out whole in the stream's
 * chunks. A later turn that fails ends the stream with an error chunk, and costs nothing.
 */
function toolsStreamReply(
  gen: Generation,
  first: AttemptSuccess,
  headers: Record<string, string>,
  shape: ReplyShape,
  hideReasoning: boolean,
  extras: Extras & { tools: ServerTools },
  call: CallModel,
  metadata: RouterMetadataOf | undefined,
): Response {
  const { tools } = extras;
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const send = (text: string) => writer.write(encoder.encode(text)).catch(() => undefined);
  const keepAlive = setInterval(
    () => writer.write(KEEP_ALIVE_BYTES).catch(() => undefined),
    timeoutsOf(gen.c.env).KEEPALIVE_INTERVAL_MS,
  );
  const header = { id: gen.id, created: Math.floor(gen.receivedAt / 1000), model: first.attempt.model.id };
  const running = (async () => {
    let events: string;
    try {
      const success = await tools.rest(first, gen.c.req.raw.signal, call, {
        promptTokens: gen.promptTokens,
        images: gen.images ?? 0,
      });
      gen.reports = success.reports;
      const body = wholeReply(gen, success, shape, hideReasoning, false, extras);
      if (metadata) body.openrouter_metadata = metadata(success, gen.reports);
      events = wholeReplyEvents(body as CompletionReply<ChoiceOut>, shape.chunkObject);
    } catch (error) {
      const failed = error instanceof GatewayError ? (error.metadata?.attempts as AttemptReport[] | undefined) : null;
      if (failed) gen.reports = [...first.reports, ...failed];
      const status = error instanceof GatewayError ? error.status : 500;
      settleGeneration(gen, null, status);
      const message = error instanceof GatewayError ? error.message : "the server tools' loop failed";
      events = errorEvents({ ...header, provider: first.attempt.provider.name }, shape.chunkObject, status, message);
    } finally {
      clearInterval(keepAlive);
    }
    await send(events);
    await writer.close().catch(() => undefined);
  })();
  gen.c.executionCtx.waitUntil(running);
  return builtStamped(gen.c, new Response(readable, { headers: { ...headers, ...SSE_HEADERS } }));
}

/** How a streamed reply is made, beside its generation, first answer and headers. */
interface StreamReplyOptions {
  /** The request's plan: a failover before the client's first token tries those not tried yet. */
  attempts: Attempt[];
  /** Runs the attempt loop on what is left of the plan. */
  run: (remaining: Attempt[]) => Promise<AttemptSuccess>;
  shape: ReplyShape;
  hideReasoning: boolean;
  /** The choices asked for (`n`). */
  choices: number;
  extras: Extras;
  cache: ResponseCache | null;
  /** `debug.echo_upstream_body`: the answering endpoint's body in a chunk ahead of the answer. */
  echo: boolean;
  metadata: RouterMetadataOf | undefined;
}

function streamReply(
  gen: Generation,
  first: AttemptSuccess,
  headers: Record<string, string>,
  { attempts, run, shape, hideReasoning, choices, extras, cache, echo, metadata }: StreamReplyOptions,
): Response {
  let current = first;
  const tried = new Set<Attempt>(
    attempts.filter((a) => first.reports.some((r) => r.provider === a.provider.name && r.model === a.model.id)),
  );
  tried.add(first.attempt);
  let costNanos = 0;
  let settledUsage: { usage: Usage; estimated: boolean } | undefined;
  const finalUsage = (summary: StreamSummary) => {
    settledUsage = settleUsage(summary.usage, gen.promptTokens, () => summary.producedText, summary.partialUsage);
    if (summary.error === undefined) {
      gen.c.get("sticky")?.served(current.attempt, settledUsage.usage.prompt_tokens_details?.cached_tokens ?? 0);
    }
    // A stream that failed before the client's first token gave the client nothing: it costs
    // nothing, as a failed request does, even if the provider reasoned (hidden) before it failed.
    // One its client left is charged for what the provider produced up to the cut, hidden
    // reasoning included (the provider bills those tokens, and they were the client's to see had
    // it not asked to hide them); left before anything was produced, it costs nothing, as an
    // abandoned non-streaming request does.
    // Past both, zero completion insurance: an error finish costs nothing, nor does a stream that
    // produced nothing and never finished (insurance.ts; ZERO_COMPLETION_INSURANCE=off charges them).
    const producedNothing =
      summary.error !== undefined
        ? summary.clientFirstTokenAt === undefined
        : summary.cancelled && summary.providerFirstTokenAt === undefined;
    const ending = {
      finishReasons: [summary.error !== undefined ? "error" : summary.finishReason],
      completionTokens: settledUsage.usage.completion_tokens,
    };
    const priced =
      producedNothing || insured(gen.c.env, ending)
        ? UNPRICED
        : withExtrasCost(
            priceUsage(current.attempt.endpoint.pricing, settledUsage.usage, gen.images),
            extras,
            current.attempt,
          );
    costNanos = priced.costNanos;
    return publicUsage(settledUsage.usage, priced);
  };
  const sourceOf = (success: AttemptSuccess): StreamSource => ({
    body: success.response.body as ReadableStream<Uint8Array>,
    adapter: success.adapter,
    target: success.target,
    model: success.attempt.model.id,
    provider: success.attempt.provider.name,
    abort: () => success.abort.abort(),
  });
  const settings = timeoutsOf(gen.c.env);
  const body = createChatStream({
    source: sourceOf(first),
    header: { id: gen.id, created: Math.floor(gen.receivedAt / 1000) },
    shape,
    choices,
    clientSignal: gen.c.req.raw.signal,
    hideReasoning,
    keepAliveMs: settings.KEEPALIVE_INTERVAL_MS,
    flushIntervalMs: settings.STREAM_FLUSH_MS,
    idleTimeoutMs: settings.STREAM_IDLE_TIMEOUT_MS,
    firstTokenTimeoutMs: settings.FIRST_TOKEN_TIMEOUT_MS,
    clientStallTimeoutMs: settings.CLIENT_STALL_TIMEOUT_MS,
    failover: async () => {
      // The endpoint failed before the client's first token: count it against its health, try the
      // rest. What it may have produced (hidden reasoning) is not charged: the replacement's usage is.
      health.recordFailure(endpointKey(current.attempt.model, current.attempt.endpoint));
      const remaining = attempts.filter((a) => !tried.has(a));
      if (remaining.length === 0 || gen.c.req.raw.signal.aborted) return null;
      // The log line's attempts list the replacements too (the x-tollgate-attempts header is out).
      try {
        current = await run(remaining);
      } catch (error) {
        const failed = error instanceof GatewayError ? (error.metadata?.attempts as AttemptReport[] | undefined) : null;
        if (failed) gen.reports = [...gen.reports, ...failed];
        return null;
      }
      gen.reports = [...gen.reports, ...current.reports];
      for (const a of remaining) {
        if (current.reports.some((r) => r.provider === a.provider.name && r.model === a.model.id)) tried.add(a);
      }
      tried.add(current.attempt);
      return sourceOf(current);
    },
    finalizeUsage: finalUsage,
    ...(echo ? { echoUpstreamBody: echoedBody(first) } : {}),
    annotations:
      extras.search || extras.files
        ? () => {
            const cited = [
              ...(optionalCitations(extras.search?.resultsFor(current.attempt)) ?? []),
              ...(extras.files?.annotationsFor(current.attempt) ?? []),
            ];
            return cited.length > 0 ? cited : undefined;
          }
        : undefined,
    // Not on a stream kept for response caching: its replays would repeat this request's routing.
    finalFields:
      metadata && !cache ? () => `,"openrouter_metadata":${JSON.stringify(metadata(current, gen.reports))}` : undefined,
    waitUntil: (promise) => gen.c.executionCtx.waitUntil(promise),
    onEnd: (summary) => {
      // A cancelled stream never reached its final chunk: charge what was produced up to the cut.
      if (!settledUsage) finalUsage(summary);
      const settled = settledUsage as { usage: Usage; estimated: boolean };
      const seconds = (Date.now() - current.startedAt) / 1000;
      if (!summary.error && !summary.cancelled && seconds > 0) {
        // Tokens per second feed `sort: "throughput"` (and :nitro) for the next requests.
        health.recordThroughput(
          endpointKey(current.attempt.model, current.attempt.endpoint),
          settled.usage.completion_tokens / seconds,
        );
      }
      settleGeneration(
        gen,
        record(gen, current, {
          usage: settled.usage,
          estimated: settled.estimated,
          costNanos,
          streamed: true,
          cancelled: summary.cancelled,
          finishReason: summary.error ? "error" : summary.finishReason,
          nativeFinishReason: summary.nativeFinishReason,
          // The provider's first token: its latency, hidden reasoning included. A stream that ended
          // without one has its end as its answer, unless it failed or was left: then it had none.
          firstByteAt:
            summary.providerFirstTokenAt ?? (summary.error !== undefined || summary.cancelled ? null : Date.now()),
          upstreamId: null,
          images: summary.images,
        }),
      );
      cache?.streamEnded(!summary.error && !summary.cancelled, {
        model: current.attempt.model.id,
        provider: current.attempt.provider.name,
        finishReason: summary.finishReason,
        nativeFinishReason: summary.nativeFinishReason,
      });
    },
  });
  return builtStamped(
    gen.c,
    new Response(cache ? cache.recordStream(body) : body, {
      headers: { ...headers, ...SSE_HEADERS },
    }),
  );
}

/** A generation's price with the web search results and the PDFs' reading its answer was given (none: unchanged). */
function withExtrasCost(priced: PricedUsage, { search, files }: Extras, attempt: Attempt): PricedUsage {
  const nanos = (search?.costFor(attempt) ?? 0) + (files?.costFor(attempt) ?? 0);
  return nanos === 0 ? priced : { ...priced, costNanos: priced.costNanos + nanos };
}

/** Two pieces of work an attempt waits for (either may be none). */
function both(a: Promise<void> | undefined, b: Promise<void> | undefined): Promise<void> | undefined {
  if (!a || !b) return a ?? b;
  return Promise.all([a, b]).then(() => undefined);
}

const optionalCitations = (results: WebResult[] | undefined) => (results ? citations(results) : undefined);

/**
 * The body the answering endpoint was sent, for `debug.echo_upstream_body` (parsed, as OpenRouter
 * shows it): never one of the gateway's credentials, should a format carry one in its body.
 */
function echoedBody(success: AttemptSuccess): unknown {
  const body = success.call.init.body;
  if (typeof body !== "string") return null;
  const text = withoutSecrets(body, credentialSecrets(success.target, success.adapter));
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
