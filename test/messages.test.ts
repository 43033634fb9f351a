import Anthropic from "@anthropic-ai/sdk";
import { beforeAll, describe, expect, it } from "vitest";
import { anthropicClient } from "./support/anthropic-client";
import {
  BASE,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  recordedGeneration,
  totalUsage,
  usageOnceCharged,
} from "./support/gateway";

/**
 * `POST /messages`: Anthropic's Messages API (OpenRouter's Anthropic-compatible API), translated
 * to the chat path and back, through the real app and the provider emulators, read by Anthropic's
 * SDK pointed at the gateway as Claude Code is (`ANTHROPIC_BASE_URL=<gateway>/api`).
 */
const CLAUDE = "anthropic/claude-haiku-4.5";
const GPT = "openai/gpt-4o-mini";

const WEATHER: Anthropic.Tool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return gatewayFetch(`${BASE}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

describe("POST /messages (Anthropic SDK)", () => {
  it("answers Claude with a Message; system and settings reach Anthropic; cost is what was charged", async () => {
    const { key: fresh } = await fundedAccount("1");
    const marker = nonce();
    const message = await anthropicClient(fresh).messages.create({
      model: CLAUDE,
      max_tokens: 200,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: `Say hello ${marker}` }],
      metadata: { user_id: "end-user-1" },
      stop_sequences: ["STOP"],
      temperature: 0.5,
      top_k: 40,
      // OpenRouter's routing field, beside Anthropic's own.
      provider: { only: ["anthropic"] },
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(message).toMatchObject({ type: "message", role: "assistant", model: CLAUDE, stop_reason: "end_turn" });
    expect(message.id).toMatch(/^gen-/);
    expect(message.content).toHaveLength(1);
    expect(message.content[0]!.type).toBe("text");
    expect((message.content[0] as Anthropic.TextBlock).text.length).toBeGreaterThan(0);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.cache_read_input_tokens).toBe(0);
    const cost = (message.usage as unknown as { cost: number }).cost;
    expect(cost).toBeGreaterThan(0);
    expect(await usageOnceCharged(fresh)).toBeCloseTo(cost, 12);

    const [upstream] = await emulatorRequests(marker);
    expect(upstream!.provider).toBe("anthropic");
    const sent = upstream!.body as any;
    expect(sent.system).toEqual([{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }]);
    expect(sent.messages).toEqual([{ role: "user", content: [{ type: "text", text: `Say hello ${marker}` }] }]);
    expect(sent).toMatchObject({ max_tokens: 200, stop_sequences: ["STOP"], temperature: 0.5, top_k: 40 });

    const generation = await recordedGeneration(fresh, message.id);
    expect(generation.model).toBe(CLAUDE);
    expect(generation.external_user).toBe("end-user-1");
    // OpenRouter's ApiType has no "messages": a Messages generation is a completion, as chat's.
    expect(generation.api_type).toBe("completions");
    expect(generation.total_cost).toBeCloseTo(cost, 12);
  });

  it("answers an OpenAI model too, its prompt sent as chat messages", async () => {
    const { key: fresh } = await fundedAccount("1");
    const marker = nonce();
    const message = await anthropicClient(fresh).messages.create({
      model: GPT,
      max_tokens: 50,
      system: "Be brief.",
      messages: [
        { role: "user", content: [{ type: "text", text: `Say hello ${marker}` }] },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Again" },
      ],
    });
    expect(message).toMatchObject({ type: "message", model: GPT, stop_reason: "end_turn", stop_sequence: null });
    expect(message.content[0]!.type).toBe("text");
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const cost = (message.usage as unknown as { cost: number }).cost;
    expect(await usageOnceCharged(fresh)).toBeCloseTo(cost, 12);
    const [upstream] = await emulatorRequests(marker);
    expect(upstream!.path).toMatch(/\/chat\/completions$/);
    const sent = upstream!.body as any;
    expect(sent.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: `Say hello ${marker}` }] },
      { role: "assistant", content: "Hello" },
      { role: "user", content: "Again" },
    ]);
    expect(sent.max_completion_tokens ?? sent.max_tokens).toBe(50);
  });

  it("round-trips a tool call: tool_use out, tool_result back in", async () => {
    const marker = nonce();
    const client = anthropicClient(key);
    const messages: Anthropic.MessageParam[] = [
      { role: "user", content: `What is the weather in Paris? Use the tool ${marker}` },
    ];
    const first = await client.messages.create({
      model: GPT,
      max_tokens: 200,
      messages,
      tools: [WEATHER],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
    });
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((block) => block.type === "tool_use");
    if (use?.type !== "tool_use") throw new Error("no tool_use");
    expect(use.name).toBe("get_weather");
    expect(use.input).toHaveProperty("city");

    const second = await client.messages.create({
      model: GPT,
      max_tokens: 200,
      messages: [
        ...messages,
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: use.id, content: "Sunny, 21C" },
            { type: "text", text: "And?" },
          ],
        },
      ],
      tools: [WEATHER],
    });
    expect(second.stop_reason).toBe("end_turn");
    const calls = await emulatorRequests(marker);
    expect(calls).toHaveLength(2);
    const [asked, answered] = calls.map((call) => call.body as any);
    expect(asked.tools).toEqual([
      {
        type: "function",
        function: { name: "get_weather", description: WEATHER.description, parameters: WEATHER.input_schema },
      },
    ]);
    expect(asked.tool_choice).toBe("required");
    expect(asked.parallel_tool_calls).toBe(false);
    expect(answered.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: use.id, type: "function", function: { name: "get_weather", arguments: JSON.stringify(use.input) } },
        ],
      },
      { role: "tool", tool_call_id: use.id, content: "Sunny, 21C" },
      { role: "user", content: [{ type: "text", text: "And?" }] },
    ]);
  });

  it("a tool result marked is_error reaches the model as an error", async () => {
    const marker = nonce();
    await anthropicClient(key).messages.create({
      model: GPT,
      max_tokens: 50,
      messages: [
        { role: "user", content: `Weather? ${marker}` },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Oslo" } }],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "timeout", is_error: true }] },
      ],
      tools: [WEATHER],
    });
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_1",
      content: "Error: timeout",
    });
  });

  it.each([false, true])(
    "continues Claude's thinking across a tool call: thinking goes back signed (streamed: %s)",
    async (streamed) => {
      const marker = nonce();
      const client = anthropicClient(key);
      const base = {
        model: CLAUDE,
        provider: { only: ["anthropic"] },
        max_tokens: 3000,
        thinking: { type: "enabled" as const, budget_tokens: 2000 },
        tools: [WEATHER],
      };
      const messages: Anthropic.MessageParam[] = [
        { role: "user", content: `Weather in Rome? call the tool ${marker}` },
      ];
      const first = streamed
        ? await client.messages.stream({ ...base, messages } as Anthropic.MessageStreamParams).finalMessage()
        : await client.messages.create({ ...base, messages } as Anthropic.MessageCreateParamsNonStreaming);
      expect(first.content.map((block) => block.type)).toEqual(["thinking", "tool_use"]);
      const thinking = first.content[0] as Anthropic.ThinkingBlock;
      expect(thinking.thinking.length).toBeGreaterThan(0);
      expect(thinking.signature).toMatch(/^sig_/);
      expect(first.stop_reason).toBe("tool_use");
      const use = first.content[1] as Anthropic.ToolUseBlock;
      expect(use.input).toHaveProperty("city");

      await client.messages.create({
        ...base,
        messages: [
          ...messages,
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "Sunny" }] },
        ],
      } as Anthropic.MessageCreateParamsNonStreaming);
      const calls = await emulatorRequests(marker);
      expect(calls).toHaveLength(2);
      expect((calls[0]!.body as any).thinking).toEqual({ type: "enabled", budget_tokens: 2000 });
      const turn = (calls[1]!.body as any).messages[1];
      expect(turn.role).toBe("assistant");
      expect(turn.content[0]).toEqual({ type: "thinking", thinking: thinking.thinking, signature: thinking.signature });
      expect(turn.content[1]).toMatchObject({ type: "tool_use", id: use.id, name: "get_weather", input: use.input });
    },
  );
});

describe("POST /messages streaming", () => {
  it("streams Anthropic's events in order; the text reassembles; usage and cost come in message_delta", async () => {
    const { key: fresh } = await fundedAccount("1");
    const stream = await anthropicClient(fresh).messages.create({
      model: GPT,
      max_tokens: 100,
      messages: [{ role: "user", content: `Count [[emulate tokens=6]] ${nonce()}` }],
      stream: true,
    });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((event) => event.type);
    expect(types.slice(0, 2)).toEqual(["message_start", "content_block_start"]);
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(types.slice(2, -3).every((type) => type === "content_block_delta")).toBe(true);
    const deltas = events.filter((event) => event.type === "content_block_delta");
    expect(deltas.length).toBeGreaterThan(1);
    const text = deltas.map((event) => (event.delta as Anthropic.TextDelta).text).join("");
    expect(text.length).toBeGreaterThan(0);
    const start = events[0] as Anthropic.RawMessageStartEvent;
    expect(start.message).toMatchObject({ type: "message", role: "assistant", model: GPT, content: [] });
    expect(start.message.id).toMatch(/^gen-/);
    const delta = events.at(-2) as Anthropic.RawMessageDeltaEvent;
    expect(delta.delta).toEqual({ stop_reason: "end_turn", stop_sequence: null });
    expect(delta.usage.output_tokens).toBe(6);
    expect(delta.usage.input_tokens).toBeGreaterThan(0);
    expect(await usageOnceCharged(fresh)).toBeCloseTo((delta.usage as unknown as { cost: number }).cost, 12);
  });

  it("streams a tool call as a tool_use block with input_json_delta pieces; the SDK's helper rebuilds it", async () => {
    const stream = anthropicClient(key).messages.stream({
      model: GPT,
      max_tokens: 200,
      messages: [{ role: "user", content: `Weather in Oslo? call the tool ${nonce()}` }],
      tools: [WEATHER],
    });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    stream.on("streamEvent", (event) => events.push(event));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    const use = final.content.find((block) => block.type === "tool_use") as Anthropic.ToolUseBlock;
    expect(use).toMatchObject({ type: "tool_use", name: "get_weather" });
    const started = events.find(
      (event) => event.type === "content_block_start" && event.content_block.type === "tool_use",
    ) as Anthropic.RawContentBlockStartEvent;
    expect(started.content_block).toMatchObject({ id: use.id, name: "get_weather", input: {} });
    const json = events
      .filter((event) => event.type === "content_block_delta" && event.index === started.index)
      .map((event) => ((event as Anthropic.RawContentBlockDeltaEvent).delta as Anthropic.InputJSONDelta).partial_json)
      .join("");
    expect(JSON.parse(json)).toEqual(use.input);
    expect(use.input).toHaveProperty("city");
  });

  it("streams Claude's thinking as thinking_delta and a signature_delta before the text", async () => {
    const stream = await anthropicClient(key).messages.create({
      model: CLAUDE,
      provider: { only: ["anthropic"] },
      max_tokens: 3000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: `Think [[emulate tokens=5]] ${nonce()}` }],
      stream: true,
    } as Anthropic.MessageCreateParamsStreaming);
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const blocks = events.filter(
      (event) => event.type === "content_block_start",
    ) as Anthropic.RawContentBlockStartEvent[];
    expect(blocks.map((event) => [event.index, event.content_block.type])).toEqual([
      [0, "thinking"],
      [1, "text"],
    ]);
    const deltaTypes = events
      .filter((event) => event.type === "content_block_delta" && event.index === 0)
      .map((event) => (event as Anthropic.RawContentBlockDeltaEvent).delta.type);
    expect(deltaTypes.at(-1)).toBe("signature_delta");
    expect(deltaTypes.slice(0, -1).every((type) => type === "thinking_delta")).toBe(true);
  });
});

describe("POST /messages: keys and errors in Anthropic's shape", () => {
  it("takes the key as a bearer token (Claude Code's ANTHROPIC_AUTH_TOKEN), at /api/v1 and /v1", async () => {
    const message = await anthropicClient(key, "authToken").messages.create({
      model: GPT,
      max_tokens: 20,
      messages: [{ role: "user", content: `Hi ${nonce()}` }],
    });
    expect(message.type).toBe("message");
    const response = await gatewayFetch("http://gateway.test/v1/messages", {
      method: "POST",
      headers: { "x-api-key": key, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: GPT, max_tokens: 20, messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).type).toBe("message");
  });

  it("a bad body is a 400 invalid_request_error naming the field", async () => {
    // max_tokens may be left out, as OpenRouter's MessagesRequest allows (Anthropic's requires it).
    const response = await post(
      "/messages",
      { model: GPT, max_tokens: "ten", messages: [{ role: "user", content: "Hi" }] },
      { "x-api-key": key },
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.any(String) } });
    expect(body.error.message).toContain("max_tokens");

    const bad = await anthropicClient(key)
      .messages.create({
        model: GPT,
        max_tokens: 10,
        messages: [{ role: "user", content: [{ type: "text", text: 3 as unknown as string }] }],
      })
      .catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.BadRequestError>).message).toContain("messages.0.content.0.text");
  });

  it("an unknown model keeps the gateway's status (400, as OpenRouter's), in Anthropic's shape", async () => {
    const response = await post(
      "/messages",
      { model: "nobody/no-such-model", max_tokens: 10, messages: [{ role: "user", content: "Hi" }] },
      { "x-api-key": key },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining("nobody/no-such-model") },
    });
  });

  it("no key is a 401 authentication_error", async () => {
    const response = await post("/messages", {
      model: GPT,
      max_tokens: 10,
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "authentication_error", message: expect.stringContaining("x-api-key") },
    });
    const wrong = await anthropicClient("sk-or-v1-wrong")
      .messages.create({ model: GPT, max_tokens: 10, messages: [{ role: "user", content: "Hi" }] })
      .catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("an account without credit is a 402 billing_error", async () => {
    const { key: broke } = await fundedAccount("0");
    const response = await post(
      "/messages",
      { model: GPT, max_tokens: 10, messages: [{ role: "user", content: "Hi" }] },
      { "x-api-key": broke },
    );
    expect(response.status).toBe(402);
    const body = (await response.json()) as any;
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("billing_error");
    expect(body.error.message.length).toBeGreaterThan(0);
    // Streaming asked for: refused before the stream starts, as JSON in the same shape.
    const streamed = await post(
      "/messages",
      { model: GPT, max_tokens: 10, stream: true, messages: [{ role: "user", content: "Hi" }] },
      { "x-api-key": broke },
    );
    expect(streamed.status).toBe(402);
    expect(((await streamed.json()) as any).error.type).toBe("billing_error");
  });
});

describe("POST /messages/count_tokens", () => {
  it("counts the prompt's tokens for the model, and charges nothing", async () => {
    const { key: fresh } = await fundedAccount("1");
    const client = anthropicClient(fresh);
    const short = await client.messages.countTokens({
      model: CLAUDE,
      messages: [{ role: "user", content: "Hello" }],
    });
    const long = await client.messages.countTokens({
      model: CLAUDE,
      system: "You are a helpful assistant who answers at length.",
      messages: [{ role: "user", content: "Hello ".repeat(200) }],
      tools: [WEATHER],
    });
    expect(short.input_tokens).toBeGreaterThan(0);
    expect(long.input_tokens).toBeGreaterThan(short.input_tokens + 150);
    expect(await totalUsage(fresh)).toBe(0);
  });
});

describe("POST /messages: stops, usage and the wire", () => {
  const base64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  it("Claude's stop on a stop sequence is stop_sequence, naming it; a cut at max_tokens is max_tokens", async () => {
    const client = anthropicClient(key);
    const stopped = await client.messages.create({
      model: CLAUDE,
      provider: { only: ["anthropic"] },
      max_tokens: 100,
      stop_sequences: ["STOP"],
      messages: [{ role: "user", content: `[[emulate content=${base64url("Hello STOP world")}]] ${nonce()}` }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(stopped).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "STOP" });
    const cut = await client.messages.create({
      model: GPT,
      max_tokens: 5,
      messages: [{ role: "user", content: `Go on [[emulate tokens=50]] ${nonce()}` }],
    });
    expect(cut).toMatchObject({ stop_reason: "max_tokens", stop_sequence: null });
    expect(cut.usage.output_tokens).toBe(5);
  });

  it("cache reads and writes are counted apart from input_tokens, as Anthropic counts them", async () => {
    const { key: fresh } = await fundedAccount("1");
    const message = await anthropicClient(fresh).messages.create({
      model: CLAUDE,
      provider: { only: ["anthropic"] },
      max_tokens: 50,
      messages: [{ role: "user", content: `Hi [[emulate prompt_tokens=100 cache_read=40 cache_write=20]] ${nonce()}` }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(message.usage).toMatchObject({
      input_tokens: 40,
      cache_read_input_tokens: 40,
      cache_creation_input_tokens: 20,
    });
    const generation = await recordedGeneration(fresh, message.id);
    expect(generation.tokens_prompt).toBe(100);
  });

  it("names each SSE event as its data's type and sends no [DONE]", async () => {
    const response = await post(
      "/messages",
      { model: GPT, max_tokens: 50, stream: true, messages: [{ role: "user", content: `hi ${nonce()}` }] },
      { "x-api-key": key },
    );
    expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const raw = await response.text();
    expect(raw).not.toContain("[DONE]");
    const frames = raw.split("\n\n").filter((frame) => frame.startsWith("event: "));
    for (const frame of frames) {
      const [event, data] = frame.split("\n");
      expect(JSON.parse(data!.slice("data: ".length)).type).toBe(event!.slice("event: ".length));
    }
    expect(frames[0]).toMatch(/^event: message_start\n/);
    expect(frames.at(-1)).toMatch(/^event: message_stop\n/);
  });

  it("a stream cut after it started ends with Anthropic's error event, and the SDK throws", async () => {
    const response = await post(
      "/messages",
      {
        model: GPT,
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: `cut [[emulate tokens=20 cut_after=5]] ${nonce()}` }],
      },
      { "x-api-key": key },
    );
    const frames = (await response.text()).split("\n\n").filter((frame) => frame.startsWith("event: "));
    const last = JSON.parse(frames.at(-1)!.split("\n")[1]!.slice("data: ".length));
    expect(last).toEqual({ type: "error", error: { type: "api_error", message: expect.any(String) } });
    expect(frames.some((frame) => frame.startsWith("event: message_stop"))).toBe(false);

    const thrown = await anthropicClient(key)
      .messages.stream({
        model: GPT,
        max_tokens: 100,
        messages: [{ role: "user", content: `cut [[emulate tokens=20 cut_after=5]] ${nonce()}` }],
      })
      .finalMessage()
      .catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(Anthropic.APIError);
  });

  it("images and PDF documents reach Claude as Anthropic's blocks; a plain-text document as its text", async () => {
    const marker = nonce();
    const png = "iVBORw0KGgo=";
    const pdf = btoa("%PDF-1.4 test");
    await anthropicClient(key).messages.create({
      model: CLAUDE,
      provider: { only: ["anthropic"] },
      max_tokens: 50,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: png } },
            { type: "image", source: { type: "url", url: "https://example.org/cat.png" } },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdf } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "Plain notes." } },
            { type: "text", text: `Describe ${marker}` },
          ],
        },
      ],
    } as Anthropic.MessageCreateParamsNonStreaming);
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).messages[0].content).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/png", data: png } },
      { type: "image", source: { type: "url", url: "https://example.org/cat.png" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdf } },
      { type: "text", text: "Plain notes." },
      { type: "text", text: `Describe ${marker}` },
    ]);
  });

  it("OpenRouter's fallbacks are tried after the model; output_config's format is chat's json_schema", async () => {
    const failing = await anthropicClient(key).messages.create({
      model: GPT,
      fallbacks: [{ model: CLAUDE }],
      max_tokens: 50,
      messages: [{ role: "user", content: `[[emulate@openai status=500]] [[emulate@azure status=500]] ${nonce()}` }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(failing.model).toBe(CLAUDE);

    const marker = nonce();
    const schema = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };
    const structured = await anthropicClient(key).messages.create({
      model: GPT,
      max_tokens: 100,
      output_config: { format: { type: "json_schema", schema } },
      messages: [{ role: "user", content: `A person ${marker}` }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(typeof JSON.parse((structured.content[0] as Anthropic.TextBlock).text).name).toBe("string");
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "output", schema },
    });

    const both = await post(
      "/messages",
      { model: GPT, models: [CLAUDE], fallbacks: [{ model: CLAUDE }], messages: [{ role: "user", content: "Hi" }] },
      { "x-api-key": key },
    );
    expect(both.status).toBe(400);
    expect(((await both.json()) as any).error.message).toContain("fallbacks");
  });

  it("an Anthropic server tool other than web search is a 400 naming it (web search: messages-server-tools.test.ts)", async () => {
    const response = await post(
      "/messages",
      {
        model: CLAUDE,
        max_tokens: 50,
        messages: [{ role: "user", content: "Search" }],
        tools: [{ type: "bash_20250124", name: "bash" }],
      },
      { "x-api-key": key },
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("bash_20250124");
  });
});
