import { describe, expect, it } from "vitest";
import { cohereAdapter, cohereEmbeddingsAdapter } from "../../src/providers/cohere";
import { buildCohereBody, convertMessages, convertToolChoice } from "../../src/providers/cohere/request";
import { mapCohereFinishReason, mapCohereUsage } from "../../src/providers/cohere/response";
import type { ChatChunkOut } from "../../src/providers/types";
import type { ChatRequest } from "../../src/schema/chat";
import { BASE, chat, fundedAccount, gatewayFetch, nonce, readSse } from "../support/gateway";
import { chatRequest, testTarget } from "../support/target";

const target = testTarget({
  slug: "cohere",
  model: "command-a-03-2025",
  baseUrl: "https://api.cohere.example",
  maxCompletionTokens: 8192,
  emulated: true,
});
const request = chatRequest;
const WEATHER = {
  type: "function" as const,
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
};

describe("Cohere request mapping", () => {
  it("maps roles, images, tool calls (with the plan) and tool results", () => {
    const messages = convertMessages([
      { role: "developer", content: "be brief" },
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        ],
      },
      {
        role: "assistant",
        content: "Let me check.",
        tool_calls: [{ id: "get_weather_abc", type: "function", function: { name: "get_weather", arguments: "" } }],
      },
      { role: "tool", tool_call_id: "get_weather_abc", content: "sunny" },
    ] as ChatRequest["messages"]);
    expect(messages[0]).toEqual({ role: "system", content: "be brief" });
    expect((messages[1] as any).content[1]).toEqual({
      type: "image_url",
      image_url: { url: "data:image/png;base64,AAAA" },
    });
    expect(messages[2]).toMatchObject({
      role: "assistant",
      tool_plan: "Let me check.",
      tool_calls: [{ id: "get_weather_abc", function: { name: "get_weather", arguments: "{}" } }],
    });
    expect(messages[3]).toEqual({ role: "tool", tool_call_id: "get_weather_abc", content: "sunny" });
  });

  it("has only REQUIRED and NONE: a named function is REQUIRED with only that tool offered", () => {
    expect(convertToolChoice("auto")).toEqual({});
    expect(convertToolChoice("none")).toEqual({ toolChoice: "NONE" });
    expect(convertToolChoice("required")).toEqual({ toolChoice: "REQUIRED" });
    const { body } = buildCohereBody(
      request({
        tools: [WEATHER, { ...WEATHER, function: { ...WEATHER.function, name: "other" } }],
        tool_choice: { type: "function", function: { name: "get_weather" } },
      }),
      target,
      false,
    );
    expect(body.tool_choice).toBe("REQUIRED");
    expect((body.tools as any[]).map((t) => t.function.name)).toEqual(["get_weather"]);
  });

  it("renames sampling parameters and drops (and names) values outside Cohere's ranges instead of clamping", () => {
    const { body, dropped } = buildCohereBody(
      request({ top_p: 0.5, top_k: 40, stop: ["END"], seed: 1, frequency_penalty: 0.4, presence_penalty: 1.5, n: 2 }),
      target,
      false,
    );
    expect(body).toMatchObject({ p: 0.5, k: 40, stop_sequences: ["END"], seed: 1, frequency_penalty: 0.4 });
    expect(body.presence_penalty).toBeUndefined();
    expect(dropped).toEqual(expect.arrayContaining(["presence_penalty", "n"]));
    expect(buildCohereBody(request({ top_p: 1 }), target, false).dropped).toContain("top_p");
  });

  it("maps response_format and reasoning", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    expect(
      buildCohereBody(
        request({ response_format: { type: "json_schema", json_schema: { name: "x", schema } } }),
        target,
        false,
      ).body.response_format,
    ).toEqual({ type: "json_object", json_schema: schema });
    expect(
      buildCohereBody(request({ response_format: { type: "json_object" } }), target, false).body.response_format,
    ).toEqual({
      type: "json_object",
    });
    expect(buildCohereBody(request({ reasoning: { max_tokens: 3000 } }), target, false).body.thinking).toEqual({
      type: "enabled",
      token_budget: 3000,
    });
  });
});

