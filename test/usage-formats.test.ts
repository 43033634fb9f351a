import { describe, expect, it } from "vitest";
import { attoToNanosCeil, parseUsdToAtto } from "../src/billing/money";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { chat, fundedAccount, nonce, readSse, readThenCancel, recordedGeneration } from "./support/gateway";

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
  { name: "DeepSeek (OpenAI format)", model: "deepseek/deepseek-chat-v3-0324", provider: "deepseek", writes: false },
  { name: "Anthropic", model: "anthropic/claude-sonnet-4", provider: "anthropic", writes: true },
  { name: "Bedrock Converse", model: "anthropic/claude-sonnet-4", provider: "amazon-bedrock", writes: true },
  { name: "Gemini", model: "google/gemini-2.5-flash", provider: "google-ai-studio", writes: false },
];

function pricingOf(model: string, provider: string) {
  const endpoint = defaultCatalog.models.find((m) => m.id === model)?.endpoints.find((e) => e.provider === provider);
  if (!endpoint) throw new Error(`no ${provider} endpoint for ${model}`);
  return endpoint.pricing;
}

/** The cost worked out here from the catalog's prices, independently of src/billing/cost.ts. */
function expectedCost(c: Case, completionTokens: number): number {
  const p = pricingOf(c.model, c.provider);
  const write = c.writes ? WRITE : 0;
  const atto =
    BigInt(PROMPT - READ - write) * parseUsdToAtto(p.prompt) +
    BigInt(READ) * parseUsdToAtto(p.input_cache_read ?? p.prompt) +
    BigInt(write) * parseUsdToAtto(p.input_cache_write ?? p.prompt) +
    BigInt(completionTokens) * parseUsdToAtto(p.completion) +
    parseUsdToAtto(p.request ?? "0");
  return attoToNanosCeil(atto) / 1e9;
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
    expect(usage.cost).toBe(expectedCost(c, usage.completion_tokens));
  };

  it("are counted in prompt_tokens and charged at the cache prices", async () => {
    const { key } = await fundedAccount("10");
    const response = await chat(key, body(false));
    expect(response.status).toBe(200);
    const reply = (await response.json()) as any;
    expectUsage(reply.usage);
    const record = await recordedGeneration(key, reply.id);
    expect(record.total_cost).toBe(reply.usage.cost);
    expect(record.native_tokens_prompt).toBe(PROMPT);
    expect(record.native_tokens_cached).toBe(READ);
  });

  it("are the same in a stream's usage chunk", async () => {
    const { key } = await fundedAccount("10");
    const response = await chat(key, body(true));
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    const last = data.filter((d) => d !== "[DONE]").at(-1) as any;
    expectUsage(last.usage);
    const record = await recordedGeneration(key, last.id);
    expect(record.total_cost).toBe(last.usage.cost);
  });
});

describe("Gemini: a stream its client leaves", () => {
  it("is charged Gemini's count so far, the thoughts it hid included, not an estimate of the visible text", async () => {
    const { key } = await fundedAccount("10");
    const response = await chat(key, {
      model: "google/gemini-2.5-flash",
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
    const p = pricingOf("google/gemini-2.5-flash", "google-ai-studio");
    const atto =
      BigInt(record.tokens_prompt) * parseUsdToAtto(p.prompt) +
      BigInt(record.tokens_completion) * parseUsdToAtto(p.completion);
    expect(record.total_cost).toBe(attoToNanosCeil(atto) / 1e9);
  });
});

describe("Anthropic: a stream its client leaves", () => {
  it("is charged the prompt message_start told, cache reads at their price, not the gateway's estimate", async () => {
    const { key } = await fundedAccount("10");
    const response = await chat(key, {
      model: "anthropic/claude-sonnet-4",
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
    const p = pricingOf("anthropic/claude-sonnet-4", "anthropic");
    const atto =
      500n * parseUsdToAtto(p.prompt) +
      4000n * parseUsdToAtto(p.input_cache_read!) +
      500n * parseUsdToAtto(p.input_cache_write!) +
      BigInt(record.tokens_completion) * parseUsdToAtto(p.completion);
    expect(record.total_cost).toBe(attoToNanosCeil(atto) / 1e9);
  });
});

describe("Anthropic: 1-hour cache writes", () => {
  const WRITE_1H = 60;
  const body = (stream: boolean) => ({
    model: "anthropic/claude-sonnet-4",
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
  const expected = (completionTokens: number) => {
    const p = pricingOf("anthropic/claude-sonnet-4", "anthropic");
    const atto =
      BigInt(PROMPT - READ - WRITE) * parseUsdToAtto(p.prompt) +
      BigInt(READ) * parseUsdToAtto(p.input_cache_read!) +
      BigInt(WRITE - WRITE_1H) * parseUsdToAtto(p.input_cache_write!) +
      BigInt(WRITE_1H) * 2n * parseUsdToAtto(p.prompt) +
      BigInt(completionTokens) * parseUsdToAtto(p.completion);
    return attoToNanosCeil(atto) / 1e9;
  };

  const expectUsage = (usage: any) => {
    expect(usage.prompt_tokens).toBe(PROMPT);
    // OpenRouter's shape: the writes' total, the split only priced.
    expect(usage.prompt_tokens_details).toEqual({ cached_tokens: READ, cache_write_tokens: WRITE });
    expect(usage.cost).toBe(expected(usage.completion_tokens));
  };

  it("are charged at their own price", async () => {
    const { key } = await fundedAccount("10");
    const response = await chat(key, body(false));
    expect(response.status).toBe(200);
    const reply = (await response.json()) as any;
    expectUsage(reply.usage);
    expect((await recordedGeneration(key, reply.id)).total_cost).toBe(reply.usage.cost);
  });

  it("are charged at their own price in a stream", async () => {
    const { key } = await fundedAccount("10");
    const response = await chat(key, body(true));
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    const last = data.filter((d) => d !== "[DONE]").at(-1) as any;
    expectUsage(last.usage);
    expect((await recordedGeneration(key, last.id)).total_cost).toBe(last.usage.cost);
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
