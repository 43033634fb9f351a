import { beforeAll, describe, expect, it } from "vitest";
import {
  admin,
  BASE,
  chat,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  readSse,
  recordedGeneration,
  sleep,
  totalUsage,
  usageOnceCharged,
} from "./support/gateway";

/**
 * OpenRouter's response caching (beta): `X-OpenRouter-Cache: true` answers an identical request
 * (same key, endpoint, streaming mode and body) from the reply stored by the first, without a
 * provider call and without charge; each hit its own generation.
 */

const MODEL = "openai/gpt-4o-mini";
const CACHED = { "x-openrouter-cache": "true" };
let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

const ask = (text: string, extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: "user", content: text }],
  ...extra,
});

/** The stored reply is written in waitUntil after the first reply: a moment for it to land. */
async function thenAgain<T>(send: () => Promise<T>): Promise<T> {
  await sleep(50);
  return send();
}

/** A reply's X-OpenRouter-Cache-Status (null: caching was not asked for), its body read to the end. */
async function cacheStatus(reply: Promise<Response>): Promise<string | null> {
  const response = await reply;
  await response.text();
  return response.headers.get("x-openrouter-cache-status");
}

/** The same request sent twice: the first must miss, the second hit; both replies' JSON. */
async function missThenHit(send: () => Promise<Response>) {
  const first = await send();
  expect(first.headers.get("x-openrouter-cache-status")).toBe("MISS");
  const miss = (await first.json()) as Record<string, any>;
  const second = await thenAgain(send);
  expect(second.headers.get("x-openrouter-cache-status")).toBe("HIT");
  return { miss, hit: (await second.json()) as Record<string, any> };
}

function expectZeroUsage(usage: Record<string, any>) {
  expect(usage.prompt_tokens).toBe(0);
  expect(usage.completion_tokens).toBe(0);
  expect(usage.total_tokens).toBe(0);
  expect(usage.cost).toBe(0);
  expect(usage.prompt_tokens_details.cached_tokens).toBe(0);
  expect(usage.completion_tokens_details.reasoning_tokens).toBe(0);
}

