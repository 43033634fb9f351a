import { parseStandardError } from "../errors";
import type { ChatAdapter } from "../types";
import { buildOpenAIChatRequest } from "./request";
import { createOpenAIStreamMapper, parseOpenAIChatResponse } from "./response";

/** OpenAI Chat Completions, spoken by OpenAI and the OpenAI-compatible family. */
export const openaiAdapter: ChatAdapter = {
  buildChatRequest: buildOpenAIChatRequest,
  parseChatResponse: (body) => parseOpenAIChatResponse(body),
  createStreamMapper: () => createOpenAIStreamMapper(),
  parseError: parseStandardError,
};
