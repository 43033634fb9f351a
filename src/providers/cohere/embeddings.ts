import type { EmbeddingsAdapter, EmbeddingsOut, EmbeddingsRequestIn, UpstreamCall, UpstreamTarget } from "../types";
import { parseCohereError } from "./errors";

/** Cohere's input types; OpenAI-style names map onto them (documents by default, as Cohere's SDK). */
const INPUT_TYPES: Record<string, string> = {
  query: "search_query",
  search_query: "search_query",
  document: "search_document",
  passage: "search_document",
  search_document: "search_document",
  classification: "classification",
  clustering: "clustering",
};

/** `POST /v2/embed`: texts in, float vectors out (the gateway encodes base64 itself). */
export function buildCohereEmbeddingsRequest(request: EmbeddingsRequestIn, target: UpstreamTarget): UpstreamCall {
  const inputType = request.input_type ? INPUT_TYPES[request.input_type.toLowerCase()] : "search_document";
  const body = {
    model: target.endpoint.provider_model_id,
    texts: request.input,
    input_type: inputType ?? "search_document",
    embedding_types: ["float"],
    ...(request.dimensions !== undefined ? { output_dimension: request.dimensions } : {}),
  };
  return {
    url: `${target.baseUrl}/v2/embed`,
    init: {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${target.apiKey}` },
      body: JSON.stringify(body),
    },
    dropped: request.input_type && !inputType ? ["input_type"] : [],
  };
}

export function parseCohereEmbeddingsResponse(raw: unknown): EmbeddingsOut {
  const body = (raw ?? {}) as {
    embeddings?: { float?: unknown };
    meta?: { billed_units?: { input_tokens?: unknown } };
  };
  const vectors = (Array.isArray(body.embeddings?.float) ? body.embeddings.float : []) as unknown[];
  const data = vectors.map((vector, index) => ({
    index,
    embedding: Array.isArray(vector) ? (vector as number[]) : [],
  }));
  const tokens = body.meta?.billed_units?.input_tokens;
  return { data, ...(typeof tokens === "number" ? { usage: { prompt_tokens: tokens, total_tokens: tokens } } : {}) };
}

export const cohereEmbeddingsAdapter: EmbeddingsAdapter = {
  buildEmbeddingsRequest: buildCohereEmbeddingsRequest,
  parseEmbeddingsResponse: (body) => parseCohereEmbeddingsResponse(body),
  parseError: parseCohereError,
};
