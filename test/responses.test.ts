import { OpenResponsesResult$inboundSchema, StreamEvents$inboundSchema } from "@openrouter/sdk/models";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import {
  admin,
  BASE,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  recordedGeneration,
  sleep,
  usageOnceCharged,
} from "./support/gateway";

/**
 * `POST /responses`: OpenAI's Responses API, translated to the chat path and back, through the
 * real app and the provider emulators, read by the OpenAI SDK and checked against OpenRouter's.
 */
const MODEL = "openai/gpt-4o-mini";
const fetchThroughGateway = (input: RequestInfo | URL, init?: RequestInit) => gatewayFetch(input, init);
const openai = (apiKey: string) => new OpenAI({ apiKey, baseURL: BASE, fetch: fetchThroughGateway, maxRetries: 0 });

const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

function post(body: Record<string, unknown>, apiKey = key, base = BASE) {
  return gatewayFetch(`${base}/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Every event of a stream, as OpenRouter's SDK parses it (throws on one it would refuse). */
function parseEvents(events: unknown[]) {
  return events.map((event) => StreamEvents$inboundSchema.parse(event));
}

describe("POST /responses (OpenAI SDK)", () => {
  it("answers a text input with a Response; instructions are the system turn; cost is what was charged", async () => {
    const { key: fresh } = await fundedAccount("1");
    const marker = nonce();
    const response = await openai(fresh).responses.create({
      model: MODEL,
      instructions: "Be brief.",
      input: `Say hello ${marker}`,
      max_output_tokens: 40,
      temperature: 0.3,
      top_p: 0.9,
      user: "end-user-1",
      metadata: { app: "test" },
      prompt_cache_key: "cache-1",
      include: ["reasoning.encrypted_content"],
    });
    expect(response.object).toBe("response");
    expect(response.id).toMatch(/^gen-/);
    expect(response.status).toBe("completed");
    expect(response.model).toBe(MODEL);
    expect(response.output_text.length).toBeGreaterThan(0);
    const [message] = response.output;
    expect(message).toMatchObject({ type: "message", role: "assistant", status: "completed" });
    expect((message as any).content[0]).toMatchObject({ type: "output_text", annotations: [] });
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    expect(response.usage?.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
    expect(response.metadata).toEqual({ app: "test" });
    // OpenRouter's SDK takes it as its own OpenResponsesResult.
    const parsed = OpenResponsesResult$inboundSchema.parse(response);
    expect(parsed.usage?.cost).toBeGreaterThan(0);
    expect(await usageOnceCharged(fresh)).toBeCloseTo(parsed.usage!.cost!, 12);

    const [upstream] = await emulatorRequests(marker);
    const sent = upstream!.body as any;
    expect(upstream!.path).toMatch(/\/chat\/completions$/);
    expect(sent.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: `Say hello ${marker}` },
    ]);
    expect(sent.max_completion_tokens ?? sent.max_tokens).toBe(40);
    expect(sent).toMatchObject({ temperature: 0.3, top_p: 0.9, prompt_cache_key: "cache-1" });
    // The same generation as chat's: recorded, found by the Response's id.
    const generation = await recordedGeneration(fresh, response.id);
    expect(generation.model).toBe(MODEL);
    expect(generation.external_user).toBe("end-user-1");
    // OpenRouter's ApiType has no "responses": a Responses generation is a completion, as chat's.
    expect(generation.api_type).toBe("completions");
  });

  it("streams the Responses events in order, each with its sequence_number, and the usage at the end", async () => {
    const { key: fresh } = await fundedAccount("1");
    const stream = await openai(fresh).responses.create({
      model: MODEL,
      input: [{ role: "user", content: [{ type: "input_text", text: `Count [[emulate tokens=6]] ${nonce()}` }] }],
      stream: true,
    });
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    parseEvents(events);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    expect(types.slice(-4)).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const deltas = events.filter((e) => e.type === "response.output_text.delta");
    expect(deltas.length).toBeGreaterThan(1);
    const text = deltas.map((e) => e.delta).join("");
    expect(events.find((e) => e.type === "response.output_text.done").text).toBe(text);
    const item = events.find((e) => e.type === "response.output_item.added").item;
    expect(deltas.every((e) => e.item_id === item.id && e.output_index === 0 && e.content_index === 0)).toBe(true);
    const completed = events.at(-1).response;
    expect(completed.status).toBe("completed");
    expect(completed.output[0].content[0].text).toBe(text);
    expect(completed.usage.output_tokens).toBe(6);
    expect(await usageOnceCharged(fresh)).toBeCloseTo(completed.usage.cost, 12);
  });

  it("round-trips a function call: function_call out, function_call_output back in", async () => {
    const marker = nonce();
    const client = openai(key);
    const input: OpenAI.Responses.ResponseInput = [
      { role: "user", content: `What is the weather in Paris? Use the tool ${marker}` },
    ];
    const first = await client.responses.create({ model: MODEL, input, tools: [WEATHER], tool_choice: "required" });
    const call = first.output.find((item) => item.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", status: "completed" });
    if (call?.type !== "function_call") throw new Error("no function call");
    expect(call.call_id).toBeTruthy();
    expect(JSON.parse(call.arguments)).toHaveProperty("city");
    OpenResponsesResult$inboundSchema.parse(first);

    const second = await client.responses.create({
      model: MODEL,
      input: [
        ...input,
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: "function_call_output", call_id: call.call_id, output: "Sunny, 21C" },
      ],
      tools: [WEATHER],
    });
    expect(second.status).toBe("completed");
    expect(second.output_text.length).toBeGreaterThan(0);
    const calls = await emulatorRequests(marker);
    expect(calls).toHaveLength(2);
    const [asked, answered] = calls.map((c) => c.body as any);
    expect(asked.tools).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: WEATHER.description,
          parameters: WEATHER.parameters,
          strict: false,
        },
      },
    ]);
    expect(asked.tool_choice).toBe("required");
    expect(answered.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: call.call_id, type: "function", function: { name: "get_weather", arguments: call.arguments } },
        ],
      },
      { role: "tool", tool_call_id: call.call_id, content: "Sunny, 21C" },
    ]);
  });

  it("streams a function call: its item, argument deltas and done", async () => {
    const stream = await openai(key).responses.create({
      model: MODEL,
      input: `Weather in Oslo? call the tool ${nonce()}`,
      tools: [WEATHER],
      stream: true,
    });
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    parseEvents(events);
    const added = events.find((e) => e.type === "response.output_item.added");
    expect(added.item).toMatchObject({ type: "function_call", name: "get_weather", arguments: "" });
    const args = events
      .filter((e) => e.type === "response.function_call_arguments.delta")
      .map((e) => e.delta)
      .join("");
    const done = events.find((e) => e.type === "response.function_call_arguments.done");
    expect(done).toMatchObject({ item_id: added.item.id, name: "get_weather", arguments: args });
    expect(JSON.parse(args)).toHaveProperty("city");
    const completed = events.at(-1);
    expect(completed.type).toBe("response.completed");
    expect(completed.response.output).toEqual([
      {
        type: "function_call",
        id: added.item.id,
        call_id: added.item.call_id,
        name: "get_weather",
        arguments: args,
        status: "completed",
      },
    ]);
  });

  it.each(["true", "null", "late_name"])(
    "streams one function call item whatever the provider repeats or names late (quirky_tool_deltas=%s)",
    async (quirk) => {
      const stream = await openai(key).responses.create({
        model: MODEL,
        input: `Weather in Oslo? call the tool [[emulate quirky_tool_deltas=${quirk}]] ${nonce()}`,
        tools: [WEATHER],
        stream: true,
      });
      const events: any[] = [];
      for await (const event of stream) events.push(event);
      parseEvents(events);
      const added = events.filter((e) => e.type === "response.output_item.added");
      expect(added).toHaveLength(1);
      expect(added[0].item).toMatchObject({ type: "function_call", name: "get_weather" });
      const args = events
        .filter((e) => e.type === "response.function_call_arguments.delta")
        .map((e) => e.delta)
        .join("");
      expect(JSON.parse(args)).toHaveProperty("city");
      expect(events.at(-1).response.output[0]).toMatchObject({ name: "get_weather", arguments: args });
    },
  );

  it("streams an OpenAI-format reasoning model's reasoning as summary events before the text", async () => {
    const stream = await openai(key).responses.create({
      model: "x-ai/grok-4.3",
      input: `Think ${nonce()}`,
      reasoning: { effort: "high", summary: "auto" },
      stream: true,
    });
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    parseEvents(events);
    const reasoning = events
      .filter((e) => e.type === "response.reasoning_summary_text.delta")
      .map((e) => e.delta)
      .join("");
    expect(reasoning.length).toBeGreaterThan(0);
    const completed = events.at(-1).response;
    expect(completed.output.map((item: any) => item.type)).toEqual(["reasoning", "message"]);
    expect(completed.output[0].summary[0].text).toBe(reasoning);
    expect(completed.usage.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });

  it("text.format json_schema asks the provider for that schema; the output is JSON of it", async () => {
    const marker = nonce();
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer" } },
      required: ["name", "age"],
      additionalProperties: false,
    };
    const { data: response, response: raw } = await openai(key)
      .responses.create({
        model: MODEL,
        input: `A person ${marker}`,
        text: { format: { type: "json_schema", name: "person", schema, strict: true }, verbosity: "low" },
      })
      .withResponse();
    // text.verbosity is chat's verbosity: GPT-4o mini does not take it, and the header says so.
    expect(raw.headers.get("x-tollgate-dropped-params")).toContain("verbosity");
    const person = JSON.parse(response.output_text);
    expect(typeof person.name).toBe("string");
    expect(Number.isInteger(person.age)).toBe(true);
    expect(response.text?.format).toMatchObject({ type: "json_schema", name: "person" });
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "person", schema, strict: true },
    });
  });

  it("a reasoning model's reasoning is a reasoning item with its summary, and its tokens are counted", async () => {
    const marker = nonce();
    const response = await openai(key).responses.create({
      model: "x-ai/grok-4.3",
      input: `Think it through ${marker}`,
      reasoning: { effort: "high", summary: "auto" },
    });
    const [reasoning, message] = response.output;
    expect(reasoning?.type).toBe("reasoning");
    if (reasoning?.type !== "reasoning") throw new Error("no reasoning item");
    expect(reasoning.summary[0]?.type).toBe("summary_text");
    expect(reasoning.summary[0]?.text.length).toBeGreaterThan(0);
    expect(message?.type).toBe("message");
    expect(response.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(response.reasoning).toMatchObject({ effort: "high", summary: "auto" });
    OpenResponsesResult$inboundSchema.parse(response);
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).reasoning_effort ?? (upstream!.body as any).reasoning?.effort).toBe("high");
  });

  it("routes to Anthropic through the translation, streaming its thinking as reasoning summary events", async () => {
    const { key: fresh } = await fundedAccount("1");
    const marker = nonce();
    const stream = await openai(fresh).responses.create({
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      instructions: "You are terse.",
      input: `Think [[emulate tokens=5]] ${marker}`,
      reasoning: { effort: "high" },
      max_output_tokens: 3000,
      stream: true,
    } as OpenAI.Responses.ResponseCreateParamsStreaming);
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    parseEvents(events);
    const types = events.map((e) => e.type);
    expect(types).toContain("response.reasoning_summary_text.delta");
    // The reasoning item comes first, closed before the message opens.
    expect(types.indexOf("response.reasoning_summary_text.done")).toBeLessThan(
      types.indexOf("response.output_text.delta"),
    );
    const completed = events.at(-1).response;
    expect(completed.model).toBe("anthropic/claude-haiku-4.5");
    expect(completed.output.map((item: any) => item.type)).toEqual(["reasoning", "message"]);
    expect(completed.output[0].summary[0].text.length).toBeGreaterThan(0);
    expect(completed.output[1].content[0].text.length).toBeGreaterThan(0);
    expect(await usageOnceCharged(fresh)).toBeCloseTo(completed.usage.cost, 12);
    const [upstream] = await emulatorRequests(marker);
    expect(upstream!.provider).toBe("anthropic");
    expect(upstream!.path).toMatch(/\/messages$/);
    const sent = upstream!.body as any;
    expect(JSON.stringify(sent.system)).toContain("You are terse.");
    expect(sent.thinking).toMatchObject({ type: "enabled" });
  });

  it.each([false, true])(
    "continues Claude's thinking across a tool call: its reasoning item goes back signed (streamed: %s)",
    async (streamed) => {
      const marker = nonce();
      const client = openai(key);
      const base = {
        model: "anthropic/claude-haiku-4.5",
        provider: { only: ["anthropic"] },
        reasoning: { effort: "high" as const },
        max_output_tokens: 3000,
        tools: [WEATHER],
      };
      const input: OpenAI.Responses.ResponseInputItem[] = [
        { role: "user", content: `Weather in Rome? call the tool ${marker}` },
      ];
      let output: any[];
      if (streamed) {
        const stream = await client.responses.create({ ...base, input, stream: true } as any);
        let last: any;
        for await (const event of stream as any) last = event;
        output = last.response.output;
      } else {
        output = (await client.responses.create({ ...base, input } as any)).output;
      }
      expect(output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
      expect(output[0]).toMatchObject({ format: "anthropic-claude-v1", signature: expect.stringMatching(/^sig_/) });
      const call = output[1];
      await client.responses.create({
        ...base,
        input: [...input, ...output, { type: "function_call_output", call_id: call.call_id, output: "Sunny" }],
      } as any);
      const calls = await emulatorRequests(marker);
      expect(calls).toHaveLength(2);
      const turn = (calls[1]!.body as any).messages[1];
      expect(turn.role).toBe("assistant");
      expect(turn.content[0]).toEqual({
        type: "thinking",
        thinking: output[0].summary[0].text,
        signature: output[0].signature,
      });
      expect(turn.content[1]).toMatchObject({ type: "tool_use", id: call.call_id, name: "get_weather" });
    },
  );

  it("the SDK's responses.stream() helper accumulates the events into the final Response", async () => {
    const stream = openai(key).responses.stream({
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      input: `Weather in Lima? call the tool ${nonce()}`,
      reasoning: { effort: "high" },
      max_output_tokens: 3000,
      tools: [WEATHER],
    } as any);
    const texts: string[] = [];
    stream.on("response.function_call_arguments.delta", (event) => texts.push(event.snapshot));
    const final = await stream.finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
    const call = final.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(texts.at(-1)).toBe(call.arguments);
    expect(JSON.parse(call.arguments)).toHaveProperty("city");
  });

  it("a reply cut at max_output_tokens is incomplete, with its reason", async () => {
    const response = await openai(key).responses.create({
      model: MODEL,
      input: `Go on and on [[emulate tokens=50]] ${nonce()}`,
      max_output_tokens: 5,
    });
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(response.output[0]).toMatchObject({ type: "message", status: "incomplete" });
  });

  it("a stream cut at max_output_tokens ends with response.incomplete, with its reason", async () => {
    const stream = await openai(key).responses.create({
      model: MODEL,
      input: `Go on and on [[emulate tokens=50]] ${nonce()}`,
      max_output_tokens: 5,
      stream: true,
    });
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    parseEvents(events);
    const last = events.at(-1);
    expect(last.type).toBe("response.incomplete");
    expect(last.response).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    expect(last.response.output[0]).toMatchObject({ type: "message", status: "incomplete" });
    expect(last.response.usage.output_tokens).toBe(5);
  });
});

describe("POST /responses refusals and filters", () => {
  it("a model's refusal is a refusal content part, not output_text", async () => {
    const response = await openai(key).responses.create({
      model: MODEL,
      input: `Do the forbidden thing [[emulate refusal tokens=4]] ${nonce()}`,
    });
    parseEvents([{ type: "response.completed", sequence_number: 0, response }]);
    expect(response.status).toBe("completed");
    const message = response.output[0] as any;
    expect(message).toMatchObject({ type: "message", status: "completed" });
    expect(message.content).toEqual([{ type: "refusal", refusal: expect.any(String) }]);
    expect(message.content[0].refusal.length).toBeGreaterThan(0);
    expect(response.output_text).toBe(""); // the SDK's convenience: text parts only
  });

  it("streams a refusal as refusal.delta and refusal.done in a refusal part", async () => {
    const stream = await openai(key).responses.create({
      model: MODEL,
      input: `Do the forbidden thing [[emulate refusal tokens=4]] ${nonce()}`,
      stream: true,
    });
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    parseEvents(events);
    const types = events.map((e) => e.type);
    expect(types).not.toContain("response.output_text.delta");
    const deltas = events.filter((e) => e.type === "response.refusal.delta");
    expect(deltas.length).toBeGreaterThan(1);
    const refusal = deltas.map((e) => e.delta).join("");
    const added = events.find((e) => e.type === "response.content_part.added");
    expect(added.part).toEqual({ type: "refusal", refusal: "" });
    const done = events.find((e) => e.type === "response.refusal.done");
    expect(done).toMatchObject({ item_id: added.item_id, output_index: 0, content_index: 0, refusal });
    expect(events.find((e) => e.type === "response.content_part.done").part).toEqual({ type: "refusal", refusal });
    const completed = events.at(-1);
    expect(completed.type).toBe("response.completed");
    expect(completed.response.output[0].content).toEqual([{ type: "refusal", refusal }]);
  });

  it("a provider stream that reports no usage still ends with response.completed and its usage", async () => {
    const stream = await openai(key).responses.create({
      model: MODEL,
      input: `Count [[emulate no_usage tokens=4]] ${nonce()}`,
      stream: true,
    });
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    parseEvents(events);
    expect(events.at(-1).type).toBe("response.completed");
    expect(events.at(-1).response.usage.output_tokens).toBeGreaterThan(0);
  });

  it("an answer stopped by the provider's content filter is incomplete, with its reason", async () => {
    const input = `Something filtered [[emulate error_finish=content_filter tokens=3]] ${nonce()}`;
    const response = await openai(key).responses.create({ model: MODEL, input });
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "content_filter" });
    const stream = await openai(key).responses.create({ model: MODEL, input: `${input} ${nonce()}`, stream: true });
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    parseEvents(events);
    expect(events.at(-1)).toMatchObject({
      type: "response.incomplete",
      response: { status: "incomplete", incomplete_details: { reason: "content_filter" } },
    });
  });
});

describe("POST /responses (OpenRouter SDK)", () => {
  const client = () => openRouterClient(key);

  it("responses.send parses the Response with the SDK's own schema (it sends store: false and service_tier)", async () => {
    const result = await client().responses.send({ responsesRequest: { model: MODEL, input: `hi ${nonce()}` } });
    if (!("output" in result)) throw new Error("expected a Response");
    expect(result.status).toBe("completed");
    expect(result.usage?.cost).toBeGreaterThan(0);
    expect(result.usage?.costDetails?.upstreamInferenceOutputCost).toBeGreaterThan(0);
  });

  it("responses.send streams events the SDK parses", async () => {
    const result = await client().responses.send({
      responsesRequest: { model: MODEL, input: `hi ${nonce()}`, stream: true },
    });
    if ("output" in result) throw new Error("expected a stream");
    const types: string[] = [];
    for await (const event of result) types.push(event.type);
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
  });
});

describe("POST /responses refuses by name what a stateless gateway cannot do", () => {
  const refusal = async (body: Record<string, unknown>) => {
    const response = await post({ model: MODEL, input: "hi", ...body });
    expect(response.status).toBe(400);
    return ((await response.json()) as any).error as { code: number; message: string };
  };

  it.each([
    ["previous_response_id", { previous_response_id: "resp_123" }],
    ["store", { store: true }],
    ["conversation", { conversation: "conv_123" }],
    ["background", { background: true }],
  ])("%s", async (name, body) => {
    const error = await refusal(body);
    expect(error.code).toBe(400);
    expect(error.message).toContain(name);
  });

  it.each(["file_search", "code_interpreter", "computer_use_preview", "mcp", "image_generation"])(
    "the built-in tool %s",
    async (type) => {
      const error = await refusal({ tools: [{ type }] });
      expect(error.message).toContain(`"${type}"`);
      expect(error.message).toMatch(/built-in tool/);
    },
  );

  it("include: message.output_text.logprobs (no logprobs are returned)", async () => {
    const error = await refusal({ include: ["reasoning.encrypted_content", "message.output_text.logprobs"] });
    expect(error.message).toContain("include.1: message.output_text.logprobs is not supported");
  });

  it("an item_reference (it points at a stored item)", async () => {
    const error = await refusal({ input: [{ type: "item_reference", id: "msg_1" }] });
    expect(error.message).toContain("item_reference");
  });

  it("store: false, a null previous_response_id and reasoning items in input are let through", async () => {
    const response = await post(
      {
        model: MODEL,
        store: false,
        previous_response_id: null,
        input: [
          { type: "reasoning", id: "rs_1", summary: [] },
          { role: "user", content: "hi" },
        ],
      },
      key,
      BASE.replace("/api/v1", "/v1"),
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).object).toBe("response");
  });

  it("the OpenAI SDK gets the 400 as an APIError", async () => {
    await expect(
      openai(key).responses.create({ model: MODEL, input: "hi", previous_response_id: "resp_1" }),
    ).rejects.toMatchObject({ status: 400 });
  });
});

describe("POST /responses input and failures", () => {
  it("image and text parts reach the provider as chat content parts", async () => {
    const marker = nonce();
    const image = "data:image/png;base64,iVBORw0KGgo=";
    const response = await post({
      model: MODEL,
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: `What is this? ${marker}` },
            { type: "input_image", image_url: image, detail: "low" },
          ],
        },
      ],
    });
    expect(response.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: `What is this? ${marker}` },
          { type: "image_url", image_url: { url: image, detail: "low" } },
        ],
      },
    ]);
  });

  it("fields it does not know go to the provider as chat's do; the Responses API's own ones do not", async () => {
    const marker = nonce();
    const response = await post({
      model: MODEL,
      input: `Hi ${marker}`,
      logit_bias: { "50256": -100 },
      vendor_option: { depth: 2 },
      max_tool_calls: 3,
      stream_options: { include_obfuscation: false },
      context_management: [{ type: "compaction" }],
      n: 2,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    // max_tool_calls bounds built-in tools' calls (none run here): echoed, as OpenAI does.
    expect(body.max_tool_calls).toBe(3);
    const [upstream] = await emulatorRequests(marker);
    const sent = upstream!.body as any;
    expect(sent.logit_bias).toEqual({ "50256": -100 });
    expect(sent.vendor_option).toEqual({ depth: 2 });
    // Nor chat's n: more choices, each billed, of which a Response holds one.
    for (const own of ["max_tool_calls", "context_management", "input", "instructions", "text", "include", "n"]) {
      expect(sent).not.toHaveProperty(own);
    }
    expect(sent.stream_options?.include_obfuscation).toBeUndefined();
  });

  it("keys and credit are checked as on chat: no key is a 401, a provisioning key a 403, no credit a 402; no provider is called", async () => {
    const marker = nonce();
    expect((await post({ model: MODEL, input: marker }, "")).status).toBe(401);
    const { accountId } = await fundedAccount("1");
    const { key: provisioning } = await admin<{ key: string }>(`/accounts/${accountId}/keys`, {
      name: "ops",
      provisioning: true,
    });
    expect((await post({ model: MODEL, input: marker, stream: true }, provisioning)).status).toBe(403);
    const { key: broke } = await fundedAccount("0");
    const refused = await post({ model: MODEL, input: marker }, broke);
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as any).error.code).toBe(402);
    await sleep(100);
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("a bad body is a 400 naming the field", async () => {
    const missing = await post({ model: MODEL });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.message).toContain("input");
    const badPart = await post({ model: MODEL, input: [{ role: "user", content: [{ type: "input_audio" }] }] });
    expect(badPart.status).toBe(400);
    expect(((await badPart.json()) as any).error.message).toContain(
      'input.0.content.0: content parts of type "input_audio"',
    );
    // Checked as the chat request it becomes, named as the client sent it.
    const badImage = await post({
      model: MODEL,
      instructions: "Be brief.",
      input: [
        { role: "user", content: "hi" },
        {
          role: "user",
          content: [
            { type: "input_text", text: "and this?" },
            { type: "input_image", image_url: "data:image/png,raw" },
          ],
        },
      ],
    });
    expect(badImage.status).toBe(400);
    expect(((await badImage.json()) as any).error.message).toMatch(/^Invalid request: input\.1\.content\.1\.image_url/);
    const badCall = await post({ model: MODEL, input: [{ type: "function_call", name: "f", arguments: "{}" }] });
    expect(((await badCall.json()) as any).error.message).toMatch(/^Invalid request: input\.0\.call_id: /);
    const badTool = await post({ model: MODEL, input: "hi", tools: [{ ...WEATHER, name: "no spaces allowed" }] });
    expect(((await badTool.json()) as any).error.message).toMatch(/^Invalid request: tools\.0\.name: /);
  });

  it("a stream cut after it started ends with an error event, then response.failed with what it cost", async () => {
    const { key: fresh } = await fundedAccount("1");
    const response = await post(
      { model: MODEL, input: `cut [[emulate tokens=20 cut_after=5]] ${nonce()}`, stream: true },
      fresh,
    );
    const frames = (await response.text()).split("\n\n").filter((frame) => frame.startsWith("event: "));
    const events = frames.map((frame) => JSON.parse(frame.split("\n")[1]!.slice("data: ".length)));
    parseEvents(events);
    expect(events.at(-2)).toMatchObject({ type: "error", code: "provider_unavailable" });
    const failed = events.at(-1);
    expect(failed.type).toBe("response.failed");
    expect(failed.response).toMatchObject({ status: "failed", error: { code: "server_error" } });
    expect(failed.response.output[0]).toMatchObject({ type: "message", status: "incomplete" });
    expect(await usageOnceCharged(fresh)).toBeCloseTo(failed.response.usage.cost, 12);
  });
});

describe("POST /responses wire format", () => {
  it("names each SSE event and sends no [DONE]", async () => {
    const response = await post({ model: MODEL, input: `hi ${nonce()}`, stream: true });
    expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const raw = await response.text();
    expect(raw).not.toContain("[DONE]");
    const frames = raw.split("\n\n").filter((frame) => frame.startsWith("event: "));
    for (const frame of frames) {
      const [event, data] = frame.split("\n");
      expect(JSON.parse(data!.slice("data: ".length)).type).toBe(event!.slice("event: ".length));
    }
    expect(frames[0]).toMatch(/^event: response\.created\n/);
  });
});
