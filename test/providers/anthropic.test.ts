import { describe, expect, inject, it } from "vitest";
import { priceUsage, publicUsage } from "../../src/generation/usage";
import { buildAnthropicBody, convertMessages } from "../../src/providers/anthropic/request";
import {
  createAnthropicStreamMapper,
  mapStopReason,
  parseAnthropicResponse,
} from "../../src/providers/anthropic/response";
import type { ChatChunkOut } from "../../src/providers/types";
import type { ChatRequest } from "../../src/schema/chat";
import { chat, emulatorRequests, fundedAccount, nonce, readSse } from "../support/gateway";
import { CHAT_PARAMETERS, chatRequest, testTarget } from "../support/target";

const target = testTarget({
  slug: "anthropic",
  model: "claude-haiku-4-5-20251001",
  maxCompletionTokens: 64000,
  baseUrl: "http://x",
  parameters: CHAT_PARAMETERS.filter(
    (p) => !["seed", "frequency_penalty", "presence_penalty", "include_reasoning"].includes(p),
  ),
});

const request = chatRequest;

/** The arguments a client assembles from streamed tool-call deltas, by tool index. */
const toolArguments = (chunks: Array<Pick<ChatChunkOut, "choices">>) => {
  const args: string[] = [];
  for (const chunk of chunks)
    for (const call of chunk.choices[0]?.delta.tool_calls ?? [])
      args[call.index] = (args[call.index] ?? "") + (call.function?.arguments ?? "");
  return args;
};