describe("Cohere response mapping", () => {
  it("maps finish reasons and usage (billed units first)", () => {
    expect(mapCohereFinishReason("COMPLETE")).toBe("stop");
    expect(mapCohereFinishReason("STOP_SEQUENCE")).toBe("stop");
    expect(mapCohereFinishReason("MAX_TOKENS")).toBe("length");
    expect(mapCohereFinishReason("TOOL_CALL")).toBe("tool_calls");
    expect(mapCohereFinishReason("ERROR")).toBe("error");
    expect(mapCohereFinishReason("TIMEOUT")).toBe("error");
    expect(
      mapCohereUsage({
        billed_units: { input_tokens: 12, output_tokens: 7 },
        tokens: { input_tokens: 507, output_tokens: 10 },
        cached_tokens: 448,
      }),
    ).toEqual({
      prompt_tokens: 12,
      completion_tokens: 7,
      total_tokens: 19,
    });
  });

  it("reports cached tokens within the prompt: only beside model tokens, the unit Cohere counts them in", () => {
    const billed = mapCohereUsage({
      billed_units: { input_tokens: 12, output_tokens: 7 },
      tokens: { input_tokens: 507, output_tokens: 10 },
      cached_tokens: 448,
    })!;
    expect(billed.prompt_tokens_details?.cached_tokens ?? 0).toBeLessThanOrEqual(billed.prompt_tokens);
    expect(mapCohereUsage({ tokens: { input_tokens: 507, output_tokens: 10 }, cached_tokens: 448 })).toEqual({
      prompt_tokens: 507,
      completion_tokens: 10,
      total_tokens: 517,
      prompt_tokens_details: { cached_tokens: 448 },
    });
  });

  it("parses text, thinking and tool calls (no-argument calls get {})", () => {
    const reply = cohereAdapter.parseChatResponse(
      {
        id: "x",
        message: {
          role: "assistant",
          content: [{ type: "thinking", thinking: "hmm" }],
          tool_plan: "I will check the weather.",
          tool_calls: [{ id: "w_1", type: "function", function: { name: "now", arguments: "null" } }],
        },
        finish_reason: "TOOL_CALL",
        usage: { billed_units: { input_tokens: 5, output_tokens: 3 } },
      },
      target,
    );
    const choice = reply.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.native_finish_reason).toBe("TOOL_CALL");
    expect(choice.message.reasoning).toBe("hmm");
    expect(choice.message.content).toBe("I will check the weather.");
    expect(choice.message.tool_calls?.[0]?.function.arguments).toBe("{}");
  });

  it("maps every stream event: text, thinking, tool calls with fragments, message-end with usage", () => {
    const mapper = cohereAdapter.createStreamMapper(target);
    const events: Array<Record<string, unknown>> = [
      { type: "message-start", id: "m", delta: { message: { role: "assistant" } } },
      { type: "content-start", index: 0, delta: { message: { content: { type: "thinking", thinking: "" } } } },
      { type: "content-delta", index: 0, delta: { message: { content: { thinking: "let me see" } } } },
      { type: "content-end", index: 0 },
      { type: "tool-plan-delta", delta: { message: { tool_plan: "Calling." } } },
      {
        type: "tool-call-start",
        index: 3,
        delta: {
          message: {
            tool_calls: { id: "get_weather_x", type: "function", function: { name: "get_weather", arguments: "" } },
          },
        },
      },
      {
        type: "tool-call-delta",
        index: 3,
        delta: { message: { tool_calls: { function: { arguments: '{"city":' } } } },
      },
      {
        type: "tool-call-delta",
        index: 3,
        delta: { message: { tool_calls: { function: { arguments: '"Paris"}' } } } },
      },
      { type: "tool-call-end", index: 3 },
      { type: "citation-start", index: 0, delta: { message: { citations: {} } } },
      {
        type: "message-end",
        delta: { finish_reason: "TOOL_CALL", usage: { billed_units: { input_tokens: 9, output_tokens: 4 } } },
      },
    ];
    const chunks: ChatChunkOut[] = events.flatMap((e) =>
      mapper.map({ event: String(e.type), data: JSON.stringify(e) }),
    );
    const deltas = chunks.map((c) => c.choices[0]?.delta);
    expect(deltas[0]).toEqual({ role: "assistant", content: "" });
    expect(deltas.map((d) => d?.reasoning ?? "").join("")).toBe("let me see");
    const calls = deltas.flatMap((d) => d?.tool_calls ?? []);
    expect(calls[0]).toMatchObject({
      index: 0,
      id: "get_weather_x",
      type: "function",
      function: { name: "get_weather" },
    });
    expect(calls.map((c) => c.function?.arguments ?? "").join("")).toBe('{"city":"Paris"}');
    expect(calls.every((c) => c.index === 0)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices[0]?.finish_reason).toBe("tool_calls");
    expect(last.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 4 });
    expect(mapper.done).toBe(true);
  });

  it("streams a tool called without arguments (none, or the string null) as arguments {}, as the reply has them", () => {
    const mapper = cohereAdapter.createStreamMapper(target);
    const start = (index: number, id: string) => ({
      type: "tool-call-start",
      index,
      delta: { message: { tool_calls: { id, type: "function", function: { name: "now", arguments: "" } } } },
    });
    const fragment = (index: number, args: string) => ({
      type: "tool-call-delta",
      index,
      delta: { message: { tool_calls: { function: { arguments: args } } } },
    });
    const events: Array<Record<string, unknown>> = [
      { type: "message-start", id: "m", delta: { message: { role: "assistant" } } },
      start(0, "now_a"),
      fragment(0, "nu"),
      fragment(0, "ll"),
      { type: "tool-call-end", index: 0 },
      start(1, "now_b"),
      { type: "tool-call-end", index: 1 },
      start(2, "now_c"),
      fragment(2, '{"tz":'),
      fragment(2, '"UTC"}'),
      { type: "tool-call-end", index: 2 },
      { type: "message-end", delta: { finish_reason: "TOOL_CALL" } },
    ];
    const calls = events
      .flatMap((e) => mapper.map({ event: String(e.type), data: JSON.stringify(e) }))
      .flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    const args = [0, 1, 2].map((i) =>
      calls
        .filter((c) => c.index === i)
        .map((c) => c.function?.arguments ?? "")
        .join(""),
    );
    expect(args).toEqual(["{}", "{}", '{"tz":"UTC"}']);
    const reply = cohereAdapter.parseChatResponse(
      {
        message: {
          role: "assistant",
          tool_calls: [{ id: "now_a", type: "function", function: { name: "now", arguments: "null" } }],
        },
        finish_reason: "TOOL_CALL",
      },
      target,
    );
    expect(reply.choices[0]?.message.tool_calls?.[0]?.function.arguments).toBe(args[0]);
  });

  it("an ERROR finish with its error text is an error finish that keeps its usage", () => {
    const mapper = cohereAdapter.createStreamMapper(target);
    const usage = { billed_units: { input_tokens: 3, output_tokens: 2 } };
    const [final] = mapper.map({
      data: JSON.stringify({ type: "message-end", delta: { finish_reason: "ERROR", error: "internal", usage } }),
    });
    expect(final?.choices[0]).toMatchObject({ finish_reason: "error", native_finish_reason: "ERROR" });
    expect(final?.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2 });
    expect(final?.errorText).toBe("internal");
  });

  it("an error text at message-end beside a clean finish fails the stream", () => {
    const mapper = cohereAdapter.createStreamMapper(target);
    expect(() =>
      mapper.map({
        data: JSON.stringify({ type: "message-end", delta: { finish_reason: "COMPLETE", error: "internal" } }),
      }),
    ).toThrow(/internal/);
  });

  it("classifies Cohere's errors (498 invalid token, context overflow, 429)", () => {
    const h = new Headers();
    expect(cohereAdapter.parseError(498, '{"message":"invalid api token"}', h)).toMatchObject({
      kind: "auth",
      status: 502,
    });
    expect(
      cohereAdapter.parseError(
        400,
        '{"message":"too many tokens: total number of tokens in the prompt cannot exceed 256000"}',
        h,
      ),
    ).toMatchObject({ kind: "context_length", status: 400 });
    expect(
      cohereAdapter.parseError(429, '{"message":"Trial key limit"}', new Headers({ "retry-after": "3" })),
    ).toMatchObject({
      kind: "rate_limit",
      retryAfter: 3,
    });
  });
});

