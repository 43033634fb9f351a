import type { Context } from "hono";
import { nanosToUsd } from "../billing/money";
import { getCatalog } from "../catalog/store";
import type { AppEnv } from "../context";
import { rerankAdapterFor } from "../providers/registry";
import type { RerankRequestIn, Usage } from "../providers/types";
import { planLive } from "../routing/live-plan";
import { sessionIdOf } from "../schema/chat";
import { GatewayError } from "../schema/errors";
import type { RerankRequest } from "../schema/rerank";
import { builtStamped } from "../stamp";
import { estimateTextTokens } from "../transforms/tokens";
import {
  readAnswer,
  record,
  replyHeaders,
  settleGeneration,
  startGeneration,
  wholeReplyOutcome,
  wholeReplyRun,
} from "./lifecycle";
import { priceUsage } from "./usage";

/**
 * Cohere's search unit: one query with up to 100 documents, a document longer than 500 tokens
 * (with the query) counting as one document per 500-token chunk.
 */
const DOCUMENTS_PER_SEARCH_UNIT = 100;
const TOKENS_PER_DOCUMENT_CHUNK = 500;

/**
 * The search units a request may be billed, from the gateway's token estimates (which err high):
 * what its hold covers, and what it is charged when the provider reports none.
 */
export function searchUnitsOf(queryTokens: number, documentTokens: number[]): number {
  const chunks = documentTokens.reduce(
    (sum, tokens) => sum + Math.max(1, Math.ceil((tokens + queryTokens) / TOKENS_PER_DOCUMENT_CHUNK)),
    0,
  );
  return Math.max(1, Math.ceil(chunks / DOCUMENTS_PER_SEARCH_UNIT));
}

/**
 * One `/rerank` request along the same path as embeddings: plan over the rerank model's endpoints
 * ⇒ reserve ⇒ attempts (with failover) ⇒ reply ⇒ settle once. Charged per search unit the provider
 * bills (Cohere's `billed_units.search_units`) at the endpoint's `search_unit` price, plus its
 * tokens at its `prompt` price where it lists one.
 */
export async function createRerank(c: Context<AppEnv>, request: RerankRequest): Promise<Response> {
  const receivedAt = c.get("receivedAt");
  c.set("requestedModel", request.model);
  const env = c.env;
  const catalog = await getCatalog(env, c.executionCtx);
  const documents = request.documents.map((d) => (typeof d === "string" ? d : (d.text ?? "")));
  const queryTokens = estimateTextTokens(request.query);
  const documentTokens = documents.map((d) => estimateTextTokens(d));
  const promptTokens = documentTokens.reduce((sum, n) => sum + n, queryTokens);
  const searchUnits = searchUnitsOf(queryTokens, documentTokens);
  const attempts = planLive(env, {
    request: { model: request.model, models: request.models, provider: request.provider },
    catalog,
    promptTokens,
    parameters: request.top_n !== undefined ? ["top_n"] : [],
    kind: "rerank",
    hasAdapter: (provider) => rerankAdapterFor(provider.adapter) !== undefined,
  });
  const upstreamRequest: RerankRequestIn = {
    model: request.model,
    query: request.query,
    documents,
    ...(request.top_n !== undefined ? { top_n: request.top_n } : {}),
  };
  const { gen, success } = await startGeneration(
    c,
    attempts,
    {
      apiType: "rerank",
      requestedModel: request.model,
      stream: false,
      user: request.user ?? null,
      sessionId: sessionIdOf(c.req.raw),
      receivedAt,
      promptTokens,
      maxOutputTokens: 0,
      searchUnits,
    },
    wholeReplyRun(env, attempts, {
      request: upstreamRequest,
      adapterFor: (attempt) => rerankAdapterFor(attempt.provider.adapter),
      buildCall: (adapter, req, target) => adapter.buildRerankRequest(req, target),
    }),
  );
  const out = readAnswer(gen, () => {
    const parsed = success.adapter.parseRerankResponse(success.json, success.target);
    const bad = parsed.results.find((r) => !Number.isInteger(r.index) || r.index < 0 || r.index >= documents.length);
    if (bad || parsed.results.length === 0) {
      throw new GatewayError(
        502,
        `${success.attempt.provider.name} returned ${bad ? `a result for document ${bad.index} of ${documents.length}` : "no results"}`,
      );
    }
    return parsed;
  });

  const reportedTokens = out.usage?.total_tokens;
  const billedUnits = out.usage?.search_units;
  const tokens = reportedTokens ?? promptTokens;
  const units = billedUnits ?? (success.attempt.endpoint.pricing.search_unit ? searchUnits : 0);
  const usage: Usage = {
    prompt_tokens: tokens,
    completion_tokens: 0,
    total_tokens: tokens,
    ...(units > 0 ? { billed_apart: { search_units: units } } : {}),
  };
  const { costNanos } = priceUsage(success.attempt.endpoint.pricing, usage);
  settleGeneration(
    gen,
    record(
      gen,
      success,
      wholeReplyOutcome(
        { usage, estimated: reportedTokens === undefined && billedUnits === undefined, costNanos },
        { json: success.json },
      ),
    ),
  );
  const ranked = [...out.results].sort((a, b) => b.relevance_score - a.relevance_score);
  const body: RerankReply = {
    id: gen.id,
    model: success.attempt.model.id,
    provider: success.attempt.provider.name,
    results: (request.top_n !== undefined ? ranked.slice(0, request.top_n) : ranked).map((r) => ({
      document: { text: documents[r.index] ?? "" },
      index: r.index,
      relevance_score: r.relevance_score,
    })),
    usage: { cost: nanosToUsd(costNanos), search_units: units, total_tokens: tokens },
  };
  const headers = replyHeaders(gen, success);
  return builtStamped(c, Response.json(body, { headers }));
}

/** `POST /rerank`: OpenRouter's reply (the SDK's CreateRerankResponseBody). */
export interface RerankReply {
  id: string;
  model: string;
  provider: string;
  results: Array<{ document: { text: string }; index: number; relevance_score: number }>;
  usage: { cost: number; search_units: number; total_tokens: number };
}