describe("Anthropic request mapping", () => {
  it("hoists system and developer messages, merges same-role turns, starts with a user turn", () => {
    const { system, messages } = convertMessages([
      { role: "system", content: "Be brief." },
      { role: "assistant", content: "Earlier answer" },
      { role: "developer", content: "Use metric units." },
      { role: "user", content: "one" },
      { role: "user", content: [{ type: "text", text: "two", cache_control: { type: "ephemeral" } }] },
    ]);
    expect(system).toEqual([
      { type: "text", text: "Be brief." },
      { type: "text", text: "Use metric units." },
    ]);
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(messages[2]!.content).toEqual([
      { type: "text", text: "one" },
      { type: "text", text: "two", cache_control: { type: "ephemeral" } },
    ]);
  });

  it("turns tool calls into tool_use and tool messages into tool_result blocks first in one user turn", () => {
    const { messages } = convertMessages([
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call:1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "call_2", type: "function", function: { name: "get_time", arguments: "" } },
        ],
      },
      { role: "tool", tool_call_id: "call:1", content: "18C" },
      { role: "tool", tool_call_id: "call_2", content: "noon" },
    ]);
    expect(messages[1]!.content).toEqual([
      { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
      { type: "tool_use", id: "call_2", name: "get_time", input: {} },
    ]);
    expect(messages[2]).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "call_1", content: "18C" },
        { type: "tool_result", tool_use_id: "call_2", content: "noon" },
      ],
    });
  });

  it("maps images by data URL (image/jpg sent as image/jpeg, the type Anthropic takes) and by URL", () => {
    const { messages } = convertMessages([
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          { type: "image_url", image_url: { url: "data:image/jpg;base64,/9j/AA==" } },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
        ],
      },
    ]);
    expect(messages[0]!.content).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/AA==" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ]);
  });

  it("sends thinking blocks with their signatures back on the next turn", () => {
    const { messages } = convertMessages([
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: "a",
        reasoning_details: [
          { type: "reasoning.text", text: "thought", signature: "sig123" },
          { type: "reasoning.encrypted", data: "opaque" },
        ],
      },
      { role: "user", content: "q2" },
    ]);
    expect(messages[1]!.content.slice(0, 2)).toEqual([
      { type: "thinking", thinking: "thought", signature: "sig123" },
      { type: "redacted_thinking", data: "opaque" },
    ]);
  });

  it("replays only Claude's own reasoning details: another provider's signatures would be refused", () => {
    const { messages } = convertMessages([
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_abc", type: "function", function: { name: "weather", arguments: "{}" } }],
        reasoning_details: [
          { type: "reasoning.text", text: "gemini thought", signature: "EqUC", format: "google-gemini-v1" },
          { type: "reasoning.encrypted", data: "EtoF", format: "google-gemini-v1", id: "call_abc" },
          { type: "reasoning.encrypted", data: "gAAAA", format: "openai-responses-v1" },
          { type: "reasoning.text", text: "claude thought", signature: "sig1", format: "anthropic-claude-v1" },
        ],
      },
      { role: "tool", tool_call_id: "call_abc", content: "18C" },
    ]);
    expect(messages[1]!.content).toEqual([
      { type: "thinking", thinking: "claude thought", signature: "sig1" },
      { type: "tool_use", id: "call_abc", name: "weather", input: {} },
    ]);
  });

  it("requires max_tokens, maps stop, tools, tool_choice and parallel_tool_calls", () => {
    const { body } = buildAnthropicBody(
      request({
        stop: "END",
        temperature: 1.5,
        tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
        tool_choice: "required",
        parallel_tool_calls: false,
      }),
      target,
      false,
    );
    expect(body.max_tokens).toBe(64000);
    expect(body.stop_sequences).toEqual(["END"]);
    expect(body.temperature).toBe(1);
    expect(body.tools).toEqual([{ name: "f", input_schema: { type: "object" } }]);
    expect(body.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
  });

  it("turns reasoning into a thinking budget inside max_tokens, without sampling parameters", () => {
    const { body } = buildAnthropicBody(
      request({ max_tokens: 1000, temperature: 0.2, reasoning: { effort: "low" } }),
      target,
      false,
    );
    expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(body.max_tokens).toBe(3048);
    expect(body.temperature).toBeUndefined();
    const explicit = buildAnthropicBody(request({ reasoning: { max_tokens: 5000 } }), target, false).body;
    expect((explicit.thinking as { budget_tokens: number }).budget_tokens).toBe(5000);
  });

  it("leaves thinking off (and names reasoning as dropped) when tool_choice forces a tool, keeping the client's choice", () => {
    const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }];
    for (const [tool_choice, sent] of [
      ["required", { type: "any" }],
      [
        { type: "function", function: { name: "f" } },
        { type: "tool", name: "f" },
      ],
    ] as const) {
      const { body, dropped } = buildAnthropicBody(
        request({ reasoning: { effort: "low" }, tools, tool_choice } as Partial<ChatRequest>),
        target,
        false,
      );
      expect(body.thinking).toBeUndefined();
      expect(body.tool_choice).toEqual(sent);
      expect(dropped).toContain("reasoning");
    }
    const auto = buildAnthropicBody(
      request({ reasoning: { effort: "low" }, tools, tool_choice: "auto" }),
      target,
      false,
    );
    expect(auto.body.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(auto.dropped).not.toContain("reasoning");
  });

  it("turns include_reasoning: true alone into the medium budget, as OpenRouter reads the legacy flag", () => {
    const withFlag = testTarget({ slug: "anthropic", maxCompletionTokens: 64000, parameters: CHAT_PARAMETERS });
    const { body, dropped } = buildAnthropicBody(
      request({ max_tokens: 1000, include_reasoning: true }),
      withFlag,
      false,
    );
    expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 8192 });
    expect(body.max_tokens).toBe(1000 + 8192);
    expect(dropped).toEqual([]);
    // An explicit reasoning setting wins over the flag, off included.
    const off = request({ include_reasoning: true, reasoning: { enabled: false } });
    expect(buildAnthropicBody(off, withFlag, false).body.thinking).toBeUndefined();
    // An endpoint that drops include_reasoning turns nothing on for it.
    expect(buildAnthropicBody(request({ include_reasoning: true }), target, false).body.thinking).toBeUndefined();
    // With a forced tool, thinking stays off and the flag the client sent is named as dropped.
    const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }];
    const forced = buildAnthropicBody(
      request({ include_reasoning: true, tools, tool_choice: "required" }),
      withFlag,
      false,
    );
    expect(forced.body.thinking).toBeUndefined();
    expect(forced.dropped).toEqual(["include_reasoning"]);
  });

  it("carries json_schema on a forced tool", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    const { body } = buildAnthropicBody(
      request({ response_format: { type: "json_schema", json_schema: { name: "x", schema } } }),
      target,
      false,
    );
    expect(body.tools).toEqual([expect.objectContaining({ name: "json_output", input_schema: schema })]);
    expect(body.tool_choice).toEqual({ type: "tool", name: "json_output" });
  });
});

