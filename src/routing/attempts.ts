import { sanitizeUpstreamText } from "../providers/errors";
import { adapterFor } from "../providers/registry";
import type { ChatAdapter, UpstreamCall, UpstreamError, UpstreamTarget } from "../providers/types";
import type { ChatRequest } from "../schema/chat";
import { GatewayError } from "../schema/errors";
import type { Attempt } from "./plan";

/** What each attempt did, reported in error metadata and the `x-tollgate-attempts` header. */
export interface AttemptReport {
  provider: string;
  model: string;
  status: number;
  reason: string;
}

export interface AttemptSuccess {
  attempt: Attempt;
  target: UpstreamTarget;
  adapter: ChatAdapter;
  call: UpstreamCall;
  response: Response;
  /** Parsed JSON body for non-streaming calls (already validated as JSON). */
  json?: unknown;
  /** Aborts the upstream fetch (client went away, or the gateway gave up on the stream). */
  abort: AbortController;
  reports: AttemptReport[];
  startedAt: number;
}

/** Errors that would fail the same way on any endpoint: never retried or failed over. */
const FINAL_KINDS = new Set<UpstreamError["kind"]>(["invalid_request", "content_policy"]);

export interface RunOptions {
  request: ChatRequest;
  stream: boolean;
  /** The client's request signal: a client that goes away cancels the upstream fetch. */
  clientSignal: AbortSignal;
  /** Milliseconds to wait for an upstream's response headers. */
  headersTimeoutMs: number;
}

/**
 * Tries the planned endpoints in order until one answers with 2xx (and, for non-streaming calls,
 * a JSON body). Failed attempts cost nothing; the final error names every attempt.
 */
export async function runAttempts(attempts: Attempt[], options: RunOptions): Promise<AttemptSuccess> {
  const reports: AttemptReport[] = [];
  let lastError: { error: UpstreamError; provider: string } | undefined;
  for (const attempt of attempts) {
    if (options.clientSignal.aborted) break;
    const adapter = adapterFor(attempt.provider.adapter);
    if (!adapter) continue;
    const target: UpstreamTarget = {
      provider: attempt.provider,
      endpoint: attempt.endpoint,
      model: attempt.model,
      baseUrl: attempt.access.baseUrl,
      apiKey: attempt.access.apiKey,
    };
    const report = (status: number, reason: string) =>
      reports.push({ provider: attempt.provider.name, model: attempt.model.id, status, reason });
    const call = adapter.buildChatRequest(options.request, target, options.stream);
    const abort = new AbortController();
    const onClientAbort = () => abort.abort(options.clientSignal.reason);
    options.clientSignal.addEventListener("abort", onClientAbort, { once: true });
    const timer = setTimeout(() => abort.abort(new Error("headers timeout")), options.headersTimeoutMs);
    const startedAt = Date.now();
    try {
      const response = await fetch(call.url, { ...call.init, signal: abort.signal });
      clearTimeout(timer);
      if (response.ok) {
        if (options.stream) {
          if (!response.body) throw new Error("empty stream body");
          report(response.status, "ok");
          return { attempt, target, adapter, call, response, abort, reports, startedAt };
        }
        const text = await response.text();
        try {
          const json = JSON.parse(text) as unknown;
          report(response.status, "ok");
          return { attempt, target, adapter, call, response, json, abort, reports, startedAt };
        } catch {
          report(502, "invalid JSON in the provider's response");
          lastError = {
            provider: attempt.provider.name,
            error: { status: 502, upstreamStatus: response.status, kind: "server", message: "invalid JSON response" },
          };
          continue;
        }
      }
      const error = adapter.parseError(response.status, await response.text(), response.headers);
      error.message = sanitizeUpstreamText(error.message, target.apiKey);
      report(response.status, `${error.kind}: ${error.message}`);
      lastError = { error, provider: attempt.provider.name };
      if (FINAL_KINDS.has(error.kind)) break;
    } catch (cause) {
      clearTimeout(timer);
      if (options.clientSignal.aborted) break;
      const timedOut = abort.signal.aborted;
      const reason = timedOut ? "timeout waiting for the provider's response" : `connection failed: ${String(cause)}`;
      report(timedOut ? 408 : 502, reason);
      lastError = {
        provider: attempt.provider.name,
        error: {
          status: timedOut ? 408 : 502,
          upstreamStatus: 0,
          kind: timedOut ? "timeout" : "server",
          message: reason,
        },
      };
    } finally {
      options.clientSignal.removeEventListener("abort", onClientAbort);
    }
  }
  throw finalError(lastError, reports, options.clientSignal.aborted);
}

function finalError(
  last: { error: UpstreamError; provider: string } | undefined,
  reports: AttemptReport[],
  clientGone: boolean,
): GatewayError {
  if (clientGone) return new GatewayError(408, "The client closed the request", { attempts: reports });
  if (!last) return new GatewayError(503, "No provider could serve this request", { attempts: reports });
  const { error, provider } = last;
  const headers: Record<string, string> = {};
  if (error.retryAfter !== undefined) headers["retry-after"] = String(Math.ceil(error.retryAfter));
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
      error_type: error.kind,
      attempts: reports,
    },
    headers,
  );
}

export function attemptsHeader(reports: AttemptReport[]): string {
  return reports.map((r) => `${r.provider};status=${r.status}`).join(", ");
}
