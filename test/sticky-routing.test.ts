import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { CATALOG_KV_KEY } from "../src/catalog/store";
import { type Catalog, CatalogSchema, type Endpoint, type Model } from "../src/catalog/types";
import type { Attempt } from "../src/routing/plan";
import { STICKY_IDLE_MS, StickyRoute } from "../src/routing/sticky";
import type { ChatRequest } from "../src/schema/chat";
import { putCatalog } from "./support/catalog";
import { BASE, chat, fundedAccount, gatewayFetch, openRouterClient } from "./support/gateway";

/**
 * Provider sticky routing (OpenRouter's): a conversation goes back to the endpoint whose prompt
 * cache it warmed. The model here is served by OpenAI (cheaper) and Azure (dearer, its cache
 * reads cheaper than its prompt): by price a request goes to OpenAI, so a request Azure answers
 * under `sort: "price"` went there for its pin.
 */

const MODEL = "openai/gpt-4o-sticky-probe";
/** The same two endpoints, Azure's without a cache price: nothing to save by pinning it. */
const UNCACHED = "openai/gpt-4o-sticky-uncached";
const perToken = (usdPerMillion: number) => (usdPerMillion / 1e6).toFixed(12).replace(/0+$/, "");

function stickyCatalog(): Catalog {
  const gpt4o = defaultCatalog.models.find((m) => m.id === "openai/gpt-4o") as Model;
  const openai = gpt4o.endpoints.find((e) => e.provider === "openai") as Endpoint;
  const azure = gpt4o.endpoints.find((e) => e.provider === "azure") as Endpoint;
  const dearer = (cacheRead: boolean): Endpoint => ({
    ...azure,
    pricing: {
      ...azure.pricing,
      prompt: perToken(3),
      ...(cacheRead ? { input_cache_read: perToken(1.5) } : {}),
    },
  });
  const model = (id: string, cacheRead: boolean): Model => ({
    ...gpt4o,
    id,
    canonical_slug: id,
    endpoints: [openai, dearer(cacheRead)],
  });
  return CatalogSchema.parse({
    ...defaultCatalog,
    models: [...defaultCatalog.models, model(MODEL, true), model(UNCACHED, false)],
  });
}

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
  await putCatalog(stickyCatalog(), MODEL);
});
afterAll(async () => {
  await env.CATALOG.delete(CATALOG_KV_KEY);
});

const hello = [{ role: "user", content: "Hello" }];

/** Who answered a chat request (its reply's `provider`), asserting it succeeded. */
async function answeredBy(
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ provider: string; attempts: string }> {
  const response = await chat(key, { model: MODEL, max_tokens: 5, messages: hello, ...body }, headers);
  const reply = (await response.json()) as { provider?: string; error?: unknown };
  expect(response.status, JSON.stringify(reply)).toBe(200);
  return { provider: reply.provider as string, attempts: response.headers.get("x-tollgate-attempts") ?? "" };
}

const byPrice = { provider: { sort: "price" } };
const onlyAzure = { provider: { only: ["azure"] } };

