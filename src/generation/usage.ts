import { type BillableUsage, generationCost } from "../billing/cost";
import { nanosToUsd } from "../billing/money";
import type { Pricing } from "../catalog/types";
import type { Usage } from "../providers/types";
import { estimateTextTokens } from "../transforms/tokens";

/** The usage a generation is charged for: the upstream's when given, else an estimate. */
export interface SettledUsage {
  usage: Usage;
  estimated: boolean;
}

/**
 * When a provider reports no usage (or the stream was cut before it could), the prompt is the
 * gateway's estimate and the completion is estimated from the text actually produced (gathered
 * only then).
 */
export function settleUsage(
  upstream: Usage | undefined,
  promptEstimate: number,
  producedText: () => string,
): SettledUsage {
  if (upstream) return { usage: upstream, estimated: false };
  const completion = estimateTextTokens(producedText());
  return {
    usage: { prompt_tokens: promptEstimate, completion_tokens: completion, total_tokens: promptEstimate + completion },
    estimated: true,
  };
}

/**
 * A token count as costing needs it: a whole number, not negative. Providers' usage passes through
 * the adapters as the providers sent it, and a fractional count would make the exact (bigint)
 * costing throw, leaving the generation unsettled.
 */
const wholeTokens = (n: number | undefined) => (n !== undefined && Number.isFinite(n) && n > 0 ? Math.ceil(n) : 0);

export function billable(usage: Usage): BillableUsage {
  return {
    promptTokens: wholeTokens(usage.prompt_tokens),
    completionTokens: wholeTokens(usage.completion_tokens),
    cachedTokens: wholeTokens(usage.prompt_tokens_details?.cached_tokens),
    cacheWriteTokens: wholeTokens(usage.prompt_tokens_details?.cache_write_tokens),
  };
}

/** OpenRouter's `usage.cost_details` (the SDK's CostDetails). */
export interface CostDetails {
  /** What a BYOK provider charged its key's owner: null, as the gateway calls upstreams with its own keys. */
  upstream_inference_cost: null;
  upstream_inference_prompt_cost: number;
  upstream_inference_completions_cost: number;
}

/**
 * The generation's inference cost split into prompt and completion (USD, each rounded up to the
 * nano-dollar), at the prices of the endpoint that answered: the prompt side counts cache reads
 * and writes at their own prices; a per-request fee belongs to neither. (What was charged is
 * `cost`: their sum plus any request fee.)
 */
export function costDetails(pricing: Pricing, usage: Usage): CostDetails {
  const perToken: Pricing = { ...pricing, request: undefined };
  const tokens = billable(usage);
  return {
    upstream_inference_cost: null,
    upstream_inference_prompt_cost: nanosToUsd(generationCost(perToken, { ...tokens, completionTokens: 0 })),
    upstream_inference_completions_cost: nanosToUsd(
      generationCost(perToken, { promptTokens: 0, completionTokens: tokens.completionTokens }),
    ),
  };
}

export type PublicUsage = ReturnType<typeof publicUsage>;

/**
 * The `usage` object of a reply: OpenRouter's fields, with the cost that was charged, and its
 * `cost_details` when the answering endpoint's prices are given.
 */
export function publicUsage(usage: Usage, costUsd: number, pricing?: Pricing) {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
    prompt_tokens_details: {
      cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
      ...(usage.prompt_tokens_details?.cache_write_tokens !== undefined
        ? { cache_write_tokens: usage.prompt_tokens_details.cache_write_tokens }
        : {}),
    },
    completion_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    cost: costUsd,
    ...(pricing ? { cost_details: costDetails(pricing, usage) } : {}),
    is_byok: false,
  };
}
