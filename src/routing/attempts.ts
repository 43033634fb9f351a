import { keepShapes } from "../hot-shapes";
import { credentialSecrets, replyErrorType, sanitizeUpstreamText } from "../providers/errors";
import type {
  ChatAdapter,
  CredentialParts,
  UpstreamBody,
  UpstreamCall,
  UpstreamError,
  UpstreamTarget,
} from "../providers/types";
import { EndpointRefusal, GatewayError } from "../schema/errors";
import { sleep as timerSleep } from "../sleep";
import { backoffMs, FAILOVER_LIMITS, FAILOVER_TABLE, type FailureKind } from "./failover";
import { type HealthTracker, health } from "./health";
import { type Attempt, endpointKey } from "./plan";

/** What each attempt did, reported in error metadata and the `x-tollgate-attempts` header. */
export interface AttemptReport {
  provider: string;
  model: string;
  status: number;
  reason: string;
}

/** What the loop needs of a wire-format adapter, whatever it serves (chat, embeddings…). */
export interface ErrorParser extends CredentialParts {
  parseError(status: number, bodyText: string, headers: Headers): UpstreamError;
}

export interface AttemptSuccess<A = ChatAdapter> {
  attempt: Attempt;
  target: UpstreamTarget;
  adapter: A;
  call: UpstreamCall<UpstreamBody>;
  response: Response;
  /** Parsed JSON body for non-streaming calls (already validated as JSON). */
  json?: unknown;
  /** Aborts the upstream fetch (client went away, or the gateway gave up on the stream). */
  abort: AbortController;
  reports: AttemptReport[];
  startedAt: number;
}

export interface RunOptions<R, A extends ErrorParser> {
  request: R;
  /** The attempt's wire-format adapter for this kind of request; none skips the endpoint. */
  adapterFor: (attempt: Attempt) => A | undefined;
  /** The upstream request for one attempt, built by its adapter. */
  buildCall: (
    adapter: A,
    request: R,
    target: UpstreamTarget,
  ) => UpstreamCall<UpstreamBody> | Promise<UpstreamCall<UpstreamBody>>;
  stream: boolean;
  /** The client's request signal: a client that goes away cancels the upstream fetch. */
  clientSignal: AbortSignal;
  /**
   * Called when the client's signal aborts while the loop runs, before the call in flight is
   * cancelled: a generation that keeps its request alive only once its client has left
   * (lifecycle.ts) does so here, so that the cancelled call's failure still settles it.
   */
  clientGone?: (() => void) | undefined;
  /**
   * Set when the first call starts before the request's reservation is confirmed (a head start):
   * no further call starts until it resolves, and its rejection ends the loop.
   */
  admitted?: Promise<unknown>;
  /** Milliseconds to wait for an upstream's response headers. */
  headersTimeoutMs: number;
  /** Milliseconds the whole attempt loop may take before it gives up (bounded total wall time). */
  deadlineMs?: number;
  /** Endpoint health (defaults to the isolate's tracker). */
  health?: HealthTracker;
  /** Per-attempt request rewrite (e.g. middle-out for a smaller context window). */
  prepare?: (request: R, attempt: Attempt) => R;
  /**
   * Work an attempt waits for before it is prepared (a web search whose results it is given), or
   * undefined for none; its failure ends the loop with its error.
   */
  beforeAttempt?: (attempt: Attempt) => Promise<void> | undefined;
  /** The request's web search where `attempt`'s endpoint runs it natively (UpstreamTarget.webSearch), or undefined. */
  nativeSearch?: (attempt: Attempt) => UpstreamTarget["webSearch"];
  sleep?: (ms: number) => Promise<void>;
}

interface Failure {
  kind: FailureKind;
  error: UpstreamError;
  provider: string;
}

