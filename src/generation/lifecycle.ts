import type { Context } from "hono";
import { closeLeaseWhenDue, leaseRelease, queueSettle, releaseLease, renewHolds, reserve } from "../billing/client";
import type { ApiType, GenerationRecord, LeaseAsk, ReserveResult, SettleInput } from "../billing/contract";
import { takeHeadStart } from "../billing/head-start";
import {
  generationEnded,
  generationStarted,
  type Lease,
  leaseAnswered,
  leaseFor,
  leaseSettled,
  rescueLease,
} from "../billing/leases";
import { nanosToUsd } from "../billing/money";
import { RESERVATION_TTL_MS } from "../billing/reservations";
import type { AppEnv } from "../context";
import { CORS_REPLY_HEADERS } from "../cors";
import type { Env } from "../env";
import { keyId, logLine, serverTiming, type Timings } from "../observability";
import type { Usage } from "../providers/types";
import {
  type AttemptReport,
  type AttemptSuccess,
  attemptsHeader,
  type ErrorParser,
  type RunOptions,
  runAttempts,
} from "../routing/attempts";
import type { Attempt } from "../routing/plan";
import { GatewayError } from "../schema/errors";
import { sleep } from "../sleep";
import { reservationFor } from "./budget";
import { newGenerationId } from "./ids";
import { holdEnded, holdStarted, type SoloWatch } from "./solo";
import { timeoutsOf } from "./timeouts";

/**
 * One generation's life around its upstream call, shared by chat, legacy completions and
 * embeddings: the reservation before it (the one Durable Object call before the first byte, or
 * none under the key's lease), and exactly one settlement after it, in waitUntil, with the
 * request's log line.
 */
export interface Generation
  extends Pick<
    GenerationStart,
    "apiType" | "requestedModel" | "stream" | "user" | "sessionId" | "receivedAt" | "promptTokens" | "images"
  > {
  c: Context<AppEnv>;
  id: string;
  /** The most this generation may be charged: its reservation. */
  reservedNanos: number;
  /** The key's lease it started under instead of a reservation of its own (billing/leases.ts). */
  lease: Lease | null;
  /** Whether it runs alone in the isolate (solo.ts), from when it took its hold. */
  solo: SoloWatch | null;
  /** A stream's timer renewing its hold while it runs (keepHoldWhileRunning). */
  holdRenewal: ReturnType<typeof setTimeout> | null;
  settled: boolean;
  /** Settled in the same turn as its answer comes (see GenerationStart.settlesWhenAnswered). */
  settlesWhenAnswered: boolean;
  /** Its request is kept alive until it settles (keepAliveUntilSettled has run). */
  keptAlive: boolean;
  /**
   * Takes the settlement's own work, if any is left for this request to do: kept alive past the
   * reply with waitUntil (resolving the one keepAliveUntilSettled placed, if it did).
   */
  handedOff: (settlement: Promise<void> | undefined) => void;
  /** Milliseconds spent in each step before the reply (the Server-Timing header). */
  timings: Timings;
  /** When the attempts started (0 before): a failed request's `upstream` timing counts from it. */
  calledAt: number;
  /** The upstream attempts, for the log line. */
  reports: AttemptReport[];
  /** Choices whose JSON the response-healing plugin repaired (the log line's `healed`, when any). */
  healed?: number;
}

export interface GenerationStart {
  /** The kind of API call it is, for its record. */
  apiType: ApiType;
  /** The model the client asked for (for the log line of a request no model answered). */
  requestedModel: string | null;
  stream: boolean;
  user: string | null;
  /** The session the request named (schema/chat.ts sessionIdOf), for its record. */
  sessionId: string | null;
  receivedAt: number;
  promptTokens: number;
  /** The output cap the client asked for (none for embeddings: pass 0). */
  maxOutputTokens: number | null | undefined;
  /** How many completions the client asked for (`n`), each up to the output cap; 1 when absent. */
  choices?: number | null;
  /** Output tokens reasoning may add on top of the cap at an endpoint (budget.ts reasoningAllowance). */
  reasoningTokens?: (attempt: Attempt) => number;
  /** Images in the prompt, each charged the endpoint's `image` price where it lists one. */
  images?: number;
  /** The most search units a rerank may be billed (held at the endpoint's `search_unit` price). */
  searchUnits?: number;
  /** The most a charge beside the endpoint's prices may come to (a chat's web search), by attempt where it differs. */
  fixedNanos?: number | ((attempt: Attempt) => number);
  /**
   * The caller settles the generation in the same turn as the attempt loop's answer (a whole chat
   * reply built at once): nothing it awaits after its hold lies outside the attempt loop, whose
   * listener sees a client that leaves. Its request is then kept alive only if its client leaves
   * before it settles, instead of from its hold on. With the loop's one listener (attempts.ts),
   * this measured 0.97 of the CPU a request of the waitUntil per request it replaces (side by
   * side, 40 turns of 2 s, ±0.025; the same build against itself 0.99).
   */
  settlesWhenAnswered?: boolean;
}

