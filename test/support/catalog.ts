import { env } from "cloudflare:test";
import { defaultCatalog } from "../../src/catalog/default-catalog";
import { CATALOG_KV_KEY, indexCatalog } from "../../src/catalog/store";
import { type Catalog, CatalogSchema, type Endpoint } from "../../src/catalog/types";
import { sleep } from "../../src/sleep";
import { BASE, gatewayFetch } from "./gateway";

/**
 * Puts `catalog` in the CATALOG KV namespace, as an operator would, and waits until the gateway
 * serves it (the isolate caches its catalog for a second in tests): `probe` is a model id only it lists.
 */
export async function putCatalog(catalog: Catalog, probe: string): Promise<void> {
  await env.CATALOG.put(CATALOG_KV_KEY, JSON.stringify(catalog));
  for (let i = 0; i < 50; i++) {
    const response = await gatewayFetch(`${BASE}/models/${probe}/endpoints`);
    await response.body?.cancel();
    if (response.ok) return;
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
