import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attoToNanosCeil, parseUsdToAtto } from "../src/billing/money";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { CATALOG_KV_KEY } from "../src/catalog/store";
import {
  BASE,
  chat,
  fundedAccount,
  gatewayFetch,
  nonce,
  readSse,
  readThenCancel,
  recordedGeneration,
  sleep,
} from "./support/gateway";

/**
 * Every provider format reports cached prompt tokens in its own terms (inside OpenAI's
 * prompt_tokens and Gemini's promptTokenCount, beside Anthropic's input_tokens and Bedrock's
 * inputTokens). Whatever the format, the client sees OpenAI's usage (prompt_tokens counting every
 * prompt token, cache reads and writes among them), and is charged each kind at its catalog price.
 */

const PROMPT = 1000;
const READ = 400;
const WRITE = 100;

interface Case {
  name: string;
  model: string;
  provider: string;
  /** The format reports cache writes (Anthropic's cache_creation_input_tokens, Bedrock's cacheWriteInputTokens). */
  writes: boolean;
}

const CASES: Case[] = [
  { name: "OpenAI", model: "openai/gpt-4o-mini", provider: "openai", writes: false },
  {
    name: "DeepSeek V3 at DeepInfra (OpenAI format)",
    model: "deepseek/deepseek-chat-v3-0324",
    provider: "deepinfra",
    writes: false,
  },
  { name: "Anthropic", model: "anthropic/claude-haiku-4.5", provider: "anthropic", writes: true },
  { name: "Bedrock Converse", model: "anthropic/claude-haiku-4.5", provider: "amazon-bedrock", writes: true },
  { name: "Gemini", model: "google/gemini-2.5-flash-lite", provider: "google-ai-studio", writes: false },
];

function pricingOf(model: string, provider: string) {
  const endpoint = defaultCatalog.models.find((m) => m.id === model)?.endpoints.find((e) => e.provider === provider);
  if (!endpoint) throw new Error(`no ${provider} endpoint for ${model}`);
  return endpoint.pricing;
}

/**
 * What these counts cost at the catalog's prices for `model` on `provider`, worked out here
 * independently of src/billing/cost.ts: cache reads and writes at their prices, 1-hour writes (of
 * `write`) at twice the base input price, as Anthropic bills them.
 */
function costOf(
  model: string,
  provider: string,
  t: { prompt: number; completion: number; read?: number; write?: number; write1h?: number },
): number {
  const p = pricingOf(model, provider);
  const [read, write, write1h] = [t.read ?? 0, t.write ?? 0, t.write1h ?? 0];
  const atto =
    BigInt(t.prompt - read - write) * parseUsdToAtto(p.prompt) +
    BigInt(read) * parseUsdToAtto(p.input_cache_read ?? p.prompt) +
    BigInt(write - write1h) * parseUsdToAtto(p.input_cache_write ?? p.prompt) +
    BigInt(write1h) * 2n * parseUsdToAtto(p.prompt) +
    BigInt(t.completion) * parseUsdToAtto(p.completion) +
    parseUsdToAtto(p.request ?? "0");
  return attoToNanosCeil(atto) / 1e9;
}

/** A reply's usage and generation id: from its body, or from a stream's last chunk. */
async function replyUsage(response: Response, stream: boolean): Promise<{ usage: any; id: string }> {
  expect(response.status).toBe(200);
  const reply = stream
    ? ((await readSse(response)).data.filter((d) => d !== "[DONE]").at(-1) as any)
    : ((await response.json()) as any);
  return { usage: reply.usage, id: reply.id };
}

const directive = `[[emulate prompt_tokens=${PROMPT} cache_read=${READ} cache_write=${WRITE} tokens=12]]`;

describe.each(CASES)("$name: cached prompt tokens", (c) => {
  const body = (stream: boolean) => ({
    model: c.model,
    provider: { order: [c.provider], allow_fallbacks: false },
    stream,
    messages: [{ role: "user", content: `Tell me about caches ${directive} ${nonce()}` }],
  });

  const expectUsage = (usage: any) => {
    expect(usage.prompt_tokens).toBe(PROMPT);
    expect(usage.total_tokens).toBe(PROMPT + usage.completion_tokens);
    expect(usage.prompt_tokens_details.cached_tokens).toBe(READ);
    if (c.writes) expect(usage.prompt_tokens_details.cache_write_tokens).toBe(WRITE);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    const counts = { prompt: PROMPT, read: READ, write: c.writes ? WRITE : 0, completion: usage.completion_tokens };
    expect(usage.cost).toBe(costOf(c.model, c.provider, counts));
  };

  it("are counted in prompt_tokens and charged at the cache prices", async () => {
    const { key } = await fundedAccount("10");
    const { usage, id } = await replyUsage(await chat(key, body(false)), false);
    expectUsage(usage);
    const record = await recordedGeneration(key, id);
    expect(record.total_cost).toBe(usage.cost);
    expect(record.native_tokens_prompt).toBe(PROMPT);
    expect(record.native_tokens_cached).toBe(READ);
  });

  it("are the same in a stream's usage chunk", async () => {
    const { key } = await fundedAccount("10");
    const { usage, id } = await replyUsage(await chat(key, body(true)), true);
    expectUsage(usage);
    expect((await recordedGeneration(key, id)).total_cost).toBe(usage.cost);
  });
});