/**
 * Tries the planned endpoints in order until one answers with 2xx (and, for non-streaming calls,
 * a JSON body), following FAILOVER_TABLE: transient failures retry the same endpoint once after a
 * jittered backoff, others move on, deterministic client errors stop at once. Endpoints whose
 * breaker is open are left for last. An endpoint whose adapter cannot take the request as built
 * (an EndpointRefusal) is skipped with no call made; its refusal is the answer only when no other
 * endpoint was called. Failed attempts cost nothing; the final error names them all.
 */
export async function runAttempts<R, A extends ErrorParser>(
  attempts: Attempt[],
  options: RunOptions<R, A>,
): Promise<AttemptSuccess<A>> {
  const tracker = options.health ?? health;
  const sleep = options.sleep ?? timerSleep;
  const started = Date.now();
  const deadline = started + (options.deadlineMs ?? Number.POSITIVE_INFINITY);
  const reports: AttemptReport[] = [];
  let last: Failure | undefined;
  let refusal: EndpointRefusal | undefined;
  let calls = 0;
  let minContext = 0;
  const keyOf = (a: Attempt) => endpointKey(a.model, a.endpoint);
  // The request's image URLs, fetched at most once whichever endpoints need their bytes.
  const images: NonNullable<UpstreamTarget["images"]> = new Map();
  // Healthy endpoints first; those with an open breaker stay in the plan as a last resort. Each
  // endpoint asked once, and the plan taken as it is when none is held back (nearly always).
  const held: Attempt[] = [];
  const allowed: Attempt[] = [];
  for (const attempt of attempts) (tracker.allow(keyOf(attempt)) ? allowed : held).push(attempt);
  const ordered = held.length === 0 ? attempts : allowed.concat(held);

  // One listener for the whole loop: a client that leaves cancels whichever call is in flight.
  // No `{ once: true }`: it is removed when the loop ends (finally below), and the options object
  // cost the runtime a conversion on every call (~1/3 of the listener's cost, perf). Combining the
  // signals instead (AbortSignal.any, with AbortSignal.timeout for the headers timer) measured
  // three times dearer than the listener and the timer.
  let inFlight: AbortController | undefined;
  const onClientAbort = () => {
    options.clientGone?.();
    inFlight?.abort(options.clientSignal.reason);
  };
  options.clientSignal.addEventListener("abort", onClientAbort);
  try {
    for (const attempt of ordered) {
      if (options.clientSignal.aborted || Date.now() >= deadline || calls >= FAILOVER_LIMITS.perRequest) break;
      const adapter = options.adapterFor(attempt);
      if (!adapter) continue;
      if (attempt.endpoint.context_length <= minContext) {
        reports.push({
          provider: attempt.provider.name,
          model: attempt.model.id,
          status: 0,
          reason: "skipped: context too small",
        });
        continue;
      }
      const key = keyOf(attempt);
      const target: UpstreamTarget = {
        provider: attempt.provider,
        endpoint: attempt.endpoint,
        model: attempt.model,
        baseUrl: attempt.access.baseUrl,
        apiKey: attempt.access.apiKey,
        emulated: attempt.access.emulated,
        setting: attempt.access.setting,
        images,
      };
      if (options.nativeSearch) target.webSearch = options.nativeSearch(attempt);
      const waiting = options.beforeAttempt?.(attempt);
      if (waiting) await waiting;
      const request = options.prepare ? options.prepare(options.request, attempt) : options.request;
      for (let retry = 0; retry < FAILOVER_LIMITS.perEndpoint; retry++) {
        if (calls > 0 && options.admitted) await options.admitted;
        if (options.clientSignal.aborted || Date.now() >= deadline || calls >= FAILOVER_LIMITS.perRequest) break;
        const built = await buildOnce(adapter, target, request, options);
        if ("refused" in built) {
          // Nothing was sent: no call counted, no verdict on the endpoint's health, nothing to retry.
          refusal ??= built.refused;
          reports.push({
            provider: attempt.provider.name,
            model: attempt.model.id,
            status: built.refused.status,
            reason: `skipped: ${built.refused.message}`,
          });
          break;
        }
        calls++;
        tracker.startAttempt(key);
        let outcome: CallOutcome | BuildOutcome;
        if ("failure" in built) outcome = built;
        else {
          // The call's own controller: the loop's listener cancels it if the client leaves.
          inFlight = new AbortController();
          const timeoutMs = Math.min(options.headersTimeoutMs, deadline - Date.now());
          outcome = await callOnce(adapter, built.call, options, inFlight, timeoutMs);
        }
        if ("success" in outcome) {
          tracker.recordSuccess(key, { ttfbMs: outcome.success.headersMs });
          reports.push({
            provider: attempt.provider.name,
            model: attempt.model.id,
            status: outcome.success.response.status,
            reason: "ok",
          });
          // One literal, not a spread of the call's outcome: see hot-shapes.ts.
          const { call, response, json, abort, startedAt } = outcome.success;
          return { attempt, target, adapter, call, response, json, abort, reports, startedAt };
        }
        if (options.clientSignal.aborted) {
          // Cut short by the client (or a refused reservation): no verdict on the endpoint.
          tracker.abandonAttempt(key);
          break;
        }
        const failure: Failure = { ...outcome.failure, provider: attempt.provider.name };
        failure.error.message = sanitizeUpstreamText(failure.error.message, credentialSecrets(target, adapter));
        last = failure;
        reports.push({
          provider: attempt.provider.name,
          model: attempt.model.id,
          status: failure.error.upstreamStatus || failure.error.status,
          reason: `${failure.kind}: ${failure.error.message}`,
        });
        const rule = FAILOVER_TABLE[failure.kind];
        if (rule.breaker) tracker.recordFailure(key, failure.error.retryAfter);
        else if (failure.error.retryAfter !== undefined) tracker.recordFailure(key, failure.error.retryAfter);
        if (rule.action === "stop") throw finalError(last, reports, false);
        if (rule.action === "largerContext") {
          minContext = Math.max(minContext, attempt.endpoint.context_length);
          break;
        }
        if (rule.action !== "retrySame" || retry + 1 >= FAILOVER_LIMITS.perEndpoint) break;
        await sleep(backoffMs(retry));
      }
    }
    if (!last && refusal && !options.clientSignal.aborted) {
      // No endpoint could take the request as built: the first refusal names the limit to fix.
      throw new GatewayError(refusal.status, refusal.message, { ...refusal.metadata, attempts: reports });
    }
    throw finalError(last, reports, options.clientSignal.aborted);
  } finally {
    options.clientSignal.removeEventListener("abort", onClientAbort);
  }
}

