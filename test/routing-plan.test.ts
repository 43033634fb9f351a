import { describe, expect, it } from "vitest";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { indexCatalog } from "../src/catalog/store";
import { type PlanInput, planAttempts } from "../src/routing/plan";
import { ChatRequestSchema } from "../src/schema/chat";
import { GatewayError } from "../src/schema/errors";
import { withDeepSeekServingV3, withGroqServingLlama } from "./support/catalog";

/** Routing is a pure function of (request, catalog, health): tested without any I/O. */
// Groq serving Llama 3.3 (the fastest of its hosts): see withGroqServingLlama.
const groqServing = withGroqServingLlama();
const catalog = indexCatalog(groqServing, "default");
const LLAMA = "meta-llama/llama-3.3-70b-instruct";
const configured = () => ({ baseUrl: "http://upstream", apiKey: "k", emulated: true, setting: () => undefined });

function plan(request: PlanInput["request"], extra: Partial<PlanInput> = {}) {
  return planAttempts({ request, catalog, promptTokens: 100, access: configured, random: () => 0.5, ...extra });
}
const providers = (request: PlanInput["request"], extra: Partial<PlanInput> = {}) =>
  plan(request, extra).map((a) => a.provider.slug);

function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

describe("default choice", () => {
  it("weights endpoints by the inverse square of price: the cheapest takes most of 1,000 requests", () => {
    const random = seeded(42);
    const firsts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const first = providers({ model: LLAMA }, { random })[0]!;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // DeepInfra (0.23 + 0.40) is far cheaper than Groq (0.59 + 0.79) and Together/Fireworks (~1.8).
    const deepinfra = firsts.get("deepinfra") ?? 0;
    expect(deepinfra).toBeGreaterThan(600);
    expect(deepinfra).toBeGreaterThan((firsts.get("groq") ?? 0) * 3);
    expect(firsts.get("groq") ?? 0).toBeGreaterThan(firsts.get("together") ?? 0);
    expect(firsts.size).toBeGreaterThan(1); // the others still get some traffic
  });

  it("puts endpoints with a recent outage last", () => {
    const order = providers({ model: LLAMA }, { isDown: (key) => key.startsWith("deepinfra") });
    expect(order.at(-1)).toBe("deepinfra");
  });

  it("skips endpoints whose context is too small for the prompt", () => {
    const order = plan({ model: "meta-llama/llama-3.1-405b-instruct" }, { promptTokens: 60_000 }).map(
      (a) => a.provider.slug,
    );
    expect(order).not.toContain("deepinfra"); // 32k context
    expect(order.length).toBe(2);
  });

  it("skips providers that are not configured", () => {
    const order = providers({ model: LLAMA }, { access: (p) => (p.slug === "groq" ? undefined : configured()) });
    expect(order).not.toContain("groq");
  });
});

