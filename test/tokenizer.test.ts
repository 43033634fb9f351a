import { createExecutionContext, env as testEnv, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getCatalog } from "../src/catalog/store";
import type { Endpoint } from "../src/catalog/types";
import type { Env } from "../src/env";
import { countPrompt } from "../src/generation/prompt-tokens";
import type { ChatRequest } from "../src/schema/chat";
import { fitToEndpoint } from "../src/transforms/middle-out";
import { encodingFor, tokenCounterFor } from "../src/transforms/tokenizer";
import { estimatePromptTokens, estimateTextTokens } from "../src/transforms/tokens";

const env = testEnv as unknown as Env;
const ctx = () => createExecutionContext();
const endpoint = (context: number) =>
  ({ context_length: context, max_completion_tokens: null, max_prompt_tokens: null }) as unknown as Endpoint;

describe("tokenizer", () => {
  it("knows which OpenAI models use which vocabulary, and that other families have none here", () => {
    expect(encodingFor("openai/gpt-4o")).toBe("o200k_base");
    expect(encodingFor("openai/gpt-4o-mini")).toBe("o200k_base");
    expect(encodingFor("openai/gpt-4.1-mini")).toBe("o200k_base");
    expect(encodingFor("openai/gpt-4o")).toBe("o200k_base");
    expect(encodingFor("openai/gpt-4")).toBe("cl100k_base");
    expect(encodingFor("openai/gpt-4-turbo")).toBe("cl100k_base");
    expect(encodingFor("openai/gpt-3.5-turbo")).toBe("cl100k_base");
    expect(encodingFor("meta-llama/llama-3.3-70b-instruct")).toBeUndefined();
    expect(encodingFor("anthropic/claude-haiku-4.5")).toBeUndefined();
  });

  it("counts OpenAI tokens exactly with the downloaded vocabulary", async () => {
    const count = await tokenCounterFor(env, ctx(), "openai/gpt-4o");
    expect(count).not.toBe(estimateTextTokens);
    expect(count("hello world")).toBe(2);
    expect(count("Hello, world!")).toBe(4);
    // Special-token text is plain text to the provider, not one token.
    expect(count("<|endoftext|>")).toBeGreaterThan(1);
    expect(estimateTextTokens("hello world")).toBe(3);
  });

  it("uses the estimate for families without a tokenizer, and when the vocabulary cannot be fetched", async () => {
    expect(await tokenCounterFor(env, ctx(), "meta-llama/llama-3.3-70b-instruct")).toBe(estimateTextTokens);
    const offline = { ...env, TOKENIZER_URL: `${env.EMULATOR_URL}/__missing` } as Env;
    expect(await tokenCounterFor(offline, ctx(), "openai/gpt-4")).toBe(estimateTextTokens);
  });

  it("goes on with the estimate past TOKENIZER_WAIT_MS, the download kept alive by the request that started it", async () => {
    // A vocabulary host that takes 1.5 s, and requests that wait 0.2 s for it.
    const slow = {
      ...env,
      TOKENIZER_URL: `${env.EMULATOR_URL}/__tokenizer/delay-1500`,
      TOKENIZER_WAIT_MS: "200",
    } as Env;
    const starter = createExecutionContext();
    const started = Date.now();
    expect(await tokenCounterFor(slow, starter, "openai/gpt-4o")).toBe(estimateTextTokens);
    // Another request meanwhile waits no longer.
    expect(await tokenCounterFor(slow, ctx(), "openai/gpt-4o")).toBe(estimateTextTokens);
    expect(Date.now() - started).toBeLessThan(1_000);
    // The download runs under the first request's waitUntil (a request whose client left has its
    // own work cancelled: the others' wait must not hang on it), and serves the requests after it.
    await waitOnExecutionContext(starter);
    const started2 = Date.now();
    const count = await tokenCounterFor(slow, ctx(), "openai/gpt-4o");
    expect(Date.now() - started2).toBeLessThan(100);
    expect(count).not.toBe(estimateTextTokens);
    expect(count("hello world")).toBe(2);
  });

  it("middle-out keeps a prompt the estimate thinks too long when it fits by exact count", async () => {
    const count = await tokenCounterFor(env, ctx(), "openai/gpt-4o");
    const request = { messages: [{ role: "user", content: "hello ".repeat(6000) }] } as ChatRequest;
    // About 6,000 real tokens; the estimate says 9,000, over an 8k window's 7,168-token budget.
    expect(estimatePromptTokens(request.messages)).toBeGreaterThan(7168);
    expect(estimatePromptTokens(request.messages, null, count)).toBeLessThan(7168);
    expect(fitToEndpoint(request, endpoint(8192), count)).toBe(request);
    expect(fitToEndpoint(request, endpoint(8192))).not.toBe(request);
  });

  it("counts exactly only near a context limit, and only when every candidate shares the tokenizer", async () => {
    const catalog = await getCatalog(env, createExecutionContext());
    const short = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "hello there" }] } as ChatRequest;
    expect((await countPrompt(env, ctx(), catalog, short)).promptTokens).toBe(estimatePromptTokens(short.messages));

    // ~70k real tokens, ~105k by the estimate: past 75% of gpt-4o-mini's 128k window.
    const long = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "hello ".repeat(70_000) }] };
    const exact = await countPrompt(env, ctx(), catalog, long as ChatRequest);
    expect(exact.promptTokens).toBeLessThan(71_000);
    expect(exact.promptTokens).toBeGreaterThan(69_000);
    expect(exact.counterFor("openai/gpt-4o-mini")("hello world")).toBe(2);

    const mixed = { ...long, models: ["meta-llama/llama-3.3-70b-instruct"] } as ChatRequest;
    expect((await countPrompt(env, ctx(), catalog, mixed)).promptTokens).toBe(estimatePromptTokens(mixed.messages));
  });
});
