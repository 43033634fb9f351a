import { OpenRouter } from "@openrouter/sdk";
import { HTTPClient } from "@openrouter/sdk/lib/http.js";
import { NotFoundResponseError } from "@openrouter/sdk/models/errors";
import { describe, expect, it } from "vitest";
import { indexCatalog } from "../src/catalog/store";
import { CatalogSchema } from "../src/catalog/types";
import { HealthTracker } from "../src/routing/health";
import { type PlanInput, planAttempts } from "../src/routing/plan";
import { groqServingLlamaInForce, withDeepSeekServingV3, withGroqServingLlama } from "./support/catalog";
import { BASE, chat, fundedAccount, gatewayFetch } from "./support/gateway";

/** Routing as an OpenRouter user would notice it: what is tried, and what is refused and how. */
// Groq serving Llama 3.3 (the fastest of its hosts): see withGroqServingLlama.
const groqServing = withGroqServingLlama();
groqServingLlamaInForce();
const catalog = indexCatalog(groqServing, "default");
const LLAMA = "meta-llama/llama-3.3-70b-instruct";
const configured = () => ({ baseUrl: "http://upstream", apiKey: "k", emulated: true, setting: () => undefined });
const plan = (request: PlanInput["request"], extra: Partial<PlanInput> = {}) =>
  planAttempts({ request, catalog, promptTokens: 100, access: configured, random: () => 0.5, ...extra });

const TOOLS = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
const hello = [{ role: "user", content: "hello" }];

describe("tools", () => {
  it("a request with tools goes only to endpoints that support tool use, without require_parameters", () => {
    // An operator's catalog where one of LLAMA's endpoints does not take tools.
    const edited = CatalogSchema.parse({
      ...groqServing,
      models: groqServing.models.map((m) =>
        m.id !== LLAMA
          ? m
          : {
              ...m,
              endpoints: m.endpoints.map((e) =>
                e.provider === "deepinfra"
                  ? { ...e, supported_parameters: e.supported_parameters.filter((p) => p !== "tools") }
                  : e,
              ),
            },
      ),
    });
    const index = indexCatalog(edited, "kv");
    const slugs = (request: PlanInput["request"]) => plan(request, { catalog: index }).map((a) => a.provider.slug);
    expect(slugs({ model: LLAMA, provider: { sort: "price" }, tools: TOOLS } as PlanInput["request"])).not.toContain(
      "deepinfra",
    );
    // Without tools, it is still the cheapest.
    expect(slugs({ model: LLAMA, provider: { sort: "price" } })[0]).toBe("deepinfra");
  });

  it("a model none of whose endpoints takes tools is a 404 that says so, never an answer without them", async () => {
    const { key } = await fundedAccount();
    const response = await chat(key, { model: "deepseek/deepseek-r1", messages: hello, tools: TOOLS });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(404);
    // OpenRouter's words, which coding agents read to retry without tools.
    expect(body.error.message).toMatch(/^No endpoints found that support tool use: deepseek\/deepseek-r1: /);
    // A `models` fallback that takes tools answers instead.
    const fallback = await chat(key, {
      model: "deepseek/deepseek-r1",
      models: ["openai/gpt-4o-mini"],
      messages: hello,
      tools: TOOLS,
    });
    expect(fallback.status).toBe(200);
    expect(((await fallback.json()) as { model: string }).model).toBe("openai/gpt-4o-mini");
  });
});