describe("provider preferences", () => {
  it("order tries the listed providers first, in order, then the rest", () => {
    const order = providers({ model: LLAMA, provider: { order: ["groq", "Together"] } });
    expect(order.slice(0, 2)).toEqual(["groq", "together"]);
    expect(order).toHaveLength(4);
  });

  it("allow_fallbacks: false stops after the listed providers", () => {
    expect(providers({ model: LLAMA, provider: { order: ["groq"], allow_fallbacks: false } })).toEqual(["groq"]);
  });

  it("allow_fallbacks: false without order keeps only the primary endpoint, the first choice", () => {
    expect(providers({ model: LLAMA, provider: { sort: "price", allow_fallbacks: false } })).toEqual(["deepinfra"]);
    // Under the default price weighting, the one drawn first.
    for (const seed of [1, 2, 3]) {
      const [first] = providers({ model: LLAMA }, { random: seeded(seed) });
      expect(providers({ model: LLAMA, provider: { allow_fallbacks: false } }, { random: seeded(seed) })).toEqual([
        first,
      ]);
    }
  });

  it("allow_fallbacks: false leaves the models fallback list in force, one primary per model", () => {
    const attempts = plan({
      model: LLAMA,
      models: ["openai/gpt-4o-mini"],
      provider: { sort: "price", allow_fallbacks: false },
    });
    expect(attempts.map((a) => `${a.model.id} ${a.provider.slug}`)).toEqual([
      `${LLAMA} deepinfra`,
      "openai/gpt-4o-mini openai",
    ]);
  });

  it("only and ignore filter", () => {
    expect(new Set(providers({ model: LLAMA, provider: { only: ["groq", "fireworks"] } }))).toEqual(
      new Set(["groq", "fireworks"]),
    );
    expect(providers({ model: LLAMA, provider: { ignore: ["deepinfra"] } })).not.toContain("deepinfra");
  });

  it("quantizations keep only matching endpoints", () => {
    expect(providers({ model: LLAMA, provider: { quantizations: ["fp8"] } })).toEqual(["together"]);
    // Without case, as provider names are.
    expect(providers({ model: LLAMA, provider: { quantizations: ["FP8"] } })).toEqual(["together"]);
  });

  it("data_collection: deny drops providers that train on prompts", () => {
    const request = { model: "deepseek/deepseek-chat-v3-0324", provider: { data_collection: "deny" } } as const;
    expect(providers({ ...request, provider: {} }, { catalog: withDeepSeekServingV3() })).toContain("deepseek");
    const order = providers(request, { catalog: withDeepSeekServingV3() });
    expect(order).not.toContain("deepseek");
    expect(order.length).toBeGreaterThan(0);
  });

  it("zdr keeps only zero-data-retention providers", () => {
    const order = providers({ model: "deepseek/deepseek-chat-v3-0324", provider: { zdr: true } });
    expect(new Set(order)).toEqual(new Set(["together", "fireworks", "deepinfra"]));
  });

  it("max_price (USD per million tokens) excludes pricier endpoints", () => {
    const order = providers({ model: LLAMA, provider: { max_price: { prompt: 0.6, completion: 0.8 } } });
    expect(new Set(order)).toEqual(new Set(["groq", "deepinfra"]));
  });

  it("require_parameters keeps only endpoints that support every parameter sent", () => {
    const order = providers({
      model: LLAMA,
      provider: { require_parameters: true },
      min_p: 0.1,
    } as PlanInput["request"]);
    expect(order).not.toContain("groq"); // Groq does not take min_p
  });

  it("more stop sequences than a format takes skip its endpoints; with none left, a 400 names `stop`", () => {
    const stops = (n: number) => Array.from({ length: n }, (_, i) => `STOP${i}`);
    // Gemini, like Cohere, takes five; empty strings are no stop sequence and do not count.
    expect(providers({ model: "google/gemini-2.5-flash-lite", stop: [...stops(5), ""] })).toEqual(["google-ai-studio"]);
    expect(() => plan({ model: "google/gemini-2.5-flash-lite", stop: stops(6) })).toThrow(
      expect.objectContaining({
        status: 400,
        message: expect.stringMatching(/at most 5 stop sequences \(`stop` has 6\)/),
      }),
    );
    // Through a `models` fallback, the next model serves it, on the providers without a limit
    // under six (OpenAI takes four; Groq, like OpenAI, four).
    const fallback = plan({ model: "google/gemini-2.5-flash-lite", models: [LLAMA], stop: stops(6) });
    expect(fallback.map((a) => a.model.id)).toEqual(fallback.map(() => LLAMA));
    expect(fallback.map((a) => a.provider.slug)).not.toContain("groq");
    expect(() => plan({ model: "openai/gpt-4o-mini", stop: stops(5) })).toThrow(
      expect.objectContaining({ status: 400, message: expect.stringMatching(/at most 4 stop sequences/) }),
    );
    // A provider that is not configured is not the client's to fix: a 404, not a request for fewer stops.
    const unconfigured = () =>
      plan(
        { model: "google/gemini-2.5-flash-lite", models: [LLAMA], stop: stops(6) },
        {
          access: (p) => (p.slug === "google-ai-studio" ? configured() : undefined),
        },
      );
    expect(unconfigured).toThrow(expect.objectContaining({ status: 404 }));
  });

  it("sort orders strictly by price, throughput or latency", () => {
    expect(providers({ model: LLAMA, provider: { sort: "price" } })[0]).toBe("deepinfra");
    expect(providers({ model: LLAMA, provider: { sort: "throughput" } })[0]).toBe("groq");
    expect(providers({ model: LLAMA, provider: { sort: { by: "latency" } } })[0]).toBe("groq");
  });

  it("names an unknown provider in a 400", () => {
    expect(() => plan({ model: LLAMA, provider: { order: ["nope"] } })).toThrow(/unknown provider "nope"/);
  });

  it("explains an impossible combination in a 404", () => {
    try {
      plan({ model: LLAMA, provider: { only: ["groq"], quantizations: ["fp8"] } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).status).toBe(404);
      expect((error as GatewayError).message).toContain(LLAMA);
      expect((error as GatewayError).message).toMatch(/quantization|provider.only/);
    }
  });
});

