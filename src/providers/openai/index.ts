import { parseStandardError } from "../errors";
import { openaiResponsesAdapter } from "../openai-responses";
import type { ChatAdapter, UpstreamTarget } from "../types";
import { quirksOf } from "./quirks";
import { buildOpenAIBody, buildOpenAIChatRequest } from "./request";
import { createOpenAIStreamMapper, parseOpenAIChatResponse } from "./response";

/** An endpoint asked through the Responses API rather than Chat Completions (the catalog's `api`). */
const viaResponses = (target: UpstreamTarget) => target.endpoint.api === "responses";

/**
 * OpenAI Chat Completions, spoken by OpenAI and the OpenAI-compatible family (quirks by provider);
 * an endpoint the catalog marks `api: "responses"` is asked through OpenAI's Responses API instead.
 * The choice is the endpoint's, not the provider's, so one provider (its slug, key, health and
 * routing name) serves models of both APIs.
 */
export const openaiAdapter: ChatAdapter = {
  readsFiles: { urls: false },
  buildChatRequest: (request, target, stream) =>
    viaResponses(target)
      ? openaiResponsesAdapter.buildChatRequest(request, target, stream)
      : buildOpenAIChatRequest(request, target, stream),
  parseChatResponse: (body, target) =>
    viaResponses(target)
      ? openaiResponsesAdapter.parseChatResponse(body, target)
      : parseOpenAIChatResponse(body, quirksOf(target.provider.slug)?.usage),
  createStreamMapper: (target) =>
    viaResponses(target)
      ? openaiResponsesAdapter.createStreamMapper(target)
      : createOpenAIStreamMapper(quirksOf(target.provider.slug)?.usage),
  parseError: parseStandardError,
  limits: (providerSlug) => quirksOf(providerSlug)?.limits,
  droppedParameters: (request, target) =>
    viaResponses(target)
      ? (openaiResponsesAdapter.droppedParameters?.(request, target) ?? [])
      : buildOpenAIBody(request, target, false).dropped,
};