describe('"No allowed providers are available for the selected model."', () => {
  const NO_ALLOWED = "No allowed providers are available for the selected model.";
  interface ErrorReply {
    error: { code: number; message: string; metadata?: Record<string, unknown> };
  }

  it("provider.only naming none of the model's providers: OpenRouter's 404, with the lists clients read", async () => {
    const { key } = await fundedAccount();
    const response = await chat(key, { model: LLAMA, messages: hello, provider: { only: ["OpenAI", "mistral"] } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorReply).error).toEqual({
      code: 404,
      message: NO_ALLOWED,
      metadata: {
        available_providers: ["together", "fireworks", "groq", "deepinfra"],
        requested_providers: ["openai", "mistral"],
        reasons: [`${LLAMA}: excluded by provider.only`],
      },
    });
  });

  it("the OpenRouter SDK reads it as its NotFoundResponseError, metadata included", async () => {
    const { key } = await fundedAccount();
    const client = new OpenRouter({
      apiKey: key,
      serverURL: BASE,
      httpClient: new HTTPClient({ fetcher: (input, init) => gatewayFetch(input as RequestInfo, init) }),
      retryConfig: { strategy: "none" },
    });
    const thrown = await client.chat
      .send({
        chatRequest: {
          model: "openai/gpt-4o",
          messages: [{ role: "user", content: "hello" }],
          provider: { ignore: ["openai", "azure"] },
        },
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(thrown).toBeInstanceOf(NotFoundResponseError);
    const { error } = thrown as NotFoundResponseError;
    expect(error.code).toBe(404);
    expect(error.message).toBe(NO_ALLOWED);
    // ignore alone allows no provider by name: none is requested.
    expect(error.metadata).toMatchObject({ available_providers: ["openai", "azure"], requested_providers: [] });
  });

  it("order with allow_fallbacks: false naming none of the model's providers is refused the same way", async () => {
    const { key } = await fundedAccount();
    const response = await chat(key, {
      model: LLAMA,
      models: ["google/gemini-2.5-flash-lite"],
      messages: hello,
      provider: { order: ["openai"], allow_fallbacks: false },
    });
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as ErrorReply;
    expect(error.message).toBe(NO_ALLOWED);
    expect(error.metadata).toMatchObject({
      available_providers: ["together", "fireworks", "groq", "deepinfra", "google-ai-studio"],
      requested_providers: ["openai"],
    });
  });

  it("other causes keep their refusals: a price, a mix of causes, a 400 the client can fix", async () => {
    const { key } = await fundedAccount();
    const ask = async (body: Record<string, unknown>) => {
      const response = await chat(key, { messages: hello, ...body });
      return { status: response.status, error: ((await response.json()) as ErrorReply).error };
    };
    const priced = await ask({ model: LLAMA, provider: { only: ["groq"], max_price: { prompt: 0.01 } } });
    expect(priced.status).toBe(404);
    expect(priced.error.message).toBe(
      `No endpoints found that satisfy the request: ${LLAMA}: excluded by provider.only; price above provider.max_price`,
    );
    expect(priced.error.metadata).not.toHaveProperty("available_providers");
    const mixed = await ask({
      model: "openai/gpt-4o",
      models: [LLAMA],
      provider: { only: ["groq"], max_price: { prompt: 0.01 } },
    });
    expect(mixed.status).toBe(404);
    expect(mixed.error.message).toMatch(/^No endpoints found that satisfy the request: openai\/gpt-4o: excluded by/);
    const unknown = await ask({ model: "nobody/nothing", models: ["nobody/else"], provider: { only: ["groq"] } });
    expect(unknown.status).toBe(400);
    expect(unknown.error.message).toMatch(/^No endpoints found that satisfy the request: nobody\/nothing: /);
  });
});

describe("sort partition", () => {
  const slots = (request: PlanInput["request"]) => plan(request).map((a) => `${a.model.id} ${a.provider.slug}`);
  // In the catalog's figures, Groq serves LLAMA at 300 tokens/s; Qwen 2.5 72B's fastest is Fireworks at 80.
  const QWEN = "qwen/qwen-2.5-72b-instruct";

  it('partition "none" sorts the endpoints of all the models together', () => {
    const order = slots({ model: QWEN, models: [LLAMA], provider: { sort: { by: "throughput", partition: "none" } } });
    expect(order[0]).toBe(`${LLAMA} groq`); // the fallback model's fastest endpoint goes first
    expect(order.indexOf(`${QWEN} fireworks`)).toBeLessThan(order.indexOf(`${LLAMA} deepinfra`));
    expect(order).toHaveLength(7);
  });

  it('partition "model" (the default) keeps the fallback model after the first', () => {
    for (const sort of [
      { by: "throughput" as const, partition: "model" },
      { by: "throughput" as const },
      "throughput" as const,
    ]) {
      const order = slots({ model: QWEN, models: [LLAMA], provider: { sort } });
      expect(order.slice(0, 3).every((slot) => slot.startsWith(QWEN))).toBe(true);
    }
  });

  it("takes a sort object without `by` (the SDK's field is optional) as no sort", async () => {
    const { key } = await fundedAccount();
    const response = await chat(key, { model: LLAMA, messages: hello, provider: { sort: { partition: "none" } } });
    expect(response.status).toBe(200);
  });
});

describe("exacto", () => {
  // Groq has failed half its recent calls, Fireworks a tenth; the others have no failures on record.
  const errorRates: Record<string, number> = { groq: 0.5, fireworks: 0.1 };
  const figures = (key: string) => {
    const rate = errorRates[key.split(":")[0]!];
    return rate === undefined ? undefined : { ttfbMs: undefined, tps: undefined, errorRate: rate };
  };
  const slugs = (request: PlanInput["request"]) => plan(request, { figures }).map((a) => a.provider.slug);

  it(":exacto and sort: exacto put the endpoints with the fewest recent failures first", () => {
    for (const request of [{ model: `${LLAMA}:exacto` }, { model: LLAMA, provider: { sort: "exacto" as const } }]) {
      const order = slugs(request);
      expect(order.slice(-2)).toEqual(["fireworks", "groq"]);
      expect(new Set(order.slice(0, 2))).toEqual(new Set(["together", "deepinfra"]));
    }
  });

  it("is answered through the gateway, where it was a 400 (an invalid model id, an invalid sort)", async () => {
    const { key } = await fundedAccount();
    const variant = await chat(key, { model: `${LLAMA}:exacto`, messages: hello });
    expect(variant.status).toBe(200);
    expect(((await variant.json()) as { model: string }).model).toBe(LLAMA);
    const sorted = await chat(key, { model: LLAMA, messages: hello, provider: { sort: { by: "exacto" } } });
    expect(sorted.status).toBe(200);
  });
});

describe("endpoint tags in order, only and ignore", () => {
  // An operator's catalog where DeepInfra serves LLAMA at two endpoints: its default and "turbo".
  const tagged = indexCatalog(
    CatalogSchema.parse({
      ...groqServing,
      models: groqServing.models.map((m) => {
        const base = m.endpoints.find((e) => e.provider === "deepinfra");
        if (m.id !== LLAMA || !base) return m;
        return { ...m, endpoints: [...m.endpoints, { ...base, tag: "turbo", quantization: "fp8" }] };
      }),
    }),
    "kv",
  );
  const slots = (provider: PlanInput["request"]["provider"]) =>
    plan({ model: LLAMA, provider }, { catalog: tagged }).map(
      (a) => a.provider.slug + (a.endpoint.tag ? "/turbo" : ""),
    );

  it("`slug/tag` names one endpoint of a provider; a bare slug or display name names them all", () => {
    expect(slots({ only: ["deepinfra/turbo"] })).toEqual(["deepinfra/turbo"]);
    expect(slots({ only: ["DeepInfra/Turbo"] })).toEqual(["deepinfra/turbo"]);
    expect(new Set(slots({ only: ["DeepInfra"] }))).toEqual(new Set(["deepinfra", "deepinfra/turbo"]));
    expect(slots({ ignore: ["deepinfra/turbo"] })).toContain("deepinfra");
    expect(slots({ ignore: ["deepinfra/turbo"] })).not.toContain("deepinfra/turbo");
    expect(slots({ order: ["deepinfra/turbo"], allow_fallbacks: false })).toEqual(["deepinfra/turbo"]);
    expect(slots({ order: ["deepinfra/turbo", "groq"] }).slice(0, 2)).toEqual(["deepinfra/turbo", "groq"]);
  });

  it("a tag copied from OpenRouter (`provider/quantization`) picks the untagged endpoint of that quantization", () => {
    expect(slots({ only: ["together/fp8"] })).toEqual(["together"]);
    expect(() => slots({ only: ["together/fp16"] })).toThrow(expect.objectContaining({ status: 404 }));
  });
});

describe("enforce_distillable_text", () => {
  it("serves only models whose authors allow distillation, where it was ignored", async () => {
    const { key } = await fundedAccount();
    const provider = { enforce_distillable_text: true };
    const refused = await chat(key, { model: LLAMA, messages: hello, provider });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/distillation/);
    // A `models` fallback that allows it answers; without the preference the model answers as before.
    const fallback = await chat(key, {
      model: LLAMA,
      models: ["deepseek/deepseek-chat-v3-0324"],
      messages: hello,
      provider,
    });
    expect(fallback.status).toBe(200);
    expect(((await fallback.json()) as { model: string }).model).toBe("deepseek/deepseek-chat-v3-0324");
    expect(
      (await chat(key, { model: LLAMA, messages: hello, provider: { enforce_distillable_text: false } })).status,
    ).toBe(200);
  });
});

describe("preferred_max_latency and preferred_min_throughput across models", () => {
  const models = (request: PlanInput["request"]) => [...new Set(plan(request).map((a) => a.model.id))];
  // Catalog figures: Groq serves LLAMA at 250 ms and 300 tokens/s; no Qwen 2.5 72B endpoint comes
  // within 0.3 s or reaches 150 tokens/s.
  const QWEN = "qwen/qwen-2.5-72b-instruct";

  it("a fallback model that meets them goes ahead of a primary that does not", () => {
    expect(models({ model: QWEN, models: [LLAMA], provider: { preferred_max_latency: 0.3 } })).toEqual([LLAMA, QWEN]);
    expect(models({ model: QWEN, models: [LLAMA], provider: { preferred_min_throughput: 150 } })).toEqual([
      LLAMA,
      QWEN,
    ]);
    // The primary keeps its place when it meets them too, or when no model does.
    expect(models({ model: LLAMA, models: [QWEN], provider: { preferred_max_latency: 0.3 } })).toEqual([LLAMA, QWEN]);
    expect(models({ model: QWEN, models: [LLAMA], provider: { preferred_max_latency: 0.01 } })).toEqual([QWEN, LLAMA]);
    expect(models({ model: QWEN, models: [LLAMA] })).toEqual([QWEN, LLAMA]);
  });

  it("an endpoint with a recent outage does not count as meeting them", () => {
    const isDown = (key: string) => key.startsWith("groq");
    const order = plan({ model: QWEN, models: [LLAMA], provider: { preferred_max_latency: 0.3 } }, { isDown });
    expect(order[0]!.model.id).toBe(QWEN);
  });
});

describe("max_tokens", () => {
  // LLAMA's endpoints write at most: Together and Fireworks 131,072, Groq 32,768, DeepInfra 16,384.
  const slugs = (max_tokens: number) =>
    plan({ model: LLAMA, max_tokens, provider: { sort: "price" } } as PlanInput["request"]).map((a) => a.provider.slug);

  it("goes only to endpoints that can write that many tokens, when some can", () => {
    expect(slugs(16_000)[0]).toBe("deepinfra");
    expect(slugs(20_000)).not.toContain("deepinfra");
    expect(slugs(20_000)[0]).toBe("groq");
    expect(new Set(slugs(100_000))).toEqual(new Set(["together", "fireworks"]));
  });

  it("keeps the providers order pins with allow_fallbacks: false, even when they cannot", () => {
    const pinned = { order: ["deepinfra"], allow_fallbacks: false };
    const request = { model: LLAMA, max_tokens: 20_000, provider: pinned } as PlanInput["request"];
    expect(plan(request).map((a) => a.provider.slug)).toEqual(["deepinfra"]);
  });

  it("keeps every endpoint when none can, each writing what it can", () => {
    // Qwen 2.5 72B's endpoints write at most 8,192 (Together) and 16,384 (Fireworks, DeepInfra).
    const request = { model: "qwen/qwen-2.5-72b-instruct", max_tokens: 20_000 } as PlanInput["request"];
    expect(plan(request)).toHaveLength(3);
  });
});

describe("invalid model ids", () => {
  it("a models list that names no model is a 400, as a lone invalid model is", async () => {
    const { key } = await fundedAccount();
    for (const body of [
      { model: "nope/nope" },
      { models: ["nope/nope", "x/y"] },
      { model: "nope/nope", models: ["x/y"] },
    ]) {
      const response = await chat(key, { ...body, messages: hello });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/not a valid model ID/);
    }
    // One valid model among them answers; a valid model with no endpoint left stays a 404.
    expect((await chat(key, { model: "nope/nope", models: [LLAMA], messages: hello })).status).toBe(200);
    const filtered = await chat(key, { models: ["nope/nope", LLAMA], messages: hello, provider: { only: ["openai"] } });
    expect(filtered.status).toBe(404);
  });
});

