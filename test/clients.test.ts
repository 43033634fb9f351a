import { ChatOpenAI } from "@langchain/openai";
import { createOpenRouter } from "@openrouter/ai-sdk-provider";
import {
  ChatResult$inboundSchema,
  ChatStreamChunk$inboundSchema,
  GenerationResponse$inboundSchema,
} from "@openrouter/sdk/models";
import { CreateEmbeddingsResponseBody$inboundSchema } from "@openrouter/sdk/models/operations";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, fundedAccount, gatewayFetch, nonce, openRouterClient, readSse, sleep } from "./support/gateway";

/** Real client libraries, unchanged but for the base URL (and a fetch that reaches the Worker). */
const MODEL = "openai/gpt-4o-mini";
const fetchThroughGateway = (input: RequestInfo | URL, init?: RequestInit) => gatewayFetch(input, init);
let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

describe("OpenAI SDK", () => {
  const client = () => new OpenAI({ apiKey: key, baseURL: BASE, fetch: fetchThroughGateway, maxRetries: 0 });

  it("creates a completion", async () => {
    const completion = await client().chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: `hi ${nonce()}` }],
    });
    expect(completion.id).toMatch(/^gen-/);
    expect(completion.choices[0]?.message.content).toBeTruthy();
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("streams a completion", async () => {
    const stream = await client().chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: `hi [[emulate tokens=9]] ${nonce()}` }],
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBe(9);
  });

  it("raises typed errors with the gateway's status", async () => {
    await expect(
      client().chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "[[emulate status=429]]" }],
      }),
    ).rejects.toMatchObject({ status: 429 });
  });
});

describe("OpenRouter SDK (strict response schemas)", () => {
  const client = () => openRouterClient(key);

  it("parses a completion", async () => {
    const result = await client().chat.send({
      chatRequest: { model: MODEL, messages: [{ role: "user", content: `hi ${nonce()}` }] },
    });
    if (!("choices" in result)) throw new Error("expected a completion");
    expect(result.id).toMatch(/^gen-/);
    expect(result.usage?.cost).toBeGreaterThan(0);
    expect(result.choices[0]?.message.content).toBeTruthy();
  });

  it("parses every chunk of a stream", async () => {
    const result = await client().chat.send({
      chatRequest: { model: MODEL, stream: true, messages: [{ role: "user", content: `hi ${nonce()}` }] },
    });
    if ("choices" in result) throw new Error("expected a stream");
    let chunks = 0;
    let cost: number | null | undefined;
    for await (const chunk of result) {
      chunks++;
      if (chunk.usage) cost = chunk.usage.cost;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(cost).toBeGreaterThan(0);
  });

  it("parses an in-stream error chunk", async () => {
    const result = await client().chat.send({
      chatRequest: {
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: `cut [[emulate tokens=10 cut_after=3]] ${nonce()}` }],
      },
    });
    if ("choices" in result) throw new Error("expected a stream");
    let error: { code: number; message: string } | undefined;
    for await (const chunk of result) if (chunk.error) error = chunk.error;
    expect(error?.code).toBe(502);
  });

  it("parses the models list and a model's endpoints", async () => {
    const models = await client().models.list();
    expect(models.result.data.length).toBeGreaterThanOrEqual(25);
    const endpoints = await client().endpoints.list({ author: "meta-llama", slug: "llama-3.3-70b-instruct" });
    expect(endpoints.data.endpoints.length).toBeGreaterThanOrEqual(2);
    const providers = await client().providers.list();
    expect(providers.data.length).toBeGreaterThan(5);
  });
});

