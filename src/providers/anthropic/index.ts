import { sseEventStream } from "../../streaming/sse";
import { parseJsonErrorBody, upstreamError } from "../errors";
import type { ChatAdapter } from "../types";
import { buildAnthropicChatRequest } from "./request";
import { createAnthropicStreamMapper, parseAnthropicResponse } from "./response";

/** Anthropic Messages (`POST /v1/messages`). */
export const anthropicAdapter: ChatAdapter = {
  buildChatRequest: buildAnthropicChatRequest,
  parseChatResponse: (body) => parseAnthropicResponse(body),
  createStreamMapper: () => createAnthropicStreamMapper(),
  decodeStream: sseEventStream,
  parseError(status, bodyText, headers) {
    // {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
    const { message, code } = parseJsonErrorBody(bodyText);
    return upstreamError(status, message, code, headers);
  },
};
