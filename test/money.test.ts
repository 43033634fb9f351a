import { describe, expect, it } from "vitest";
import { affordableOutputTokens, generationCost, worstCaseCost } from "../src/billing/cost";
import { attoToNanosCeil, parseUsdToAtto, parseUsdToNanos, usdToAtto } from "../src/billing/money";
import { PricingSchema } from "../src/catalog/types";
import { billable, priceUsage } from "../src/generation/usage";
import { mapOpenAIUsage } from "../src/providers/openai/response";
import { estimateTextTokens } from "../src/transforms/tokens";

describe("money is exact", () => {
  it("parses decimal prices without floats", () => {
    expect(parseUsdToAtto("0.0000025")).toBe(2_500_000_000_000n);
    expect(parseUsdToAtto("0.0000000375")).toBe(37_500_000_000n);
    expect(parseUsdToAtto("3")).toBe(3_000_000_000_000_000_000n);
    expect(() => parseUsdToAtto("1e-6")).toThrow();
    expect(() => parseUsdToAtto("-1")).toThrow();
  });

  it("parses USD amounts to nano-dollars and refuses sub-nano precision", () => {
    expect(parseUsdToNanos("10")).toBe(10_000_000_000);
    expect(parseUsdToNanos("0.000000001")).toBe(1);
    expect(() => parseUsdToNanos("0.0000000001")).toThrow();
  });

  it("takes a client's USD number to the given decimals, and one of 1e21 or more whole (toFixed writes 1e+21)", () => {
    expect(usdToAtto(0.25, 12)).toBe(250_000_000_000_000_000n);
    expect(usdToAtto("0.25", 12)).toBe(250_000_000_000_000_000n);
    expect(usdToAtto(1e21, 12)).toBe(10n ** 39n);
    expect(usdToAtto(5e21, 9)).toBe(5n * 10n ** 39n);
  });

  it("rounds a generation's cost up to a whole nano-dollar, once", () => {
    expect(attoToNanosCeil(1n)).toBe(1);
    expect(attoToNanosCeil(1_000_000_000n)).toBe(1);
    expect(attoToNanosCeil(1_000_000_001n)).toBe(2);
    // 1000 prompt tokens at $0.15/M + 500 completion at $0.60/M = $0.00045 = 450,000 nanos
    const pricing = { prompt: "0.00000015", completion: "0.0000006" };
    expect(generationCost(pricing, { promptTokens: 1000, completionTokens: 500 })).toBe(450_000);
    // 0.1 + 0.2 style drift cannot happen: 3 × $0.0000001 is exactly 300 nanos
    expect(generationCost({ prompt: "0.0000001", completion: "0" }, { promptTokens: 3, completionTokens: 0 })).toBe(
      300,
    );
  });

  it("prices cached prompt tokens at the cache-read price", () => {
    const pricing = { prompt: "0.000003", completion: "0.000015", input_cache_read: "0.0000003" };
    const cost = generationCost(pricing, { promptTokens: 1000, cachedTokens: 800, completionTokens: 0 });
    expect(cost).toBe(200 * 3000 + 800 * 300);
  });

  it("prices 1-hour cache writes at twice the prompt price, or the catalog's own 1-hour price", () => {
    // Anthropic's rates: 5-minute writes 1.25×, 1-hour writes 2× the base input price.
    const pricing = { prompt: "0.000003", completion: "0", input_cache_write: "0.00000375" };
    const usage = { promptTokens: 1000, cacheWriteTokens: 300, cacheWrite1hTokens: 200, completionTokens: 0 };
    expect(generationCost(pricing, usage)).toBe(700 * 3000 + 100 * 3750 + 200 * 6000);
    expect(generationCost({ ...pricing, input_cache_write_1h: "0.000005" }, usage)).toBe(
      700 * 3000 + 100 * 3750 + 200 * 5000,
    );
    // Never more 1-hour writes than writes.
    expect(generationCost(pricing, { ...usage, cacheWrite1hTokens: 900 })).toBe(700 * 3000 + 300 * 6000);
    // An endpoint listing no write price charges every write as a prompt token.
    expect(generationCost({ prompt: "0.000003", completion: "0" }, usage)).toBe(1000 * 3000);
  });

  it("holds every prompt token at the dearest it can cost, a 1-hour cache write", () => {
    const pricing = { prompt: "0.000003", completion: "0.000015", input_cache_write: "0.00000375" };
    expect(worstCaseCost(pricing, 100, 10)).toBe(100 * 6000 + 10 * 15000);
    const allWritten = generationCost(pricing, {
      promptTokens: 100,
      cacheWriteTokens: 100,
      cacheWrite1hTokens: 100,
      completionTokens: 10,
    });
    expect(allWritten).toBe(worstCaseCost(pricing, 100, 10));
    expect(worstCaseCost({ ...pricing, input_cache_write_1h: "0.000009" }, 100, 0)).toBe(100 * 9000);
    // Without a write price (no cache writes billed apart) the hold stays at the prompt price.
    expect(worstCaseCost({ prompt: "0.000003", completion: "0" }, 100, 0)).toBe(100 * 3000);
  });

  it("computes worst cases and affordable output tokens", () => {
    const pricing = { prompt: "0.000001", completion: "0.000002" };
    expect(worstCaseCost(pricing, 100, 1000)).toBe(100 * 1000 + 1000 * 2000);
    expect(affordableOutputTokens(pricing, 100, 100 * 1000 + 4011 * 2000 + 1999)).toBe(4011);
    expect(affordableOutputTokens(pricing, 100, 50)).toBe(0);
  });

  describe("a long-prompt price tier (Gemini 2.5 Pro's, over 200k prompt tokens)", () => {
    // Google's rates per million: $1.25 in, $10 out, $0.125 cached; over 200k: $2.50, $15, $0.25.
    const pricing = {
      prompt: "0.00000125",
      completion: "0.00001",
      input_cache_read: "0.000000125",
      overrides: [
        { min_prompt_tokens: 200_000, prompt: "0.0000025", completion: "0.000015", input_cache_read: "0.00000025" },
      ],
    };

    it("charges every token of a longer prompt at the tier's prices, cache reads and reasoning included", () => {
      const usage = { promptTokens: 250_000, cachedTokens: 50_000, completionTokens: 1000, reasoningTokens: 600 };
      expect(generationCost(pricing, usage)).toBe(200_000 * 2500 + 50_000 * 250 + 1000 * 15_000);
      // At the threshold itself, the base prices.
      expect(generationCost(pricing, { ...usage, promptTokens: 200_000 })).toBe(
        150_000 * 1250 + 50_000 * 125 + 1000 * 10_000,
      );
    });

    it("leaves a price the tier does not set at the base's, and a later tier wins", () => {
      const tiered = {
        prompt: "0.000001",
        completion: "0.000002",
        request: "0.001",
        overrides: [
          { min_prompt_tokens: 100, prompt: "0.000003" },
          { min_prompt_tokens: 50, prompt: "0.000005", completion: "0.000004" },
        ],
      };
      // Strictly more prompt tokens than the threshold: 50 is still the base's.
      expect(generationCost(tiered, { promptTokens: 50, completionTokens: 10 })).toBe(
        50 * 1000 + 10 * 2000 + 1_000_000,
      );
      expect(generationCost(tiered, { promptTokens: 60, completionTokens: 10 })).toBe(
        60 * 5000 + 10 * 4000 + 1_000_000,
      );
      // Both apply: the later one's prompt price, and its completion price too.
      expect(generationCost(tiered, { promptTokens: 101, completionTokens: 10 })).toBe(
        101 * 5000 + 10 * 4000 + 1_000_000,
      );
    });

    it("is held for when the prompt estimate reaches it, and never below what a smaller prompt is charged", () => {
      expect(worstCaseCost(pricing, 250_000, 1000)).toBe(250_000 * 2500 + 1000 * 15_000);
      expect(worstCaseCost(pricing, 200_000, 1000)).toBe(200_000 * 1250 + 1000 * 10_000);
      // A tier cheaper than the base (an operator's discount for long prompts) cannot lower a hold
      // whose prompt may come out shorter than its estimate.
      const cheaperLong = {
        prompt: "0.000002",
        completion: "0.000002",
        overrides: [{ min_prompt_tokens: 100, prompt: "0.000001" }],
      };
      expect(worstCaseCost(cheaperLong, 150, 0)).toBe(150 * 2000);
      // An estimate one token past the threshold holds for the tier.
      expect(worstCaseCost(pricing, 200_001, 0)).toBe(200_001 * 2500);
      // The 402's arithmetic uses the tier's output price.
      expect(affordableOutputTokens(pricing, 250_000, 250_000 * 2500 + 7 * 15_000)).toBe(7);
    });
  });

  it("refuses a catalog's time-of-day price override rather than apply it to every request", () => {
    const base = { prompt: "0.000001", completion: "0.000002" };
    expect(PricingSchema.safeParse({ ...base, overrides: [{ min_prompt_tokens: 10, prompt: "0" }] }).success).toBe(
      true,
    );
    const offPeak = { utc_start: 1630, utc_end: 30, prompt: "0.0000005" };
    expect(PricingSchema.safeParse({ ...base, overrides: [offPeak] }).success).toBe(false);
    expect(PricingSchema.safeParse({ ...base, overrides: [{ ...offPeak, min_prompt_tokens: 10 }] }).success).toBe(
      false,
    );
  });

  describe("Perplexity's counts beside prompt and completion (Sonar Deep Research)", () => {
    // A Deep Research reply's usage as Perplexity sends it: total = prompt + completion, the
    // citation tokens, reasoning tokens and searches on top, each priced apart.
    const raw = {
      prompt_tokens: 1188,
      completion_tokens: 4240,
      total_tokens: 5428,
      citation_tokens: 8014,
      num_search_queries: 54,
      reasoning_tokens: 92431,
    };
    const deepResearch = {
      prompt: "0.000002",
      completion: "0.000008",
      input_citation: "0.000002",
      internal_reasoning: "0.000003",
      web_search: "0.005",
    };

    it("charges citation tokens, reasoning tokens and searches at the catalog's prices", () => {
      const usage = mapOpenAIUsage(raw)!;
      expect(usage.billed_apart).toEqual({ citation_tokens: 8014, reasoning_tokens: 92431, web_searches: 54 });
      // Perplexity's own breakdown: input 0.002376, output 0.03392, citations 0.016028,
      // reasoning 0.277293, searches 0.27.
      const priced = priceUsage(deepResearch, usage);
      expect(priced.costNanos).toBe(2_376_000 + 33_920_000 + 16_028_000 + 277_293_000 + 270_000_000);
      expect(priced.details.upstream_inference_prompt_cost).toBe(0.018404);
      expect(priced.details.upstream_inference_completions_cost).toBe(0.311213);
    });

    it("a top-level reasoning count without Perplexity's search counts is not charged apart (it may be within completion)", () => {
      const usage = mapOpenAIUsage({ prompt_tokens: 1188, completion_tokens: 4240, reasoning_tokens: 4000 })!;
      expect(usage.billed_apart).toBeUndefined();
      expect(priceUsage(deepResearch, usage).costNanos).toBe(2_376_000 + 33_920_000);
    });

    it("charges none of them where the catalog prices none (Sonar, Sonar Reasoning Pro)", () => {
      const usage = mapOpenAIUsage(raw)!;
      expect(priceUsage({ prompt: "0.000002", completion: "0.000008" }, usage).costNanos).toBe(2_376_000 + 33_920_000);
    });
  });

  it("costs a provider's fractional or negative token counts as whole tokens instead of failing", () => {
    const pricing = { prompt: "0.00000015", completion: "0.0000006" };
    const usage = { prompt_tokens: 12.5, completion_tokens: 3, total_tokens: 15.5 };
    expect(generationCost(pricing, billable(usage))).toBe(
      generationCost(pricing, { promptTokens: 13, completionTokens: 3 }),
    );
    const odd = { prompt_tokens: -4, completion_tokens: Number.NaN, total_tokens: 0 };
    expect(generationCost(pricing, billable(odd))).toBe(0);
  });
});

describe("token estimates err high", () => {
  // The larger of what tiktoken's o200k_base and cl100k_base count for each (js-tiktoken 1.0.21).
  const cases: Array<[string, string, number]> = [
    ["English prose", "The quick brown fox jumps over the lazy dog.", 10],
    ["a list of numbers", Array.from({ length: 50 }, (_, i) => String(i % 10)).join(","), 99],
    ["JSON", '{"id":1,"name":"a","tags":["x","y"],"ok":true}', 20],
    ["code", "function add(a, b) { return a + b; }", 13],
    ["Chinese", "今天天气很好，我们去公园散步吧。", 20],
  ];
  for (const [what, text, real] of cases) {
    it(`does not undercount ${what}`, () => {
      expect(estimateTextTokens(text)).toBeGreaterThanOrEqual(real);
    });
  }
});
