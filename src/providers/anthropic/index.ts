import { parseStandardError } from "../errors";
import type { ChatAdapter } from "../types";
import { buildAnthropicChatRequest, claudeReasoningAllowance } from "./request";
import { createAnthropicStreamMapper, parseAnthropicResponse } from "./response";

/** Anthropic Messages (`POST /v1/messages`). */
export const anthropicAdapter: ChatAdapter = {
  buildChatRequest: buildAnthropicChatRequest,
  parseChatResponse: (body) => parseAnthropicResponse(body),
  createStreamMapper: () => createAnthropicStreamMapper(),
  parseError: parseStandardError,
  reasoningAllowance: claudeReasoningAllowance,
};
