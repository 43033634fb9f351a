import { ChatStreamChunk$inboundSchema } from "@openrouter/sdk/models";
import { describe, expect, it } from "vitest";
import { priceUsage } from "../../src/generation/usage";
import { azureEmbeddingsAdapter, buildAzureChatRequest } from "../../src/providers/azure";
import { openaiAdapter } from "../../src/providers/openai";
import { addReasoningToCompletion, mistralToolId } from "../../src/providers/openai/quirks";
import { buildOpenAIBody } from "../../src/providers/openai/request";
import type { ChatRequest } from "../../src/schema/chat";
import { groqServingLlamaInForce } from "../support/catalog";
import { chat, emulatorRequests, fundedAccount, nonce, readSse } from "../support/gateway";
import { chatRequest, testTarget } from "../support/target";

// Groq serving Llama 3.3 (the fastest of its hosts) and Qwen 3: see withGroqServingLlama.
groqServingLlamaInForce();

const target = (slug: string, settings: Record<string, string> = {}) =>
  testTarget({ slug, baseUrl: `https://${slug}.example/v1`, settings });
const request = chatRequest;

const TOOL_TURN = [
  { role: "user", content: "weather?" },
  {
    role: "assistant",
    content: null,
    reasoning: "I should call the tool",
    reasoning_details: [{ type: "reasoning.text", text: "I should call the tool" }],
    tool_calls: [{ id: "call_abc123def456", type: "function", function: { name: "get_weather", arguments: "{}" } }],
  },
  { role: "tool", tool_call_id: "call_abc123def456", content: "sunny" },
] as ChatRequest["messages"];

