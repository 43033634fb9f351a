import { EndpointRefusal } from "../../schema/errors";
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

/** Cohere's limits on one `/v2/embed` call: texts per call, and embed-v4.0's output sizes. */
const MAX_TEXTS = 96;
const OUTPUT_DIMENSIONS = [256, 512, 1024, 1536];

/** `POST /v2/embed`: texts in, float vectors out (the gateway encodes base64 itself). */
export function buildCohereEmbeddingsRequest(request: EmbeddingsRequestIn, target: UpstreamTarget): UpstreamCall {
  // Cohere refuses these itself; refused here first, with the limit named, before any call: the
  // request goes to the plan's next endpoint, and this 400 is the answer only if none takes it.
  if (request.input.length > MAX_TEXTS) {
    throw new EndpointRefusal(
      `${target.endpoint.provider_model_id} on Cohere embeds at most ${MAX_TEXTS} inputs per request; got ${request.input.length}`,
    );
  }
  if (request.dimensions !== undefined && !OUTPUT_DIMENSIONS.includes(request.dimensions)) {
    throw new EndpointRefusal(
      `${target.endpoint.provider_model_id} on Cohere takes dimensions ${OUTPUT_DIMENSIONS.join(", ")}; got ${request.dimensions}`,
    );
  }
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
    // Cohere's embed API has no end-user id: named as dropped rather than silently ignored.
    dropped: [...(request.input_type && !inputType ? ["input_type"] : []), ...(request.user ? ["user"] : [])],
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
