import { parseJsonErrorBody, upstreamError } from "../errors";
import type { UpstreamError } from "../types";

/**
 * Cohere's error body is `{"id"?, "message"}`. Its own codes: 498 is an invalid token (the
 * gateway's credential: an auth failure), 499 a request the client closed.
 */
export function parseCohereError(status: number, bodyText: string, headers: Headers): UpstreamError {
  const { message, code } = parseJsonErrorBody(bodyText);
  if (status === 498) return { ...upstreamError(401, message, code, headers), upstreamStatus: 498 };
  if (status === 499) return { ...upstreamError(408, message, code, headers), upstreamStatus: 499 };
  if (status === 400 && /too many tokens|token limit|exceeds? the (maximum|limit)/i.test(message)) {
    return { ...upstreamError(status, message, code, headers), kind: "context_length", status: 400 };
  }
  return upstreamError(status, message, code, headers);
}