describe("data_collection", () => {
  it('"deny" leaves out providers that may train on prompts, not those that only retain them', async () => {
    // DeepSeek may train on prompts; OpenAI and Anthropic retain them for abuse monitoring only.
    expect(
      plan(
        { model: "deepseek/deepseek-chat-v3-0324", provider: { data_collection: "deny" } },
        { catalog: withDeepSeekServingV3() },
      ).map((a) => a.provider.slug),
    ).not.toContain("deepseek");
    const { key } = await fundedAccount();
    const provider = { data_collection: "deny" };
    for (const model of ["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5"]) {
      const response = await chat(key, { model, messages: hello, provider });
      expect(response.status).toBe(200);
    }
    // Leaving out retention too is zdr's: OpenAI offers none here.
    expect(
      (await chat(key, { model: "openai/gpt-4o-mini", messages: hello, provider: { ...provider, zdr: true } })).status,
    ).toBe(404);
  });
});

describe("an endpoint back from an outage", () => {
  it("takes its usual place once the breaker's cooldown has passed, where it stayed last until all else failed", () => {
    let now = 0;
    const tracker = new HealthTracker({ failuresToOpen: 3, cooldownMs: 30_000, windowSize: 10 }, () => now);
    const first = () => plan({ model: LLAMA }, { isDown: (key) => tracker.isDown(key) })[0]!.provider.slug;
    expect(first()).toBe("deepinfra"); // the cheapest, drawn first here
    const key = "deepinfra:meta-llama/llama-3.3-70b-instruct";
    for (let i = 0; i < 3; i++) tracker.recordFailure(key);
    expect(first()).not.toBe("deepinfra"); // open: tried last
    now += 31_000;
    expect(first()).toBe("deepinfra"); // the cooldown has passed: this request is the probe
    tracker.startAttempt(key);
    expect(first()).not.toBe("deepinfra"); // one probe at a time
    tracker.recordSuccess(key);
    expect(first()).toBe("deepinfra");
  });
});
