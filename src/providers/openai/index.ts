import { parseStandardError } from "../errors";
import type { ChatAdapter } from "../types";
import { quirksOf } from "./quirks";
import { buildOpenAIBody, buildOpenAIChatRequest } from "./request";
import { createOpenAIStreamMapper, parseOpenAIChatResponse } from "./response";

/** OpenAI Chat Completions, spoken by OpenAI and the OpenAI-compatible family (quirks by provider). */
export const openaiAdapter: ChatAdapter = {
  buildChatRequest: buildOpenAIChatRequest,
  parseChatResponse: (body, target) => parseOpenAIChatResponse(body, quirksOf(target.provider.slug)?.usage),
  createStreamMapper: (target) => createOpenAIStreamMapper(quirksOf(target.provider.slug)?.usage),
  parseError: parseStandardError,
  limits: (providerSlug) => quirksOf(providerSlug)?.limits,
  droppedParameters: (request, target) => buildOpenAIBody(request, target, false).dropped,
};
