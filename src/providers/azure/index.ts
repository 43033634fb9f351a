import type { ChatRequest } from "../../schema/chat";
import { parseStandardError } from "../errors";
import { buildOpenAIEmbeddingsRequest, parseOpenAIEmbeddingsResponse } from "../openai/embeddings";
import { buildOpenAIBody } from "../openai/request";
import { createOpenAIStreamMapper, parseOpenAIChatResponse } from "../openai/response";
import type { ChatAdapter, EmbeddingsAdapter, EmbeddingsRequestIn, UpstreamCall, UpstreamTarget } from "../types";

/**
 * Azure OpenAI: OpenAI's wire format behind deployment-scoped URLs. The endpoint's
 * `provider_model_id` is the deployment name; `api-version` is mandatory (AZURE_API_VERSION, or
 * the GA version below); the key goes in `api-key`. Replies differ only by content-filter
 * annotations, and a first stream chunk with no choices (carrying prompt_filter_results) that the
 * shared relay already skips; a filtered prompt is a 400 with code `content_filter`, classified
 * as a content-policy refusal with Azure's reason.
 */
export const AZURE_API_VERSION = "2024-10-21";

export function azureUrl(target: UpstreamTarget, operation: "chat/completions" | "embeddings"): string {
  const version = target.setting("AZURE_API_VERSION") ?? AZURE_API_VERSION;
  const deployment = encodeURIComponent(target.endpoint.provider_model_id);
  return `${target.baseUrl}/deployments/${deployment}/${operation}?api-version=${encodeURIComponent(version)}`;
}

/** OpenAI's request moved to the deployment URL, authenticated with `api-key`. */
function onDeployment(call: UpstreamCall, target: UpstreamTarget, url: string): UpstreamCall {
  const { authorization: _bearer, ...headers } = call.init.headers;
  const body = JSON.parse(call.init.body ?? "{}") as Record<string, unknown>;
  delete body.model; // the deployment names the model
  return {
    ...call,
    url,
    init: { ...call.init, headers: { ...headers, "api-key": target.apiKey }, body: JSON.stringify(body) },
  };
}

export function buildAzureChatRequest(request: ChatRequest, target: UpstreamTarget, stream: boolean): UpstreamCall {
  const { body, dropped } = buildOpenAIBody(request, target, stream);
  delete body.model; // the deployment names the model
  return {
    url: azureUrl(target, "chat/completions"),
    init: {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "api-key": target.apiKey,
        ...(stream ? { accept: "text/event-stream" } : {}),
      },
      body: JSON.stringify(body),
    },
    dropped,
  };
}

export const azureAdapter: ChatAdapter = {
  readsFiles: { urls: false },
  // OpenAI's API: at most four stop sequences (400 "array too long").
  limits: () => ({ stopSequences: 4 }),
  buildChatRequest: buildAzureChatRequest,
  parseChatResponse: (body) => parseOpenAIChatResponse(body),
  createStreamMapper: () => createOpenAIStreamMapper(),
  parseError: parseStandardError,
  droppedParameters: (request, target) => buildOpenAIBody(request, target, false).dropped,
};

export const azureEmbeddingsAdapter: EmbeddingsAdapter = {
  takesTokenIds: true,
  buildEmbeddingsRequest: (request: EmbeddingsRequestIn, target: UpstreamTarget) =>
    onDeployment(buildOpenAIEmbeddingsRequest(request, target), target, azureUrl(target, "embeddings")),
  parseEmbeddingsResponse: (body) => parseOpenAIEmbeddingsResponse(body),
  parseError: parseStandardError,
};