/** How the attempt loop is to start: the signal that cancels it, and the gate of a head start. */
export type RunGate = Pick<RunOptions<unknown, ErrorParser>, "clientSignal" | "admitted" | "clientGone">;

/**
 * The attempt loop of a request answered in one JSON reply (embeddings, rerank), for
 * startGeneration to start through its gate: the request's one upstream call per attempt, within
 * the env's headers timeout and routing deadline.
 */
export function wholeReplyRun<R, A extends ErrorParser>(
  env: Env,
  attempts: Attempt[],
  call: Pick<RunOptions<R, A>, "request" | "adapterFor" | "buildCall">,
): (gate: RunGate) => Promise<AttemptSuccess<A>> {
  const settings = timeoutsOf(env);
  return (gate) =>
    runAttempts(attempts, {
      ...call,
      stream: false,
      ...gate,
      headersTimeoutMs: settings.UPSTREAM_HEADERS_TIMEOUT_MS,
      deadlineMs: settings.ROUTING_DEADLINE_MS,
    });
}

/**
 * Steps 5 and 6: reserves the worst case of the plan for a new generation (refusing with the
 * account's reason) and runs the attempts, keeping the request alive until its settlement has
 * been handed off. A busy key's request whose worst case fits in the key's lease here
 * (billing/leases.ts) takes it from there and makes no call to the Account object at all.
 * Otherwise, when the key's last reservation in this isolate left room for this one's worst case
 * (billing/head-start.ts), the first upstream call starts while the reservation is on its way, so
 * the Account object's round trip adds nothing to the wait; no answer is used, and no second call
 * starts, before the reservation is confirmed, and a refused one cancels the call.
 */
export async function startGeneration<A>(
  c: Context<AppEnv>,
  attempts: Attempt[],
  start: GenerationStart,
  run: (gate: RunGate) => Promise<AttemptSuccess<A>>,
): Promise<{ gen: Generation; success: AttemptSuccess<A> }> {
  // Every field named (see hot-shapes.ts), those set later too.
  const gen: Generation = {
    c,
    id: newGenerationId(),
    apiType: start.apiType,
    requestedModel: start.requestedModel,
    stream: start.stream,
    user: start.user,
    sessionId: start.sessionId,
    receivedAt: start.receivedAt,
    promptTokens: start.promptTokens,
    images: start.images,
    reservedNanos: 0,
    lease: null,
    solo: null,
    holdRenewal: null,
    settled: false,
    settlesWhenAnswered: start.settlesWhenAnswered === true,
    keptAlive: false,
    handedOff: (settlement) => {
      if (settlement) c.executionCtx.waitUntil(settlement);
    },
    timings: { plan: Date.now() - start.receivedAt, lease: undefined, reserve: undefined, upstream: undefined },
    calledAt: 0,
    reports: [],
    healed: undefined,
  };
  const hold = reservationFor(attempts, start.promptTokens, start.maxOutputTokens, {
    choices: start.choices ?? 1,
    reasoningTokens: start.reasoningTokens,
    images: start.images ?? 0,
    searchUnits: start.searchUnits ?? 0,
    fixedNanos: start.fixedNanos ?? 0,
  });
  const keyHash = c.get("auth").keyHash;
  const now = Date.now();
  const leasing = leaseFor(keyHash, hold.worstCaseNanos, timeoutsOf(c.env).KEY_LEASE_MS, now);
  if (leasing.lease) startUnderLease(gen, leasing.lease, hold.worstCaseNanos, 0);
  const headStart =
    !leasing.lease && c.env.UPSTREAM_HEAD_START !== "off" && takeHeadStart(keyHash, hold.worstCaseNanos, now);
  if (!leasing.lease && !headStart) await reserveFor(gen, hold, leasing.ask);
  gen.calledAt = Date.now();
  const success = headStart
    ? await runBesideReservation(gen, hold, leasing.ask, run)
    : await run({ clientSignal: c.req.raw.signal, admitted: undefined, clientGone: clientGoneOf(gen) }).catch(
        (error: unknown) => failGeneration(gen, error),
      );
  gen.reports = success.reports;
  gen.timings.upstream = Date.now() - gen.calledAt;
  return { gen, success };
}

