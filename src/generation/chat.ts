import type { Context } from "hono";
import { reserve, settle } from "../billing/client";
import type { GenerationRecord } from "../billing/contract";
import { generationCost } from "../billing/cost";
import { nanosToUsd } from "../billing/money";
import { getCatalog } from "../catalog/store";
import type { AppEnv } from "../context";
import { keyId, logLine, serverTiming } from "../observability";
import type { ChatCompletionOut, Usage } from "../providers/types";
import { type AttemptReport, type AttemptSuccess, attemptsHeader, runAttempts } from "../routing/attempts";
import { health } from "../routing/health";
import { type Attempt, endpointKey, planAttempts } from "../routing/plan";
import { resolveUpstream } from "../routing/upstream";
import type { ChatRequest } from "../schema/chat";
import { GatewayError } from "../schema/errors";
import { createChatStream, type StreamSource, type StreamSummary } from "../streaming/chat-stream";
import { fitToEndpoint } from "../transforms/middle-out";
import { reservationFor } from "./budget";
import { newGenerationId } from "./ids";
import { countPrompt } from "./prompt-tokens";
import { timeoutsOf } from "./timeouts";
import { billable, publicUsage, settleUsage } from "./usage";

/** Everything one chat generation needs after routing, shared by both reply shapes. */
interface Generation {
  c: Context<AppEnv>;
  request: ChatRequest;
  id: string;
  receivedAt: number;
  promptTokens: number;
  /** The most this generation may be charged: its reservation. */
  reservedNanos: number;
  settled: boolean;
  /** Resolves the waitUntil that keeps the request alive until settlement has been handed off. */
  handedOff: () => void;
  /** Milliseconds spent in each step before the reply (the Server-Timing header). */
  timings: Record<string, number>;
  /** The upstream attempts, for the log line. */
  reports: AttemptReport[];
}

/**
 * One chat completion, along DESIGN.md's request path: plan ⇒ reserve (one DO call) ⇒ attempts ⇒
 * reply (JSON or stream) ⇒ settle in waitUntil. A request that got no answer is never charged.
 */
export async function completeChat(c: Context<AppEnv>, request: ChatRequest): Promise<Response> {
  const receivedAt = Date.now();
  const env = c.env;
  const catalog = await getCatalog(env);
  const { promptTokens, counterFor } = await countPrompt(env, catalog, request);
  const attempts = planAttempts({
    request,
    catalog,
    promptTokens,
    access: (provider) => resolveUpstream(env, provider),
    isDown: (key) => health.isDown(key),
    figures: (key) => health.snapshot(key),
  });

  const auth = c.get("auth");
  const gen: Generation = {
    c,
    request,
    id: newGenerationId(),
    receivedAt,
    promptTokens,
    reservedNanos: 0,
    settled: false,
    handedOff: () => {},
    timings: { plan: Date.now() - receivedAt },
    reports: [],
  };
  const reserveStarted = Date.now();
  const hold = reservationFor(attempts, promptTokens, request.max_completion_tokens ?? request.max_tokens);
  const reserved = await reserve(env, auth.accountId, { keyHash: auth.keyHash, generationId: gen.id, ...hold });
  if (!reserved.ok) {
    const headers: Record<string, string> = reserved.retryAfterSeconds
      ? { "retry-after": String(reserved.retryAfterSeconds) }
      : {};
    throw new GatewayError(reserved.status, reserved.message, reserved.metadata, headers);
  }
  gen.reservedNanos = hold.worstCaseNanos;
  c.set("generationLogged", true); // settlement writes this request's log line, with the outcome
  gen.timings.reserve = Date.now() - reserveStarted;
  // Keep this request's context alive until it settles: without a pending waitUntil, a client
  // that disconnects cancels the context and neither the stream's cancel() nor settlement runs.
  c.executionCtx.waitUntil(
    new Promise<void>((resolve) => {
      gen.handedOff = resolve;
    }),
  );

  const settings = timeoutsOf(env);
  health.configure({ cooldownMs: settings.BREAKER_COOLDOWN_MS, failuresToOpen: settings.BREAKER_FAILURES });
  const deadline = Date.now() + settings.ROUTING_DEADLINE_MS;
  const run = (plan: Attempt[]) =>
    runAttempts(plan, {
      request,
      stream: request.stream === true,
      clientSignal: c.req.raw.signal,
      headersTimeoutMs: settings.UPSTREAM_HEADERS_TIMEOUT_MS,
      deadlineMs: Math.max(0, deadline - Date.now()),
      prepare: (req, attempt) => fitToEndpoint(req, attempt.endpoint, counterFor(attempt.model.id)),
    });
  let success: AttemptSuccess;
  const upstreamStarted = Date.now();
  try {
    success = await run(attempts);
  } catch (error) {
    const metadata = error instanceof GatewayError ? error.metadata : undefined;
    gen.reports = (metadata?.attempts as AttemptReport[] | undefined) ?? [];
    settleGeneration(gen, null, error instanceof GatewayError ? error.status : 500);
    throw error;
  }
  gen.reports = success.reports;
  gen.timings.upstream = Date.now() - upstreamStarted;
  const headers = replyHeaders(success);
  headers["server-timing"] = serverTiming(gen.timings);
  return request.stream ? streamReply(gen, success, headers, attempts, run) : jsonReply(gen, success, headers);
}

