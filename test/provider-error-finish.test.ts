import OpenAI from "openai";
import { beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { health } from "../src/routing/health";
import { groqServingLlamaInForce } from "./support/catalog";
import {
  BASE,
  chat,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  readSse,
  recordedGeneration,
} from "./support/gateway";

// Groq serving Llama 3.3 (the fastest of its hosts) and Qwen 3: see withGroqServingLlama.
groqServingLlamaInForce();

/**
 * A provider's own "error" finish (Gemini's OTHER, Cohere's ERROR, Bedrock's malformed output), made
 * by the emulator (`[[emulate error_finish=… tokens=N]]`) and relayed through the real request
 * path: after the client's first token the stream ends with an error chunk, and costs nothing (zero
 * completion insurance, as on OpenRouter); before it, the next endpoint answers; unstreamed, the
 * reply says `error` with the provider's reason, and costs nothing either. And OpenAI-compatible tool-call deltas in the quirky shapes some providers
 * send (`[[emulate quirky_tool_deltas=…]]`) reach real clients as OpenAI's.
 */
let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
});
// The worker under test shares this module: failovers here count against the endpoints' health.
beforeEach(() => health.reset());

const ROWS = [
  {
    format: "Gemini",
    model: "google/gemini-2.5-flash-lite",
    slug: "google-ai-studio",
    name: "Google AI Studio",
    reason: "OTHER",
    // No second endpoint for a Gemini model in the catalog: a fallback model answers instead.
    next: { models: ["google/gemini-2.5-flash-lite", "openai/gpt-4o-mini"] },
    nextSlug: "openai",
    nextName: "OpenAI",
  },
  {
    format: "Gemini",
    model: "google/gemini-2.5-flash-lite",
    slug: "google-ai-studio",
    name: "Google AI Studio",
    reason: "MALFORMED_FUNCTION_CALL",
    next: { models: ["google/gemini-2.5-flash-lite", "openai/gpt-4o-mini"] },
    nextSlug: "openai",
    nextName: "OpenAI",
  },
  {
    format: "Gemini",
    model: "google/gemini-2.5-flash-image",
    slug: "google-ai-studio",
    name: "Google AI Studio",
    // An image model's OTHER.
    reason: "IMAGE_OTHER",
    next: { models: ["google/gemini-2.5-flash-image", "openai/gpt-4o-mini"] },
    nextSlug: "openai",
    nextName: "OpenAI",
  },
  {
    format: "Cohere",
    model: "cohere/command-a",
    slug: "cohere",
    name: "Cohere",
    reason: "ERROR",
    // Cohere's message-end says what went wrong beside its ERROR finish (the emulator's words).
    words: "internal error: the model failed to generate a response",
    next: { models: ["cohere/command-a", "openai/gpt-4o-mini"] },
    nextSlug: "openai",
    nextName: "OpenAI",
  },
  {
    format: "Cohere",
    model: "cohere/command-a",
    slug: "cohere",
    name: "Cohere",
    reason: "TIMEOUT",
    next: { models: ["cohere/command-a", "openai/gpt-4o-mini"] },
    nextSlug: "openai",
    nextName: "OpenAI",
  },
  {
    format: "OpenAI-compatible",
    model: "meta-llama/llama-3.3-70b-instruct",
    slug: "together",
    name: "Together",
    reason: "error",
    // The same model's other endpoint.
    next: { provider: { order: ["together", "groq"] } },
    nextSlug: "groq",
    nextName: "Groq",
  },
  {
    format: "Bedrock",
    model: "anthropic/claude-haiku-4.5",
    slug: "amazon-bedrock",
    name: "Amazon Bedrock",
    reason: "malformed_model_output",
    // The same model's other endpoint.
    next: { provider: { order: ["amazon-bedrock", "anthropic"] } },
    nextSlug: "anthropic",
    nextName: "Anthropic",
  },
  {
    format: "Bedrock",
    model: "anthropic/claude-haiku-4.5",
    slug: "amazon-bedrock",
    name: "Amazon Bedrock",
    reason: "malformed_tool_use",
    next: { provider: { order: ["amazon-bedrock", "anthropic"] } },
    nextSlug: "anthropic",
    nextName: "Anthropic",
  },
] as const;

type Chunk = Record<string, any>;