describe("Anthropic response mapping", () => {
  it("maps content, thinking, tool use, stop reason and usage (cache tokens counted in the prompt)", () => {
    const out = parseAnthropicResponse({
      content: [
        { type: "thinking", thinking: "hmm", signature: "s1" },
        { type: "text", text: "Calling." },
        { type: "tool_use", id: "toolu_1", name: "f", input: { x: 1 } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, output_tokens: 20 },
    });
    const choice = out.choices[0]!;
    expect(choice.message.content).toBe("Calling.");
    expect(choice.message.reasoning).toBe("hmm");
    expect(choice.message.reasoning_details?.[0]).toMatchObject({ type: "reasoning.text", signature: "s1" });
    expect(choice.message.tool_calls).toEqual([
      { id: "toolu_1", type: "function", function: { name: "f", arguments: '{"x":1}' } },
    ]);
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.native_finish_reason).toBe("tool_use");
    expect(out.usage).toMatchObject({
      prompt_tokens: 115,
      completion_tokens: 20,
      total_tokens: 135,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 5 },
    });
  });

  it("maps every stop reason", () => {
    expect(mapStopReason("end_turn")).toBe("stop");
    expect(mapStopReason("stop_sequence")).toBe("stop");
    expect(mapStopReason("max_tokens")).toBe("length");
    expect(mapStopReason("tool_use")).toBe("tool_calls");
    expect(mapStopReason("refusal")).toBe("content_filter");
  });

  it("maps every stream event", () => {
    const mapper = createAnthropicStreamMapper();
    const feed = (type: string, data: object) => mapper.map({ event: type, data: JSON.stringify({ type, ...data }) });
    expect(
      feed("message_start", { message: { usage: { input_tokens: 7, output_tokens: 1 } } })[0]!.choices[0]!.delta,
    ).toEqual({ role: "assistant", content: "" });
    expect(feed("ping", {})).toEqual([]);
    feed("content_block_start", { index: 0, content_block: { type: "thinking", thinking: "" } });
    expect(
      feed("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: "ponder" } })[0]!.choices[0]!
        .delta,
    ).toEqual({
      reasoning: "ponder",
      reasoning_details: [{ type: "reasoning.text", text: "ponder", format: "anthropic-claude-v1" }],
    });
    expect(feed("content_block_delta", { index: 0, delta: { type: "signature_delta", signature: "sigX" } })).toEqual(
      [],
    );
    // The signature closes the block; its text went out piece by piece, and is not sent again.
    expect(feed("content_block_stop", { index: 0 })[0]!.choices[0]!.delta.reasoning_details).toEqual([
      { type: "reasoning.text", text: "", signature: "sigX", format: "anthropic-claude-v1" },
    ]);
    feed("content_block_start", { index: 1, content_block: { type: "text", text: "" } });
    expect(
      feed("content_block_delta", { index: 1, delta: { type: "text_delta", text: "Hi" } })[0]!.choices[0]!.delta,
    ).toEqual({ content: "Hi" });
    const start = feed("content_block_start", {
      index: 2,
      content_block: { type: "tool_use", id: "toolu_9", name: "f", input: {} },
    });
    expect(start[0]!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, id: "toolu_9", type: "function", function: { name: "f", arguments: "" } },
    ]);
    expect(feed("content_block_delta", { index: 2, delta: { type: "input_json_delta", partial_json: "" } })).toEqual(
      [],
    );
    expect(
      feed("content_block_delta", { index: 2, delta: { type: "input_json_delta", partial_json: '{"a":' } })[0]!
        .choices[0]!.delta.tool_calls,
    ).toEqual([{ index: 0, function: { arguments: '{"a":' } }]);
    feed("message_delta", { delta: { stop_reason: "tool_use" }, usage: { output_tokens: 33 } });
    expect(mapper.done).toBe(false);
    const end = feed("message_stop", {});
    expect(mapper.done).toBe(true);
    expect(end[0]!.choices[0]).toMatchObject({ finish_reason: "tool_calls", native_finish_reason: "tool_use" });
    expect(end[1]!.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 33 });
  });

  it("keeps message_start's prompt and cache counts where message_delta sends them as null, and charges them", () => {
    const pricing = {
      prompt: "0.000003",
      completion: "0.000015",
      input_cache_read: "0.0000003",
      input_cache_write: "0.00000375",
    };
    const stream = (deltaUsage: object) => {
      const mapper = createAnthropicStreamMapper();
      const feed = (type: string, data: object) => mapper.map({ event: type, data: JSON.stringify({ type, ...data }) });
      feed("message_start", {
        message: {
          usage: {
            input_tokens: 12,
            cache_read_input_tokens: 2000,
            cache_creation_input_tokens: 300,
            output_tokens: 1,
          },
        },
      });
      feed("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
      feed("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hi" } });
      feed("message_delta", { delta: { stop_reason: "end_turn" }, usage: deltaUsage });
      const usage = feed("message_stop", {})[1]!.usage!;
      return publicUsage(usage, priceUsage(pricing, usage));
    };
    // The SDKs type message_delta's input and cache counts as nullable: null means "not given here".
    const withNulls = stream({
      input_tokens: null,
      cache_read_input_tokens: null,
      cache_creation_input_tokens: null,
      output_tokens: 40,
      output_tokens_details: null,
    });
    expect(withNulls).toMatchObject({
      prompt_tokens: 2312,
      completion_tokens: 40,
      total_tokens: 2352,
      prompt_tokens_details: { cached_tokens: 2000, cache_write_tokens: 300 },
      // 12 × $3/M + 2000 × $0.30/M + 300 × $3.75/M + 40 × $15/M
      cost: 0.002361,
    });
    // Repeated as numbers (recent streams do), they are the same counts.
    expect(
      stream({ input_tokens: 12, cache_read_input_tokens: 2000, cache_creation_input_tokens: 300, output_tokens: 40 }),
    ).toEqual(withNulls);
  });

  it("prices 1-hour cache writes apart, from cache_creation, and shows only their total", () => {
    const pricing = { prompt: "0.000003", completion: "0.000015", input_cache_write: "0.00000375" };
    const start = {
      input_tokens: 12,
      cache_creation_input_tokens: 300,
      cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
      output_tokens: 1,
    };
    const stream = (deltaUsage: object) => {
      const mapper = createAnthropicStreamMapper();
      const feed = (type: string, data: object) => mapper.map({ event: type, data: JSON.stringify({ type, ...data }) });
      feed("message_start", { message: { usage: start } });
      feed("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
      feed("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hi" } });
      feed("message_delta", { delta: { stop_reason: "end_turn" }, usage: deltaUsage });
      const usage = feed("message_stop", {})[1]!.usage!;
      return publicUsage(usage, priceUsage(pricing, usage));
    };
    const expected = {
      prompt_tokens: 312,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 300 },
      // 12 × $3/M + 100 × $3.75/M + 200 × $6/M (twice the base input price) + 40 × $15/M
      cost: 0.002211,
    };
    const plain = stream({ output_tokens: 40 });
    expect(plain).toMatchObject(expected);
    expect(plain.prompt_tokens_details).not.toHaveProperty("cache_write_1h_tokens");
    expect(stream({ output_tokens: 40, cache_creation: null })).toEqual(plain);
    expect(stream({ ...start, output_tokens: 40 })).toEqual(plain);
    const reply = parseAnthropicResponse({
      content: [],
      stop_reason: "end_turn",
      usage: { ...start, output_tokens: 40 },
    });
    expect(publicUsage(reply.usage!, priceUsage(pricing, reply.usage!))).toEqual(plain);
  });

  it("streams a tool called without arguments (only empty partial_json) as arguments {}", () => {
    const mapper = createAnthropicStreamMapper();
    const feed = (type: string, data: object) => mapper.map({ event: type, data: JSON.stringify({ type, ...data }) });
    const chunks = [
      feed("message_start", { message: { usage: { input_tokens: 7, output_tokens: 1 } } }),
      feed("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: "toolu_1", name: "now", input: {} },
      }),
      feed("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: "" } }),
      feed("content_block_stop", { index: 0 }),
      feed("content_block_start", {
        index: 1,
        content_block: { type: "tool_use", id: "toolu_2", name: "f", input: {} },
      }),
      feed("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: '{"a":1}' } }),
      feed("content_block_stop", { index: 1 }),
      feed("message_delta", { delta: { stop_reason: "tool_use" }, usage: { output_tokens: 9 } }),
      feed("message_stop", {}),
    ].flat();
    expect(toolArguments(chunks).map((args) => JSON.parse(args))).toEqual([{}, { a: 1 }]);
  });

  it("turns an in-stream error event into a thrown error", () => {
    const mapper = createAnthropicStreamMapper();
    expect(() =>
      mapper.map({
        event: "error",
        data: JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
      }),
    ).toThrow(/Overloaded/);
  });
});