describe("Mistral", () => {
  it("maps tool-call ids to 9 alphanumerics, deterministically, leaving valid ones alone", () => {
    const id = mistralToolId("call_abc123def456");
    expect(id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(mistralToolId("call_abc123def456")).toBe(id);
    expect(mistralToolId("toolu_01XyZ")).not.toBe(id);
    expect(mistralToolId("gSIMJiOkT")).toBe("gSIMJiOkT");
  });

  it("rewrites ids consistently across a tool turn and renames seed, without touching the client's request", () => {
    const req = request({ messages: TOOL_TURN, seed: 7 });
    const { body } = buildOpenAIBody(req, target("mistral"), false);
    const messages = body.messages as any[];
    const mapped = messages[1].tool_calls[0].id;
    expect(mapped).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(messages[2].tool_call_id).toBe(mapped);
    expect(body.random_seed).toBe(7);
    expect(body.seed).toBeUndefined();
    expect((req.messages[1] as any).tool_calls[0].id).toBe("call_abc123def456");
  });

  it("normalises tool calls streamed whole (no index, no type) and content sent as parts", () => {
    const mapper = openaiAdapter.createStreamMapper(target("mistral"));
    const [chunk] = mapper.map({
      data: JSON.stringify({
        choices: [
          {
            index: 0,
            delta: {
              content: [
                { type: "thinking", thinking: [{ type: "text", text: "pondering" }] },
                { type: "text", text: "answer" },
              ],
              tool_calls: [{ id: "gSIMJiOkT", function: { name: "w", arguments: "{}" } }],
            },
            finish_reason: "tool_calls",
          },
        ],
      }),
    });
    const choice = chunk!.choices[0]!;
    expect(choice.delta.tool_calls?.[0]).toMatchObject({ index: 0, id: "gSIMJiOkT", type: "function" });
    expect(choice.delta.content).toBe("answer");
    expect(choice.delta.reasoning).toBe("pondering");
    expect(choice.finish_reason).toBe("tool_calls");
  });
});

describe("OpenAI-format streams", () => {
  it("a choice the provider ends with finish_reason error, without an error object, is an error finish (the relay fails the stream)", () => {
    const mapper = openaiAdapter.createStreamMapper(target("together"));
    const event = (finish: string) => ({
      data: JSON.stringify({ choices: [{ index: 0, delta: { content: "" }, finish_reason: finish }] }),
    });
    expect(mapper.map(event("stop"))[0]?.choices[0]?.finish_reason).toBe("stop");
    expect(mapper.map(event("error"))[0]?.choices[0]).toMatchObject({
      finish_reason: "error",
      native_finish_reason: "error",
    });
  });
});

describe("other OpenAI-compatible providers", () => {
  it("never sends OpenRouter's reasoning fields of earlier turns to an OpenAI-format provider", () => {
    const { body } = buildOpenAIBody(request({ messages: TOOL_TURN }), target("deepseek"), false);
    const assistant = (body.messages as any[])[1];
    expect(assistant.reasoning).toBeUndefined();
    expect(assistant.reasoning_details).toBeUndefined();
    expect(assistant.tool_calls[0].id).toBe("call_abc123def456");
  });

  it("Groq: n > 1 is dropped and named", () => {
    const { body, dropped } = buildOpenAIBody(request({ n: 3 }), target("groq"), false);
    expect(body.n).toBeUndefined();
    expect(dropped).toContain("n");
  });

  it("Groq: usage under x_groq counts", () => {
    const mapper = openaiAdapter.createStreamMapper(target("groq"));
    const [chunk] = mapper.map({
      data: JSON.stringify({
        choices: [],
        x_groq: { usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } },
      }),
    });
    expect(chunk?.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5 });
  });

  it("xAI: reasoning counted outside completion_tokens is added to it (and so billed)", () => {
    const usage = {
      prompt_tokens: 12,
      completion_tokens: 1,
      total_tokens: 303,
      completion_tokens_details: { reasoning_tokens: 290 },
    };
    expect(addReasoningToCompletion(usage).completion_tokens).toBe(291);
    const included = { ...usage, completion_tokens: 291 };
    expect(addReasoningToCompletion(included).completion_tokens).toBe(291);
    const reply = openaiAdapter.parseChatResponse(
      { choices: [{ index: 0, message: { role: "assistant", content: "4" }, finish_reason: "stop" }], usage },
      target("xai"),
    );
    expect(reply.usage?.completion_tokens).toBe(291);
    expect(buildOpenAIBody(request({ max_tokens: 50 }), target("xai"), false).body.max_completion_tokens).toBe(50);
  });

  it("DeepInfra: reasoning above completion_tokens is outside it, even with a total that leaves it out too", () => {
    // DeepInfra's Gemini, as observed: the total is prompt + completion, the reasoning beside both.
    const usage = {
      prompt_tokens: 9,
      completion_tokens: 1124,
      total_tokens: 1133,
      completion_tokens_details: { reasoning_tokens: 1541 },
    };
    const mapper = openaiAdapter.createStreamMapper(target("deepinfra"));
    const [chunk] = mapper.map({ data: JSON.stringify({ choices: [], usage }) });
    expect(chunk?.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 2665, total_tokens: 2674 });
    const reply = openaiAdapter.parseChatResponse(
      { choices: [{ index: 0, message: { role: "assistant", content: "4" }, finish_reason: "stop" }], usage },
      target("deepinfra"),
    );
    const pricing = { prompt: "0.000001", completion: "0.00001" };
    // 9 × $1/M + 2665 × $10/M: every reasoning token billed as completion.
    expect(priceUsage(pricing, reply.usage!).costNanos).toBe(26_659_000);
    // Within the completion (reasoning no larger, total consistent), it is left alone.
    const within = {
      prompt_tokens: 9,
      completion_tokens: 1124,
      total_tokens: 1133,
      completion_tokens_details: { reasoning_tokens: 1000 },
    };
    expect(addReasoningToCompletion(within)).toEqual(within);
  });

  it("Fireworks: reasoning effort is brought into low..high", () => {
    expect(
      buildOpenAIBody(request({ reasoning_effort: "minimal" }), target("fireworks"), false).body.reasoning_effort,
    ).toBe("low");
    expect(
      buildOpenAIBody(request({ reasoning_effort: "xhigh" }), target("fireworks"), false).body.reasoning_effort,
    ).toBe("high");
  });

  it("Perplexity: consecutive same-role turns are merged so roles alternate", () => {
    const req = request({
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "a" },
        { role: "user", content: "b" },
      ] as ChatRequest["messages"],
    });
    const messages = buildOpenAIBody(req, target("perplexity"), false).body.messages as any[];
    expect(messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(messages[1].content).toBe("a\n\nb");
  });
});