/** A head start: the first call goes out, then the reservation; the answer waits for the latter. */
async function runBesideReservation<A>(
  gen: Generation,
  hold: ReturnType<typeof reservationFor>,
  ask: LeaseAsk | undefined,
  run: (gate: RunGate) => Promise<AttemptSuccess<A>>,
): Promise<AttemptSuccess<A>> {
  const client = gen.c.req.raw.signal;
  const cancel = new AbortController();
  const onClientGone = () => cancel.abort(client.reason);
  client.addEventListener("abort", onClientGone, { once: true });
  // The call goes out first, so the provider starts as soon as it can; the reservation made next
  // is what it waits on before a second call.
  let admit: (reservation: Promise<void>) => void = () => {};
  const admission = new Promise<void>((resolve) => {
    admit = resolve;
  });
  const running = run({ clientSignal: cancel.signal, admitted: admission, clientGone: clientGoneOf(gen) });
  const reservation = reserveFor(gen, hold, ask);
  admit(reservation);
  // Their failures are read below (or not needed); until then they must not count as unhandled.
  admission.catch(() => {});
  running.catch(() => {});
  try {
    await reservation;
  } catch (refusal) {
    client.removeEventListener("abort", onClientGone);
    cancel.abort(refusal);
    // A call that already answered is dropped unread (a stream's body is cancelled).
    running.then(
      (success) => success.abort.abort(refusal),
      () => {},
    );
    throw refusal;
  }
  try {
    return await running;
  } catch (error) {
    failGeneration(gen, error);
  } finally {
    client.removeEventListener("abort", onClientGone);
  }
}

/**
 * Places the hold (the one Durable Object call before the first byte), or throws the refusal. With
 * `ask`, the call also asks for a lease for the key's next requests here (billing/leases.ts).
 */
async function reserveFor(
  gen: Generation,
  hold: ReturnType<typeof reservationFor>,
  ask: LeaseAsk | undefined,
): Promise<void> {
  const { c } = gen;
  const auth = c.get("auth");
  const reserveStarted = Date.now();
  let reserved: Awaited<ReturnType<typeof reserve>> | undefined;
  try {
    reserved = await reserve(
      c.env,
      auth.accountId,
      { keyHash: auth.keyHash, generationId: gen.id, ...hold, lease: ask },
      (work) => c.executionCtx.waitUntil(work),
    );
  } finally {
    if (ask) leaseHeard(gen, ask, reserved, reserveStarted);
  }
  if (!reserved.ok) {
    // Refused for want of money that a lease granted here since holds: the request runs under it.
    const lease =
      reserved.status === 402 || reserved.status === 403
        ? rescueLease(auth.keyHash, hold.worstCaseNanos, Date.now())
        : null;
    if (lease) return startUnderLease(gen, lease, hold.worstCaseNanos, Date.now() - reserveStarted);
    const headers: Record<string, string> = reserved.retryAfterSeconds
      ? { "retry-after": String(reserved.retryAfterSeconds) }
      : {};
    throw new GatewayError(reserved.status, reserved.message, reserved.metadata, headers);
  }
  holdTaken(gen, hold.worstCaseNanos);
  gen.timings.reserve = Date.now() - reserveStarted;
}

/**
 * The object's answer to a reservation that asked for a lease: a granted lease is the key's until
 * its time is up (this request stays alive to close it then), and a lease it replaced is released
 * (billing/client.ts releases one granted in a call whose answer was lost). The lease's time
 * counts from when the call was sent, before the object granted it: the object, which answers a
 * change to the key only once the key's leases are closed, counts from the grant.
 */