describe("Anthropic emulator", () => {
  const messages = (body: Record<string, unknown>) =>
    fetch(`${inject("emulatorUrl")}/anthropic/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-haiku-4-5-20251001", max_tokens: 4000, ...body }),
    });

  it("rejects an image media type outside jpeg, png, gif and webp, as the API does", async () => {
    const image = (media_type: string) => ({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what?" },
            { type: "image", source: { type: "base64", media_type, data: "/9j/AA==" } },
          ],
        },
      ],
    });
    const refused = await messages(image("image/jpg"));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining("messages.0.content.1.image.source") },
    });
    expect((await messages(image("image/jpeg"))).status).toBe(200);
  });

  it("rejects thinking with a tool_choice that forces tool use, as the API does", async () => {
    const tools = [{ name: "f", input_schema: { type: "object" } }];
    const ask = (tool_choice: Record<string, unknown>) =>
      messages({
        thinking: { type: "enabled", budget_tokens: 2048 },
        tools,
        tool_choice,
        messages: [{ role: "user", content: "hi" }],
      });
    for (const forced of [{ type: "any" }, { type: "tool", name: "f" }]) {
      const refused = await ask(forced);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "Thinking may not be enabled when tool_choice forces tool use.",
        },
      });
    }
    expect((await ask({ type: "auto" })).status).toBe(200);
  });
});

describe("Anthropic through the gateway", () => {
  it("round-trips a thinking signature across turns", async () => {
    const { key } = await fundedAccount("2");
    const first = (await (
      await chat(key, {
        model: "anthropic/claude-haiku-4.5",
        // Pinned: Bedrock also serves this model, and parallel fault tests can move health-aware routing.
        provider: { only: ["anthropic"] },
        reasoning: { effort: "low" },
        messages: [{ role: "user", content: `think ${nonce()}` }],
      })
    ).json()) as any;
    const details = first.choices[0].message.reasoning_details;
    expect(details[0].signature).toMatch(/^sig_/);
    const marker = nonce();
    const second = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      reasoning: { effort: "low" },
      messages: [
        { role: "user", content: "think" },
        { role: "assistant", content: first.choices[0].message.content, reasoning_details: details },
        { role: "user", content: `again ${marker}` },
      ],
    });
    expect(second.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    expect(upstream!.headers["x-api-key"]).toBe("emulator-key");
    expect(upstream!.headers["anthropic-version"]).toBe("2023-06-01");
    const sent = (upstream!.body as any).messages[1].content[0];
    expect(sent).toEqual({ type: "thinking", thinking: details[0].text, signature: details[0].signature });
  });

  it("streams reasoning once, and takes the streamed pieces back as one signed thinking block", async () => {
    const { key } = await fundedAccount("2");
    const ask = (messages: unknown[], extra: Record<string, unknown> = {}) =>
      chat(key, {
        model: "anthropic/claude-haiku-4.5",
        provider: { only: ["anthropic"] },
        reasoning: { effort: "low" },
        messages,
        ...extra,
      });
    const prompt = `think ${nonce()}`;
    const whole = (await (await ask([{ role: "user", content: prompt }])).json()) as any;
    const { data } = await readSse(await ask([{ role: "user", content: prompt }], { stream: true }));
    const deltas = (data.slice(0, -1) as any[]).flatMap((c) => c.choices.map((ch: any) => ch.delta));
    const details = deltas.flatMap((d) => d.reasoning_details ?? []);
    // Read either way, the reasoning is the block's text once (the AI SDK reads the details).
    expect(deltas.map((d) => d.reasoning ?? "").join("")).toBe(whole.choices[0].message.reasoning);
    expect(details.map((d: any) => d.text ?? "").join("")).toBe(whole.choices[0].message.reasoning);
    const marker = nonce();
    const again = await ask([
      { role: "user", content: prompt },
      { role: "assistant", content: "Hello", reasoning_details: details },
      { role: "user", content: `again ${marker}` },
    ]);
    expect(again.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).messages[1].content[0]).toEqual({
      type: "thinking",
      thinking: whole.choices[0].message.reasoning_details[0].text,
      signature: whole.choices[0].message.reasoning_details[0].signature,
    });
  });

  it("streams a tool called without arguments with arguments the client can parse", async () => {
    const { key } = await fundedAccount("1");
    const { data } = await readSse(
      await chat(key, {
        model: "anthropic/claude-haiku-4.5",
        provider: { only: ["anthropic"] },
        stream: true,
        tools: [{ type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } }],
        messages: [{ role: "user", content: `call the tool ${nonce()}` }],
      }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as ChatChunkOut[];
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(toolArguments(chunks).map((args) => JSON.parse(args))).toEqual([{}]);
  });

  it("answers a data:image/jpg image (Anthropic would refuse the media type image/jpg)", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `what is this? ${marker}` },
            { type: "image_url", image_url: { url: "data:image/jpg;base64,/9j/4AAQSkZJRg==" } },
          ],
        },
      ],
    });
    expect(response.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).messages[0].content[1].source.media_type).toBe("image/jpeg");
  });

  it("answers reasoning with a forced tool_choice: the tool is called, reasoning is named as dropped", async () => {
    const { key } = await fundedAccount("1");
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      reasoning: { effort: "low" },
      tools: [{ type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } }],
      tool_choice: "required",
      messages: [{ role: "user", content: `what time is it? ${nonce()}` }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toContain("reasoning");
    const choice = ((await response.json()) as any).choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.tool_calls[0].function.name).toBe("get_time");
  });

  it("maps 529 overloaded to a 502 naming the kind", async () => {
    const { key } = await fundedAccount("1");
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      messages: [{ role: "user", content: `[[emulate status=529]] ${nonce()}` }],
    });
    expect(response.status).toBe(502);
    expect(((await response.json()) as any).error.metadata.error_type).toBe("provider_overloaded");
  });
});