describe("response caching, chat completions", () => {
  it("a miss is billed and stored; the same request then hits: no upstream call, usage zero, a new generation of cost 0", async () => {
    const { key: own } = await fundedAccount("5");
    const marker = nonce();
    const body = ask(`cache me [[emulate tokens=9]] ${marker}`);
    const first = await chat(own, body, CACHED);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-openrouter-cache-status")).toBe("MISS");
    expect(first.headers.get("x-openrouter-cache-ttl")).toBe("300");
    const miss = (await first.json()) as Record<string, any>;
    expect(miss.usage.completion_tokens).toBe(9);
    expect(miss.usage.cost).toBeGreaterThan(0);
    const charged = await usageOnceCharged(own);
    expect(charged).toBeGreaterThan(0);

    const second = await thenAgain(() => chat(own, body, CACHED));
    expect(second.status).toBe(200);
    expect(second.headers.get("x-openrouter-cache-status")).toBe("HIT");
    // A browser's script may read them (CORS).
    expect(second.headers.get("access-control-expose-headers")).toContain("x-openrouter-cache-status");
    const hit = (await second.json()) as Record<string, any>;
    expect(await emulatorRequests(marker)).toHaveLength(1);
    expect(hit.choices).toEqual(miss.choices);
    expect(hit.model).toBe(miss.model);
    expect(hit.object).toBe("chat.completion");
    expect(hit.id).toMatch(/^gen-/);
    expect(hit.id).not.toBe(miss.id);
    expect(hit.created).toBeGreaterThanOrEqual(miss.created);
    expectZeroUsage(hit.usage);

    const generation = await recordedGeneration(own, hit.id);
    expect(generation.total_cost).toBe(0);
    expect(generation.model).toBe(MODEL);
    await sleep(100);
    expect(await totalUsage(own)).toBe(charged);
  });

  it("a hit is served to a key past its limit, which refuses any other request: hits hold no money", async () => {
    const own = await fundedAccount("5");
    const marker = nonce();
    const body = ask(`limited ${marker}`);
    await (await chat(own.key, body, CACHED)).text();
    await usageOnceCharged(own.key);
    await admin(`/accounts/${own.accountId}/keys/${own.hash}`, { limit: 0 }, "PATCH");
    const refused = await chat(own.key, ask(`limited, another ${nonce()}`), CACHED);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await refused.text();
    const hit = await chat(own.key, body, CACHED);
    expect(hit.status).toBe(200);
    expect(hit.headers.get("x-openrouter-cache-status")).toBe("HIT");
    expect(((await hit.json()) as Record<string, any>).usage.cost).toBe(0);
    expect(await emulatorRequests(marker)).toHaveLength(1);
  });

  it("another key sending the same request misses (each key has its own cache)", async () => {
    const { key: other } = await fundedAccount("5");
    const marker = nonce();
    const body = ask(`shared body ${marker}`);
    await (await chat(key, body, CACHED)).text();
    const second = await thenAgain(() => chat(other, body, CACHED));
    expect(second.headers.get("x-openrouter-cache-status")).toBe("MISS");
    expect(((await second.json()) as Record<string, any>).usage.cost).toBeGreaterThan(0);
    expect(await emulatorRequests(marker)).toHaveLength(2);
  });

  it("a different body, model or streaming mode misses", async () => {
    const marker = nonce();
    const body = ask(`variants ${marker}`);
    await (await chat(key, body, CACHED)).text();
    await sleep(50);
    for (const variant of [
      { ...body, temperature: 0.5 },
      ask(`variants ${marker} and more`),
      { ...body, model: "meta-llama/llama-3.3-70b-instruct" },
      { ...body, stream: true },
    ]) {
      expect(await cacheStatus(chat(key, variant, CACHED))).toBe("MISS");
    }
    expect(await emulatorRequests(marker)).toHaveLength(5);
  });

  it("without the header nothing is looked up nor stored", async () => {
    const marker = nonce();
    const body = ask(`uncached ${marker}`);
    expect(await cacheStatus(chat(key, body))).toBeNull();
    // Not stored: a request asking for the cache afterwards misses.
    expect(await cacheStatus(thenAgain(() => chat(key, body, CACHED)))).toBe("MISS");
    // And a hit is not served to a request that does not ask for it.
    expect(await cacheStatus(thenAgain(() => chat(key, body)))).toBeNull();
    expect(await emulatorRequests(marker)).toHaveLength(3);
  });

  it("honours X-OpenRouter-Cache-TTL: stated on the reply, the entry gone once it passed", async () => {
    const marker = nonce();
    const body = ask(`short lived ${marker}`);
    const headers = { ...CACHED, "x-openrouter-cache-ttl": "1" };
    const first = await chat(key, body, headers);
    expect(first.headers.get("x-openrouter-cache-ttl")).toBe("1");
    await first.text();
    const second = await thenAgain(() => chat(key, body, headers));
    expect(second.headers.get("x-openrouter-cache-status")).toBe("HIT");
    expect(second.headers.get("x-openrouter-cache-ttl")).toBe("1");
    await second.text();
    await sleep(2100);
    expect(await cacheStatus(chat(key, body, headers))).toBe("MISS");
    expect(await emulatorRequests(marker)).toHaveLength(2);
  });

  it("a TTL out of 1–86400 whole seconds is a 400 naming the header, before any call", async () => {
    const marker = nonce();
    for (const ttl of ["0", "86401", "abc", "1.5", "-3"]) {
      const response = await chat(key, ask(`bad ttl ${marker}`), { ...CACHED, "x-openrouter-cache-ttl": ttl });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { code: number; message: string } };
      expect(error.code).toBe(400);
      expect(error.message).toContain("X-OpenRouter-Cache-TTL");
    }
    expect(await emulatorRequests(marker)).toHaveLength(0);
  });

  it("an upstream error is not stored: the same request then calls the provider again, and its success is", async () => {
    const marker = nonce();
    // The emulator fails this text's first call only.
    const body = ask(`failing once [[emulate status=400 times=1]] ${marker}`);
    const first = await chat(key, body, CACHED);
    expect(first.status).toBe(400);
    expect(first.headers.get("x-openrouter-cache-status")).toBeNull();
    await first.text();
    expect(await cacheStatus(thenAgain(() => chat(key, body, CACHED)))).toBe("MISS");
    expect(await cacheStatus(thenAgain(() => chat(key, body, CACHED)))).toBe("HIT");
    expect(await emulatorRequests(marker)).toHaveLength(2);
  });

  it("a stream cut mid-way is not stored", async () => {
    const marker = nonce();
    const body = ask(`cut [[emulate tokens=10 cut_after=3]] ${marker}`, { stream: true });
    await (await chat(key, body, CACHED)).text();
    expect(await cacheStatus(thenAgain(() => chat(key, body, CACHED)))).toBe("MISS");
    expect((await emulatorRequests(marker)).length).toBeGreaterThanOrEqual(2);
  });
});