/** The refusal a plan throws, for its status, message and metadata. */
function refusal(request: PlanInput["request"], extra: Partial<PlanInput> = {}): GatewayError {
  try {
    plan(request, extra);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a refusal, got a plan");
}

describe('"No allowed providers": the provider filters alone leave no endpoint', () => {
  const NO_ALLOWED = "No allowed providers are available for the selected model.";
  // LLAMA's providers, in the catalog's order.
  const LLAMA_PROVIDERS = ["together", "fireworks", "groq", "deepinfra"];

  it("provider.only naming none of the model's providers: a 404 in OpenRouter's words, with both lists", () => {
    const error = refusal({ model: LLAMA, provider: { only: ["openai", "mistral"] } });
    expect(error.status).toBe(404);
    expect(error.message).toBe(NO_ALLOWED);
    expect(error.metadata).toEqual({
      available_providers: LLAMA_PROVIDERS,
      requested_providers: ["openai", "mistral"],
      reasons: [`${LLAMA}: excluded by provider.only`],
    });
  });

  it("names the requested providers by slug: a display name as the catalog's slug, slug/tag whole, lower case", () => {
    const error = refusal({
      model: "google/gemini-2.5-flash-lite",
      provider: { only: ["DeepInfra", "together/FP8", "groq"] },
    });
    expect(error.message).toBe(NO_ALLOWED);
    expect(error.metadata).toMatchObject({
      available_providers: ["google-ai-studio"],
      requested_providers: ["deepinfra", "together/fp8", "groq"],
    });
  });

  it("a slug/tag in only that matches no endpoint of an allowed provider is not allowed either", () => {
    // Groq serves LLAMA at fp16 only: "groq/fp8" allows none of it.
    const error = refusal({ model: LLAMA, provider: { only: ["groq/fp8"] } });
    expect(error.message).toBe(NO_ALLOWED);
    expect(error.metadata).toMatchObject({ available_providers: LLAMA_PROVIDERS, requested_providers: ["groq/fp8"] });
  });

  it("provider.ignore of every provider: the same refusal; with no only list, no provider is requested", () => {
    const error = refusal({ model: "openai/gpt-4o", provider: { ignore: ["openai", "Azure"] } });
    expect(error.status).toBe(404);
    expect(error.message).toBe(NO_ALLOWED);
    expect(error.metadata).toEqual({
      available_providers: ["openai", "azure"],
      requested_providers: [],
      reasons: ["openai/gpt-4o: excluded by provider.ignore"],
    });
    // only and ignore together: what only allows, ignore takes away.
    const both = refusal({ model: "openai/gpt-4o", provider: { only: ["azure", "groq"], ignore: ["azure"] } });
    expect(both.message).toBe(NO_ALLOWED);
    expect(both.metadata).toMatchObject({ requested_providers: ["azure", "groq"] });
  });

  it("a models list: the providers of every model, deduplicated, in the models' order", () => {
    const error = refusal({
      model: "deepseek/deepseek-r1",
      models: [LLAMA, "openai/gpt-4o"],
      provider: { only: ["mistral"] },
    });
    expect(error.message).toBe(NO_ALLOWED);
    expect(error.metadata).toMatchObject({
      available_providers: ["together", "fireworks", "deepinfra", "groq", "openai", "azure"],
      requested_providers: ["mistral"],
    });
    expect((error.metadata as { reasons: string[] }).reasons).toHaveLength(3);
  });

  it("order with allow_fallbacks: false naming none of the model's providers pins providers as only does", () => {
    const error = refusal({ model: LLAMA, provider: { order: ["openai", "Azure"], allow_fallbacks: false } });
    expect(error.status).toBe(404);
    expect(error.message).toBe(NO_ALLOWED);
    expect(error.metadata).toEqual({
      available_providers: LLAMA_PROVIDERS,
      requested_providers: ["openai", "azure"],
      reasons: [`${LLAMA}: no provider in provider.order serves it (allow_fallbacks: false)`],
    });
    // With only as well, the providers allowed are those of only that order names too: none here.
    const both = refusal({ model: LLAMA, provider: { only: ["groq"], order: ["openai"], allow_fallbacks: false } });
    expect(both.message).toBe(NO_ALLOWED);
    expect(both.metadata).toMatchObject({ available_providers: LLAMA_PROVIDERS, requested_providers: [] });
    // Without allow_fallbacks: false, order only orders: the model is served.
    expect(providers({ model: LLAMA, provider: { order: ["openai"] } })).toHaveLength(4);
  });

  it("embedding models are refused the same way", () => {
    const error = refusal(
      { model: "openai/text-embedding-3-small", provider: { only: ["cohere"] } },
      { kind: "embedding", hasAdapter: () => true },
    );
    expect(error.status).toBe(404);
    expect(error.message).toBe(NO_ALLOWED);
    expect(error.metadata).toMatchObject({
      available_providers: ["openai", "azure"],
      requested_providers: ["cohere"],
    });
  });
});

describe("other empty plans keep their refusals", () => {
  const GENERIC = /^No endpoints found that satisfy the request: /;

  it("an allowed provider left out for something else (price, quantization, data policy) is the generic 404", () => {
    for (const provider of [
      { only: ["groq"], max_price: { prompt: 0.01 } },
      { only: ["groq"], quantizations: ["fp8"] },
      { ignore: ["together", "fireworks", "deepinfra"], max_price: { prompt: 0.01 } },
      { order: ["groq"], allow_fallbacks: false, quantizations: ["fp8", "bf16"] },
    ]) {
      const error = refusal({ model: LLAMA, provider });
      expect(error.status, JSON.stringify(provider)).toBe(404);
      expect(error.message, JSON.stringify(provider)).toMatch(GENERIC);
      expect(error.metadata, JSON.stringify(provider)).not.toHaveProperty("available_providers");
    }
    const pinned = refusal({
      model: LLAMA,
      provider: { order: ["groq"], allow_fallbacks: false, quantizations: ["fp8"] },
    });
    expect(pinned.message).toContain("no provider in provider.order serves it (allow_fallbacks: false)");
  });

  it("a mix of causes across models is the generic 404, naming each", () => {
    const error = refusal({
      model: "openai/gpt-4o",
      models: [LLAMA],
      provider: { only: ["groq"], max_price: { prompt: 0.01 } },
    });
    expect(error.status).toBe(404);
    expect(error.message).toMatch(GENERIC);
    expect(error.message).toContain("openai/gpt-4o: excluded by provider.only");
    expect(error.message).toContain("price above provider.max_price");
  });

  it("tools no endpoint takes, an unknown model, and providers not configured keep their refusals", () => {
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    const toolsOnly = refusal({ model: "deepseek/deepseek-r1", tools } as PlanInput["request"]);
    expect(toolsOnly.status).toBe(404);
    expect(toolsOnly.message).toMatch(/^No endpoints found that support tool use: /);
    const unknown = refusal({ model: "nobody/nothing", models: ["nobody/else"], provider: { only: ["groq"] } });
    expect(unknown.status).toBe(400);
    expect(unknown.message).toMatch(GENERIC);
    const unconfigured = refusal({ model: LLAMA, provider: { only: ["groq"] } }, { access: () => undefined });
    expect(unconfigured.status).toBe(404);
    expect(unconfigured.message).toMatch(GENERIC);
    expect(unconfigured.message).toContain("groq is not configured");
  });
});

describe("models and variants", () => {
  it("models: tries the listed models in order", () => {
    const attempts = plan({ model: "openai/gpt-4o-mini", models: [LLAMA] });
    expect(attempts[0]!.model.id).toBe("openai/gpt-4o-mini");
    expect(attempts.at(-1)!.model.id).toBe(LLAMA);
  });

  it(":floor sorts by price and :nitro by throughput", () => {
    expect(providers({ model: `${LLAMA}:floor` })[0]).toBe("deepinfra");
    expect(providers({ model: `${LLAMA}:nitro` })[0]).toBe("groq");
  });

  it(":free resolves to the free listing", () => {
    const attempts = plan({ model: `${LLAMA}:free` });
    expect(attempts.every((a) => a.endpoint.pricing.prompt === "0")).toBe(true);
  });

  it("openrouter/auto routes to the configured default list", () => {
    const attempts = plan({ model: "openrouter/auto" });
    expect(attempts[0]!.model.id).toBe(defaultCatalog.auto_models![0]);
  });

  it("openrouter/auto in a models list stands for the auto list there, after the models before it", () => {
    const models = [...new Set(plan({ model: LLAMA, models: ["openrouter/auto"] }).map((a) => a.model.id))];
    expect(models).toEqual([LLAMA, ...defaultCatalog.auto_models!]);
  });
});

describe("preferred_max_latency and preferred_min_throughput", () => {
  // Catalog figures for LLAMA: Groq 250 ms / 300 tok/s, Fireworks 450 / 100, Together 500 / 90,
  // DeepInfra 600 / 35. Under the default weighting (random 0.5 here) DeepInfra comes first.
  const firstTwo = (provider: PlanInput["request"]["provider"], extra: Partial<PlanInput> = {}) =>
    providers({ model: LLAMA, provider }, extra).slice(0, 2);

  it("put the endpoints that meet them first, judged on the catalog's figures before live ones", () => {
    expect(providers({ model: LLAMA })[0]).toBe("deepinfra");
    expect(providers({ model: LLAMA, provider: { preferred_max_latency: 0.3 } })[0]).toBe("groq");
    expect(providers({ model: LLAMA, provider: { preferred_max_latency: { p50: 0.3 } } })[0]).toBe("groq");
    expect(new Set(firstTwo({ preferred_min_throughput: 95 }))).toEqual(new Set(["groq", "fireworks"]));
    // Both given, an endpoint must meet both: Together is fast enough, not quick enough.
    const both = { preferred_max_latency: 0.55, preferred_min_throughput: 95 };
    expect(new Set(firstTwo(both))).toEqual(new Set(["groq", "fireworks"]));
  });

  it("are preferences, never filters: every endpoint stays in the plan", () => {
    expect(providers({ model: LLAMA, provider: { preferred_max_latency: 0.3 } })).toHaveLength(4);
    // None meets it: the plan is the one without the preference.
    expect(providers({ model: LLAMA, provider: { preferred_max_latency: 0.01 } })).toEqual(providers({ model: LLAMA }));
  });

  it("use the live figures once there are any, at the percentile asked", () => {
    const stats = (p50: number, p90: number) => ({ p50, p75: p50, p90, p99: p90 });
    const figures = (key: string) =>
      key.startsWith("together")
        ? { ttfbMs: stats(100, 200), tps: stats(400, 300) }
        : key.startsWith("groq")
          ? { ttfbMs: stats(100, 2000), tps: stats(400, 20) }
          : undefined;
    expect(providers({ model: LLAMA, provider: { preferred_max_latency: 0.3 } }, { figures })[0]).not.toBe("deepinfra");
    expect(providers({ model: LLAMA, provider: { preferred_max_latency: { p90: 0.3 } } }, { figures })[0]).toBe(
      "together",
    );
    expect(providers({ model: LLAMA, provider: { preferred_min_throughput: { p90: 250 } } }, { figures })[0]).toBe(
      "together",
    );
  });

  it("must be numbers (seconds, tokens per second) or cutoffs by percentile", () => {
    const request = (provider: unknown) => ({ messages: [{ role: "user", content: "hi" }], provider });
    expect(ChatRequestSchema.safeParse(request({ preferred_max_latency: { p90: 1.5 } })).success).toBe(true);
    expect(ChatRequestSchema.safeParse(request({ preferred_max_latency: "fast" })).success).toBe(false);
    expect(ChatRequestSchema.safeParse(request({ preferred_min_throughput: { p50: -1 } })).success).toBe(false);
  });
});

describe("live health figures", () => {
  it("sort by latency or throughput uses live figures once there are any, catalog defaults before", () => {
    // Catalog: Groq is the fastest to first byte and has the highest throughput.
    expect(providers({ model: LLAMA, provider: { sort: "latency" } })[0]).toBe("groq");
    const at = (p50: number) => ({ p50, p75: p50, p90: p50, p99: p50 });
    const figures = (key: string) =>
      key.startsWith("deepinfra")
        ? { ttfbMs: at(20), tps: at(2000) }
        : key.startsWith("groq")
          ? { ttfbMs: at(900), tps: at(10) }
          : undefined;
    expect(providers({ model: LLAMA, provider: { sort: "latency" } }, { figures })[0]).toBe("deepinfra");
    expect(providers({ model: LLAMA, provider: { sort: "throughput" } }, { figures })[0]).toBe("deepinfra");
    expect(providers({ model: `${LLAMA}:nitro` }, { figures })[0]).toBe("deepinfra");
  });
});
