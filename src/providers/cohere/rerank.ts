import { EndpointRefusal } from "../../schema/errors";
import type { RerankAdapter, RerankOut, RerankRequestIn, UpstreamCall, UpstreamTarget } from "../types";
import { parseCohereError } from "./errors";

/**
 * Cohere's `POST /v2/rerank`: `{model, query, documents: string[], top_n?}` in,
 * `{id, results: [{index, relevance_score}], meta: {billed_units: {search_units}}}` out, the
 * results ordered by relevance. v2 returns no document texts: the gateway puts them back from
 * the request.
 */
export function buildCohereRerankRequest(request: RerankRequestIn, target: UpstreamTarget): UpstreamCall {
  refuseTooManyDocuments(request, target, "Cohere");
  const body = {
    model: target.endpoint.provider_model_id,
    query: request.query,
    documents: request.documents,
    ...(request.top_n !== undefined ? { top_n: request.top_n } : {}),
  };
  return {
    url: `${target.baseUrl}/v2/rerank`,
    init: {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${target.apiKey}` },
      body: JSON.stringify(body),
    },
    dropped: [],
  };
}

/** The most documents Cohere's rerank takes in one request (its documented limit is 1,000). */
export const MAX_RERANK_DOCUMENTS = 1000;

/**
 * Refused before any call, the limit named: the request goes to the plan's next endpoint, and this
 * 400 is the client's only if no endpoint takes it (as for embeddings' limits).
 */
export function refuseTooManyDocuments(request: RerankRequestIn, target: UpstreamTarget, provider: string): void {
  if (request.documents.length <= MAX_RERANK_DOCUMENTS) return;
  throw new EndpointRefusal(
    `${target.endpoint.provider_model_id} on ${provider} ranks at most ${MAX_RERANK_DOCUMENTS} documents per request; got ${request.documents.length}`,
  );
}

export function parseCohereRerankResponse(raw: unknown): RerankOut {
  const body = (raw ?? {}) as {
    results?: unknown;
    meta?: { billed_units?: { search_units?: unknown } };
  };
  const items = (Array.isArray(body.results) ? body.results : []) as Array<{
    index?: unknown;
    relevance_score?: unknown;
  } | null>;
  const results = items.flatMap((item) =>
    typeof item?.index === "number" && typeof item.relevance_score === "number"
      ? [{ index: item.index, relevance_score: item.relevance_score }]
      : [],
  );
  const units = body.meta?.billed_units?.search_units;
  return { results, ...(typeof units === "number" ? { usage: { search_units: units } } : {}) };
}

export const cohereRerankAdapter: RerankAdapter = {
  buildRerankRequest: buildCohereRerankRequest,
  parseRerankResponse: (body) => parseCohereRerankResponse(body),
  parseError: parseCohereError,
};