describe.each(ROWS)("$format's error finish $reason", (row) => {
  // Gemini 2.5 Flash-Lite is asked not to think, so its five tokens are all text (Gemini 2.0
  // Flash, which these rows used until its shutdown, had no thinking).
  const noThinking = row.model === "google/gemini-2.5-flash-lite" ? { reasoning: { enabled: false } } : {};
  const only = { provider: { order: [row.slug], allow_fallbacks: false }, ...noThinking };

  it("streamed after content: the content, then an error chunk with the provider's reason, not charged (zero completion insurance)", async () => {
    const marker = nonce();
    const { data } = await readSse(
      await chat(key, {
        model: row.model,
        stream: true,
        ...only,
        messages: [{ role: "user", content: `fail late [[emulate error_finish=${row.reason} tokens=5]] ${marker}` }],
      }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as Chunk[];
    const last = chunks.at(-1) as Chunk;
    expect(last.error).toMatchObject({
      code: 502,
      message: expect.stringContaining(row.reason),
      metadata: { provider_code: row.reason, provider_name: row.name },
    });
    if ("words" in row) expect(last.error.message).toContain(row.words);
    expect(last.choices).toEqual([expect.objectContaining({ index: 0, finish_reason: "error" })]);
    // Nothing before it looked like a clean end.
    const finishes = chunks.flatMap((c) => c.choices.map((ch: Chunk) => ch.finish_reason)).filter(Boolean);
    expect(finishes).toEqual(["error"]);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text.split(" ")).toHaveLength(5);
    expect(text).toMatch(/^Hello from /);
    // The 5 tokens produced are counted, and an error finish is not charged for them (nor for the
    // prompt): OpenRouter's zero completion insurance.
    expect(last.usage.completion_tokens).toBe(5);
    expect(last.usage.cost).toBe(0);
    const record = await recordedGeneration(key, last.id);
    expect(record.provider_name).toBe(row.name);
    expect(record.finish_reason).toBe("error");
    expect(record.native_finish_reason).toBe(row.reason);
    expect(record.native_tokens_completion).toBe(5);
    expect(record.total_cost).toBe(0);
  });

  it("streamed before any content: the next endpoint answers, cleanly", async () => {
    const marker = nonce();
    const { data } = await readSse(
      await chat(key, {
        model: row.model,
        stream: true,
        ...row.next,
        messages: [
          { role: "user", content: `fail early [[emulate@${row.slug} error_finish=${row.reason} tokens=0]] ${marker}` },
        ],
      }),
    );
    expect((await emulatorRequests(marker)).map((r) => r.provider)).toEqual([row.slug, row.nextSlug]);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as Chunk[];
    expect(chunks.every((c) => c.error === undefined)).toBe(true);
    expect(new Set(chunks.map((c) => c.provider))).toEqual(new Set([row.nextName]));
    const finishes = chunks.flatMap((c) => c.choices.map((ch: Chunk) => ch.finish_reason)).filter(Boolean);
    expect(finishes).toEqual(["stop"]);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toMatch(/^Hello from /);
    const usage = chunks.at(-1)?.usage;
    expect(usage.cost).toBeGreaterThan(0);
    const record = await recordedGeneration(key, chunks[0]?.id);
    expect(record.provider_name).toBe(row.nextName);
    expect(record.finish_reason).toBe("stop");
    expect(record.total_cost).toBeCloseTo(usage.cost, 12);
  });

  it("unstreamed: the reply's finish_reason is error, its native_finish_reason the provider's, not charged", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: row.model,
      ...only,
      messages: [{ role: "user", content: `fail whole [[emulate error_finish=${row.reason} tokens=5]] ${marker}` }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Chunk;
    expect(body.provider).toBe(row.name);
    expect(body.choices).toHaveLength(1);
    expect(body.choices[0]).toMatchObject({ finish_reason: "error", native_finish_reason: row.reason });
    expect(body.choices[0].message.content.split(" ")).toHaveLength(5);
    expect(body.usage.completion_tokens).toBe(5);
    expect(body.usage.cost).toBe(0);
    const record = await recordedGeneration(key, body.id);
    expect(record.finish_reason).toBe("error");
    expect(record.native_finish_reason).toBe(row.reason);
    expect(record.total_cost).toBe(0);
  });
});

describe("quirky OpenAI-compatible tool-call deltas", () => {
  const MODEL = "meta-llama/llama-3.3-70b-instruct";
  const TOOL = {
    type: "function" as const,
    function: {
      name: "get_weather",
      description: "The weather in a city",
      parameters: {
        type: "object",
        properties: { city: { type: "string" }, days: { type: "integer" } },
        required: ["city", "days"],
      },
    },
  };
  const fetchThroughGateway = (input: RequestInfo | URL, init?: RequestInit) => gatewayFetch(input, init);
  const provider = { order: ["together"], allow_fallbacks: false };

  /** What the emulator means to call, asked of it directly, unstreamed (the quirks are the stream's). */
  async function meant(content: string) {
    const response = await fetch(`${inject("emulatorUrl")}/together/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer emulator", "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content }], tools: [TOOL] }),
    });
    const call = ((await response.json()) as any).choices[0].message.tool_calls[0];
    return { id: call.id as string, name: call.function.name as string, arguments: call.function.arguments as string };
  }

  /** The emulator's own stream (straight from it), to prove the shape the gateway is given. */
  async function upstreamDeltas(content: string): Promise<Chunk[]> {
    const response = await fetch(`${inject("emulatorUrl")}/together/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer emulator", "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content }], tools: [TOOL] }),
    });
    const { data } = await readSse(response);
    return (data.filter((d) => d !== "[DONE]") as Chunk[]).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
  }

  const VARIANTS = [
    {
      variant: "repeat",
      upstream: (deltas: Chunk[]) =>
        expect(deltas.every((d) => typeof d.id === "string" && d.type === "function" && d.function.name)).toBe(true),
    },
    {
      variant: "null",
      upstream: (deltas: Chunk[]) =>
        expect(deltas.slice(1).every((d) => d.id === null && d.type === null && d.function.name === null)).toBe(true),
    },
    {
      variant: "late_name",
      upstream: (deltas: Chunk[]) => {
        expect(deltas[0]?.id).toEqual(expect.any(String));
        expect(deltas[0]?.function.name).toBeUndefined();
        expect(deltas[1]?.function.name).toEqual(expect.any(String));
      },
    },
  ] as const;

  describe.each(VARIANTS)("$variant", ({ variant, upstream }) => {
    const prompt = () => `call the weather tool [[emulate quirky_tool_deltas=${variant}]] ${nonce()}`;

    it("the emulator streams the quirk", async () => {
      const deltas = await upstreamDeltas(prompt());
      expect(deltas.length).toBeGreaterThanOrEqual(3);
      upstream(deltas);
    });

    it("the client gets OpenAI's shape: id, type and name on the first delta only", async () => {
      const content = prompt();
      const expected = await meant(content);
      const { data } = await readSse(
        await chat(key, { model: MODEL, stream: true, provider, tools: [TOOL], messages: [{ role: "user", content }] }),
      );
      const deltas = (data.filter((d) => d !== "[DONE]") as Chunk[]).flatMap(
        (c) => c.choices[0]?.delta?.tool_calls ?? [],
      );
      expect(deltas[0]).toEqual({
        index: 0,
        id: expected.id,
        type: "function",
        function: { name: expected.name, arguments: expect.any(String) },
      });
      for (const later of deltas.slice(1)) {
        expect(later).toEqual({ index: 0, function: { arguments: expect.any(String) } });
      }
      expect(deltas.map((d) => d.function.arguments).join("")).toBe(expected.arguments);
    });

    it("@openrouter/sdk parses the stream and reassembles the call", async () => {
      const content = prompt();
      const expected = await meant(content);
      const client = openRouterClient(key);
      const result = await client.chat.send({
        chatRequest: {
          model: MODEL,
          stream: true,
          provider: { order: ["together"], allowFallbacks: false },
          tools: [TOOL],
          messages: [{ role: "user", content }],
        },
      });
      if ("choices" in result) throw new Error("expected a stream");
      const call = { id: "", name: "", arguments: "" };
      let finish: string | null | undefined;
      for await (const chunk of result) {
        for (const delta of chunk.choices[0]?.delta?.toolCalls ?? []) {
          call.id += delta.id ?? "";
          call.name += delta.function?.name ?? "";
          call.arguments += delta.function?.arguments ?? "";
        }
        finish ??= chunk.choices[0]?.finishReason;
      }
      expect(call).toEqual(expected);
      expect(JSON.parse(call.arguments)).toEqual(JSON.parse(expected.arguments));
      expect(finish).toBe("tool_calls");
    });

    it("the openai SDK's stream helper reassembles the call", async () => {
      const content = prompt();
      const expected = await meant(content);
      const client = new OpenAI({ apiKey: key, baseURL: BASE, fetch: fetchThroughGateway, maxRetries: 0 });
      const stream = client.chat.completions.stream({
        model: MODEL,
        tools: [TOOL],
        messages: [{ role: "user", content }],
        provider,
      });
      const completion = await stream.finalChatCompletion();
      const calls = completion.choices[0]?.message.tool_calls ?? [];
      expect(calls).toHaveLength(1);
      const call = calls[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect({ id: call.id, name: call.function.name, arguments: call.function.arguments }).toEqual(expected);
      expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    });
  });
});
