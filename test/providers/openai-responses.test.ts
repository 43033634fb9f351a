import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import {
  BASE,
  chat,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  readSse,
  recordedGeneration,
  WEATHER_TOOL,
} from "../support/gateway";

/**
 * GPT-6 through OpenAI's Responses API (the catalog's `api: "responses"`), through the real
 * gateway and the emulator's /v1/responses, which refuses what the API refuses (an unknown
 * parameter, a function_call_output with no call before it, reasoning it did not encrypt): text,
 * tools with reasoning across a tool loop, structured output, the output cap, usage and cost.
 */

const SOL = "openai/gpt-6.1-sol";
// GPT-6.1 Sol's short-context prices, USD per token: prompt, cache read, completion.
const PRICE = { prompt: 2 / 1e6, cacheRead: 0.1 / 1e6, completion: 10 / 1e6 };

const upstream = async (marker: string) => {
  const [call] = await emulatorRequests(marker);
  return call as { path: string; body: any };
};

const client = (key: string) =>
  new OpenAI({ apiKey: key, baseURL: BASE, fetch: (input, init) => gatewayFetch(input, init), maxRetries: 0 });

describe("GPT-6 through the Responses API", () => {
  it("answers a text request, asked as a stateless Response with its reasoning summarised", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const reply = await client(key).chat.completions.create({
      model: "openai/gpt-6.1-terra",
      reasoning_effort: "high",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: `hello ${marker}` },
      ],
    });
    expect(reply.choices[0]?.message.content).toBeTruthy();
    expect(reply.choices[0]?.finish_reason).toBe("stop");
    const message = reply.choices[0]?.message as any;
    expect(message.reasoning).toContain("Thinking about the request");
    expect(message.reasoning_details.map((d: any) => d.type)).toEqual(["reasoning.summary", "reasoning.encrypted"]);
    const call = await upstream(marker);
    expect(call.path).toBe("/openai/v1/responses");
    expect(call.body).toMatchObject({
      model: "gpt-6.1-terra",
      store: false,
      include: ["reasoning.encrypted_content"],
      reasoning: { effort: "high", summary: "auto" },
      input: [
        { type: "message", role: "system", content: "Be brief." },
        { type: "message", role: "user" },
      ],
    });
  });

  it("calls a tool while reasoning and answers its result, the reasoning sent back encrypted", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const openai = client(key);
    const question = { role: "user" as const, content: `What is the weather in Paris? ${marker}` };
    const first = await openai.chat.completions.create({
      model: SOL,
      reasoning_effort: "medium",
      tools: [WEATHER_TOOL as OpenAI.ChatCompletionTool],
      tool_choice: "auto",
      parallel_tool_calls: false,
      messages: [question],
    });
    const turn = first.choices[0]!;
    expect(turn.finish_reason).toBe("tool_calls");
    const call = turn.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toHaveProperty("city");
    const details = (turn.message as any).reasoning_details as any[];
    expect(details.find((d) => d.type === "reasoning.encrypted")?.format).toBe("openai-responses-v1");

    const asked = (await upstream(marker)).body;
    expect(asked.tools).toEqual([
      {
        type: "function",
        name: "get_weather",
        description: "Weather for a city",
        parameters: WEATHER_TOOL.function.parameters,
        strict: false,
      },
    ]);
    expect(asked.tool_choice).toBe("auto");
    expect(asked.parallel_tool_calls).toBe(false);

    const second = await openai.chat.completions.create({
      model: SOL,
      reasoning_effort: "medium",
      tools: [WEATHER_TOOL as OpenAI.ChatCompletionTool],
      messages: [
        question,
        { ...turn.message, reasoning_details: details } as OpenAI.ChatCompletionAssistantMessageParam,
        { role: "tool", tool_call_id: call.id, content: '{"temp_c":18}' },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe("stop");
    expect(second.choices[0]?.message.content).toBeTruthy();
    // The emulator goes on from reasoning it encrypted itself, and refuses any other.
    expect((second.choices[0]!.message as any).reasoning).toContain("Continuing from my earlier reasoning");
    const calls = await emulatorRequests(marker);
    expect(calls).toHaveLength(2);
    const input = (calls[1]!.body as any).input as any[];
    expect(input.map((item) => item.type)).toEqual(["message", "reasoning", "function_call", "function_call_output"]);
    expect(input[1].encrypted_content).toBe(details.find((d) => d.type === "reasoning.encrypted").data);
    expect(input[2]).toMatchObject({ call_id: call.id, name: "get_weather" });
    expect(input[3]).toEqual({ type: "function_call_output", call_id: call.id, output: '{"temp_c":18}' });
  });

  it("serves a client of the gateway's own /responses a reasoning tool loop on GPT-6", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const openai = client(key);
    const tools: OpenAI.Responses.FunctionTool[] = [
      { type: "function", name: "get_weather", parameters: WEATHER_TOOL.function.parameters, strict: false },
    ];
    const question = { role: "user" as const, content: `What is the weather in Rome? ${marker}` };
    const first = await openai.responses.create({
      model: SOL,
      input: [question],
      tools,
      reasoning: { effort: "medium", summary: "auto" },
    });
    const call = first.output.find((item) => item.type === "function_call");
    const reasoning = first.output.find(
      (item): item is OpenAI.Responses.ResponseReasoningItem => item.type === "reasoning" && !!item.encrypted_content,
    );
    expect(call?.name).toBe("get_weather");
    expect(reasoning?.encrypted_content).toMatch(/^emu-enc:/);

    const second = await openai.responses.create({
      model: SOL,
      input: [question, ...first.output, { type: "function_call_output", call_id: call!.call_id, output: "sunny" }],
      tools,
      reasoning: { effort: "medium", summary: "auto" },
    } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(second.output_text).toBeTruthy();
    const input = ((await emulatorRequests(marker))[1]!.body as any).input as any[];
    expect(input.find((item) => item.type === "reasoning")?.encrypted_content).toBe(reasoning?.encrypted_content);
  });

  it("forces a named tool as Responses names it", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const response = await chat(key, {
      model: "openai/gpt-6-luna",
      tools: [WEATHER_TOOL],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      messages: [{ role: "user", content: `hello ${marker}` }],
    });
    expect(response.status).toBe(200);
    const reply = (await response.json()) as any;
    expect(reply.choices[0].message.tool_calls[0].function.name).toBe("get_weather");
    expect((await upstream(marker)).body.tool_choice).toEqual({ type: "function", name: "get_weather" });
  });

  it("streams text, reasoning and a tool call as chat chunks, ending with the finish and usage", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const text = await chat(key, {
      model: SOL,
      stream: true,
      reasoning: { effort: "low" },
      messages: [{ role: "user", content: `tell me ${marker}` }],
    });
    expect(text.status).toBe(200);
    const { data } = await readSse(text);
    const chunks = data.filter((d) => d !== "[DONE]") as any[];
    const content = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(content.split(" ").length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.choices[0]?.delta?.reasoning ?? "").join("")).toContain("Thinking about the request");
    const details = chunks.flatMap((c) => c.choices[0]?.delta?.reasoning_details ?? []);
    expect(details.some((d: any) => d.type === "reasoning.encrypted" && d.data.startsWith("emu-enc:"))).toBe(true);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("stop");
    const usage = chunks.find((c) => c.usage)?.usage;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(data.at(-1)).toBe("[DONE]");

    const toolMarker = nonce();
    const tools = await chat(key, {
      model: SOL,
      stream: true,
      tools: [WEATHER_TOOL],
      messages: [{ role: "user", content: `weather in Oslo ${toolMarker}` }],
    });
    const toolChunks = (await readSse(tools)).data.filter((d) => d !== "[DONE]") as any[];
    const deltas = toolChunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather" } });
    expect(deltas[0].id).toMatch(/^call_/);
    const args = deltas.map((d: any) => d.function?.arguments ?? "").join("");
    expect(JSON.parse(args)).toHaveProperty("city");
    expect(deltas.length).toBeGreaterThan(2);
    expect(toolChunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("tool_calls");

    // The streamed reasoning details, sent back as a client gathers them (unmerged), carry on.
    const streamedDetails = toolChunks.flatMap((c) => c.choices[0]?.delta?.reasoning_details ?? []);
    const reasoningText = toolChunks.map((c) => c.choices[0]?.delta?.reasoning ?? "").join("");
    const next = await chat(key, {
      model: SOL,
      stream: true,
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: `weather in Oslo ${toolMarker}` },
        {
          role: "assistant",
          content: null,
          reasoning_details: streamedDetails,
          tool_calls: [{ id: deltas[0].id, type: "function", function: { name: "get_weather", arguments: args } }],
        },
        { role: "tool", tool_call_id: deltas[0].id, content: "sunny" },
      ],
    });
    const nextChunks = (await readSse(next)).data.filter((d) => d !== "[DONE]") as any[];
    expect(nextChunks.map((c) => c.choices[0]?.delta?.reasoning ?? "").join("")).toContain("Continuing from");
    const replayed = ((await emulatorRequests(toolMarker))[1]!.body as any).input[1];
    expect(replayed).toMatchObject({ type: "reasoning", summary: [{ type: "summary_text", text: reasoningText }] });
  });

  it("asks json_schema as text.format and returns the JSON", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const response = await chat(key, {
      model: SOL,
      response_format: { type: "json_schema", json_schema: { name: "place", schema, strict: true } },
      messages: [{ role: "user", content: `a city ${marker}` }],
    });
    expect(response.status).toBe(200);
    const reply = (await response.json()) as any;
    expect(JSON.parse(reply.choices[0].message.content)).toHaveProperty("city");
    expect((await upstream(marker)).body.text).toEqual({
      format: { type: "json_schema", name: "place", schema, strict: true },
    });
  });

  it("ends with finish length at max_tokens, streamed or not", async () => {
    const { key } = await fundedAccount("10");
    for (const stream of [false, true]) {
      const marker = nonce();
      const response = await chat(key, {
        model: "openai/gpt-6-luna",
        max_tokens: 20,
        stream,
        messages: [{ role: "user", content: `talk [[emulate tokens=200]] ${marker}` }],
      });
      expect(response.status).toBe(200);
      const finish = stream
        ? ((await readSse(response)).data as any[]).find((c) => c.choices?.[0]?.finish_reason)?.choices[0]
        : ((await response.json()) as any).choices[0];
      expect(finish.finish_reason, `stream ${stream}`).toBe("length");
      expect(finish.native_finish_reason, `stream ${stream}`).toBe("max_output_tokens");
      expect((await upstream(marker)).body.max_output_tokens).toBe(20);
    }
    // Under the API's floor of 16 (a 400 there), the cap is raised to it and the request answered.
    const marker = nonce();
    const tiny = await chat(key, {
      model: "openai/gpt-6-luna",
      max_tokens: 1,
      messages: [{ role: "user", content: `ping ${marker}` }],
    });
    expect(tiny.status).toBe(200);
    expect((await upstream(marker)).body.max_output_tokens).toBe(16);
  });

  it("returns a refusal as refusal and a content-filter stop as content_filter, streamed or not", async () => {
    const { key } = await fundedAccount("10");
    for (const stream of [false, true]) {
      const marker = nonce();
      const refused = await chat(key, {
        model: "openai/gpt-6-luna",
        stream,
        messages: [{ role: "user", content: `no [[emulate refusal]] ${marker}` }],
      });
      expect(refused.status).toBe(200);
      const refusal = stream
        ? ((await readSse(refused)).data as any[]).map((c) => c.choices?.[0]?.delta?.refusal ?? "").join("")
        : ((await refused.json()) as any).choices[0].message.refusal;
      expect(refusal, `stream ${stream}`).toBeTruthy();
      // Refused by the Responses API itself (its refusal part), not Chat Completions' field.
      expect((await upstream(marker)).path).toBe("/openai/v1/responses");

      const filtered = await chat(key, {
        model: "openai/gpt-6-luna",
        stream,
        messages: [{ role: "user", content: `hm [[emulate error_finish=content_filter]] ${nonce()}` }],
      });
      const choice = stream
        ? ((await readSse(filtered)).data as any[]).find((c) => c.choices?.[0]?.finish_reason)?.choices[0]
        : ((await filtered.json()) as any).choices[0];
      expect(choice.finish_reason, `stream ${stream}`).toBe("content_filter");
    }
  });

  it("turns reasoning off as effort none, asking no summary, where the model can stop reasoning", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const response = await chat(key, {
      model: "openai/gpt-6.1-terra",
      reasoning: { enabled: false },
      messages: [{ role: "user", content: `quick ${marker}` }],
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).choices[0].message.reasoning).toBeUndefined();
    expect((await upstream(marker)).body.reasoning).toEqual({ effort: "none" });
  });

  it("charges cached input at the cache-read price, as /generation records it", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const response = await chat(key, {
      model: SOL,
      messages: [{ role: "user", content: `cached [[emulate prompt_tokens=1000 cache_read=600]] ${marker}` }],
    });
    expect(response.status).toBe(200);
    const reply = (await response.json()) as any;
    expect((await upstream(marker)).path).toBe("/openai/v1/responses");
    expect(reply.usage.prompt_tokens).toBe(1000);
    expect(reply.usage.prompt_tokens_details.cached_tokens).toBe(600);
    const cost = 400 * PRICE.prompt + 600 * PRICE.cacheRead + reply.usage.completion_tokens * PRICE.completion;
    expect(reply.usage.cost).toBeCloseTo(cost, 12);
    expect((await recordedGeneration(key, reply.id)).total_cost).toBeCloseTo(cost, 12);
  });

  it("drops what the Responses API refuses and names it, so the request is answered", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const response = await chat(key, {
      model: SOL,
      stop: ["END"],
      seed: 7,
      logit_bias: { "50256": -100 },
      temperature: 0.2,
      // The call is stateless whatever the client asks: nothing is stored at OpenAI.
      store: true,
      messages: [{ role: "user", content: `hello ${marker}` }],
    });
    expect(response.status).toBe(200);
    const dropped = response.headers.get("x-tollgate-dropped-params")?.split(/,\s*/) ?? [];
    expect(dropped).toEqual(expect.arrayContaining(["stop", "seed", "logit_bias", "temperature", "store"]));
    const body = (await upstream(marker)).body;
    for (const field of ["stop", "seed", "logit_bias", "temperature"]) expect(body).not.toHaveProperty(field);
    expect(body.store).toBe(false);
  });

  it("maps OpenAI's error body as for Chat Completions, and a failed Response as a stream error", async () => {
    const { key } = await fundedAccount("10");
    const tooLong = await chat(key, {
      model: SOL,
      messages: [{ role: "user", content: `long [[emulate status=400 code=context_length_exceeded]] ${nonce()}` }],
    });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as any).error.message).toContain("maximum context length");

    const limited = await chat(key, {
      model: SOL,
      messages: [{ role: "user", content: `busy [[emulate status=429 code=rate_limit_exceeded]] ${nonce()}` }],
    });
    expect(limited.status).toBe(429);

    const failed = await chat(key, {
      model: SOL,
      stream: true,
      messages: [{ role: "user", content: `fail [[emulate error_finish=failed]] ${nonce()}` }],
    });
    const chunks = ((await readSse(failed)).data as any[]).filter((c) => c !== "[DONE]");
    const ending = chunks.find((c) => c.error);
    expect(ending.error.message).toContain("The model failed to generate a response.");
    expect(ending.choices[0].finish_reason).toBe("error");
  });
});