function leaseHeard(gen: Generation, ask: LeaseAsk, reserved: ReserveResult | undefined, sentAt: number): void {
  const { env, executionCtx } = gen.c;
  const auth = gen.c.get("auth");
  const grant = reserved?.ok ? reserved.lease : undefined;
  const { lease, release } = leaseAnswered(auth.accountId, auth.keyHash, ask, grant, sentAt);
  if (lease) executionCtx.waitUntil(closeLeaseWhenDue(env, lease));
  if (release) executionCtx.waitUntil(releaseLease(env, release));
}

/** The generation goes ahead under its key's lease, its worst case taken from it (after `waitedMs`). */
function startUnderLease(gen: Generation, lease: Lease, worstCaseNanos: number, waitedMs: number): void {
  gen.lease = lease;
  holdTaken(gen, worstCaseNanos);
  gen.timings.lease = waitedMs;
}

/** The generation may go ahead holding `worstCaseNanos` (its own hold, or a lease's). */
function holdTaken(gen: Generation, worstCaseNanos: number): void {
  const { c } = gen;
  gen.reservedNanos = worstCaseNanos;
  generationStarted(c.get("auth").keyHash);
  gen.solo = holdStarted();
  if (gen.stream) keepHoldWhileRunning(gen);
  c.set("generationLogged", true); // settlement writes this request's log line, with the outcome
  if (!gen.settlesWhenAnswered || c.req.raw.signal.aborted) keepAliveUntilSettled(gen);
}

/**
 * Keeps the request's context alive until the generation settles, and then until its
 * settlement's own work is done: without a pending waitUntil, a client that disconnects cancels
 * the context and neither a stream's cancel() nor the settlement runs. Once per generation.
 */
function keepAliveUntilSettled(gen: Generation): void {
  if (gen.keptAlive || gen.settled) return;
  gen.keptAlive = true;
  gen.c.executionCtx.waitUntil(
    new Promise<void>((resolve) => {
      gen.handedOff = (settlement) => resolve(settlement);
    }),
  );
}

/**
 * What the attempt loop calls when the client leaves: a generation kept alive only from then on
 * (settlesWhenAnswered) is kept alive once it holds money, so that the cancelled call's failure
 * settles it. Before its hold there is nothing of its own to settle (holdTaken checks the signal).
 */
function clientGoneOf(gen: Generation): (() => void) | undefined {
  if (!gen.settlesWhenAnswered) return undefined;
  return () => {
    // `solo` is set when the hold is taken (holdTaken).
    if (gen.solo !== null) keepAliveUntilSettled(gen);
  };
}

/**
 * A stream may run longer than its hold lives (RESERVATION_TTL_MS, 15 minutes: a deep-research
 * model, a long generation): had the alarm released it, other requests could spend that money
 * before the stream's charge lands, which the settlement then clamps to what is left, charging
 * less than the provider bills. So the stream renews its hold (its own, or its lease's) every
 * HOLD_RENEW_MS until it settles; a renewal that fails is tried again at the next one, well before
 * the expiry. Non-streaming requests end within ROUTING_DEADLINE_MS and renew nothing.
 */
function keepHoldWhileRunning(gen: Generation): void {
  const { env, executionCtx } = gen.c;
  const { accountId } = gen.c.get("auth");
  const every = Math.min(timeoutsOf(env).HOLD_RENEW_MS, RESERVATION_TTL_MS / 3);
  const renew = () => {
    if (gen.settled) return;
    const holdId = gen.lease ? gen.lease.id : gen.id;
    executionCtx.waitUntil(
      renewHolds(env, accountId, [holdId]).catch((error: unknown) =>
        console.error(JSON.stringify({ msg: "hold renewal failed", id: gen.id, error: String(error) })),
      ),
    );
    gen.holdRenewal = setTimeout(renew, every);
  };
  gen.holdRenewal = setTimeout(renew, every);
}

/**
 * Settles a generation whose attempts all failed (nothing charged) and rethrows the error, with
 * the Server-Timing header a reply would have had (where the time went is as useful on a 502).
 */