describe("OpenAI-format tool turns", () => {
  it("number calls streamed without index across chunks: a new id opens the next index, no id continues the last", () => {
    const mapper = openaiAdapter.createStreamMapper(target("ollama"));
    const send = (tool_calls: unknown[], finish_reason: string | null = null) =>
      mapper.map({ data: JSON.stringify({ choices: [{ index: 0, delta: { tool_calls }, finish_reason }] }) });
    const chunks = [
      send([{ id: "a1", function: { name: "f", arguments: '{"x":' } }]),
      send([{ function: { arguments: "1}" } }]),
      send([{ id: "b2", function: { name: "g", arguments: "{}" } }]),
      send([
        { id: "c3", function: { name: "h", arguments: "{" } },
        { id: "d4", function: { name: "k", arguments: "{}" } },
      ]),
      send([{ id: "c3", function: { arguments: "}" } }], "tool_calls"),
    ].flat();
    const args: string[] = [];
    const ids: string[] = [];
    for (const call of chunks.flatMap((c) => c.choices[0]!.delta.tool_calls ?? [])) {
      args[call.index] = (args[call.index] ?? "") + (call.function?.arguments ?? "");
      if (call.function?.name) ids[call.index] = call.id ?? "";
    }
    expect(ids).toEqual(["a1", "b2", "c3", "d4"]);
    expect(args.map((a) => JSON.parse(a))).toEqual([{ x: 1 }, {}, {}, {}]);
  });

  it("send each call's id, type and name once, on its first delta, whatever the provider repeats or nulls", () => {
    // Compatible providers (§6 of the wire reference) repeat id and name on every delta, send
    // them as null, or send the name after the id. Clients read the first delta of an index as the
    // call's opening: the AI SDK provider throws on one without type "function" or a name, and
    // @openrouter/sdk rejects a chunk with a null id, type, name or arguments.
    const mapper = openaiAdapter.createStreamMapper(target("together"));
    const send = (tool_calls: unknown[], finish_reason: string | null = null) =>
      mapper.map({ data: JSON.stringify({ choices: [{ index: 0, delta: { tool_calls }, finish_reason }] }) });
    const chunks = [
      send([{ index: 0, id: "a1", type: "function", function: { name: "f", arguments: "" } }]),
      send([{ index: 0, id: "a1", type: "function", function: { name: "f", arguments: '{"x":' } }]),
      send([{ index: 0, id: null, type: null, function: { name: null, arguments: "1}" } }]),
      send([{ index: 1, id: "b2", type: null, function: { name: null, arguments: null } }]),
      send([{ index: 1, function: { name: "g", arguments: '{"y"' } }]),
      send([{ index: 1, function: { arguments: ":2}" } }]),
      send([{ index: 1, function: { arguments: "" } }], "tool_calls"),
    ].flat();
    const deltas = chunks.flatMap((c) => c.choices[0]!.delta.tool_calls ?? []);
    for (const chunk of chunks) {
      const parsed = ChatStreamChunk$inboundSchema.safeParse({
        id: "gen-1",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: chunk.choices,
      });
      expect(parsed.success, JSON.stringify(chunk)).toBe(true);
    }
    const openings = deltas.filter((d) => d.id !== undefined || d.type !== undefined || d.function?.name !== undefined);
    expect(openings).toEqual([
      { index: 0, id: "a1", type: "function", function: { name: "f", arguments: "" } },
      { index: 1, id: "b2", type: "function", function: { name: "g", arguments: '{"y"' } },
    ]);
    // An opening comes before any other delta of its index; later ones carry arguments only.
    expect(deltas.map((d) => d.index)).toEqual([0, 0, 0, 1, 1]);
    const args = [0, 1].map((i) =>
      deltas
        .filter((d) => d.index === i)
        .map((d) => d.function?.arguments ?? "")
        .join(""),
    );
    expect(args.map((a) => JSON.parse(a))).toEqual([{ x: 1 }, { y: 2 }]);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("tool_calls");
  });

  const CUT_CALL = { id: "call_1", type: "function", function: { name: "f", arguments: '{"a":' } };
  const chunk = (choice: Record<string, unknown>) => ({ data: JSON.stringify({ id: "x", choices: [choice] }) });

  it("keep finish_reason length or content_filter (the calls were cut short or filtered); stop or none is tool_calls", () => {
    const finish = (finish_reason: string | null) =>
      openaiAdapter.parseChatResponse(
        {
          choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [CUT_CALL] }, finish_reason }],
        },
        target("openai"),
      ).choices[0]!.finish_reason;
    expect(finish("length")).toBe("length");
    expect(finish("content_filter")).toBe("content_filter");
    expect(finish("stop")).toBe("tool_calls");
    expect(finish(null)).toBe("tool_calls");
  });

  it("streamed, keep finish_reason length or content_filter; stop is tool_calls", () => {
    for (const [native, expected] of [
      ["length", "length"],
      ["content_filter", "content_filter"],
      ["stop", "tool_calls"],
    ]) {
      const mapper = openaiAdapter.createStreamMapper(target("openai"));
      const chunks = [
        chunk({ index: 0, delta: { role: "assistant", tool_calls: [{ index: 0, ...CUT_CALL }] }, finish_reason: null }),
        chunk({ index: 0, delta: {}, finish_reason: native }),
      ].flatMap((e) => mapper.map(e));
      expect(chunks.map((c) => c.choices[0]!.finish_reason)).toEqual([null, expected]);
    }
  });
});