type CallOutcome =
  | { success: Omit<AttemptSuccess<unknown>, "attempt" | "target" | "adapter" | "reports"> & { headersMs: number } }
  | { failure: Omit<Failure, "provider"> };

type BuildOutcome =
  | { call: UpstreamCall<UpstreamBody> }
  | { refused: EndpointRefusal }
  | { failure: Omit<Failure, "provider"> };

/**
 * One attempt's upstream request, built by its adapter. A limit of this endpoint's API (an
 * EndpointRefusal: an embeddings limit, or an image URL the gateway could not fetch for a format
 * that needs the bytes) skips it; any other GatewayError is the request's own fault wherever it
 * goes (an image URL that is no http(s) URL) and ends the request at once; a provider
 * the gateway cannot sign for (missing credentials) is the gateway's: the next endpoint may answer.
 */
async function buildOnce<R, A extends ErrorParser>(
  adapter: A,
  target: UpstreamTarget,
  request: R,
  options: RunOptions<R, A>,
): Promise<BuildOutcome> {
  try {
    return { call: await options.buildCall(adapter, request, target) };
  } catch (error) {
    if (error instanceof EndpointRefusal) return { refused: error };
    if (error instanceof GatewayError) throw error;
    const message = `cannot call the provider: ${error instanceof Error ? error.message : String(error)}`;
    return { failure: { kind: "auth", error: { status: 502, upstreamStatus: 0, kind: "auth", message } } };
  }
}

