import { EndpointRefusal } from "../../schema/errors";
import { refuseTooManyDocuments } from "../cohere/rerank";
import type { RerankAdapter, RerankOut, RerankRequestIn, UpstreamCall, UpstreamTarget } from "../types";
import { awsSecrets } from "./credentials";
import { parseBedrockError } from "./errors";
import { modelUrl, regionOf, signedCall } from "./request";

/**
 * The regions where Bedrock's runtime serves Cohere Rerank 3.5 (as AWS listed them when this was
 * written). Elsewhere (us-east-1, the catalog's default) InvokeModel refuses the model id with a
 * 400, which routing would hand to the client: the endpoint is skipped instead, no call made, for
 * the plan's next one (Cohere's own API).
 */
const RERANK_REGIONS = new Set(["us-west-2", "ca-central-1", "eu-central-1", "ap-northeast-1"]);

/**
 * Cohere's rerankers through Bedrock's InvokeModel (`/model/{id}/invoke`): Cohere's request
 * (`query`, `documents`, `top_n`) with the `api_version` Bedrock requires (2), and Cohere's
 * `results` back, without billed units (Bedrock bills the same search units, which the gateway
 * counts from its own estimate).
 */
export async function buildBedrockRerankRequest(
  request: RerankRequestIn,
  target: UpstreamTarget,
): Promise<UpstreamCall> {
  refuseTooManyDocuments(request, target, "Amazon Bedrock");
  const region = regionOf(target);
  if (!target.emulated && !RERANK_REGIONS.has(region)) {
    throw new EndpointRefusal(
      `${target.endpoint.provider_model_id} is not offered by Amazon Bedrock in ${region} (only in ${[...RERANK_REGIONS].join(", ")}): set AWS_REGION to one of them`,
    );
  }
  const body = JSON.stringify({
    query: request.query,
    documents: request.documents,
    ...(request.top_n !== undefined ? { top_n: request.top_n } : {}),
    api_version: 2,
  });
  const url = modelUrl(target, "invoke");
  return { url, init: await signedCall(target, url, body, "application/json"), dropped: [] };
}

export function parseBedrockRerankResponse(raw: unknown): RerankOut {
  const body = (raw ?? {}) as { results?: unknown };
  const items = (Array.isArray(body.results) ? body.results : []) as Array<{
    index?: unknown;
    relevance_score?: unknown;
  } | null>;
  return {
    results: items.flatMap((item) =>
      typeof item?.index === "number" && typeof item.relevance_score === "number"
        ? [{ index: item.index, relevance_score: item.relevance_score }]
        : [],
    ),
  };
}

export const bedrockRerankAdapter: RerankAdapter = {
  buildRerankRequest: buildBedrockRerankRequest,
  parseRerankResponse: (body) => parseBedrockRerankResponse(body),
  parseError: parseBedrockError,
  credentialParts: awsSecrets,
};
