import type { CredentialParts, UpstreamError, UpstreamErrorKind, UpstreamTarget } from "./types";

/**
 * Shared translation of an upstream failure to the status Tollgate answers with, following
 * OpenRouter: the client's own key problems are 401/402 and come from Tollgate, never from a
 * provider; a provider rejecting the gateway's credentials or billing is the gateway's problem
 * (502), a provider down or overloaded is 502, a provider timeout 408, moderation 403.
 */
export function classifyUpstream(
  upstreamStatus: number,
  code: string | undefined,
  message: string,
): Pick<UpstreamError, "status" | "kind"> {
  const text = `${code ?? ""} ${message}`.toLowerCase();
  const kind = kindOf(upstreamStatus, text);
  return { kind, status: STATUS_OF_KIND[kind] };
}

function kindOf(status: number, text: string): UpstreamErrorKind {
  if (
    /context[_ ]length|maximum (context|prompt length)|too many tokens|prompt is too long|input is too long/.test(text)
  ) {
    return "context_length";
  }
  if (/content[_ ]policy|content[_ ]filter|safety|moderation|flagged/.test(text)) return "content_policy";
  if (/insufficient[_ ]quota|billing|credit balance/.test(text)) return "payment";
  if (status === 401 || status === 403) return "auth";
  if (status === 402) return "payment";
  if (status === 404) return "not_found";
  if (status === 408 || status === 504) return "timeout";
  if (status === 429) return "rate_limit";
  if (status === 503 || status === 529 || /overloaded/.test(text)) return "overloaded";
  if (status >= 500) return "server";
  return "invalid_request";
}

const STATUS_OF_KIND: Record<UpstreamErrorKind, UpstreamError["status"]> = {
  context_length: 400,
  invalid_request: 400,
  content_policy: 403,
  auth: 502,
  payment: 502,
  not_found: 502,
  timeout: 408,
  rate_limit: 429,
  overloaded: 502,
  server: 502,
};

/** `retry-after` in seconds (a number or an HTTP date), or `retry-after-ms`. */
export function parseRetryAfter(headers: Headers): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** Every secret of the credential a call carried: the provider's key and the format's further parts. */
export function credentialSecrets(target: UpstreamTarget, adapter: CredentialParts): string[] {
  return [target.apiKey, ...(adapter.credentialParts?.(target) ?? [])];
}

/** `text` with each of the gateway's credentials in it replaced by `***`. */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let clean = text;
  // Longest first: a secret that contains another is replaced whole, not around the shorter one.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 8) clean = clean.split(secret).join("***");
  }
  return clean;
}

/** A short, secret-free version of an upstream error text for messages and metadata. */
export function sanitizeUpstreamText(text: string, secrets: readonly string[]): string {
  const clean = withoutSecrets(text, secrets).replace(/\b(sk|key|token)[-_][A-Za-z0-9_-]{12,}/g, "$1-***");
  return clean.length > 500 ? `${clean.slice(0, 500)}…` : clean;
}

/** Builds an UpstreamError from the provider's status, error code and message. */
export function upstreamError(
  upstreamStatus: number,
  message: string,
  code: string | undefined,
  headers: Headers,
): UpstreamError {
  const retryAfter = parseRetryAfter(headers);
  return {
    ...classifyUpstream(upstreamStatus, code, message),
    upstreamStatus,
    message,
    ...(code ? { code } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
  };
}

/** Reads `{error: {message, code|type}}` style bodies; falls back to the raw text. */
export function parseJsonErrorBody(bodyText: string): { message: string; code?: string } {
  try {
    const body = JSON.parse(bodyText) as unknown;
    const error = (body as { error?: unknown })?.error ?? body;
    if (typeof error === "string") return { message: error };
    if (error && typeof error === "object") {
      const record = error as Record<string, unknown>;
      const message = typeof record.message === "string" ? record.message : bodyText;
      const code =
        typeof record.code === "string"
          ? record.code
          : typeof record.type === "string"
            ? record.type
            : typeof record.status === "string"
              ? record.status
              : undefined;
      return code ? { message, code } : { message };
    }
  } catch {
    // not JSON: use the text itself
  }
  return { message: bodyText || "empty error body" };
}

/** `parseError` for formats whose error body is `{error: {message, code|type}}` (OpenAI, Anthropic…). */
export function parseStandardError(status: number, bodyText: string, headers: Headers): UpstreamError {
  const { message, code } = parseJsonErrorBody(bodyText);
  return upstreamError(status, message, code, headers);
}

/**
 * OpenRouter's error type (its SDK's ApiErrorType) for a provider's failure the gateway answers
 * with an error reply (`metadata.error_type`): the same vocabulary as an error inside a stream,
 * so a client reads one set of values either way. A failure of the gateway's own credentials or
 * account with the provider, or the provider not knowing the model, is the provider being
 * unavailable to the client: nothing it can fix.
 */
export function replyErrorType(kind: UpstreamErrorKind): string {
  return REPLY_ERROR_TYPES[kind];
}

const REPLY_ERROR_TYPES: Record<UpstreamErrorKind, string> = {
  context_length: "context_length_exceeded",
  content_policy: "content_policy_violation",
  invalid_request: "invalid_request",
  auth: "provider_unavailable",
  payment: "provider_unavailable",
  not_found: "provider_unavailable",
  timeout: "timeout",
  rate_limit: "rate_limit_exceeded",
  overloaded: "provider_overloaded",
  server: "provider_unavailable",
};

/**
 * OpenRouter's error type (its SDK's ApiErrorType) for an error a provider reported inside a
 * stream that had started, from the provider's own code: Anthropic's `overloaded_error`,
 * Bedrock's `throttlingException`, Gemini's `RESOURCE_EXHAUSTED`, an OpenAI-format `code`. A
 * client tells a retryable overload from a refusal by it; a code it does not know is the
 * provider being unavailable.
 */
export function streamErrorType(providerCode: string | undefined): string {
  const code = providerCode ?? "";
  if (/rate_?limit|too_?many/i.test(code)) return "rate_limit_exceeded";
  if (/overload|throttl|capacity|exhausted|unavailable/i.test(code)) return "provider_overloaded";
  if (/content|safety|policy|filter|guardrail/i.test(code)) return "content_policy_violation";
  if (/context_?length|too_?long/i.test(code)) return "context_length_exceeded";
  if (/invalid|validation/i.test(code)) return "invalid_request";
  return "provider_unavailable";
}
