import { env } from "cloudflare:test";
import { afterAll, beforeAll } from "vitest";
import { defaultCatalog } from "../../src/catalog/default-catalog";
import { CATALOG_KV_KEY, indexCatalog } from "../../src/catalog/store";
import { type Catalog, CatalogSchema, type Endpoint } from "../../src/catalog/types";
import { sleep } from "../../src/sleep";
import { BASE, gatewayFetch } from "./gateway";

/**
 * Puts `catalog` in the CATALOG KV namespace, as an operator would, and waits until the gateway
 * serves it (the isolate caches its catalog for a second in tests): `probe` is a model id only it
 * lists or, with `provider`, a model only it has that provider serve.
 */
export async function putCatalog(catalog: Catalog, probe: string, provider?: string): Promise<void> {
  await env.CATALOG.put(CATALOG_KV_KEY, JSON.stringify(catalog));
  for (let i = 0; i < 50; i++) {
    const response = await gatewayFetch(`${BASE}/models/${probe}/endpoints`);
    if (response.ok && !provider) {
      await response.body?.cancel();
      return;
    }
    const body = response.ok ? ((await response.json()) as { data: { endpoints: { tag: string }[] } }) : undefined;
    if (!response.ok) await response.body?.cancel();
    if (body?.data.endpoints.some((e) => e.tag === provider)) return;
    await sleep(100);
  }
  throw new Error("the catalog override never came into force");
}

/**
 * An operator's catalog where DeepSeek's own API (a provider that may train on prompts, the only
 * one of the bundled catalog's) still serves V3, as the bundled catalog no longer lists: indexed.
 */
export function withDeepSeekServingV3() {
  const models = defaultCatalog.models.map((m) =>
    m.id === "deepseek/deepseek-chat-v3-0324"
      ? {
          ...m,
          endpoints: [
            { ...(m.endpoints[0] as Endpoint), provider: "deepseek", provider_model_id: "deepseek-flash" },
            ...m.endpoints,
          ],
        }
      : m,
  );
  return indexCatalog(CatalogSchema.parse({ ...defaultCatalog, models }), "kv");
}

const GROQ_PARAMS = ["max_tokens", "temperature", "top_p", "stop", "seed", "frequency_penalty", "presence_penalty"];
const GROQ_TOOLS = ["tools", "tool_choice", "parallel_tool_calls", "response_format"];

/** One of the Groq endpoints below, with Groq's figures as the bundled catalog had them. */
function groq(
  id: string,
  maxOut: number,
  prompt: string,
  completion: string,
  extra: string[],
  latency: number,
  tps: number,
) {
  return {
    provider: "groq",
    provider_model_id: id,
    context_length: 131072,
    max_completion_tokens: maxOut,
    max_prompt_tokens: null,
    quantization: "fp16",
    pricing: { prompt, completion },
    supported_parameters: [...GROQ_PARAMS, ...GROQ_TOOLS, ...extra],
    latency_ms: latency,
    throughput_tps: tps,
    is_moderated: false,
    status: 0,
  } satisfies Endpoint;
}

/**
 * Groq's endpoints the bundled catalog no longer lists (Groq shut them down in 2026), each at its old
 * place among the model's endpoints: Groq the fastest and not the cheapest of Llama 3.3's four hosts,
 * a Llama 3.3 that takes JSON mode but no JSON schema, a Qwen 3 that reasons. An operator's catalog
 * may still list them (Groq keeps some models for enterprise accounts), and tests of routing among
 * several hosts and of Groq's request shapes need just such a fixed set of figures.
 */
const GROQ_RETIRED: Record<string, [number, Endpoint]> = {
  "meta-llama/llama-3.3-70b-instruct": [
    2,
    groq("llama-3.3-70b-versatile", 32768, "0.00000059", "0.00000079", [], 250, 300),
  ],
  "qwen/qwen3-32b": [
    0,
    groq("qwen/qwen3-32b", 40960, "0.00000029", "0.00000059", ["reasoning", "include_reasoning"], 250, 400),
  ],
};

/** The bundled catalog with Groq still serving Llama 3.3 70B and Qwen 3 32B (see GROQ_RETIRED). */
export function withGroqServingLlama(): Catalog {
  const models = defaultCatalog.models.map((m) => {
    const retired = GROQ_RETIRED[m.id];
    if (!retired) return m;
    const endpoints = [...m.endpoints];
    endpoints.splice(retired[0], 0, retired[1]);
    return { ...m, endpoints };
  });
  return CatalogSchema.parse({ ...defaultCatalog, models });
}

/** Has every test of the calling file served withGroqServingLlama(), and the bundled catalog after. */
export function groqServingLlamaInForce(): void {
  beforeAll(() => putCatalog(withGroqServingLlama(), "qwen/qwen3-32b", "groq"));
  afterAll(() => env.CATALOG.delete(CATALOG_KV_KEY));
}