function replyHeaders(success: AttemptSuccess): Record<string, string> {
  const headers: Record<string, string> = { "x-tollgate-attempts": attemptsHeader(success.reports) };
  if (success.call.dropped.length > 0) headers["x-tollgate-dropped-params"] = success.call.dropped.join(", ");
  return headers;
}

function jsonReply(gen: Generation, success: AttemptSuccess, headers: Record<string, string>): Response {
  const completion: ChatCompletionOut = success.adapter.parseChatResponse(success.json, success.target);
  const produced = completion.choices
    .map(
      (ch) =>
        `${ch.message.content ?? ""}${ch.message.reasoning ?? ""}${(ch.message.tool_calls ?? []).map((t) => t.function.arguments).join("")}`,
    )
    .join("");
  const { usage, estimated } = settleUsage(completion.usage, gen.promptTokens, produced);
  const costNanos = chargeFor(gen, success.attempt, usage);
  const first = completion.choices[0];
  settleGeneration(
    gen,
    record(gen, success, {
      usage,
      estimated,
      costNanos,
      streamed: false,
      cancelled: false,
      finishReason: first?.finish_reason ?? null,
      nativeFinishReason: first?.native_finish_reason ?? null,
      firstByteAt: Date.now(),
      upstreamId: upstreamIdOf(success.json),
    }),
  );
  const body = {
    id: gen.id,
    provider: success.attempt.provider.name,
    model: success.attempt.model.id,
    object: "chat.completion",
    created: Math.floor(gen.receivedAt / 1000),
    choices: completion.choices,
    system_fingerprint: completion.system_fingerprint ?? null,
    usage: publicUsage(usage, nanosToUsd(costNanos)),
  };
  return Response.json(body, { headers });
}

function streamReply(
  gen: Generation,
  first: AttemptSuccess,
  headers: Record<string, string>,
  attempts: Attempt[],
  run: (remaining: Attempt[]) => Promise<AttemptSuccess>,
): Response {
  let current = first;
  const tried = new Set<Attempt>(
    attempts.filter((a) => first.reports.some((r) => r.provider === a.provider.name && r.model === a.model.id)),
  );
  tried.add(first.attempt);
  let costNanos = 0;
  let settledUsage: { usage: Usage; estimated: boolean } | undefined;
  const finalUsage = (summary: StreamSummary) => {
    settledUsage = settleUsage(summary.usage, gen.promptTokens, summary.producedText);
    costNanos = chargeFor(gen, current.attempt, settledUsage.usage);
    return publicUsage(settledUsage.usage, nanosToUsd(costNanos));
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
    keepAliveMs: settings.KEEPALIVE_INTERVAL_MS,
    flushIntervalMs: settings.STREAM_FLUSH_MS,
    idleTimeoutMs: settings.STREAM_IDLE_TIMEOUT_MS,
    firstTokenTimeoutMs: settings.FIRST_TOKEN_TIMEOUT_MS,
    failover: async () => {
      // The endpoint failed before its first token: count it against its health, try the rest.
      health.recordFailure(endpointKey(current.attempt.model, current.attempt.endpoint));
      const remaining = attempts.filter((a) => !tried.has(a));
      if (remaining.length === 0 || gen.c.req.raw.signal.aborted) return null;
      try {
        current = await run(remaining);
      } catch {
        return null;
      }
      for (const a of remaining) {
        if (current.reports.some((r) => r.provider === a.provider.name && r.model === a.model.id)) tried.add(a);
      }
      tried.add(current.attempt);
      return sourceOf(current);
    },
    finalizeUsage: finalUsage,
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
          firstByteAt: summary.firstChunkAt === undefined ? Date.now() : current.startedAt + summary.firstChunkAt,
          upstreamId: null,
        }),
      );
    },
  });
  return new Response(body, {
    headers: {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    },
  });
}