describe("a named conversation", () => {
  it("session_id: goes back to the provider that answered it, ahead of a cheaper one", async () => {
    expect((await answeredBy({ session_id: "s-body", ...onlyAzure })).provider).toBe("Azure");
    expect((await answeredBy({ session_id: "s-body", ...byPrice })).provider).toBe("Azure");
    expect((await answeredBy({ session_id: "s-body", ...byPrice })).provider).toBe("Azure");
    // Another conversation (and one with no name) is routed as ever.
    expect((await answeredBy({ session_id: "s-other", ...byPrice })).provider).toBe("OpenAI");
    expect((await answeredBy(byPrice)).provider).toBe("OpenAI");
  });

  it("x-session-id names it too, and the body's session_id wins over the header", async () => {
    await answeredBy(onlyAzure, { "x-session-id": "s-header" });
    expect((await answeredBy(byPrice, { "x-session-id": "s-header" })).provider).toBe("Azure");
    expect(
      (await answeredBy({ session_id: "s-not-pinned", ...byPrice }, { "x-session-id": "s-header" })).provider,
    ).toBe("OpenAI");
  });

  it("prompt_cache_key names it when no session id does", async () => {
    await answeredBy({ prompt_cache_key: "ck-1", ...onlyAzure });
    expect((await answeredBy({ prompt_cache_key: "ck-1", ...byPrice })).provider).toBe("Azure");
    expect((await answeredBy({ prompt_cache_key: "ck-2", ...byPrice })).provider).toBe("OpenAI");
  });

  it("a streamed answer pins it as a whole one does", async () => {
    const response = await chat(key, {
      model: MODEL,
      messages: hello,
      stream: true,
      session_id: "s-stream",
      ...onlyAzure,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("data: [DONE]");
    expect((await answeredBy({ session_id: "s-stream", ...byPrice })).provider).toBe("Azure");
  });

  it("is pinned per account: another account's same session id is routed as ever", async () => {
    await answeredBy({ session_id: "s-shared", ...onlyAzure });
    const { key: other } = await fundedAccount("1");
    const response = await chat(other, {
      model: MODEL,
      max_tokens: 5,
      messages: hello,
      session_id: "s-shared",
      ...byPrice,
    });
    expect(((await response.json()) as { provider: string }).provider).toBe("OpenAI");
    expect((await answeredBy({ session_id: "s-shared", ...byPrice })).provider).toBe("Azure");
  });

  it("provider.order routes as it says, whatever the pin", async () => {
    await answeredBy({ session_id: "s-order", ...onlyAzure });
    expect((await answeredBy({ session_id: "s-order", provider: { order: ["openai", "azure"] } })).provider).toBe(
      "OpenAI",
    );
  });

  it("is not pinned to an endpoint whose cache reads save nothing", async () => {
    await answeredBy({ model: UNCACHED, session_id: "s-uncached", ...onlyAzure });
    expect((await answeredBy({ model: UNCACHED, session_id: "s-uncached", ...byPrice })).provider).toBe("OpenAI");
  });

  it("through /responses too, its prompt_cache_key naming the conversation", async () => {
    const sdk = openRouterClient(key);
    const first = await sdk.responses.send({
      responsesRequest: { model: MODEL, input: "Hello", promptCacheKey: "ck-responses", provider: { only: ["azure"] } },
    });
    if (!("output" in first)) throw new Error("expected a Response");
    expect(first.status).toBe("completed");
    const response = await gatewayFetch(`${BASE}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, input: "Hello", prompt_cache_key: "ck-responses", ...byPrice }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-attempts")).toBe("Azure;status=200");
  });

  it("a session id over 256 characters is a 400 naming it, in the body or the header", async () => {
    const long = "s".repeat(257);
    const body = await chat(key, { model: MODEL, messages: hello, session_id: long });
    expect(body.status).toBe(400);
    expect(((await body.json()) as { error: { message: string } }).error.message).toContain("session_id");
    const header = await chat(key, { model: MODEL, messages: hello }, { "x-session-id": long });
    expect(header.status).toBe(400);
    expect(((await header.json()) as { error: { message: string } }).error.message).toBe(
      "x-session-id: at most 256 characters",
    );
  });
});

describe("openrouter/auto", () => {
  it("goes back to the model and provider that answered the conversation, while the router still lists it", async () => {
    const auto = (body: Record<string, unknown>) =>
      chat(key, { model: "openrouter/auto", max_tokens: 5, messages: hello, ...body }).then(
        async (r) => (await r.json()) as { model: string; provider: string },
      );
    const unpinned = await auto({ session_id: "s-auto-other" });
    const pinned = await auto({ session_id: "s-auto", provider: { only: ["anthropic"] } });
    expect(pinned).toMatchObject({ model: "anthropic/claude-haiku-5.5", provider: "Anthropic" });
    expect(unpinned.model).not.toBe(pinned.model);
    expect(await auto({ session_id: "s-auto" })).toMatchObject({ model: pinned.model, provider: "Anthropic" });
    expect((await auto({ session_id: "s-auto-other" })).model).toBe(unpinned.model);
  });
});

describe("an unnamed conversation", () => {
  const opening = (marker: string, directive = "") => [
    { role: "system", content: `You answer briefly (${marker}).` },
    { role: "user", content: `Hello ${directive}` },
  ];

  it("is pinned by its opening once its provider reports a cache read", async () => {
    const warmed = opening("warmed", "[[emulate cache_read=64]]");
    await answeredBy({ messages: warmed, ...onlyAzure });
    // Later turns keep the opening: the same conversation.
    const later = [...warmed, { role: "assistant", content: "Hi." }, { role: "user", content: "And again?" }];
    expect((await answeredBy({ messages: later, ...byPrice })).provider).toBe("Azure");
    // Another opening is another conversation.
    expect((await answeredBy({ messages: opening("other", "[[emulate cache_read=64]]"), ...byPrice })).provider).toBe(
      "OpenAI",
    );
  });

  it("is not pinned by an answer that read nothing from the cache", async () => {
    const cold = opening("cold");
    await answeredBy({ messages: cold, ...onlyAzure });
    expect((await answeredBy({ messages: cold, ...byPrice })).provider).toBe("OpenAI");
  });
});

describe("a pinned endpoint that fails", () => {
  it("falls back to the next as any endpoint does, and the conversation is pinned where it was answered", async () => {
    await answeredBy({ session_id: "s-fails", ...onlyAzure });
    const failing = [{ role: "user", content: "Hello [[emulate@azure status=503 times=1]]" }];
    const { provider, attempts } = await answeredBy({ session_id: "s-fails", messages: failing, ...byPrice });
    expect(provider).toBe("OpenAI");
    expect(attempts.startsWith("Azure;status=503")).toBe(true);
    expect((await answeredBy({ session_id: "s-fails", ...byPrice })).provider).toBe("OpenAI");
  });
});

describe("a pin's life", () => {
  const model = (): Model => {
    const found = stickyCatalog().models.find((m) => m.id === MODEL);
    if (!found) throw new Error("no probe model");
    return found;
  };
  const attemptsOf = (m: Model): Attempt[] =>
    m.endpoints.map(
      (endpoint) => ({ model: m, endpoint, provider: { slug: endpoint.provider } }) as unknown as Attempt,
    );
  const request = { model: MODEL, messages: hello, session_id: `s-life-${crypto.randomUUID()}` } as ChatRequest;

  it("lapses after 10 minutes without an answer, and each answer renews it", () => {
    const plan = attemptsOf(model());
    const [openai, azure] = plan as [Attempt, Attempt];
    const sticky = StickyRoute.of("acct-life", request, request.session_id ?? null) as StickyRoute;
    const t0 = 1_000_000;
    sticky.served(azure, 0, t0);
    expect(sticky.order(plan, t0 + STICKY_IDLE_MS)[0]).toBe(azure);
    sticky.served(azure, 0, t0 + STICKY_IDLE_MS);
    expect(sticky.order(plan, t0 + 2 * STICKY_IDLE_MS)[0]).toBe(azure);
    expect(sticky.order(plan, t0 + 3 * STICKY_IDLE_MS + 1)).toEqual([openai, azure]);
    // Lapsed, it is gone: the next answer pins anew.
    sticky.served(openai, 0, t0 + 3 * STICKY_IDLE_MS + 2);
    expect(sticky.order([azure, openai], t0 + 3 * STICKY_IDLE_MS + 3)[0]).toBe(openai);
  });
});