export function failGeneration(gen: Generation, error: unknown): never {
  const metadata = error instanceof GatewayError ? error.metadata : undefined;
  // An error raised after an attempt answered (a reply found unusable) keeps the attempts made.
  gen.reports = (metadata?.attempts as AttemptReport[] | undefined) ?? gen.reports;
  if (gen.timings.upstream === undefined && gen.calledAt > 0) gen.timings.upstream = Date.now() - gen.calledAt;
  settleGeneration(gen, null, error instanceof GatewayError ? error.status : 500);
  if (!(error instanceof GatewayError)) throw error;
  throw new GatewayError(error.status, error.message, error.metadata, {
    ...error.headers,
    "server-timing": serverTiming(gen.timings),
  });
}

/**
 * The provider's answer as `read` makes it out of the reply; an answer it finds unusable (it
 * throws: a reply of the wrong shape, or too few results) fails the generation uncharged.
 */
export function readAnswer<T>(gen: Generation, read: () => T): T {
  try {
    return read();
  } catch (error) {
    return failGeneration(gen, error);
  }
}

export interface Outcome {
  usage: Usage;
  estimated: boolean;
  costNanos: number;
  streamed: boolean;
  cancelled: boolean;
  finishReason: string | null;
  nativeFinishReason: string | null;
  /** When the answer's first byte (a stream's first token) came; null if it never did. */
  firstByteAt: number | null;
  upstreamId: string | null;
  /** Images the reply held (its choices' `images`), where the model drew any. */
  images?: number;
}

/**
 * What a generation's record says of the request that made it (every record's, a cache hit's
 * too): its key, preset, session, request id, app and end user.
 */
export function requestFacts(
  c: Context<AppEnv>,
  user: string | null,
  sessionId: string | null,
): Pick<GenerationRecord, "keyHash" | "presetId" | "sessionId" | "requestId" | "appReferer" | "appTitle" | "user"> {
  const attribution = c.get("attribution");
  return {
    keyHash: c.get("auth").keyHash,
    presetId: c.get("preset")?.id ?? null,
    sessionId,
    requestId: c.get("requestId"),
    appReferer: attribution.referer,
    appTitle: attribution.title,
    user,
  };
}

export function record(
  gen: Generation,
  success: Pick<AttemptSuccess<unknown>, "attempt" | "startedAt">,
  outcome: Outcome,
): GenerationRecord {
  const now = Date.now();
  const facts = requestFacts(gen.c, gen.user, gen.sessionId);
  // Every field named, not spread (see hot-shapes.ts).
  return {
    id: gen.id,
    keyHash: facts.keyHash,
    presetId: facts.presetId,
    sessionId: facts.sessionId,
    requestId: facts.requestId,
    appReferer: facts.appReferer,
    appTitle: facts.appTitle,
    user: facts.user,
    createdAt: gen.receivedAt,
    model: success.attempt.model.id,
    providerName: success.attempt.provider.name,
    apiType: gen.apiType,
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
    nativeTokensCompletionImages: outcome.usage.completion_tokens_details?.image_tokens ?? 0,
    numMediaCompletion: outcome.images ?? 0,
    usageEstimated: outcome.estimated,
    costNanos: outcome.costNanos,
    latencyMs: outcome.firstByteAt === null ? null : Math.max(0, outcome.firstByteAt - gen.receivedAt),
    generationTimeMs: Math.max(0, now - success.startedAt),
  };
}

/**
 * The outcome of a reply that is no chat completion (embeddings, rerank, transcription, speech):
 * never cancelled, no finish reason, answered now; `upstreamId` from the provider's JSON reply
 * where it gave one (speech's reply is audio).
 */
export function wholeReplyOutcome(
  priced: Pick<Outcome, "usage" | "estimated" | "costNanos">,
  { json, streamed = false }: { json?: unknown; streamed?: boolean },
): Outcome {
  return {
    ...priced,
    streamed,
    cancelled: false,
    finishReason: null,
    nativeFinishReason: null,
    firstByteAt: Date.now(),
    upstreamId: json === undefined ? null : upstreamIdOf(json),
  };
}

/** The provider's own id of the reply: `id` in most formats, `responseId` in Gemini's. */
export function upstreamIdOf(json: unknown): string | null {
  const body = json as { id?: unknown; responseId?: unknown } | null;
  const id = body?.id ?? body?.responseId;
  return typeof id === "string" ? id : null;
}

