import { EndpointRefusal } from "../../schema/errors";
import type { EmbeddingsAdapter, EmbeddingsOut, EmbeddingsRequestIn, UpstreamCall, UpstreamTarget } from "../types";
import { parseGeminiError } from "./errors";
import { modelPath } from "./request";

/** Gemini's task types by the `input_type` names clients send (Gemini's own names pass through). */
const TASK_TYPES: Record<string, string> = {
  query: "RETRIEVAL_QUERY",
  search_query: "RETRIEVAL_QUERY",
  retrieval_query: "RETRIEVAL_QUERY",
  document: "RETRIEVAL_DOCUMENT",
  passage: "RETRIEVAL_DOCUMENT",
  search_document: "RETRIEVAL_DOCUMENT",
  retrieval_document: "RETRIEVAL_DOCUMENT",
  classification: "CLASSIFICATION",
  clustering: "CLUSTERING",
  similarity: "SEMANTIC_SIMILARITY",
  semantic_similarity: "SEMANTIC_SIMILARITY",
  question_answering: "QUESTION_ANSWERING",
  fact_verification: "FACT_VERIFICATION",
  code_retrieval_query: "CODE_RETRIEVAL_QUERY",
};

export function taskTypeOf(inputType: string | undefined): string | undefined {
  if (!inputType) return undefined;
  return TASK_TYPES[inputType.toLowerCase()];
}

/**
 * The most requests one `batchEmbedContents` call takes (Gemini refuses more: "at most 100 requests");
 * more is refused before any call, and goes to the plan's next endpoint (the 400 if none takes it).
 */
const MAX_BATCH = 100;

/** Every input in one `batchEmbedContents` call (one request per input, in order). */
export function buildGeminiEmbeddingsRequest(request: EmbeddingsRequestIn, target: UpstreamTarget): UpstreamCall {
  if (request.input.length > MAX_BATCH) {
    throw new EndpointRefusal(
      `${target.endpoint.provider_model_id} on Google AI Studio embeds at most ${MAX_BATCH} inputs per request; got ${request.input.length}`,
    );
  }
  const model = modelPath(target.endpoint.provider_model_id);
  const taskType = taskTypeOf(request.input_type);
  // Gemini's embed API has no end-user id: named as dropped rather than silently ignored.
  const dropped = [...(request.input_type && !taskType ? ["input_type"] : []), ...(request.user ? ["user"] : [])];
  const body = {
    requests: request.input.map((text) => ({
      model,
      content: { parts: [{ text }] },
      ...(taskType ? { taskType } : {}),
      ...(request.dimensions ? { outputDimensionality: request.dimensions } : {}),
    })),
  };
  return {
    url: `${target.baseUrl}/${model}:batchEmbedContents`,
    init: {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": target.apiKey },
      body: JSON.stringify(body),
    },
    dropped,
  };
}

/**
 * `embeddings[].values` (or a single `embedding.values`) ⇒ data. The Gemini API reports no token
 * usage for embeddings, so usage is left undefined unless a `usageMetadata` shows up: the caller,
 * which has the inputs, estimates it.
 */
export function parseGeminiEmbeddingsResponse(raw: unknown): EmbeddingsOut {
  const body = (raw ?? {}) as {
    embeddings?: unknown;
    embedding?: { values?: unknown };
    usageMetadata?: { promptTokenCount?: unknown };
  };
  const list = (Array.isArray(body.embeddings) ? body.embeddings : body.embedding ? [body.embedding] : []) as Array<{
    values?: unknown;
  } | null>;
  const data = list.map((item, index) => ({
    index,
    embedding: Array.isArray(item?.values) ? (item.values as number[]) : [],
  }));
  const prompt = body.usageMetadata?.promptTokenCount;
  return {
    data,
    ...(typeof prompt === "number" ? { usage: { prompt_tokens: prompt, total_tokens: prompt } } : {}),
  };
}

export const googleEmbeddingsAdapter: EmbeddingsAdapter = {
  buildEmbeddingsRequest: buildGeminiEmbeddingsRequest,
  parseEmbeddingsResponse: (body) => parseGeminiEmbeddingsResponse(body),
  parseError: parseGeminiError,
};
