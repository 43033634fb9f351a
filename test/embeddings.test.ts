import { GenerationResponse$inboundSchema } from "@openrouter/sdk/models";
import { NotFoundResponseError } from "@openrouter/sdk/models/errors";
import { CreateEmbeddingsResponseBody$inboundSchema } from "@openrouter/sdk/models/operations";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BASE,
  chat,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  recordedGeneration,
  sleep,
  totalUsage,
  usageOnceCharged,
} from "./support/gateway";

/** `POST /embeddings` through the real gateway: routed, reserved, charged once, like chat. */
const MODEL = "openai/text-embedding-3-small";
let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

function embed(body: Record<string, unknown>, apiKey = key) {
  return gatewayFetch(`${BASE}/embeddings`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** `/generation?id=` once the generation is settled, as the OpenRouter SDK parses it. */
async function parsedGeneration(apiKey: string, id: string) {
  return GenerationResponse$inboundSchema.parse({ data: await recordedGeneration(apiKey, id) }).data;
}

describe("POST /embeddings", () => {
  it("embeds a list of texts in order, forwarding dimensions, with usage and cost", async () => {
    const marker = nonce();
    // Pinned: Azure serves this model too, and the failover tests below move health-aware routing.
    const response = await embed({
      model: MODEL,
      provider: { only: ["openai"] },
      input: [`first ${marker}`, `second ${marker}`],
      dimensions: 16,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.object).toBe("list");
    expect(body.id).toMatch(/^gen-/);
    expect(body.model).toBe(MODEL);
    expect(body.provider).toBe("OpenAI");
    expect(body.data.map((d: any) => d.index)).toEqual([0, 1]);
    expect(body.data[0].object).toBe("embedding");
    expect(body.data[0].embedding).toHaveLength(16);
    expect(body.data[0].embedding).not.toEqual(body.data[1].embedding);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens);
    expect(body.usage.cost).toBeGreaterThan(0);
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).dimensions).toBe(16);
    expect((upstream!.body as any).model).toBe("text-embedding-3-small");
  });

  it("tags its reply with the request's id and the CORS headers, as every reply", async () => {
    const response = await gatewayFetch(`${BASE}/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-request-id": "embed-7" },
      body: JSON.stringify({ model: MODEL, provider: { only: ["openai"] }, input: nonce() }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("embed-7");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-expose-headers")).toContain("x-tollgate-attempts");
    expect(response.headers.get("x-tollgate-attempts")).toBe("OpenAI;status=200");
    await response.body?.cancel();
  });

  it("splits the cost in usage.cost_details, as the SDK's CostDetails reads it", async () => {
    const response = await embed({ model: MODEL, provider: { only: ["openai"] }, input: `hello ${nonce()}` });
    const body = CreateEmbeddingsResponseBody$inboundSchema.parse(await response.json());
    if (typeof body === "string") throw new Error("a string reply");
    // text-embedding-3-small on OpenAI: $0.02 per million tokens, all of it prompt.
    expect(body.usage?.costDetails).toEqual({
      upstreamInferenceCost: null,
      upstreamInferencePromptCost: expect.closeTo((body.usage?.promptTokens ?? 0) * 0.02e-6, 12),
      upstreamInferenceCompletionsCost: 0,
    });
    expect(body.usage?.costDetails?.upstreamInferencePromptCost).toBe(body.usage?.cost);
  });

  it("returns base64 float32 vectors when asked, equal to the float ones", async () => {
    const text = `same text ${nonce()}`;
    const floats = (await (await embed({ model: MODEL, input: text, dimensions: 8 })).json()) as any;
    const encoded = (await (
      await embed({ model: MODEL, input: text, dimensions: 8, encoding_format: "base64" })
    ).json()) as any;
    const bytes = Uint8Array.from(atob(encoded.data[0].embedding), (ch) => ch.charCodeAt(0));
    const decoded = [...new Float32Array(bytes.buffer)];
    expect(decoded).toHaveLength(8);
    decoded.forEach((v, i) => {
      expect(v).toBeCloseTo(floats.data[0].embedding[i], 6);
    });
  });

  it("charges exactly once what the reply says, and /generation reports it", async () => {
    const { key: own } = await fundedAccount("1");
    const body = (await (await embed({ model: MODEL, input: `charge me ${nonce()}` }, own)).json()) as any;
    const record = await recordedGeneration(own, body.id);
    expect(record.total_cost).toBe(body.usage.cost);
    expect(record.tokens_prompt).toBe(body.usage.prompt_tokens);
    expect(record.model).toBe(MODEL);
    expect(await totalUsage(own)).toBe(body.usage.cost);
  });

  it("/generation reports an embeddings generation as one, through the SDK's schema", async () => {
    const { key: own } = await fundedAccount("1");
    const body = (await (await embed({ model: MODEL, input: `what kind ${nonce()}` }, own)).json()) as any;
    const record = await parsedGeneration(own, body.id);
    expect(record).toMatchObject({
      apiType: "embeddings",
      model: MODEL,
      streamed: false,
      cancelled: false,
      // An embedding completes nothing: no completion tokens, and no reason a completion stopped.
      finishReason: null,
      nativeFinishReason: null,
      tokensPrompt: body.usage.prompt_tokens,
      nativeTokensPrompt: body.usage.prompt_tokens,
      tokensCompletion: 0,
      nativeTokensCompletion: 0,
      nativeTokensReasoning: 0,
      totalCost: body.usage.cost,
    });
  });

  it("/generation tells embeddings from chat and legacy completions by api_type", async () => {
    const { key: own } = await fundedAccount("1");
    const embedded = (await (await embed({ model: MODEL, input: `kind ${nonce()}` }, own)).json()) as any;
    const chatted = (await (
      await chat(own, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: `kind ${nonce()}` }] })
    ).json()) as any;
    const completed = (await (
      await gatewayFetch(`${BASE}/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${own}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "openai/gpt-4o-mini", prompt: `kind ${nonce()}` }),
      })
    ).json()) as any;
    const kinds = await Promise.all(
      [embedded.id, chatted.id, completed.id].map(async (id) => (await parsedGeneration(own, id)).apiType),
    );
    expect(kinds).toEqual(["embeddings", "completions", "completions"]);
  });

  it("charges Gemini embeddings (which report no usage) for the gateway's count of the inputs", async () => {
    const { key: own } = await fundedAccount("1");
    const response = await embed({ model: "google/gemini-embedding-001", input: ["one two three", "four"] }, own);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.data).toHaveLength(2);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.cost).toBeGreaterThan(0);
    const record = await recordedGeneration(own, body.id);
    expect(record.total_cost).toBe(body.usage.cost);
  });

  it("falls back across the models list when a provider fails, charging only the one that answered", async () => {
    const { key: own } = await fundedAccount("1");
    const response = await embed(
      {
        model: MODEL,
        models: ["google/gemini-embedding-001"],
        input: `[[emulate@openai status=500]] [[emulate@azure status=500]] ${nonce()}`,
      },
      own,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.model).toBe("google/gemini-embedding-001");
    expect(response.headers.get("x-tollgate-attempts")).toMatch(/status=500.*status=500.*Google AI Studio;status=200/);
    await recordedGeneration(own, body.id);
    expect(await totalUsage(own)).toBe(body.usage.cost);
  });

  it("fails over to another provider of the same model (OpenAI down, Azure answers)", async () => {
    const { key: own } = await fundedAccount("1");
    const response = await embed(
      { model: MODEL, provider: { order: ["openai", "azure"] }, input: `[[emulate@openai status=503]] ${nonce()}` },
      own,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.provider).toBe("Azure");
    expect(body.data[0].embedding.length).toBeGreaterThan(0);
    await recordedGeneration(own, body.id);
    expect(await totalUsage(own)).toBe(body.usage.cost);
  });

  it("refuses bad input with a 4xx that names the problem", async () => {
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ model: MODEL, input: "" }, 400, /input/],
      [{ model: MODEL, input: [] }, 400, /input/],
      [{ model: MODEL, input: [1.5, 2] }, 400, /token ids/],
      [{ model: MODEL, input: [[1, 2], []] }, 400, /input\.1: a token-id input must not be empty/],
      [{ model: MODEL }, 400, /input/],
      [{ model: "openai/gpt-4o-mini", input: "hi" }, 400, /chat model/],
      [{ model: "nobody/nothing", input: "hi" }, 400, /not a valid model ID/],
      [{ model: MODEL, input: "hi", encoding_format: "hex" }, 400, /encoding_format/],
    ];
    for (const [body, status, message] of cases) {
      const response = await embed(body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      const error = ((await response.json()) as any).error;
      expect(error.code).toBe(status);
      expect(error.message).toMatch(message);
    }
    const chat = await gatewayFetch(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(400);
    expect(((await chat.json()) as any).error.message).toMatch(/embedding model: use \/embeddings/);
  });

  it('refuses provider filters that leave no endpoint as chat does: "No allowed providers", with both lists', async () => {
    interface ErrorReply {
      error: { code: number; message: string; metadata?: Record<string, unknown> };
    }
    const response = await embed({
      model: MODEL,
      models: ["google/gemini-embedding-001"],
      input: "hi",
      provider: { only: ["Mistral", "openai/fp4"] },
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorReply).error).toEqual({
      code: 404,
      message: "No allowed providers are available for the selected model.",
      metadata: {
        // Across the models, in their order; `openai/fp4` names no endpoint OpenAI has.
        available_providers: ["openai", "azure", "google-ai-studio"],
        requested_providers: ["mistral", "openai/fp4"],
        reasons: [`${MODEL}: excluded by provider.only`, "google/gemini-embedding-001: excluded by provider.only"],
      },
    });
    // A price no endpoint meets keeps the generic refusal.
    const priced = await embed({ model: MODEL, input: "hi", provider: { max_price: { prompt: 0.0001 } } });
    expect(priced.status).toBe(404);
    expect(((await priced.json()) as ErrorReply).error.message).toBe(
      `No endpoints found that satisfy the request: ${MODEL}: price above provider.max_price`,
    );
  });

  it("the OpenRouter SDK reads the embeddings refusal as its NotFoundResponseError, metadata included", async () => {
    const client = openRouterClient(key);
    const thrown = await client.embeddings
      .generate({
        requestBody: {
          model: "google/gemini-embedding-001",
          input: "hello",
          provider: { only: ["openai"] },
        },
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(thrown).toBeInstanceOf(NotFoundResponseError);
    const { error } = thrown as NotFoundResponseError;
    expect(error.message).toBe("No allowed providers are available for the selected model.");
    expect(error.metadata).toMatchObject({
      available_providers: ["google-ai-studio"],
      requested_providers: ["openai"],
    });
  });

  it("takes token ids (one input, or several) to OpenAI-format providers, one token per id", async () => {
    const marker = nonce();
    const several = await embed({
      model: MODEL,
      input: [
        [9906, 1917],
        [1, 2, 3],
      ],
      user: marker,
    });
    expect(several.status).toBe(200);
    const body = CreateEmbeddingsResponseBody$inboundSchema.parse(await several.json());
    if (typeof body === "string") throw new Error("a string reply");
    expect(body.data).toHaveLength(2);
    expect(body.usage?.promptTokens).toBe(5);
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).input).toEqual([
      [9906, 1917],
      [1, 2, 3],
    ]);
    // One array of integers is one input (sent upstream as a list of one).
    const one = await embed({ model: MODEL, input: [9906, 1917], user: `${marker}b` });
    expect(((await one.json()) as any).data).toHaveLength(1);
    expect(((await emulatorRequests(`${marker}b`))[0]!.body as any).input).toEqual([[9906, 1917]]);
  });

  it("refuses token ids by name on providers whose APIs take text only", async () => {
    for (const [model, provider] of [
      ["cohere/embed-v4.0", "Cohere"],
      ["google/gemini-embedding-001", "Google AI Studio"],
    ]) {
      const response = await embed({ model, input: [[9906, 1917]] });
      expect(response.status, model).toBe(400);
      const { message } = ((await response.json()) as any).error;
      expect(message).toContain(`Token-id input is not supported by ${provider}`);
    }
  });

  it("returns the provider's error when every attempt fails, and charges nothing", async () => {
    const { key: own } = await fundedAccount("1");
    const response = await embed(
      { model: MODEL, provider: { only: ["openai"] }, input: `[[emulate status=429]] ${nonce()}` },
      own,
    );
    expect(response.status).toBe(429);
    expect(((await response.json()) as any).error.metadata.provider_name).toBe("OpenAI");
    await sleep(100);
    expect(await totalUsage(own)).toBe(0);
  });

  it("answers a 502 naming the mismatch when the provider's reply is a vector short, and charges nothing", async () => {
    const { key: own } = await fundedAccount("1");
    const marker = nonce();
    const response = await embed(
      { model: MODEL, provider: { only: ["openai"] }, input: [`[[emulate stray_result]] first ${marker}`, "second"] },
      own,
    );
    expect(response.status).toBe(502);
    const { error } = (await response.json()) as any;
    expect(error.code).toBe(502);
    expect(error.message).toBe("OpenAI returned 1 embeddings for 2 inputs");
    expect(await emulatorRequests(marker)).toHaveLength(1);
    expect(await usageOnceCharged(own)).toBe(0);
  });
});

