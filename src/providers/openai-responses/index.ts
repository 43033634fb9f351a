import { parseStandardError } from "../errors";
import type { ChatAdapter } from "../types";
import { buildResponsesBody, buildResponsesChatRequest } from "./request";
import { parseResponsesReply } from "./response";
import { createResponsesStreamMapper } from "./stream";

/**
 * OpenAI's Responses API (`POST /responses`), for the OpenAI endpoints the catalog marks
 * `api: "responses"` (openai/index.ts hands them here). Errors are OpenAI's own body, classified
 * as for Chat Completions.
 */
export const openaiResponsesAdapter: ChatAdapter = {
  buildChatRequest: buildResponsesChatRequest,
  parseChatResponse: (body) => parseResponsesReply(body),
  createStreamMapper: () => createResponsesStreamMapper(),
  parseError: parseStandardError,
  droppedParameters: (request, target) => buildResponsesBody(request, target, false).dropped,
};
