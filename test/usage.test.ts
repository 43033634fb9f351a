import { ChatUsage$inboundSchema } from "@openrouter/sdk/models";
import { describe, expect, it } from "vitest";
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
    expect(publicUsage(usage, UNPRICED)).not.toHaveProperty("cost_details");
    expect(publicUsage(usage, UNPRICED).cost).toBe(0);
  });
});
