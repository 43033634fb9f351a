import type { Pricing } from "../catalog/types";
import { attoToNanosCeil, type Nanos, priceAtto } from "./money";

/** Token counts that are billed, as reported by the upstream (or estimated when it gives none). */
export interface BillableUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the provider's cache (billed at `input_cache_read` when listed). */
  cachedTokens?: number;
  /** Prompt tokens written to the provider's cache (billed at `input_cache_write` when listed). */
  cacheWriteTokens?: number;
  /** Of cacheWriteTokens, those written for an hour (billed at `cacheWrite1hPrice`). */
  cacheWrite1hTokens?: number;
  /**
   * Completion tokens the model spent reasoning (within completionTokens): billed at
   * `internal_reasoning` when it is listed dearer than the completion, else as the rest of it.
   */
  reasoningTokens?: number;
  /**
   * Completion tokens of generated images (within completionTokens, as Gemini counts them):
   * billed at `image_output` where it is listed, else as the rest of the output.
   */
  imageTokens?: number;
  /** Images in the prompt (billed at `image` when listed). */
  images?: number;
  /** Counts billed apart from prompt and completion (Usage.billed_apart), each only where the catalog prices it. */
  citationTokens?: number;
  /** Reasoning outside completionTokens, at `internal_reasoning`. */
  apartReasoningTokens?: number;
  /** Web searches the provider ran, at `web_search` each. */
  webSearches?: number;
  /** Search units a rerank provider billed, at `search_unit` each. */
  searchUnits?: number;
}

/** A generation's cost in atto-dollars, by what it paid for: the prompt side, the completion, the request fee. */
export interface CostParts {
  /** Prompt tokens (cache reads and writes at their own prices) and images. */
  promptAtto: bigint;
  completionAtto: bigint;
  requestAtto: bigint;
}

/**
 * The prices a generation whose prompt is `promptTokens` long pays for all of its tokens: the
 * base pricing with every tier (`overrides`) whose `min_prompt_tokens` the prompt exceeds laid
 * over it, in order, so a later tier wins a price two of them set (OpenRouter's rules: its SDK says
 * a tier applies when the request's prompt tokens are "strictly greater than this threshold").
 */
export function pricesAt(pricing: Pricing, promptTokens: number): Pricing {
  let prices = pricing;
  for (const { min_prompt_tokens, ...tier } of pricing.overrides ?? []) {
    if (promptTokens <= min_prompt_tokens) continue;
    prices = { ...prices };
    for (const [key, price] of Object.entries(tier)) {
      if (price !== undefined) prices[key as keyof typeof tier] = price;
    }
  }
  return prices;
}

/**
 * The price sets a prompt of at most `promptTokens` tokens may be charged at: the base's, and
 * those of the tiers such a prompt may pass. The estimate a hold rests on errs high, so the provider's count
 * may come out below it and a tier lower: a hold is the dearest of these.
 */
function reachablePrices(pricing: Pricing, promptTokens: number): Pricing[] {
  const tiers = [pricesAt(pricing, 0)];
  for (const tier of pricing.overrides ?? []) {
    if (promptTokens > tier.min_prompt_tokens) tiers.push(pricesAt(pricing, tier.min_prompt_tokens + 1));
  }
  return tiers;
}

export function costParts(basePricing: Pricing, usage: BillableUsage): CostParts {
  const pricing = pricesAt(basePricing, usage.promptTokens);
  const cached = Math.min(usage.cachedTokens ?? 0, usage.promptTokens);
  const cacheWrite = Math.min(usage.cacheWriteTokens ?? 0, usage.promptTokens - cached);
  const cacheWrite1h = Math.min(usage.cacheWrite1hTokens ?? 0, cacheWrite);
  const plainPrompt = usage.promptTokens - cached - cacheWrite;
  const reasoning = Math.min(usage.reasoningTokens ?? 0, usage.completionTokens);
  const drawn = Math.min(usage.imageTokens ?? 0, usage.completionTokens - reasoning);
  const prompt = priceAtto(pricing.prompt);
  return {
    promptAtto:
      BigInt(plainPrompt) * prompt +
      BigInt(cached) * priceAtto(pricing.input_cache_read ?? pricing.prompt) +
      BigInt(cacheWrite - cacheWrite1h) * priceAtto(pricing.input_cache_write ?? pricing.prompt) +
      BigInt(cacheWrite1h) * cacheWrite1hPrice(pricing) +
      BigInt(usage.images ?? 0) * priceAtto(pricing.image) +
      BigInt(usage.citationTokens ?? 0) * priceAtto(pricing.input_citation),
    completionAtto:
      BigInt(usage.completionTokens - reasoning - drawn) * priceAtto(pricing.completion) +
      BigInt(reasoning) * reasoningTokenPrice(pricing) +
      BigInt(drawn) * priceAtto(pricing.image_output ?? pricing.completion) +
      BigInt(usage.apartReasoningTokens ?? 0) * priceAtto(pricing.internal_reasoning),
    requestAtto:
      priceAtto(pricing.request) +
      BigInt(usage.webSearches ?? 0) * priceAtto(pricing.web_search) +
      BigInt(usage.searchUnits ?? 0) * priceAtto(pricing.search_unit),
  };
}

