import { ChatUsage$inboundSchema } from "@openrouter/sdk/models";
import { describe, expect, it } from "vitest";
import { worstCaseCost } from "../src/billing/cost";
import { priceUsage, publicUsage, UNPRICED } from "../src/generation/usage";

/** A reply's `usage` object, as a client (the OpenRouter SDK) reads it. */
describe("usage.cost_details", () => {
  const pricing = {
    prompt: "0.000003",
    completion: "0.000015",
    input_cache_read: "0.0000003",
    input_cache_write: "0.00000375",
    request: "0.001",
  };
  const usage = {
    prompt_tokens: 1000,
    completion_tokens: 50,
    total_tokens: 1050,
    prompt_tokens_details: { cached_tokens: 400, cache_write_tokens: 100 },
  };

  it("splits the inference cost into prompt (cache reads and writes at their prices) and completion", () => {
    const parsed = ChatUsage$inboundSchema.parse(publicUsage(usage, priceUsage(pricing, usage)));
    // The charge: both parts and the request fee, rounded up once.
    expect(parsed.cost).toBe(0.003745);
    expect(parsed.costDetails).toEqual({
      // 500 × $3/M + 400 × $0.30/M + 100 × $3.75/M; the request fee is in neither.
      upstreamInferencePromptCost: 0.001995,
      upstreamInferenceCompletionsCost: 0.00075,
      // Not a BYOK call: there is no provider bill of the caller's own to report.
      upstreamInferenceCost: null,
    });
    expect(parsed.isByok).toBe(false);
  });

  it("is left out, and the cost is 0, for a generation that produced nothing", () => {
    // As a client reads it: JSON (the field is undefined in the object, and so left out).
    expect(JSON.parse(JSON.stringify(publicUsage(usage, UNPRICED)))).not.toHaveProperty("cost_details");
    expect(publicUsage(usage, UNPRICED).cost).toBe(0);
  });
});

describe("reasoning tokens", () => {
  const usage = {
    prompt_tokens: 100,
    completion_tokens: 500,
    total_tokens: 600,
    completion_tokens_details: { reasoning_tokens: 400 },
  };

  it("are charged at internal_reasoning where the endpoint lists it dearer, as /models shows", () => {
    const pricing = { prompt: "0.000001", completion: "0.00001", internal_reasoning: "0.00002" };
    const reply = publicUsage(usage, priceUsage(pricing, usage));
    // 100 × $1/M + 100 visible × $10/M + 400 reasoning × $20/M
    expect(reply.cost).toBe(0.0091);
    expect(reply.cost_details?.upstream_inference_completions_cost).toBe(0.009);
  });

  it("are charged as completion tokens where it is not listed, or listed cheaper (OpenRouter lists many at 0)", () => {
    for (const pricing of [
      { prompt: "0.000001", completion: "0.00001" },
      { prompt: "0.000001", completion: "0.00001", internal_reasoning: "0" },
      { prompt: "0.000001", completion: "0.00001", internal_reasoning: "0.000002" },
    ]) {
      expect(publicUsage(usage, priceUsage(pricing, usage)).cost, JSON.stringify(pricing)).toBe(0.0051);
    }
  });

  it("are held at the dearer of the two prices: any output token may be reasoning", () => {
    const pricing = { prompt: "0.000001", completion: "0.00001", internal_reasoning: "0.00002" };
    // 100 × $1/M + 1000 × $20/M
    expect(worstCaseCost(pricing, 100, 1000)).toBe(20_100_000);
  });
});