describe("response caching, streams", () => {
  it("a streamed miss is replayed on a hit, as the SDK parses it: same content, new id, zero usage, [DONE]", async () => {
    const marker = nonce();
    const chatRequest = {
      model: MODEL,
      stream: true as const,
      messages: [{ role: "user" as const, content: `stream me [[emulate tokens=12]] ${marker}` }],
    };
    const read = async () => {
      const result = await openRouterClient(key).chat.send({ chatRequest }, { headers: CACHED });
      if ("choices" in result) throw new Error("expected a stream");
      const chunks: Array<Record<string, any>> = [];
      for await (const chunk of result) chunks.push(chunk as Record<string, any>);
      return chunks;
    };
    const miss = await read();
    await sleep(50);
    const hit = await read();
    expect(await emulatorRequests(marker)).toHaveLength(1);

    const text = (chunks: Array<Record<string, any>>) => chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text(hit)).toBe(text(miss));
    expect(text(hit).length).toBeGreaterThan(0);
    expect(hit).toHaveLength(miss.length);
    const ids = new Set(hit.map((c) => c.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).not.toBe(miss[0]!.id);
    expect(miss.at(-1)!.usage.completionTokens).toBe(12);
    const usage = hit.at(-1)!.usage;
    expect(usage.completionTokens).toBe(0);
    expect(usage.promptTokens).toBe(0);
    expect(usage.totalTokens).toBe(0);
    expect(usage.cost).toBe(0);

    const generation = await recordedGeneration(key, [...ids][0] as string);
    expect(generation.total_cost).toBe(0);
    expect(generation.streamed).toBe(true);
  });

  it("a streamed hit ends with data: [DONE] and carries the HIT header", async () => {
    const marker = nonce();
    const body = ask(`raw stream [[emulate tokens=5]] ${marker}`, { stream: true });
    await (await chat(key, body, CACHED)).text();
    const second = await thenAgain(() => chat(key, body, CACHED));
    expect(second.headers.get("x-openrouter-cache-status")).toBe("HIT");
    expect(second.headers.get("content-type")).toContain("text/event-stream");
    const { data } = await readSse(second);
    expect(data.at(-1)).toBe("[DONE]");
    expect(await emulatorRequests(marker)).toHaveLength(1);
  });
});

