import { parseStandardError } from "../errors";
import type { EmbeddingsAdapter, EmbeddingsOut, EmbeddingsRequestIn, UpstreamCall, UpstreamTarget } from "../types";

/**
 * OpenAI's `POST /embeddings` (and the compatible family's). Vectors are always requested as
 * floats: the gateway encodes base64 itself when the client asks, the same for every provider.
 */
export function buildOpenAIEmbeddingsRequest(request: EmbeddingsRequestIn, target: UpstreamTarget): UpstreamCall {
  const body: Record<string, unknown> = {
    model: target.endpoint.provider_model_id,
    input: request.input,
    encoding_format: "float",
  };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user) body.user = request.user;
  return {
    url: `${target.baseUrl}/embeddings`,
    init: {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${target.apiKey}` },
      body: JSON.stringify(body),
    },
    // OpenAI's embeddings take no input type: it is named as dropped rather than silently ignored.
    dropped: request.input_type ? ["input_type"] : [],
  };
}

export function parseOpenAIEmbeddingsResponse(raw: unknown): EmbeddingsOut {
  const body = (raw ?? {}) as { data?: unknown; usage?: { prompt_tokens?: unknown; total_tokens?: unknown } };
  const items = (Array.isArray(body.data) ? body.data : []) as Array<{ index?: unknown; embedding?: unknown } | null>;
  const data = items.map((item, i) => ({
    index: typeof item?.index === "number" ? item.index : i,
    embedding: Array.isArray(item?.embedding) ? (item.embedding as number[]) : [],
  }));
  const prompt = body.usage?.prompt_tokens;
  return {
    data,
    ...(typeof prompt === "number"
      ? {
          usage: {
            prompt_tokens: prompt,
            total_tokens: typeof body.usage?.total_tokens === "number" ? body.usage.total_tokens : prompt,
          },
        }
      : {}),
  };
}

export const openaiEmbeddingsAdapter: EmbeddingsAdapter = {
  takesTokenIds: true,
  buildEmbeddingsRequest: buildOpenAIEmbeddingsRequest,
  parseEmbeddingsResponse: (body) => parseOpenAIEmbeddingsResponse(body),
  parseError: parseStandardError,
};
