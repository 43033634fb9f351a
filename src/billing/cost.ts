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
  /** Images in the prompt (billed at `image` when listed). */
  images?: number;
}

/** The exact cost of one generation, rounded up once to nano-dollars. */
export function generationCost(pricing: Pricing, usage: BillableUsage): Nanos {
  const cached = Math.min(usage.cachedTokens ?? 0, usage.promptTokens);
  const cacheWrite = Math.min(usage.cacheWriteTokens ?? 0, usage.promptTokens - cached);
  const plainPrompt = usage.promptTokens - cached - cacheWrite;
  const prompt = priceAtto(pricing.prompt);
  const atto =
    BigInt(plainPrompt) * prompt +
    BigInt(cached) * priceAtto(pricing.input_cache_read ?? pricing.prompt) +
    BigInt(cacheWrite) * priceAtto(pricing.input_cache_write ?? pricing.prompt) +
    BigInt(usage.completionTokens) * priceAtto(pricing.completion) +
    BigInt(usage.images ?? 0) * priceAtto(pricing.image) +
    priceAtto(pricing.request);
  return attoToNanosCeil(atto);
}

/** The most a request can cost: the prompt estimate plus every output token it may produce. */
export function worstCaseCost(pricing: Pricing, promptTokens: number, maxOutputTokens: number): Nanos {
  const writePrice = priceAtto(pricing.input_cache_write ?? pricing.prompt);
  const promptPrice = priceAtto(pricing.prompt);
  // Math.max does not take bigints.
  const dearer = writePrice > promptPrice ? writePrice : promptPrice;
  const atto =
    BigInt(promptTokens) * dearer +
    BigInt(maxOutputTokens) * priceAtto(pricing.completion) +
    priceAtto(pricing.request);
  return attoToNanosCeil(atto);
}

/** How many output tokens `budget` nano-dollars pays for after the prompt (for 402 messages). */
export function affordableOutputTokens(pricing: Pricing, promptTokens: number, budget: Nanos): number {
  const promptCost = worstCaseCost(pricing, promptTokens, 0);
  const perToken = priceAtto(pricing.completion);
  if (budget <= promptCost) return 0;
  if (perToken === 0n) return Number.MAX_SAFE_INTEGER;
  return Number((BigInt(budget - promptCost) * 1_000_000_000n) / perToken);
}
