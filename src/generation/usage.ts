import { type BillableUsage, costParts, totalNanos } from "../billing/cost";
import { attoToNanosCeil, nanosToUsd } from "../billing/money";
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
 * only then). A stream cut after the provider told its prompt side (`partial`) is charged that
 * prompt, cache reads and writes included, at their prices, and no less completion than it told.
 */
export function settleUsage(
  upstream: Usage | undefined,
  promptEstimate: number,
  producedText: () => string,
  partial?: Usage,
): SettledUsage {
  if (upstream) return { usage: upstream, estimated: false };
  const completion = estimateTextTokens(producedText());
  if (partial) {
    const told = Math.max(partial.completion_tokens, completion);
    return {
      usage: {
        prompt_tokens: partial.prompt_tokens,
        completion_tokens: told,
        total_tokens: partial.prompt_tokens + told,
        ...(partial.prompt_tokens_details ? { prompt_tokens_details: partial.prompt_tokens_details } : {}),
      },
      estimated: true,
    };
  }
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

/** `images`: the images of the prompt (chat only), in the same object (see hot-shapes.ts). */
export function billable(usage: Usage, images = 0): BillableUsage {
  return {
    images,
    promptTokens: wholeTokens(usage.prompt_tokens),
    completionTokens: wholeTokens(usage.completion_tokens),
    cachedTokens: wholeTokens(usage.prompt_tokens_details?.cached_tokens),
    cacheWriteTokens: wholeTokens(usage.prompt_tokens_details?.cache_write_tokens),
    cacheWrite1hTokens: wholeTokens(usage.prompt_tokens_details?.cache_write_1h_tokens),
    reasoningTokens: wholeTokens(usage.completion_tokens_details?.reasoning_tokens),
    imageTokens: wholeTokens(usage.completion_tokens_details?.image_tokens),
    citationTokens: wholeTokens(usage.billed_apart?.citation_tokens),
    apartReasoningTokens: wholeTokens(usage.billed_apart?.reasoning_tokens),
    webSearches: wholeTokens(usage.billed_apart?.web_searches),
    searchUnits: wholeTokens(usage.billed_apart?.search_units),
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
 * What a generation's usage costs at the prices of the endpoint that answered: the provider's
 * count, even above the hold (the hold rests on an estimate of the prompt, and a prompt the
 * estimate undercounts still costs what the provider bills). The Account object charges it as
 * far as the balance and the key's limit allow; a charge above the hold never passes either.
 */
export interface PricedUsage {
  /** The charge: every part, rounded up once to the nano-dollar. */
  costNanos: number;
  /**
   * The inference cost split into prompt (cache reads and writes at their own prices) and
   * completion, each rounded up to the nano-dollar; a per-request fee belongs to neither.
   */
  details: CostDetails;
}

/** `images`: the images of the prompt, charged the endpoint's `image` price each (chat only). */
export function priceUsage(pricing: Pricing, usage: Usage, images = 0): PricedUsage {
  const parts = costParts(pricing, billable(usage, images));
  return {
    costNanos: totalNanos(parts),
    details: {
      upstream_inference_cost: null,
      upstream_inference_prompt_cost: nanosToUsd(attoToNanosCeil(parts.promptAtto)),
      upstream_inference_completions_cost: nanosToUsd(attoToNanosCeil(parts.completionAtto)),
    },
  };
}

/** A generation that produced nothing: it costs nothing, and has no cost to split. */
export const UNPRICED: { costNanos: 0; details: undefined } = { costNanos: 0, details: undefined };

/** OpenRouter's `usage` of a reply (its SDK's ChatUsage): the tokens, and the cost that was charged. */
// A type, not an interface: chunk builders take it as a Record (FinalizeUsage).
export type PublicUsage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens?: number | undefined };
  completion_tokens_details: { reasoning_tokens: number; image_tokens?: number | undefined };
  cost: number;
  cost_details?: CostDetails | undefined;
  is_byok: boolean;
};

/** OpenRouter's `usage.server_tool_use_details`: a server-tool loop's counts (tools/server-tools.ts). */
export interface ServerToolUseDetails {
  tool_calls_requested: number;
  tool_calls_executed: number;
  web_search_requests: number;
}

/** A chat reply's (or final chunk's) `usage`: with server tools, their counts too. */
export type ReplyUsage = PublicUsage & { server_tool_use_details?: ServerToolUseDetails };

/** The `usage` object of a reply: OpenRouter's fields, with the cost that was charged and its split. */
export function publicUsage(usage: Usage, { costNanos, details }: PricedUsage | typeof UNPRICED): PublicUsage {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
    // Fields a reply may not have are undefined rather than left out by a spread, so that every
    // usage has one hidden class (see hot-shapes.ts); JSON leaves them out all the same.
    prompt_tokens_details: {
      cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
      cache_write_tokens: usage.prompt_tokens_details?.cache_write_tokens,
    },
    completion_tokens_details: {
      reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
      // OpenRouter's count of generated images' tokens, where the reply drew any.
      image_tokens: usage.completion_tokens_details?.image_tokens || undefined,
    },
    cost: nanosToUsd(costNanos),
    cost_details: details,
    is_byok: false,
  };
}