/** The exact cost of one generation, rounded up once to nano-dollars. */
export function generationCost(pricing: Pricing, usage: BillableUsage): Nanos {
  return totalNanos(costParts(pricing, usage));
}

/** What the parts of a cost come to, rounded up once to nano-dollars. */
export const totalNanos = (parts: CostParts): Nanos =>
  attoToNanosCeil(parts.promptAtto + parts.completionAtto + parts.requestAtto);

/**
 * What a reasoning token costs: `internal_reasoning` where it is listed above the completion
 * price. Never below it: OpenRouter's own listings show `internal_reasoning: "0"` for models whose
 * reasoning is billed as output, and a catalog copied from them must not make reasoning free.
 */
function reasoningTokenPrice(pricing: Pricing): bigint {
  return dearest(priceAtto(pricing.completion), priceAtto(pricing.internal_reasoning ?? pricing.completion));
}

/**
 * The most an output token can cost, what a hold prices every output token at: any of them may
 * be reasoning, and on a model that draws, any may be an image's (at `image_output`, Gemini's
 * $30/M against $2.50/M for text). An endpoint that lists no image price pays nothing more here.
 */
export function outputTokenPrice(pricing: Pricing): bigint {
  const text = reasoningTokenPrice(pricing);
  return pricing.image_output === undefined ? text : dearest(text, priceAtto(pricing.image_output));
}

/** The highest of some prices (Math.max does not take bigints). */
const dearest = (...prices: bigint[]): bigint => prices.reduce((a, b) => (b > a ? b : a));

/**
 * What a 1-hour cache write costs: `input_cache_write_1h` where listed, else Anthropic's rate of
 * twice the base input price on an endpoint that bills cache writes (only Anthropic reports 1-hour
 * writes apart, and its catalog entries list `input_cache_write`). An endpoint listing no write
 * price charges writes as plain prompt tokens, 1-hour ones too.
 */
export function cacheWrite1hPrice(pricing: Pricing): bigint {
  if (pricing.input_cache_write_1h !== undefined) return priceAtto(pricing.input_cache_write_1h);
  return pricing.input_cache_write !== undefined ? 2n * priceAtto(pricing.prompt) : priceAtto(pricing.prompt);
}

/**
 * The most a request can cost: the prompt estimate plus every output token it may produce, and
 * each image of the prompt at the `image` price. Every prompt token is held at the dearest a
 * prompt token can be billed, a 1-hour cache write included (the client chooses the TTL, and any
 * prompt token may be written for an hour), at the dearest price tier the prompt may reach.
 */
export function worstCaseCost(
  pricing: Pricing,
  promptTokens: number,
  maxOutputTokens: number,
  images = 0,
  searchUnits = 0,
): Nanos {
  let worst = 0n;
  for (const prices of reachablePrices(pricing, promptTokens)) {
    const promptPrice = dearest(
      priceAtto(prices.prompt),
      priceAtto(prices.input_cache_write ?? prices.prompt),
      cacheWrite1hPrice(prices),
    );
    const atto =
      BigInt(promptTokens) * promptPrice +
      BigInt(images) * priceAtto(prices.image) +
      BigInt(maxOutputTokens) * outputTokenPrice(prices) +
      priceAtto(prices.request) +
      BigInt(searchUnits) * priceAtto(prices.search_unit);
    worst = dearest(worst, atto);
  }
  return attoToNanosCeil(worst);
}

/** How many output tokens `budget` nano-dollars pays for after the prompt (for 402 messages). */
export function affordableOutputTokens(pricing: Pricing, promptTokens: number, budget: Nanos): number {
  const promptCost = worstCaseCost(pricing, promptTokens, 0);
  const perToken = outputTokenPrice(pricesAt(pricing, promptTokens));
  if (budget <= promptCost) return 0;
  if (perToken === 0n) return Number.MAX_SAFE_INTEGER;
  return Number((BigInt(budget - promptCost) * 1_000_000_000n) / perToken);
}