describe("response caching, translated APIs", () => {
  const post = (path: string, body: Record<string, unknown>) =>
    gatewayFetch(`${BASE}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...CACHED },
      body: JSON.stringify(body),
    });

  it("/responses: a hit is a Response of its own, usage zero, no upstream call", async () => {
    const marker = nonce();
    const body = { model: MODEL, input: `responses cache [[emulate tokens=6]] ${marker}` };
    const { miss, hit } = await missThenHit(() => post("/responses", body));
    expect(await emulatorRequests(marker)).toHaveLength(1);
    expect(hit.object).toBe("response");
    expect(hit.id).not.toBe(miss.id);
    const text = (reply: Record<string, any>) => reply.output[0].content[0].text;
    expect(text(hit)).toBe(text(miss));
    expect(text(hit).length).toBeGreaterThan(0);
    expect(miss.usage.output_tokens).toBe(6);
    expect(hit.usage.output_tokens).toBe(0);
    expect(hit.usage.input_tokens).toBe(0);
  });

  it("/completions: a hit is a text_completion with the stored text, usage zero", async () => {
    const marker = nonce();
    const body = { model: MODEL, prompt: `legacy cache [[emulate tokens=4]] ${marker}` };
    const { miss, hit } = await missThenHit(() => post("/completions", body));
    expect(await emulatorRequests(marker)).toHaveLength(1);
    expect(hit.object).toBe("text_completion");
    expect(hit.choices).toEqual(miss.choices);
    expect(hit.choices[0].text.length).toBeGreaterThan(0);
    expect(hit.id).not.toBe(miss.id);
    expectZeroUsage(hit.usage);
  });

  it("/messages stream: a hit is translated as the miss was, usage zero", async () => {
    const marker = nonce();
    const body = {
      model: MODEL,
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: `messages cache [[emulate tokens=7]] ${marker}` }],
    };
    const events = async () => {
      const response = await post("/messages", body);
      const status = response.headers.get("x-openrouter-cache-status");
      // Anthropic's events: an `event:` line, then the `data:` line.
      const data = (await response.text())
        .split("\n\n")
        .map((event) => event.split("\n").find((line) => line.startsWith("data: ")))
        .filter((line) => line !== undefined)
        .map((line) => JSON.parse(line.slice("data: ".length)) as Record<string, any>);
      return { status, data };
    };
    const miss = await events();
    expect(miss.status).toBe("MISS");
    await sleep(50);
    const hit = await events();
    expect(hit.status).toBe("HIT");
    expect(await emulatorRequests(marker)).toHaveLength(1);
    const text = (data: Array<Record<string, any>>) =>
      data.map((e) => (e.type === "content_block_delta" ? (e.delta?.text ?? "") : "")).join("");
    expect(text(hit.data)).toBe(text(miss.data));
    expect(text(hit.data).length).toBeGreaterThan(0);
    expect(hit.data.map((e) => e.type)).toEqual(miss.data.map((e) => e.type));
    const outputTokens = (data: Array<Record<string, any>>) =>
      data.find((e) => e.type === "message_delta")?.usage?.output_tokens;
    expect(outputTokens(miss.data)).toBe(7);
    expect(outputTokens(hit.data)).toBe(0);
  });
});

describe("response caching, embeddings", () => {
  it("a hit returns the same vectors, usage zero, a new id and a generation of cost 0, without an upstream call", async () => {
    const marker = nonce();
    const embed = () =>
      gatewayFetch(`${BASE}/embeddings`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...CACHED },
        body: JSON.stringify({ model: "openai/text-embedding-3-small", input: [`vector ${marker}`, "two"] }),
      });
    const { miss, hit } = await missThenHit(embed);
    expect(miss.usage.cost).toBeGreaterThan(0);
    expect(await emulatorRequests(marker)).toHaveLength(1);
    expect(hit.data).toEqual(miss.data);
    expect(hit.id).not.toBe(miss.id);
    expect(hit.created).toBeUndefined();
    expect(hit.usage.prompt_tokens).toBe(0);
    expect(hit.usage.total_tokens).toBe(0);
    expect(hit.usage.cost).toBe(0);
    const generation = await recordedGeneration(key, hit.id);
    expect(generation.total_cost).toBe(0);
  });
});

describe("response caching, image generation", () => {
  it("/images: a hit returns the same image in /images' shape, usage zero, a new id, without a provider call", async () => {
    const marker = nonce();
    const draw = () =>
      gatewayFetch(`${BASE}/images`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...CACHED },
        body: JSON.stringify({ model: "google/gemini-2.5-flash-image", prompt: `A lighthouse ${marker}` }),
      });
    const { miss, hit } = await missThenHit(draw);
    expect(miss.usage.cost).toBeGreaterThan(0);
    expect(await emulatorRequests(marker)).toHaveLength(1);
    expect(hit.data).toEqual(miss.data);
    expect(hit.data[0].b64_json.length).toBeGreaterThan(0);
    expect(hit.id).not.toBe(miss.id);
    expect(hit.usage.cost).toBe(0);
    const generation = await recordedGeneration(key, hit.id);
    expect(generation.total_cost).toBe(0);
  });
});

describe("response caching, presets", () => {
  it("a preset's cache_enabled caches the requests naming it, without the header, for its cache_ttl_seconds", async () => {
    const { id } = await admin<{ id: string }>("/accounts", { name: `cache-presets-${nonce()}` });
    await admin(`/accounts/${id}/credits`, { amount: "5", reason: "test", idempotency_id: nonce() });
    const api = await admin<{ key: string }>(`/accounts/${id}/keys`, { name: "app" });
    const ops = await admin<{ key: string }>(`/accounts/${id}/keys`, { name: "ops", provisioning: true });
    const slug = `cached-${nonce()}`;
    const created = await gatewayFetch(`${BASE}/presets/${slug}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${ops.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, cache_enabled: true, cache_ttl_seconds: 120, messages: [] }),
    });
    expect(created.status).toBe(200);
    const marker = nonce();
    const body = { model: `@preset/${slug}`, messages: [{ role: "user", content: `preset cached ${marker}` }] };
    const first = await chat(api.key, body);
    expect(first.headers.get("x-openrouter-cache-status")).toBe("MISS");
    expect(first.headers.get("x-openrouter-cache-ttl")).toBe("120");
    await first.text();
    expect(await cacheStatus(thenAgain(() => chat(api.key, body)))).toBe("HIT");
    const calls = await emulatorRequests(marker);
    expect(calls).toHaveLength(1);
    // The preset's caching fields are the gateway's: not sent to the provider.
    expect(calls[0]!.body).not.toHaveProperty("cache_enabled");
    expect(calls[0]!.body).not.toHaveProperty("cache_ttl_seconds");
    // The header turns it off for one request.
    expect(await cacheStatus(chat(api.key, body, { "x-openrouter-cache": "false" }))).toBeNull();
    expect(await emulatorRequests(marker)).toHaveLength(2);
  });

  it("a preset's cache_ttl_seconds out of 1–86400 is a 400 naming the field", async () => {
    const { id } = await admin<{ id: string }>("/accounts", { name: `cache-presets-${nonce()}` });
    const ops = await admin<{ key: string }>(`/accounts/${id}/keys`, { name: "ops", provisioning: true });
    const response = await gatewayFetch(`${BASE}/presets/bad-ttl/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${ops.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, cache_enabled: true, cache_ttl_seconds: 0, messages: [] }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("cache_ttl_seconds");
  });
});