/** One upstream call: the request, its headers timeout, and the classification of a failure. */
async function callOnce<R, A extends ErrorParser>(
  adapter: A,
  call: UpstreamCall<UpstreamBody>,
  options: RunOptions<R, A>,
  /** Aborted by the loop's listener when the client leaves, and by the headers timer here. */
  abort: AbortController,
  headersTimeoutMs: number,
): Promise<CallOutcome> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort(new Error("headers timeout"));
  }, headersTimeoutMs);
  const startedAt = Date.now();
  let headersMs: number | undefined;
  try {
    const { method, headers, body } = call.init;
    const response = await fetch(call.url, { method, headers, body, signal: abort.signal });
    headersMs = Date.now() - startedAt;
    if (response.ok) {
      if (options.stream) {
        clearTimeout(timer);
        if (!response.body) return { failure: invalidResponse(response.status, "empty stream body") };
        return { success: { call, response, abort, startedAt, headersMs } };
      }
      // A reply is read whole within the same time as its headers: a provider that stalls after
      // them would otherwise hold the request (and its hold) until the client gave up.
      const text = await response.text();
      clearTimeout(timer);
      try {
        const json: unknown = JSON.parse(text);
        keepShapes("upstream reply", json, text.length);
        return { success: { call, response, json, abort, startedAt, headersMs } };
      } catch {
        return { failure: invalidResponse(response.status, "invalid JSON in the provider's response") };
      }
    }
    const error = adapter.parseError(response.status, await response.text(), response.headers);
    clearTimeout(timer);
    return { failure: { kind: error.kind, error } };
  } catch (cause) {
    clearTimeout(timer);
    const reason = !timedOut
      ? `connection failed: ${cause instanceof Error ? cause.message : String(cause)}`
      : headersMs === undefined
        ? `no response headers within ${headersTimeoutMs} ms`
        : `no complete response within ${headersTimeoutMs} ms (headers after ${headersMs} ms)`;
    return {
      failure: {
        kind: timedOut ? "headers_timeout" : "connection",
        error: {
          status: timedOut ? 408 : 502,
          upstreamStatus: 0,
          kind: timedOut ? "timeout" : "server",
          message: reason,
        },
      },
    };
  }
}

function invalidResponse(status: number, message: string): Omit<Failure, "provider"> {
  return { kind: "invalid_response", error: { status: 502, upstreamStatus: status, kind: "server", message } };
}

function finalError(last: Failure | undefined, reports: AttemptReport[], clientGone: boolean): GatewayError {
  if (clientGone) return new GatewayError(408, "The client closed the request", { attempts: reports });
  if (!last) return new GatewayError(503, "No provider could serve this request", { attempts: reports });
  const { error, provider } = last;
  const headers: Record<string, string> = {};
  // Retry-After means "try again then" only on a 429 or a 503 (RFC 9110): on the 502 a provider's
  // failure becomes, or a 400, it would tell the client to retry what will fail the same way.
  if (error.retryAfter !== undefined && (error.status === 429 || error.status === 503)) {
    headers["retry-after"] = String(Math.ceil(error.retryAfter));
  }
  const message =
    error.kind === "invalid_request" || error.kind === "context_length" || error.kind === "content_policy"
      ? error.message
      : `Provider returned error: ${error.message}`;
  return new GatewayError(
    error.status,
    message,
    {
      provider_name: provider,
      raw: error.message,
      ...(error.code ? { provider_code: error.code } : {}),
      error_type: replyErrorType(error.kind),
      attempts: reports,
    },
    headers,
  );
}

export function attemptsHeader(reports: AttemptReport[]): string {
  return reports.map((r) => `${r.provider};status=${r.status}`).join(", ");
}