describe("Gemini: a stream its client leaves", () => {
  it("is charged Gemini's count so far, the thoughts it hid included, not an estimate of the visible text", async () => {
    const { key } = await fundedAccount("10");
    const response = await chat(key, {
      model: "google/gemini-2.5-flash-lite",
      provider: { order: ["google-ai-studio"], allow_fallbacks: false },
      stream: true,
      messages: [{ role: "user", content: `A long story please [[emulate tokens=400 chunk_delay_ms=20]] ${nonce()}` }],
    });
    const id = await readThenCancel(response.body!, 5);
    const record = await recordedGeneration(key, id);
    expect(record.cancelled).toBe(true);
    // Gemini 2.5 thinks by default, its thoughts hidden unless asked for: only its usage tells them.
    expect(record.native_tokens_reasoning).toBeGreaterThan(0);
    expect(record.tokens_completion).toBeGreaterThan(record.native_tokens_reasoning);
    expect(record.tokens_completion).toBeLessThan(400 + record.native_tokens_reasoning);
    expect(record.total_cost).toBe(
      costOf("google/gemini-2.5-flash-lite", "google-ai-studio", {
        prompt: record.tokens_prompt,
        completion: record.tokens_completion,
      }),
    );
  });
});

describe("Anthropic: a stream its client leaves", () => {
  it("is charged the prompt message_start told, cache reads at their price, not the gateway's estimate", async () => {
    const { key } = await fundedAccount("10");
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { order: ["anthropic"], allow_fallbacks: false },
      stream: true,
      messages: [
        {
          role: "user",
          content: `A long story please [[emulate prompt_tokens=5000 cache_read=4000 cache_write=500 tokens=400 chunk_delay_ms=20]] ${nonce()}`,
        },
      ],
    });
    const id = await readThenCancel(response.body!, 5);
    const record = await recordedGeneration(key, id);
    expect(record.cancelled).toBe(true);
    expect(record.tokens_prompt).toBe(5000);
    expect(record.native_tokens_cached).toBe(4000);
    expect(record.tokens_completion).toBeGreaterThan(0);
    expect(record.tokens_completion).toBeLessThan(400);
    expect(record.total_cost).toBe(
      costOf("anthropic/claude-haiku-4.5", "anthropic", {
        prompt: 5000,
        read: 4000,
        write: 500,
        completion: record.tokens_completion,
      }),
    );
  });
});

describe("Anthropic: 1-hour cache writes", () => {
  const WRITE_1H = 60;
  const body = (stream: boolean) => ({
    model: "anthropic/claude-haiku-4.5",
    provider: { order: ["anthropic"], allow_fallbacks: false },
    stream,
    messages: [
      {
        role: "user",
        content: `Tell me about caches [[emulate prompt_tokens=${PROMPT} cache_read=${READ} cache_write=${WRITE} cache_write_1h=${WRITE_1H} tokens=12]] ${nonce()}`,
      },
    ],
  });

  /** What Anthropic bills: 5-minute writes at the catalog's write price, 1-hour writes at twice the base input price. */
  const expected = (completion: number) =>
    costOf("anthropic/claude-haiku-4.5", "anthropic", {
      prompt: PROMPT,
      read: READ,
      write: WRITE,
      write1h: WRITE_1H,
      completion,
    });

  const expectUsage = (usage: any) => {
    expect(usage.prompt_tokens).toBe(PROMPT);
    // OpenRouter's shape: the writes' total, the split only priced.
    expect(usage.prompt_tokens_details).toEqual({ cached_tokens: READ, cache_write_tokens: WRITE });
    expect(usage.cost).toBe(expected(usage.completion_tokens));
  };

  it.each([false, true])("are charged at their own price (stream: %s)", async (stream) => {
    const { key } = await fundedAccount("10");
    const { usage, id } = await replyUsage(await chat(key, body(stream)), stream);
    expectUsage(usage);
    expect((await recordedGeneration(key, id)).total_cost).toBe(usage.cost);
  });

  it("are charged at their own price when the client leaves the stream", async () => {
    const { key } = await fundedAccount("10");
    const response = await chat(key, {
      ...body(true),
      messages: [
        {
          role: "user",
          content: `A long story please [[emulate prompt_tokens=${PROMPT} cache_read=${READ} cache_write=${WRITE} cache_write_1h=${WRITE_1H} tokens=400 chunk_delay_ms=20]] ${nonce()}`,
        },
      ],
    });
    const id = await readThenCancel(response.body!, 5);
    const record = await recordedGeneration(key, id);
    expect(record.cancelled).toBe(true);
    expect(record.tokens_prompt).toBe(PROMPT);
    expect(record.total_cost).toBe(expected(record.tokens_completion));
  });
});

