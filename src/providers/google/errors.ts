import { classifyUpstream, parseJsonErrorBody, upstreamError } from "../errors";
import type { UpstreamError } from "../types";

interface StatusDetail {
  "@type"?: string;
  reason?: string;
  retryDelay?: string;
}

/** `"34.4s"` (a protobuf Duration in JSON) ⇒ 34.4. */
function durationSeconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

function errorDetails(bodyText: string): StatusDetail[] {
  try {
    const details = (JSON.parse(bodyText) as { error?: { details?: unknown } } | null)?.error?.details;
    return Array.isArray(details) ? details.filter((d): d is StatusDetail => !!d && typeof d === "object") : [];
  } catch {
    return [];
  }
}

/**
 * Gemini errors are google.rpc.Status bodies, `{error: {code, message, status, details}}`. The
 * shared classification applies, with Gemini's own signals on top: the context overflow message,
 * an invalid key (a 400 with reason API_KEY_INVALID), RESOURCE_EXHAUSTED as a rate limit (its
 * message mentions "billing details" without being a billing failure), and the retry delay from
 * RetryInfo when no `retry-after` header came.
 */
export function parseGeminiError(status: number, bodyText: string, headers: Headers): UpstreamError {
  const { message, code } = parseJsonErrorBody(bodyText);
  const error = upstreamError(status, message, code, headers);
  const details = errorDetails(bodyText);
  if (error.retryAfter === undefined) {
    const retryInfo = details.find((d) => String(d["@type"] ?? "").endsWith("google.rpc.RetryInfo"));
    const seconds = durationSeconds(retryInfo?.retryDelay);
    if (seconds !== undefined) error.retryAfter = seconds;
  }
  const reasons = details.map((d) => String(d.reason ?? ""));
  let override: Pick<UpstreamError, "status" | "kind"> | undefined;
  if (/input token count.*exceeds the maximum|exceeds the maximum number of tokens/i.test(message)) {
    override = classifyUpstream(400, "context_length_exceeded", "");
  } else if (reasons.includes("API_KEY_INVALID") || /API key (not valid|expired)/i.test(message)) {
    override = classifyUpstream(401, undefined, "");
  } else if (status === 429 || code === "RESOURCE_EXHAUSTED") {
    override = /prepayment|credits (are )?depleted/i.test(message)
      ? classifyUpstream(402, undefined, "")
      : classifyUpstream(429, undefined, "");
  }
  return override ? { ...error, ...override } : error;
}