describe("OpenRouter SDK schemas, every wire format", () => {
  /** One model per adapter and quirky OpenAI-compatible provider; the last field: it reasons. */
  const ROWS = [
    ["openai/gpt-4o-mini", "openai", false],
    ["meta-llama/llama-3.3-70b-instruct", "together", false],
    ["anthropic/claude-haiku-4.5", "anthropic", true],
    ["anthropic/claude-haiku-4.5", "amazon-bedrock", true],
    ["openai/gpt-4o", "azure", false],
    ["cohere/command-a", "cohere", false],
    ["mistralai/mistral-small-3.1-24b-instruct", "mistral", false],
    ["x-ai/grok-3-mini", "xai", true],
    ["deepseek/deepseek-r1", "together", true],
    ["google/gemini-2.5-flash-lite", "google-ai-studio", true],
  ] as const;
  const TOOL = {
    type: "function",
    function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
  };
  const post = (path: string, body: unknown) =>
    gatewayFetch(`${BASE}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("accept every reply, chunk, embeddings reply and generation record", async () => {
    const problems: string[] = [];
    const ids: string[] = [];
    const check = (what: string, schema: { safeParse: (v: unknown) => any }, value: unknown) => {
      const result = schema.safeParse(value);
      if (!result.success) problems.push(`${what}: ${JSON.stringify(result.error.issues).slice(0, 600)}`);
    };
    for (const [model, provider, reasons] of ROWS) {
      const variants: Array<[string, Record<string, unknown>]> = [["plain", {}]];
      // DeepSeek R1 takes no tools: a request with tools is a 404 for it (routing-audit.test.ts).
      if (model !== "deepseek/deepseek-r1") {
        variants.push([
          "tools",
          { tools: [TOOL], messages: [{ role: "user", content: `call the weather tool ${nonce()}` }] },
        ]);
      }
      if (reasons) variants.push(["reasoning", { reasoning: { effort: "high" } }]);
      for (const [label, extra] of variants) {
        const body = { model, provider: { only: [provider] }, messages: [{ role: "user", content: `hi ${nonce()}` }] };
        const reply = await post("/chat/completions", { ...body, ...extra });
        const json = (await reply.json()) as any;
        if (reply.status !== 200) {
          problems.push(`${provider} ${label}: ${reply.status} ${JSON.stringify(json)}`);
          continue;
        }
        ids.push(json.id);
        check(`${provider} ${label} reply`, ChatResult$inboundSchema, json);
        const { data } = await readSse(await post("/chat/completions", { ...body, ...extra, stream: true }));
        for (const chunk of data)
          if (chunk !== "[DONE]") check(`${provider} ${label} chunk`, ChatStreamChunk$inboundSchema, chunk);
        const id = (data[0] as any)?.id;
        if (id) ids.push(id);
      }
    }
    for (const model of ["openai/text-embedding-3-small", "google/gemini-embedding-001", "cohere/embed-v4.0"]) {
      const reply = await post("/embeddings", { model, input: ["a", "b"] });
      const json = (await reply.json()) as any;
      if (reply.status !== 200) {
        problems.push(`${model}: ${reply.status} ${JSON.stringify(json)}`);
        continue;
      }
      check(`${model} embeddings`, CreateEmbeddingsResponseBody$inboundSchema, json);
      ids.push(json.id);
    }
    for (const id of ids) {
      let record: Response | undefined;
      for (let i = 0; i < 50 && record?.status !== 200; i++) {
        if (i > 0) await sleep(20);
        record = await gatewayFetch(`${BASE}/generation?id=${id}`, { headers: { authorization: `Bearer ${key}` } });
      }
      if (record?.status !== 200) problems.push(`generation ${id}: ${record?.status}`);
      else check(`generation ${id}`, GenerationResponse$inboundSchema, await record.json());
    }
    expect(problems).toEqual([]);
    expect(ids).toHaveLength(51); // 24 chat requests, each as JSON and as a stream, and 3 embeddings
  });
});

describe("Vercel AI SDK with @openrouter/ai-sdk-provider", () => {
  const provider = () => createOpenRouter({ apiKey: key, baseURL: BASE, fetch: fetchThroughGateway });

  it("generates text", async () => {
    const { text, usage } = await generateText({
      model: provider().chat(MODEL),
      prompt: `hi ${nonce()}`,
      maxRetries: 0,
    });
    expect(text.length).toBeGreaterThan(0);
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it("streams text", async () => {
    const result = streamText({ model: provider().chat(MODEL), prompt: `hi ${nonce()}`, maxRetries: 0 });
    let text = "";
    for await (const part of result.textStream) text += part;
    expect(text.length).toBeGreaterThan(0);
  });

  // The provider reads streamed reasoning from reasoning_details when a chunk has them, and keeps
  // them (merged) to send back, signature and all, on the next turn.
  for (const [id, slug] of [
    ["anthropic/claude-haiku-4.5", "anthropic"],
    ["anthropic/claude-haiku-4.5", "amazon-bedrock"],
    ["google/gemini-2.5-flash-lite", "google-ai-studio"],
  ]) {
    it(`streams ${id}'s reasoning (${slug}) once, as generateText has it`, async () => {
      const model = provider().chat(id!, {
        reasoning: { effort: "high" },
        provider: { only: [slug] },
      } as Parameters<ReturnType<typeof provider>["chat"]>[1]);
      const prompt = `hi ${nonce()}`;
      const whole = await generateText({ model, prompt, maxRetries: 0 });
      const streamed = streamText({ model, prompt, maxRetries: 0 });
      await streamed.consumeStream();
      expect(whole.reasoningText?.length).toBeGreaterThan(0);
      expect(await streamed.reasoningText).toBe(whole.reasoningText);
    });
  }
});

describe("LangChain ChatOpenAI", () => {
  it("invokes and streams", async () => {
    const model = new ChatOpenAI({
      model: MODEL,
      apiKey: key,
      maxRetries: 0,
      configuration: { baseURL: BASE, fetch: fetchThroughGateway },
    });
    const reply = await model.invoke(`hi ${nonce()}`);
    expect(String(reply.content).length).toBeGreaterThan(0);
    let streamed = "";
    for await (const chunk of await model.stream(`hi ${nonce()}`)) streamed += String(chunk.content);
    expect(streamed.length).toBeGreaterThan(0);
  });
});