describe("Gemini 3.1 Pro: a prompt over 200k tokens", () => {
  const LONG = 250_000;
  const CACHED = 50_000;
  const body = (stream: boolean) => ({
    model: "google/gemini-3.1-pro-preview",
    provider: { order: ["google-ai-studio"], allow_fallbacks: false },
    stream,
    messages: [
      {
        role: "user",
        content: `A long read [[emulate prompt_tokens=${LONG} cache_read=${CACHED} tokens=12]] ${nonce()}`,
      },
    ],
  });

  /**
   * Google's published rates for prompts over 200k tokens, written out here apart from the
   * catalog: $4 a million input tokens, $18 output (thinking included). The catalog lists no
   * cache-read price for this model, so a cached token is billed as an input one.
   */
  const expected = (completion: number) =>
    attoToNanosCeil(BigInt(LONG) * parseUsdToAtto("0.000004") + BigInt(completion) * parseUsdToAtto("0.000018")) / 1e9;

  it.each([false, true])("is charged at the long-prompt rates, every token (stream: %s)", async (stream) => {
    const { key } = await fundedAccount("10");
    const { usage, id } = await replyUsage(await chat(key, body(stream)), stream);
    expect(usage.prompt_tokens).toBe(LONG);
    expect(usage.prompt_tokens_details.cached_tokens).toBe(CACHED);
    expect(usage.cost).toBe(expected(usage.completion_tokens));
    expect((await recordedGeneration(key, id)).total_cost).toBe(usage.cost);
  });
});

describe("an endpoint's per-image price", () => {
  // $1 an image, on an operator's catalog: OpenRouter's `pricing.image` is "price in USD per input image".
  const IMAGE_PRICE = "1";
  const PIXEL =
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
  const withImagePrice = {
    ...defaultCatalog,
    models: defaultCatalog.models.map((m) =>
      m.id !== "openai/gpt-4o-mini"
        ? m
        : { ...m, endpoints: m.endpoints.map((e) => ({ ...e, pricing: { ...e.pricing, image: IMAGE_PRICE } })) },
    ),
  };

  beforeAll(async () => {
    await env.CATALOG.put(CATALOG_KV_KEY, JSON.stringify(withImagePrice));
    for (let i = 0; i < 30; i++) {
      const models = (await (await gatewayFetch(`${BASE}/models`)).json()) as any;
      if (models.data.find((m: any) => m.id === "openai/gpt-4o-mini")?.pricing.image === IMAGE_PRICE) return;
      await sleep(200); // isolate + Cache API TTL is 1 s in tests
    }
    throw new Error("the catalog override was not picked up");
  });
  afterAll(async () => {
    await env.CATALOG.delete(CATALOG_KV_KEY);
  });

  const body = (stream: boolean) => ({
    model: "openai/gpt-4o-mini",
    provider: { order: ["openai"], allow_fallbacks: false },
    stream,
    max_tokens: 20,
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: `Compare these [[emulate prompt_tokens=${PROMPT} tokens=12]] ${nonce()}` },
          { type: "image_url", image_url: { url: PIXEL } },
          { type: "image_url", image_url: { url: PIXEL } },
        ],
      },
    ],
  });

  it.each([false, true])("is charged for each image of the prompt (stream: %s)", async (stream) => {
    const { key } = await fundedAccount("10");
    const { usage, id } = await replyUsage(await chat(key, body(stream)), stream);
    const tokens = costOf("openai/gpt-4o-mini", "openai", { prompt: PROMPT, completion: usage.completion_tokens });
    expect(usage.cost).toBe((Math.round(tokens * 1e9) + 2 * 1e9) / 1e9);
    expect((await recordedGeneration(key, id)).total_cost).toBe(usage.cost);
  });

  it("is held for before the call: a balance short of the images' price is refused", async () => {
    const { key } = await fundedAccount("1.5");
    const response = await chat(key, body(false));
    expect(response.status).toBe(402);
  });
});