/** The real cost, never above the reservation (which is all the account promised to pay). */
function chargeFor(gen: Generation, attempt: Attempt, usage: Usage): number {
  return Math.min(generationCost(attempt.endpoint.pricing, billable(usage)), gen.reservedNanos);
}

interface Outcome {
  usage: Usage;
  estimated: boolean;
  costNanos: number;
  streamed: boolean;
  cancelled: boolean;
  finishReason: string | null;
  nativeFinishReason: string | null;
  firstByteAt: number;
  upstreamId: string | null;
}

function record(gen: Generation, success: AttemptSuccess, outcome: Outcome): GenerationRecord {
  const attribution = gen.c.get("attribution");
  const now = Date.now();
  return {
    id: gen.id,
    keyHash: gen.c.get("auth").keyHash,
    createdAt: gen.receivedAt,
    model: success.attempt.model.id,
    providerName: success.attempt.provider.name,
    upstreamId: outcome.upstreamId,
    streamed: outcome.streamed,
    cancelled: outcome.cancelled,
    finishReason: outcome.finishReason,
    nativeFinishReason: outcome.nativeFinishReason,
    tokensPrompt: outcome.usage.prompt_tokens,
    tokensCompletion: outcome.usage.completion_tokens,
    nativeTokensPrompt: outcome.usage.prompt_tokens,
    nativeTokensCompletion: outcome.usage.completion_tokens,
    nativeTokensReasoning: outcome.usage.completion_tokens_details?.reasoning_tokens ?? 0,
    nativeTokensCached: outcome.usage.prompt_tokens_details?.cached_tokens ?? 0,
    usageEstimated: outcome.estimated,
    costNanos: outcome.costNanos,
    latencyMs: Math.max(0, outcome.firstByteAt - gen.receivedAt),
    generationTimeMs: Math.max(0, now - success.startedAt),
    appReferer: attribution.referer,
    appTitle: attribution.title,
    user: gen.request.user ?? null,
  };
}

/** The provider's own id of the reply: `id` in most formats, `responseId` in Gemini's. */
function upstreamIdOf(json: unknown): string | null {
  const body = json as { id?: unknown; responseId?: unknown } | null;
  const id = body?.id ?? body?.responseId;
  return typeof id === "string" ? id : null;
}

/** Settles exactly once, off the response path (DESIGN.md step 8), and writes the log line. */
function settleGeneration(gen: Generation, generation: GenerationRecord | null, status = 200): void {
  if (gen.settled) return;
  gen.settled = true;
  const auth = gen.c.get("auth");
  gen.c.executionCtx.waitUntil(
    settle(gen.c.env, auth.accountId, { keyHash: auth.keyHash, generationId: gen.id, record: generation }).catch(
      (error: unknown) => console.error(JSON.stringify({ msg: "settle failed", id: gen.id, error: String(error) })),
    ),
  );
  gen.c.set("generationLogged", true);
  logLine({
    msg: "generation",
    request_id: gen.c.get("requestId"),
    generation_id: gen.id,
    key: keyId(auth.keyHash),
    model: generation?.model ?? gen.request.model ?? null,
    provider: generation?.providerName ?? null,
    attempts: gen.reports.map((r) => `${r.provider}:${r.status}`),
    status: generation ? (generation.finishReason === "error" ? 502 : 200) : status,
    streamed: generation?.streamed ?? gen.request.stream === true,
    cancelled: generation?.cancelled ?? false,
    latency_ms: Date.now() - gen.receivedAt,
    first_byte_ms: generation?.latencyMs ?? null,
    tokens_prompt: generation?.tokensPrompt ?? 0,
    tokens_completion: generation?.tokensCompletion ?? 0,
    cost_usd: generation ? nanosToUsd(generation.costNanos) : 0,
    timings: gen.timings,
  });
  gen.handedOff();
}