describe("Azure OpenAI", () => {
  it("calls the deployment URL with api-version and api-key, without a model in the body", async () => {
    const call = buildAzureChatRequest(request({}), target("azure"), true);
    expect(call.url).toBe("https://azure.example/v1/deployments/the-model/chat/completions?api-version=2024-10-21");
    expect(call.init.headers["api-key"]).toBe("secret-key");
    expect(call.init.headers.authorization).toBeUndefined();
    expect(JSON.parse(call.init.body ?? "{}").model).toBeUndefined();
    const pinned = buildAzureChatRequest(
      request({}),
      target("azure", { AZURE_API_VERSION: "2025-04-01-preview" }),
      false,
    );
    expect(pinned.url).toContain("api-version=2025-04-01-preview");
    const embeddings = await azureEmbeddingsAdapter.buildEmbeddingsRequest(
      { model: "m", input: ["x"] },
      target("azure"),
    );
    expect(embeddings.url).toBe("https://azure.example/v1/deployments/the-model/embeddings?api-version=2024-10-21");
    expect(embeddings.init.headers["api-key"]).toBe("secret-key");
  });

  it("classifies a prompt blocked by Azure's filters as a content-policy refusal with Azure's reason", () => {
    const error = azureEmbeddingsAdapter.parseError(
      400,
      JSON.stringify({
        error: {
          code: "content_filter",
          message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        },
      }),
      new Headers({ "retry-after-ms": "1500" }),
    );
    expect(error.kind).toBe("content_policy");
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/content management policy/);
    expect(error.retryAfter).toBe(1.5);
  });
});

describe("through the gateway", () => {
  it("a tool conversation started elsewhere continues at Mistral, whose validator accepts the ids", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await chat(key, {
      model: "mistralai/mistral-small-3.1-24b-instruct",
      provider: { only: ["mistral"] },
      seed: 3,
      messages: [{ role: "user", content: `weather? ${marker}` }, ...TOOL_TURN.slice(1)],
    });
    expect(response.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    const sent = upstream!.body as any;
    expect(sent.random_seed).toBe(3);
    expect(sent.messages[1].tool_calls[0].id).toMatch(/^[a-zA-Z0-9]{9}$/);
  });

  it("Mistral's whole-call tool stream reaches the client as OpenAI deltas", async () => {
    const { key } = await fundedAccount("1");
    const { data } = await readSse(
      await chat(key, {
        model: "mistralai/mistral-small-3.1-24b-instruct",
        provider: { only: ["mistral"] },
        stream: true,
        tools: [
          {
            type: "function",
            function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
          },
        ],
        messages: [{ role: "user", content: `call the weather tool ${nonce()}` }],
      }),
    );
    const deltas = (data.slice(0, -1) as any[]).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather" } });
    expect(deltas[0].id).toMatch(/^[a-zA-Z0-9]{9}$/);
  });

  it("Groq: n is dropped and named in x-tollgate-dropped-params instead of failing the request", async () => {
    const { key } = await fundedAccount("1");
    const response = await chat(key, {
      model: "meta-llama/llama-3.3-70b-instruct",
      provider: { only: ["groq"] },
      n: 2,
      messages: [{ role: "user", content: `hi ${nonce()}` }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toContain("n");
  });

  it("Perplexity: its citations reach the client", async () => {
    const { key } = await fundedAccount("1");
    const response = await chat(key, {
      model: "perplexity/sonar",
      messages: [
        { role: "user", content: `first ${nonce()}` },
        { role: "user", content: "second" },
      ],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.citations).toHaveLength(2);
    expect(body.id).toMatch(/^gen-/);
  });

  it("Azure: a filtered prompt is refused with Azure's reason and not laundered through OpenAI", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await chat(key, {
      model: "openai/gpt-4o",
      provider: { order: ["azure", "openai"] },
      messages: [{ role: "user", content: `[[emulate@azure status=400 code=content_filter]] ${marker}` }],
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as any).error.message).toMatch(/content management policy/);
    const calls = await emulatorRequests(marker);
    expect(calls.map((c) => c.provider)).toEqual(["azure"]);
  });

  it("Azure: the stream's choice-less first chunk never reaches the client", async () => {
    const { key } = await fundedAccount("1");
    const { data } = await readSse(
      await chat(key, {
        model: "openai/gpt-4o",
        provider: { only: ["azure"] },
        stream: true,
        messages: [{ role: "user", content: `hi ${nonce()}` }],
      }),
    );
    const chunks = data.slice(0, -1) as any[];
    expect(chunks[0].id).toMatch(/^gen-/);
    expect(chunks[0].choices.length).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).every((c) => c.choices.length > 0)).toBe(true);
  });
});
