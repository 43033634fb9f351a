import { parseStandardError } from "../errors";
import type { ChatAdapter } from "../types";
import { buildAnthropicBody, buildAnthropicChatRequest, claudeReasoningAllowance } from "./request";
import { createAnthropicStreamMapper, parseAnthropicResponse } from "./response";

/** Anthropic Messages (`POST /v1/messages`). */
export const anthropicAdapter: ChatAdapter = {
  readsFiles: { urls: true },
  buildChatRequest: buildAnthropicChatRequest,
  parseChatResponse: (body) => parseAnthropicResponse(body),
  createStreamMapper: () => createAnthropicStreamMapper(),
  parseError: parseStandardError,
  reasoningAllowance: claudeReasoningAllowance,
  droppedParameters: (request, target) => buildAnthropicBody(request, target, false).dropped,
};
