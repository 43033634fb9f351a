import { env } from "cloudflare:test";
import { ListEndpointsResponse$inboundSchema } from "@openrouter/sdk/models";
import { describe, expect, it, vi } from "vitest";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { CATALOG_KV_KEY } from "../src/catalog/store";
import { health } from "../src/routing/health";
import { BASE, chat, fundedAccount, gatewayFetch, nonce, openRouterClient, sleep } from "./support/gateway";

const get = async (path: string) => {
  const response = await gatewayFetch(`${BASE}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as any;
};

describe("GET /models", () => {
  it("lists the catalog in OpenRouter's schema", async () => {
    const { data, total_count } = await get("/models");
    expect(data.length).toBeGreaterThanOrEqual(25);
    expect(total_count).toBe(data.length);
    const model = data.find((m: any) => m.id === "openai/gpt-4o-mini");
    expect(model).toMatchObject({
      id: "openai/gpt-4o-mini",
      canonical_slug: expect.any(String),
      name: expect.any(String),
      created: expect.any(Number),
      description: expect.any(String),
      context_length: expect.any(Number),
      architecture: { input_modalities: expect.any(Array), output_modalities: ["text"], tokenizer: expect.any(String) },
      pricing: { prompt: expect.stringMatching(/^\d+(\.\d+)?$/), completion: expect.stringMatching(/^\d+(\.\d+)?$/) },
      top_provider: { context_length: expect.any(Number), is_moderated: expect.any(Boolean) },
      per_request_limits: null,
      supported_parameters: expect.arrayContaining(["tools", "max_tokens"]),
    });
  });

  it("filters by supported_parameters", async () => {
    const { data } = await get("/models?supported_parameters=tools,response_format");
    expect(data.length).toBeGreaterThan(0);
    for (const model of data)
      expect(model.supported_parameters).toEqual(expect.arrayContaining(["tools", "response_format"]));
    const all = await get("/models");
    expect(data.length).toBeLessThan(all.data.length);
  });

  it("filters by input modality, author and search text", async () => {
    const vision = await get("/models?input_modalities=image");
    for (const model of vision.data) expect(model.architecture.input_modalities).toContain("image");
    const meta = await get("/models?model_authors=meta-llama");
    expect(meta.data.length).toBeGreaterThan(0);
    for (const model of meta.data) expect(model.id.startsWith("meta-llama/")).toBe(true);
    const q = await get("/models?q=claude");
    expect(q.data.every((m: any) => `${m.id} ${m.name}`.toLowerCase().includes("claude"))).toBe(true);
  });

  it("lists every model, chat, embedding, rerank, transcription and speech alike, for output_modalities=all", async () => {
    const all = (await get("/models?output_modalities=all")).data.map((m: any) => m.id).sort();
    const chat = (await get("/models")).data.map((m: any) => m.id);
    const embeddings = (await get("/models?category=embeddings")).data.map((m: any) => m.id);
    const rerank = (await get("/models?output_modalities=rerank")).data.map((m: any) => m.id);
    const transcription = (await get("/models?output_modalities=transcription")).data.map((m: any) => m.id);
    const speech = (await get("/models?output_modalities=speech")).data.map((m: any) => m.id);
    expect(chat.length).toBeGreaterThan(0);
    expect(embeddings.length).toBeGreaterThan(0);
    expect(rerank.length).toBeGreaterThan(0);
    expect(transcription.length).toBeGreaterThan(0);
    expect(speech.length).toBeGreaterThan(0);
    expect(all).toEqual([...chat, ...embeddings, ...rerank, ...transcription, ...speech].sort());
  });

  it("filters by the category the catalog can answer, and refuses the others by name", async () => {
    const embeddings = await get("/models?category=embeddings");
    expect(embeddings.data.length).toBeGreaterThan(0);
    expect(embeddings.data.map((m: any) => m.id)).toEqual((await get("/embeddings/models")).data.map((m: any) => m.id));
    // OpenRouter ranks roleplay, programming… by its users' traffic, which a catalog does not hold.
    const roleplay = await gatewayFetch(`${BASE}/models?category=roleplay`);
    expect(roleplay.status).toBe(400);
    expect(((await roleplay.json()) as any).error.message).toMatch(/category "roleplay" is not supported/);
    const unknown = await gatewayFetch(`${BASE}/models/count?category=cooking`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error).toMatchObject({
      code: 400,
      message: 'Unknown category "cooking" (supported: "embeddings")',
    });
  });

  it("pages by links.next through the same filtered list, under the path it was asked on", async () => {
    const whole = (await get("/models?category=embeddings")).data.map((m: any) => m.id);
    expect(whole.length).toBeGreaterThan(2);
    for (const root of ["/api/v1", "/v1"]) {
      const paged: string[] = [];
      let next: string | null = `${root}/models?category=embeddings&limit=2`;
      for (let pages = 0; next !== null && pages < 10; pages++) {
        expect(next.startsWith(`${root}/models?`)).toBe(true);
        const response = await gatewayFetch(new URL(next, BASE));
        expect(response.status).toBe(200);
        const page = (await response.json()) as any;
        expect(page.data.length).toBeLessThanOrEqual(2);
        paged.push(...page.data.map((m: any) => m.id));
        next = page.links.next;
      }
      expect(paged).toEqual(whole);
    }
  });

  it("lists embedding models apart", async () => {
    const { data } = await get("/embeddings/models");
    expect(data.length).toBeGreaterThan(0);
    const chatIds = new Set((await get("/models")).data.map((m: any) => m.id));
    for (const model of data) expect(chatIds.has(model.id)).toBe(false);
  });
});

describe("GET /models/count and /models/user (the OpenRouter SDK's models.count and models.listForUser)", () => {
  const sdk = (apiKey?: string) => openRouterClient(apiKey);

  it("counts what /models lists, with the same filters", async () => {
    const all = await get("/models");
    expect((await sdk().models.count()).data.count).toBe(all.total_count);
    const embeddings = await sdk().models.count({ outputModalities: "embeddings" });
    expect(embeddings.data.count).toBe((await get("/models?output_modalities=embeddings")).total_count);
    expect(embeddings.data.count).toBeGreaterThan(0);
    expect(embeddings.data.count).toBeLessThan(all.total_count);
  });

  it("lists the models for a key, and refuses a request without one", async () => {
    const { key } = await fundedAccount("0");
    const page = await sdk().models.listForUser({ bearer: key });
    expect(page.result.data.map((m) => m.id)).toEqual((await get("/models")).data.map((m: any) => m.id));
    const anonymous = await gatewayFetch(`${BASE}/models/user`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as any).error.code).toBe(401);
  });
});

describe("GET /model/{author}/{slug} and /endpoints/zdr (the OpenRouter SDK's models.get and endpoints.listZdrEndpoints)", () => {
  const sdk = () => openRouterClient();

  it("gives one model as /models lists it, a variant suffix naming the same model, and 404 for an unknown one", async () => {
    const listed = (await get("/models")).data.find((m: any) => m.id === "meta-llama/llama-3.3-70b-instruct");
    expect((await get("/model/meta-llama/llama-3.3-70b-instruct")).data).toEqual(listed);
    const model = await sdk().models.get({ author: "meta-llama", slug: "llama-3.3-70b-instruct:floor" });
    expect(model.data.id).toBe("meta-llama/llama-3.3-70b-instruct");
    expect(model.data.pricing.prompt).toBe(listed.pricing.prompt);
    const unknown = await gatewayFetch(`${BASE}/model/nobody/no-such-model`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.message).toContain("nobody/no-such-model");
  });

  it("lists the endpoints of providers with zero data retention, and only those", async () => {
    const { data } = await sdk().endpoints.listZdrEndpoints();
    const zdrProviders = new Set(defaultCatalog.providers.filter((p) => p.data_policy.zdr).map((p) => p.name));
    expect(zdrProviders.size).toBeGreaterThan(0);
    expect(data.length).toBeGreaterThan(0);
    for (const endpoint of data) expect(zdrProviders.has(endpoint.providerName)).toBe(true);
    // Every such endpoint of the catalog is there, chat and embedding models alike.
    const expected = defaultCatalog.models.flatMap((m) =>
      m.endpoints.filter((e) => defaultCatalog.providers.find((p) => p.slug === e.provider)?.data_policy.zdr),
    );
    expect(data).toHaveLength(expected.length);
  });
});

describe("GET /models/{author}/{slug}/endpoints", () => {
  it("lists Claude's 1-hour cache-write price as OpenRouter does (input_cache_write_1h, twice the prompt price)", async () => {
    const { data } = await get("/models/anthropic/claude-haiku-4.5/endpoints");
    const parsed = ListEndpointsResponse$inboundSchema.parse(data);
    const anthropic = parsed.endpoints.find((e) => e.providerName === "Anthropic");
    expect(anthropic?.pricing.inputCacheWrite1h).toBe(String(2 * Number(anthropic?.pricing.prompt)));
  });

  it("lists a long-prompt price tier as OpenRouter does, in pricing.overrides", async () => {
    const { data } = await get("/models/google/gemini-3.1-pro-preview/endpoints");
    const tier = {
      min_prompt_tokens: 200000,
      prompt: "0.000004",
      completion: "0.000018",
    };
    expect(data.endpoints[0].pricing.overrides).toEqual([tier]);
    // As a client reads it: the SDK's schema.
    const parsed = ListEndpointsResponse$inboundSchema.parse(data);
    expect(parsed.endpoints[0]?.pricing.overrides?.[0]).toMatchObject({ minPromptTokens: 200000, prompt: "0.000004" });
    expect(
      (await get("/models")).data.find((m: any) => m.id === "google/gemini-3.1-pro-preview").pricing.overrides,
    ).toEqual([tier]);
  });

  it("lists each provider of an open-weight model with its own price", async () => {
    const { data } = await get("/models/meta-llama/llama-3.3-70b-instruct/endpoints");
    expect(data.id).toBe("meta-llama/llama-3.3-70b-instruct");
    expect(data.endpoints.length).toBeGreaterThanOrEqual(2);
    const prices = new Set(data.endpoints.map((e: any) => e.pricing.prompt));
    expect(prices.size).toBeGreaterThan(1);
    for (const endpoint of data.endpoints) {
      expect(endpoint).toMatchObject({
        provider_name: expect.any(String),
        tag: expect.any(String),
        context_length: expect.any(Number),
        supported_parameters: expect.any(Array),
      });
    }
  });

  it("reports the gateway's latency and throughput of the last 30 minutes, null before any", async () => {
    health.reset();
    const path = "/models/meta-llama/llama-3.3-70b-instruct/endpoints";
    const tagged = (body: any, tag: string) => body.data.endpoints.find((e: any) => e.tag === tag);
    const before = tagged(await get(path), "fireworks");
    expect(before).toMatchObject({ latency_last_30m: null, throughput_last_30m: null });
    const { key } = await fundedAccount("1");
    for (let i = 0; i < 3; i++) {
      const body = { model: "meta-llama/llama-3.3-70b-instruct", provider: { only: ["fireworks"] }, stream: true };
      await (await chat(key, { ...body, messages: [{ role: "user", content: `hi ${nonce()}` }] })).text();
    }
    const json = await get(path);
    // As a client reads it: the SDK's schema, percentiles or null.
    const parsed = ListEndpointsResponse$inboundSchema.parse(json.data);
    const fireworks = parsed.endpoints.find((e) => e.tag === "fireworks");
    for (const stats of [fireworks?.latencyLast30m, fireworks?.throughputLast30m]) {
      expect(stats).toMatchObject({ p50: expect.any(Number), p99: expect.any(Number) });
      expect(stats!.p50).toBeLessThanOrEqual(stats!.p75);
      expect(stats!.p90).toBeLessThanOrEqual(stats!.p99);
    }
    expect(fireworks!.throughputLast30m!.p50).toBeGreaterThan(0);
    // Together served none of them: no figures, none invented.
    expect(tagged(json, "together")).toMatchObject({ latency_last_30m: null, throughput_last_30m: null });
  });

  it("404s an unknown model", async () => {
    const response = await gatewayFetch(`${BASE}/models/nobody/nothing/endpoints`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as any).error.code).toBe(404);
  });
});

describe("GET /providers", () => {
  it("lists providers with their policy links", async () => {
    const { data } = await get("/providers");
    const together = data.find((p: any) => p.slug === "together");
    expect(together).toMatchObject({ name: expect.any(String), privacy_policy_url: expect.any(String) });
  });
});

describe("operator catalog override in KV", () => {
  /** How many models /models lists once the isolate holds the bundled catalog again (after a test's override). */
  async function bundledModelCount(): Promise<number> {
    let count = 1;
    for (let i = 0; i < 30 && count === 1; i++) {
      count = (await get("/models")).data.length;
      if (count === 1) await sleep(200);
    }
    return count;
  }

  it("replaces the bundled catalog without a redeploy, after the cache TTL", async () => {
    const base = defaultCatalog;
    const override = {
      ...base,
      models: base.models.filter((m) => m.id === "openai/gpt-4o-mini"),
    };
    await env.CATALOG.put(CATALOG_KV_KEY, JSON.stringify(override));
    try {
      let count = 0;
      for (let i = 0; i < 30; i++) {
        count = (await get("/models")).data.length;
        if (count === 1) break;
        await sleep(200); // isolate + Cache API TTL is 1 s in tests
      }
      expect(count).toBe(1);
    } finally {
      await env.CATALOG.delete(CATALOG_KV_KEY);
    }
  });

  it("ignores an override that fails validation, saying so once however many refreshes find it", async () => {
    const full = await bundledModelCount();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = { ...defaultCatalog, models: [{ id: "no-endpoints" }] };
    await env.CATALOG.put(CATALOG_KV_KEY, JSON.stringify(broken));
    try {
      // Several TTLs (1 s in tests): each refresh reads the same broken text from KV.
      for (let i = 0; i < 14; i++) {
        expect((await get("/models")).data.length).toBe(full);
        await sleep(250);
      }
      const rejected = errors.mock.calls.filter(([line]) => String(line).includes("catalog override rejected"));
      expect(rejected).toHaveLength(1);
    } finally {
      errors.mockRestore();
      await env.CATALOG.delete(CATALOG_KV_KEY);
    }
  });

  it("past the TTL, answers from the catalog it has while one refresh runs in the background", async () => {
    const full = await bundledModelCount();
    expect(full).toBeGreaterThan(1);
    const override = { ...defaultCatalog, models: defaultCatalog.models.filter((m) => m.id === "openai/gpt-4o-mini") };
    await env.CATALOG.put(CATALOG_KV_KEY, JSON.stringify(override));
    try {
      await sleep(1200); // past the 1 s TTL of the isolate's copy and of the Cache API's
      // The first request after the TTL does not wait for KV: it gets the catalog in hand...
      expect((await get("/models")).data.length).toBe(full);
      // ...and the refresh it started brings the override in for the requests after it.
      let count = full;
      for (let i = 0; i < 30 && count !== 1; i++) {
        await sleep(50);
        count = (await get("/models")).data.length;
      }
      expect(count).toBe(1);
    } finally {
      await env.CATALOG.delete(CATALOG_KV_KEY);
    }
  });
});
