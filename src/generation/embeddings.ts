import type { Context } from "hono";
import { nanosToUsd } from "../billing/money";
import { getCatalog } from "../catalog/store";
import type { AppEnv } from "../context";
import { embeddingsAdapterFor } from "../providers/registry";
import type { EmbeddingsRequestIn, Usage } from "../providers/types";
import { planLive } from "../routing/live-plan";
import type { Attempt } from "../routing/plan";
import { sessionIdOf } from "../schema/chat";
import type { EmbeddingsRequest } from "../schema/embeddings";
import { badRequest, GatewayError } from "../schema/errors";
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
import { CACHE_HEADER, ResponseCache } from "./response-cache";
import { type CostDetails, priceUsage } from "./usage";

/**
 * One `/embeddings` request along the same path as chat: plan over the embedding model's
 * endpoints ⇒ reserve ⇒ attempts (with failover; the first may start beside the reservation) ⇒
 * reply ⇒ settle. Charged for the prompt tokens
 * the provider reports, or, when it reports none (Gemini), for the gateway's count of the inputs.
 */
export async function createEmbeddings(c: Context<AppEnv>, request: EmbeddingsRequest): Promise<Response> {
  // From the request's arrival, so a generation's latency includes its key check and body parse.
  const receivedAt = c.get("receivedAt");
  c.set("requestedModel", request.model ?? null);
  // Response caching (response-cache.ts): a request without its header pays this one read.
  const cache = c.req.header(CACHE_HEADER) === undefined ? null : await ResponseCache.open(c, request, "embeddings");
  if (cache?.hit) return cache.replay(request);
  const env = c.env;
  const catalog = await getCatalog(env, c.executionCtx);
  const inputs = inputsOf(request.input);
  const tokenIds = typeof inputs[0] !== "string";
  // Token ids are tokens already: one each. Texts are estimated, as for chat.
  const promptTokens = inputs.reduce<number>(
    (sum, input) => sum + (typeof input === "string" ? estimateTextTokens(input) : input.length),
    0,
  );
  const planned = planLive(env, {
    request: { model: request.model, models: request.models, provider: request.provider },
    catalog,
    promptTokens,
    // `encoding_format` is not among them: the gateway encodes base64 itself, for every provider.
    parameters: [
      ...(request.dimensions !== undefined ? ["dimensions"] : []),
      ...(request.input_type ? ["input_type"] : []),
    ],
    kind: "embedding",
    hasAdapter: (provider) => embeddingsAdapterFor(provider.adapter) !== undefined,
  });
  const attempts = tokenIds ? takingTokenIds(planned) : planned;
  const upstreamRequest: EmbeddingsRequestIn = {
    model: request.model ?? "",
    // Token ids reach only adapters that take them (takingTokenIds), whose request builders pass
    // `input` through as JSON; EmbeddingsRequestIn (providers/types.ts) types it as texts only.
    input: inputs as string[],
    ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
    ...(request.input_type ? { input_type: request.input_type } : {}),
    ...(request.user ? { user: request.user } : {}),
  };
  const { gen, success } = await startGeneration(
    c,
    attempts,
    {
      apiType: "embeddings",
      requestedModel: request.model ?? null,
      stream: false,
      user: request.user ?? null,
      sessionId: sessionIdOf(c.req.raw),
      receivedAt,
      promptTokens,
      maxOutputTokens: 0,
    },
    wholeReplyRun(env, attempts, {
      request: upstreamRequest,
      adapterFor: (attempt) => embeddingsAdapterFor(attempt.provider.adapter),
      buildCall: (adapter, req, target) => adapter.buildEmbeddingsRequest(req, target),
    }),
  );
  const out = readAnswer(gen, () => {
    const parsed = success.adapter.parseEmbeddingsResponse(success.json, success.target);
    if (parsed.data.length !== inputs.length || parsed.data.some((d) => d.embedding.length === 0)) {
      throw new GatewayError(
        502,
        `${success.attempt.provider.name} returned ${parsed.data.length} embeddings for ${inputs.length} inputs`,
      );
    }
    return parsed;
  });

  const reported = out.usage?.prompt_tokens;
  const usage: Usage = {
    prompt_tokens: reported ?? promptTokens,
    completion_tokens: 0,
    total_tokens: reported ?? promptTokens,
  };
  const { costNanos, details } = priceUsage(success.attempt.endpoint.pricing, usage);
  settleGeneration(
    gen,
    record(
      gen,
      success,
      wholeReplyOutcome({ usage, estimated: reported === undefined, costNanos }, { json: success.json }),
    ),
  );
  const base64 = request.encoding_format === "base64";
  const body: EmbeddingsReply = {
    id: gen.id,
    object: "list",
    data: [...out.data]
      .sort((a, b) => a.index - b.index)
      .map((d) => ({
        object: "embedding",
        index: d.index,
        embedding: base64 ? float32Base64(d.embedding) : d.embedding,
      })),
    model: success.attempt.model.id,
    provider: success.attempt.provider.name,
    usage: {
      prompt_tokens: usage.prompt_tokens,
      total_tokens: usage.total_tokens,
      cost: nanosToUsd(costNanos),
      cost_details: details,
      is_byok: false,
    },
  };
  const headers = replyHeaders(gen, success);
  if (cache) {
    Object.assign(headers, cache.missHeaders());
    cache.storeReply(body, {
      model: body.model,
      provider: body.provider,
      finishReason: null,
      nativeFinishReason: null,
    });
  }
  return builtStamped(c, Response.json(body, { headers }));
}

/** The request's inputs as a list: one text, or one token-id array, becomes a list of one. */
function inputsOf(input: EmbeddingsRequest["input"]): string[] | number[][] {
  if (typeof input === "string") return [input];
  if (input.every((item): item is number => typeof item === "number")) return [input];
  return input as string[] | number[][];
}

/**
 * The planned endpoints whose API takes token ids. When none does, a 400 names the providers that
 * were planned (their APIs take text only), rather than sending them numbers they would misread.
 */
function takingTokenIds(planned: Attempt[]): Attempt[] {
  const kept = planned.filter((a) => embeddingsAdapterFor(a.provider.adapter)?.takesTokenIds);
  if (kept.length > 0) return kept;
  const names = [...new Set(planned.map((a) => `${a.provider.name} (${a.model.id})`))];
  throw badRequest(
    `Token-id input is not supported by ${names.join(", ")}: their embeddings APIs take text only; send the input as text`,
    { providers: [...new Set(planned.map((a) => a.provider.slug))] },
  );
}

/** `POST /embeddings`: OpenAI's list of embeddings with OpenRouter's additions. */
export interface EmbeddingsReply {
  id: string;
  object: "list";
  data: Array<{
    object: "embedding";
    index: number;
    /** The vector, or its float32 bytes in base64 (`encoding_format: "base64"`). */
    embedding: number[] | string;
  }>;
  model: string;
  provider: string;
  usage: { prompt_tokens: number; total_tokens: number; cost: number; cost_details: CostDetails; is_byok: false };
}

/** OpenAI's base64 encoding: the vector as little-endian float32 bytes. */
export function float32Base64(vector: number[]): string {
  const floats = new Float32Array(vector);
  const bytes = new Uint8Array(floats.buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
