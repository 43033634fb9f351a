import { EndpointRefusal } from "../../schema/errors";
import type { EmbeddingsAdapter, EmbeddingsOut, EmbeddingsRequestIn, UpstreamCall, UpstreamTarget } from "../types";
import { awsSecrets } from "./credentials";
import { parseBedrockError } from "./errors";
import { modelUrl, signedCall } from "./request";

/** The output sizes Titan Text Embeddings v2 takes; any other is refused upstream (ValidationException). */
const TITAN_DIMENSIONS = [256, 512, 1024];

/**
 * Titan Text Embeddings v2 through InvokeModel (`/model/{id}/invoke`): one text per call, so a
 * request with several inputs is refused (an EndpointRefusal) rather than half answered: the plan's
 * next endpoint takes it, and the client gets the 400 that says so only if none does.
 */
export async function buildBedrockEmbeddingsRequest(
  request: EmbeddingsRequestIn,
  target: UpstreamTarget,
): Promise<UpstreamCall> {
  if (request.input.length !== 1) {
    throw new EndpointRefusal(
      `${target.endpoint.provider_model_id} on Amazon Bedrock embeds one input per request; send ${request.input.length} requests`,
    );
  }
  if (request.dimensions !== undefined && !TITAN_DIMENSIONS.includes(request.dimensions)) {
    throw new EndpointRefusal(
      `${target.endpoint.provider_model_id} on Amazon Bedrock takes dimensions ${TITAN_DIMENSIONS.join(", ")}; got ${request.dimensions}`,
    );
  }
  const body = JSON.stringify({
    inputText: request.input[0],
    ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
    normalize: true,
  });
  const url = modelUrl(target, "invoke");
  return {
    url,
    init: await signedCall(target, url, body, "application/json"),
    // Titan has no input type and no end-user id: both are named as dropped, not silently ignored.
    dropped: [...(request.input_type ? ["input_type"] : []), ...(request.user ? ["user"] : [])],
  };
}

export function parseBedrockEmbeddingsResponse(raw: unknown): EmbeddingsOut {
  const body = (raw ?? {}) as { embedding?: unknown; inputTextTokenCount?: unknown };
  const embedding = Array.isArray(body.embedding) ? (body.embedding as number[]) : [];
  const tokens = body.inputTextTokenCount;
  return {
    data: embedding.length > 0 ? [{ index: 0, embedding }] : [],
    ...(typeof tokens === "number" ? { usage: { prompt_tokens: tokens, total_tokens: tokens } } : {}),
  };
}

export const bedrockEmbeddingsAdapter: EmbeddingsAdapter = {
  buildEmbeddingsRequest: buildBedrockEmbeddingsRequest,
  parseEmbeddingsResponse: (body) => parseBedrockEmbeddingsResponse(body),
  parseError: parseBedrockError,
  credentialParts: awsSecrets,
};