describe("Cohere embeddings", () => {
  it("builds /v2/embed with input type and dimension, parses float vectors and billed units", async () => {
    const call = await cohereEmbeddingsAdapter.buildEmbeddingsRequest(
      { model: "m", input: ["a", "b"], dimensions: 256, input_type: "query" },
      target,
    );
    expect(call.url).toBe("https://api.cohere.example/v2/embed");
    expect(JSON.parse(call.init.body ?? "{}")).toMatchObject({
      texts: ["a", "b"],
      input_type: "search_query",
      embedding_types: ["float"],
      output_dimension: 256,
    });
    const out = cohereEmbeddingsAdapter.parseEmbeddingsResponse(
      { embeddings: { float: [[0.1], [0.2]] }, meta: { billed_units: { input_tokens: 4 } } },
      target,
    );
    expect(out).toEqual({
      data: [
        { index: 0, embedding: [0.1] },
        { index: 1, embedding: [0.2] },
      ],
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  });

  it("embeds through the gateway, charged on Cohere's billed units", async () => {
    const { key } = await fundedAccount("1");
    const response = await gatewayFetch(`${BASE}/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "cohere/embed-v4.0", input: [`one ${nonce()}`, "two"], dimensions: 256 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.provider).toBe("Cohere");
    expect(body.data).toHaveLength(2);
    expect(body.data[0].embedding).toHaveLength(256);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.cost).toBeGreaterThan(0);
  });
});

describe("Cohere through the gateway", () => {
  it("reports usage whose cached tokens fit within the prompt tokens, streamed or not", async () => {
    const { key } = await fundedAccount("1");
    const ask = { model: "cohere/command-a", messages: [{ role: "user", content: `hi ${nonce()}` }] };
    const whole = (await (await chat(key, ask)).json()) as any;
    const { data } = await readSse(await chat(key, { ...ask, stream: true, stream_options: { include_usage: true } }));
    const streamed = (data.at(-2) as any).usage;
    for (const usage of [whole.usage, streamed]) {
      expect(usage.prompt_tokens).toBeGreaterThan(0);
      expect(usage.prompt_tokens_details.cached_tokens).toBeLessThanOrEqual(usage.prompt_tokens);
    }
  });
});