describe("clients", () => {
  it("the OpenAI SDK embeds through the gateway (floats and its default base64)", async () => {
    const client = new OpenAI({ apiKey: key, baseURL: BASE, fetch: (u, i) => gatewayFetch(u, i), maxRetries: 0 });
    const floats = await client.embeddings.create({ model: MODEL, input: ["a", "b"], encoding_format: "float" });
    expect(floats.data).toHaveLength(2);
    expect(floats.data[0]?.embedding.length).toBeGreaterThan(0);
    // Without encoding_format the SDK asks for base64 and decodes it itself.
    const decoded = await client.embeddings.create({ model: MODEL, input: "a" });
    expect(decoded.data[0]?.embedding).toHaveLength(floats.data[0]?.embedding.length ?? -1);
    decoded.data[0]?.embedding.forEach((v, i) => {
      expect(v).toBeCloseTo(floats.data[0]?.embedding[i] ?? Number.NaN, 6);
    });
  });

  it("the OpenRouter SDK's strict schemas accept the reply", async () => {
    const client = openRouterClient(key);
    const reply = await client.embeddings.generate({ requestBody: { model: MODEL, input: "hello" } });
    if (typeof reply === "string") throw new Error(`unexpected string reply: ${reply}`);
    expect(reply.data[0]?.embedding).toBeTruthy();
    expect(reply.usage?.promptTokens).toBeGreaterThan(0);
  });
});
