import { describe, expect, it } from "vitest";
import { parseUsdToAtto } from "../src/billing/money";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { CatalogSchema } from "../src/catalog/types";
import { priceUsage, publicUsage } from "../src/generation/usage";

/** The bundled catalog is data operators rely on: it must be valid and as broad as promised. */
const catalog = CatalogSchema.parse(defaultCatalog);
const chatModels = catalog.models.filter((m) => m.kind === "chat");

describe("bundled catalog", () => {
  it("is written as the schema's own parse of it, so an isolate can use it without parsing", () => {
    // A field the schema defaults but the data leaves out would make the two differ here.
    expect(catalog).toStrictEqual(defaultCatalog);
  });

  it("has at least 25 chat models from every major author", () => {
    expect(chatModels.length).toBeGreaterThanOrEqual(25);
    const authors = new Set(chatModels.map((m) => m.id.split("/")[0]));
    for (const author of ["openai", "anthropic", "google", "meta-llama", "mistralai", "deepseek", "qwen", "x-ai"]) {
      expect(authors).toContain(author);
    }
  });

  it("has unique ids, known providers and exact decimal prices", () => {
    expect(new Set(catalog.models.map((m) => m.id)).size).toBe(catalog.models.length);
    const providers = new Set(catalog.providers.map((p) => p.slug));
    for (const model of catalog.models) {
      for (const endpoint of model.endpoints) {
        expect(providers).toContain(endpoint.provider);
        expect(() => parseUsdToAtto(endpoint.pricing.prompt)).not.toThrow();
        expect(() => parseUsdToAtto(endpoint.pricing.completion)).not.toThrow();
        expect(endpoint.context_length).toBeLessThanOrEqual(Math.max(model.context_length, endpoint.context_length));
      }
    }
  });

  it("lists several hosts for open-weight models", () => {
    const hosts = new Set(["together", "fireworks", "groq", "deepinfra"]);
    for (const id of ["meta-llama/llama-3.3-70b-instruct", "deepseek/deepseek-r1", "qwen/qwen3-235b-a22b"]) {
      const model = catalog.models.find((m) => m.id === id)!;
      expect(model.endpoints.filter((e) => hosts.has(e.provider)).length).toBeGreaterThanOrEqual(2);
    }
  });

  it("has a free endpoint, a small-context endpoint and embedding models", () => {
    const endpoints = catalog.models.flatMap((m) => m.endpoints);
    expect(endpoints.some((e) => e.pricing.prompt === "0" && e.pricing.completion === "0")).toBe(true);
    expect(endpoints.some((e) => e.context_length <= 8192)).toBe(true);
    expect(catalog.models.filter((m) => m.kind === "embedding").length).toBeGreaterThanOrEqual(3);
  });

  it("writes prices per token: $2.50 per million is 0.0000025", () => {
    const gpt4o = catalog.models.find((m) => m.id === "openai/gpt-4o")!;
    expect(gpt4o.endpoints[0]!.pricing).toMatchObject({ prompt: "0.0000025", completion: "0.00001" });
  });

  it("charges Perplexity's per-request search fee on a Sonar answer, on top of its tokens", () => {
    const sonar = catalog.models.find((m) => m.id === "perplexity/sonar")!.endpoints[0]!;
    const usage = { prompt_tokens: 10, completion_tokens: 90, total_tokens: 100 };
    // 100 tokens × $1/M + $5 per 1000 requests (low search context, Perplexity's default).
    expect(publicUsage(usage, priceUsage(sonar.pricing, usage)).cost).toBe(0.0051);
  });

  /**
   * Upstream ids their providers have shut down (their deprecation pages, checked 2026-12-02): a
   * model chosen from /models that is routed to one of them gets the provider's 404. The catalog
   * has no shutdown-date field to check instead, so the ids are listed here as they are retired.
   */
  const SHUT_DOWN: Record<string, string[]> = {
    openai: ["gpt-4.1-nano", "o4-mini", "o3-mini"],
    anthropic: [
      "claude-3-5-haiku-20241022",
      "claude-3-7-sonnet-20250219",
      "claude-sonnet-4-20250514",
      "claude-opus-4-20250514",
    ],
    "amazon-bedrock": [
      "anthropic.claude-3-5-haiku-20241022-v1:0",
      "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
      "us.anthropic.claude-sonnet-4-20250514-v1:0",
      "us.anthropic.claude-opus-4-20250514-v1:0",
    ],
    "google-ai-studio": [
      "gemini-2.0-flash-001",
      "gemini-2.5-flash",
      "gemini-2.5-pro",
      "gemini-2.5-flash-image-preview",
    ],
    xai: ["grok-3", "grok-4"],
    mistral: ["codestral-2501"],
    deepseek: ["deepseek-chat", "deepseek-reasoner"],
    groq: [
      "llama3-8b-8192",
      "meta-llama/llama-4-maverick-17b-128e-instruct",
      "meta-llama/llama-4-scout-17b-16e-instruct",
      "qwen/qwen3-32b",
      "llama-3.3-70b-versatile",
      "llama-3.1-8b-instant",
    ],
  };

  it("routes to no upstream model its provider has shut down, and openrouter/auto picks among listed models", () => {
    const served = catalog.models.flatMap((m) =>
      m.endpoints.map((e) => `${e.provider} ${e.provider_model_id} (${m.id})`),
    );
    const dead = served.filter((line) => {
      const [provider = "", upstream = ""] = line.split(" ");
      return SHUT_DOWN[provider]?.includes(upstream);
    });
    expect(dead).toEqual([]);
    const ids = new Set(catalog.models.map((m) => m.id));
    expect((catalog.auto_models ?? []).filter((id) => !ids.has(id))).toEqual([]);
  });
});
