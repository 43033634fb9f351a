import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { CATALOG_KV_KEY, indexCatalog, indexInForce } from "../src/catalog/store";
import { type Catalog, CatalogSchema } from "../src/catalog/types";
import { putCatalog } from "./support/catalog";
import { BASE, chat, fundedAccount, gatewayFetch, openRouterClient } from "./support/gateway";

/**
 * A model's `expiration_date` (OpenRouter's field): the day its provider shuts it down. Until then
 * `/models` shows the date; from that day the gateway lists it nowhere and routes nothing to it,
 * with no catalog change made on the day.
 */

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const yesterday = day(Date.now() - DAY);
const tomorrow = day(Date.now() + DAY);

const SHUT = "openai/gpt-4o";
const EXPIRING = "openai/gpt-4o-mini";
/** A model only this catalog lists, expiring tomorrow too: the probe that it is in force. */
const PROBE = "openai/gpt-4o-mini-expiring-probe";

function catalogWithDates(): Catalog {
  const mini = defaultCatalog.models.find((m) => m.id === EXPIRING);
  if (!mini) throw new Error(`${EXPIRING} is not in the bundled catalog`);
  const models = defaultCatalog.models.map((m) =>
    m.id === SHUT ? { ...m, expiration_date: yesterday } : m.id === EXPIRING ? { ...m, expiration_date: tomorrow } : m,
  );
  models.push({ ...mini, id: PROBE, canonical_slug: PROBE, expiration_date: tomorrow });
  return CatalogSchema.parse({ ...defaultCatalog, models });
}

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("1"));
  await putCatalog(catalogWithDates(), PROBE);
});
afterAll(async () => {
  await env.CATALOG.delete(CATALOG_KV_KEY);
});

describe("a model's expiration date", () => {
  it("/models shows a coming date and leaves out a model whose date has come, as the SDK reads it", async () => {
    const { data } = (await openRouterClient(key).models.list({})).result;
    const ids = data.map((m) => m.id);
    expect(ids).not.toContain(SHUT);
    expect(data.find((m) => m.id === EXPIRING)?.expirationDate).toBe(tomorrow);
    expect(data.find((m) => m.id === "anthropic/claude-haiku-5.5")?.expirationDate).toBeNull();

    const count = (await (await gatewayFetch(`${BASE}/models/count`)).json()) as { data: { count: number } };
    expect(count.data.count).toBe(data.length);
    const one = await gatewayFetch(`${BASE}/model/${SHUT}`);
    expect(one.status).toBe(404);
    await one.body?.cancel();
    const endpoints = await gatewayFetch(`${BASE}/models/${SHUT}/endpoints`);
    expect(endpoints.status).toBe(404);
    await endpoints.body?.cancel();
  });

  it("a request for a shut-down model is a 400 that says when it was shut down", async () => {
    const response = await chat(key, { model: SHUT, max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(400);
    expect(body.error.message).toBe(
      `${SHUT} was shut down by its provider on ${yesterday} (its expiration_date): choose another model`,
    );
  });

  it("a fallback list skips a shut-down model and is answered by the next", async () => {
    const response = await chat(key, {
      models: [SHUT, EXPIRING],
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { model: string }).model).toBe(EXPIRING);
  });
});

describe("the index on the day", () => {
  it("is built again without a model once its date begins (UTC), once", () => {
    const date = "2031-05-06";
    const start = Date.parse(`${date}T00:00:00Z`);
    const models = defaultCatalog.models.map((m) => (m.id === SHUT ? { ...m, expiration_date: date } : m));
    const index = indexCatalog(CatalogSchema.parse({ ...defaultCatalog, models }), "kv", start - DAY);
    expect(index.models.has(SHUT)).toBe(true);
    expect(index.nextShutdown).toBe(start);

    expect(indexInForce(index, start - 1)).toBe(index);
    const after = indexInForce(index, start);
    expect(after.models.has(SHUT)).toBe(false);
    expect(after.catalog.models.some((m) => m.id === SHUT)).toBe(false);
    expect(after.shutDown.get(SHUT)).toBe(date);
    expect(after.nextShutdown).toBe(Number.POSITIVE_INFINITY);
    // The next requests get the same index, not one built each time.
    expect(indexInForce(index, start + DAY)).toBe(after);
  });

  it("a catalog's date that is not a day is refused, naming the field", () => {
    const models = defaultCatalog.models.map((m) => (m.id === SHUT ? { ...m, expiration_date: "2031-13-45" } : m));
    const parsed = CatalogSchema.safeParse({ ...defaultCatalog, models });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path.at(-1)).toBe("expiration_date");
  });
});