/**
 * Settles exactly once, off the response path (DESIGN.md step 8), and writes the log line. A
 * generation that ran alone in the isolate (solo.ts) does both after a zero timer, so that its
 * reply leaves first: with nothing else in flight here, that work would otherwise sit between the
 * upstream's answer and the client. Under concurrency they happen at once: the isolate is busy
 * either way. The settlement is queued for its account's gathering window either way (client.ts).
 */
export function settleGeneration(gen: Generation, generation: GenerationRecord | null, status = 200): void {
  if (gen.settled) return;
  gen.settled = true;
  if (gen.holdRenewal !== null) clearTimeout(gen.holdRenewal);
  const auth = gen.c.get("auth");
  generationEnded(auth.keyHash);
  const alone = gen.solo !== null && holdEnded(gen.solo);
  gen.c.set("generationLogged", true);
  const line = {
    msg: "generation",
    request_id: gen.c.get("requestId"),
    generation_id: gen.id,
    key: keyId(auth.keyHash),
    model: generation?.model ?? gen.requestedModel,
    provider: generation?.providerName ?? null,
    attempts: gen.reports.map((r) => `${r.provider}:${r.status}`),
    status: generation ? (generation.finishReason === "error" ? 502 : 200) : status,
    streamed: generation?.streamed ?? gen.stream,
    cancelled: generation?.cancelled ?? false,
    latency_ms: Date.now() - gen.receivedAt,
    first_byte_ms: generation?.latencyMs ?? null,
    tokens_prompt: generation?.tokensPrompt ?? 0,
    tokens_completion: generation?.tokensCompletion ?? 0,
    cost_usd: generation ? nanosToUsd(generation.costNanos) : 0,
    timings: gen.timings,
    // Left out of the line when none were (JSON drops undefined).
    healed: gen.healed || undefined,
  };
  const settleAndLog = () => {
    const sending = settleOrRelease(gen, generation)?.catch((error: unknown) =>
      console.error(JSON.stringify({ msg: "settle failed", id: gen.id, error: String(error) })),
    );
    logLine(line);
    return sending;
  };
  gen.handedOff(alone ? sleep(0).then(settleAndLog) : settleAndLog());
}

/**
 * Step 8's call: the generation's settlement, queued for its account's object. Under a lease, a
 * generation with no answer has nothing to send (it held nothing of its own), and the last
 * generation of a closed lease also releases the lease's rest, in the same call as its charge:
 * sent apart, a retried charge could land after the release, no longer out of the lease, and be
 * clamped to what the account had left by then.
 */
function settleOrRelease(gen: Generation, generation: GenerationRecord | null): Promise<void> | undefined {
  const { env } = gen.c;
  const { accountId, keyHash } = gen.c.get("auth");
  const lease = gen.lease;
  if (!lease) return queueSettle(env, accountId, { keyHash, generationId: gen.id, record: generation });
  const settles: SettleInput[] = [];
  if (generation) settles.push({ keyHash, generationId: gen.id, record: generation, leaseId: lease.id });
  if (leaseSettled(lease, gen.reservedNanos, generation?.costNanos ?? 0, Date.now())) settles.push(leaseRelease(lease));
  return settles.length > 0 ? queueSettle(env, accountId, settles) : undefined;
}

/**
 * The headers every reply carries: the attempts made, the steps' timings, and the parameters the
 * endpoint dropped; with the request's id and the CORS headers the app stamps on every reply, so
 * that a reply built from these needs no stamping after (stamp.ts). One literal for the usual
 * reply (see hot-shapes.ts).
 */
export function replyHeaders(
  gen: Pick<Generation, "timings" | "c">,
  success: Pick<AttemptSuccess<unknown>, "reports" | "call">,
): Record<string, string> {
  const headers: Record<string, string> = {
    "x-tollgate-attempts": attemptsHeader(success.reports),
    "server-timing": serverTiming(gen.timings),
    "x-request-id": gen.c.get("requestId"),
    "access-control-allow-origin": CORS_REPLY_HEADERS["access-control-allow-origin"],
    "access-control-expose-headers": CORS_REPLY_HEADERS["access-control-expose-headers"],
  };
  if (success.call.dropped.length > 0) headers["x-tollgate-dropped-params"] = success.call.dropped.join(", ");
  return headers;
}
