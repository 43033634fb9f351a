import { parseJsonErrorBody, upstreamError } from "../errors";
import type { UpstreamError } from "../types";

/**
 * Bedrock errors: `{"message": …}` with the exception named in `x-amzn-errortype`
 * (`ThrottlingException:http://…`). The name decides where the status alone would not: a
 * ModelNotReadyException is a 429 to retry, a ModelErrorException (424) a provider failure, and
 * "Input is too long" a context-length error.
 */
export function parseBedrockError(status: number, bodyText: string, headers: Headers): UpstreamError {
  const { message } = parseJsonErrorBody(bodyText);
  const type = (headers.get("x-amzn-errortype") ?? "").split(":")[0] || undefined;
  if (/input is too long|too many input tokens|prompt is too long/i.test(message)) {
    return { ...upstreamError(status, message, type, headers), kind: "context_length", status: 400 };
  }
  if (status === 424) return { ...upstreamError(502, message, type, headers), upstreamStatus: 424 };
  return upstreamError(status, message, type, headers);
}
