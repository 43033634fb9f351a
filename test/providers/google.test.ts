import { ChatStreamChunk$inboundSchema } from "@openrouter/sdk/models";
import { describe, expect, inject, it } from "vitest";
import { buildGeminiEmbeddingsRequest, parseGeminiEmbeddingsResponse } from "../../src/providers/google/embeddings";
import { parseGeminiError } from "../../src/providers/google/errors";
import {
  buildGeminiBody,
  buildGeminiChatRequest,
  convertMessages,
  convertToolChoice,
  convertTools,
  geminiReasoningAllowance,
  isGeminiFileUri,
  toGeminiSchema,
} from "../../src/providers/google/request";
import {
  createGeminiStreamMapper,
  mapFinishReason,
  mapUsage,
  parseGeminiResponse,
} from "../../src/providers/google/response";
import { inlineRemoteImages } from "../../src/providers/inline-image";
import type { ChatChunkOut } from "../../src/providers/types";
import type { ChatRequest } from "../../src/schema/chat";
import { GatewayError } from "../../src/schema/errors";
import { PIXEL_PNG_BASE64 } from "../emulator/images";
import { chat, emulatorRequests, fundedAccount, nonce, readSse } from "../support/gateway";
import { CHAT_PARAMETERS, chatRequest, testTarget } from "../support/target";

const target = testTarget({
  slug: "google-ai-studio",
  model: "gemini-2.5-flash-lite",
  maxCompletionTokens: 65535,
  baseUrl: "https://generativelanguage.googleapis.com/v1beta",
  // The emulator's images are on loopback.
  settings: { IMAGE_FETCH_PRIVATE: "allow" },
});

const request = chatRequest;

const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("Gemini request mapping", () => {
  it("hoists system and developer messages, maps roles and merges same-role turns", () => {
    const { systemInstruction, contents } = convertMessages([
      { role: "system", content: "Be brief." },
      { role: "user", content: "one" },
      { role: "user", content: [{ type: "text", text: "two" }] },
      { role: "developer", content: [{ type: "text", text: "Use metric units." }] },
      { role: "assistant", content: "answer" },
      { role: "assistant", content: "" },
      { role: "user", content: "three" },
    ]);
    expect(systemInstruction).toEqual({ parts: [{ text: "Be brief." }, { text: "Use metric units." }] });
    expect(contents).toEqual([
      { role: "user", parts: [{ text: "one" }, { text: "two" }] },
      { role: "model", parts: [{ text: "answer" }] },
      { role: "user", parts: [{ text: "three" }] },
    ]);
  });

  it("sends a system-only conversation as the user's turn", () => {
    const { systemInstruction, contents } = convertMessages([{ role: "system", content: "Say hi." }]);
    expect(systemInstruction).toBeUndefined();
    expect(contents).toEqual([{ role: "user", parts: [{ text: "Say hi." }] }]);
  });

  it("maps tool calls to functionCall parts and results to named functionResponse parts in one user turn", () => {
    const { contents } = convertMessages([
      { role: "user", content: "weather and time?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "call_gm_xyz", type: "function", function: { name: "get_time", arguments: "" } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: '{"temp":18}' },
      { role: "tool", tool_call_id: "call_gm_xyz", content: "noon" },
      { role: "user", content: "thanks" },
    ]);
    expect(contents[1]).toEqual({
      role: "model",
      parts: [
        { functionCall: { name: "get_weather", args: { city: "Paris" } } },
        { functionCall: { name: "get_time", args: {}, id: "xyz" } },
      ],
    });
    expect(contents[2]).toEqual({
      role: "user",
      parts: [
        { functionResponse: { name: "get_weather", response: { name: "get_weather", content: { temp: 18 } } } },
        { functionResponse: { name: "get_time", response: { name: "get_time", content: "noon" }, id: "xyz" } },
        { text: "thanks" },
      ],
    });
  });

  it("maps data: images to inlineData, Files API and YouTube URLs to fileData with a guessed type, and audio", () => {
    const { contents } = convertMessages([
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "image_url", image_url: "https://generativelanguage.googleapis.com/v1beta/files/cat.webp" },
          { type: "image_url", image_url: { url: "https://www.youtube.com/watch?v=9hE5-98ZeCg" } },
          { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
        ],
      },
    ]);
    expect(contents[0]!.parts).toEqual([
      { text: "look" },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      {
        fileData: {
          mimeType: "image/webp",
          fileUri: "https://generativelanguage.googleapis.com/v1beta/files/cat.webp",
        },
      },
      { fileData: { mimeType: "image/jpeg", fileUri: "https://www.youtube.com/watch?v=9hE5-98ZeCg" } },
      { inlineData: { mimeType: "audio/wav", data: "AAAA" } },
    ]);
  });

  it("tells the URIs Gemini reads itself (Files API, YouTube) from those it refuses", () => {
    expect(isGeminiFileUri("https://generativelanguage.googleapis.com/v1beta/files/abc123")).toBe(true);
    expect(isGeminiFileUri("https://youtu.be/9hE5-98ZeCg")).toBe(true);
    expect(isGeminiFileUri("https://m.youtube.com/watch?v=9hE5-98ZeCg")).toBe(true);
    expect(isGeminiFileUri("https://example.com/cat.png")).toBe(false);
    expect(isGeminiFileUri("https://generativelanguage.googleapis.com/v1beta/models/x")).toBe(false);
    expect(isGeminiFileUri("https://youtube.com.example.org/watch")).toBe(false);
    expect(isGeminiFileUri("gs://bucket/cat.png")).toBe(false);
  });

  it("puts thought signatures back: on the tool call they belong to, else on the first text part", () => {
    const { contents } = convertMessages([
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: "Let me check.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "a", arguments: "{}" } },
          { id: "call_2", type: "function", function: { name: "b", arguments: "{}" } },
        ],
        reasoning_details: [
          { type: "reasoning.text", text: "thinking…", format: "google-gemini-v1" },
          { type: "reasoning.encrypted", data: "U0lHMg==", id: "call_2", format: "google-gemini-v1" },
          { type: "reasoning.encrypted", data: "U0lHMQ==", format: "google-gemini-v1" },
          { type: "reasoning.text", text: "claude", signature: "anthropic-sig", format: "anthropic-claude-v1" },
        ],
      },
    ]);
    expect(contents[1]!.parts).toEqual([
      { text: "Let me check.", thoughtSignature: "U0lHMQ==" },
      { functionCall: { name: "a", args: {} } },
      { functionCall: { name: "b", args: {} }, thoughtSignature: "U0lHMg==" },
    ]);
  });

  it("maps sampling parameters into generationConfig and drops what the endpoint cannot honour", () => {
    const { body, dropped } = buildGeminiBody(
      request({
        max_tokens: 300,
        temperature: 1.5,
        top_p: 0.9,
        top_k: 40,
        seed: 7,
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        stop: "END",
        n: 2,
        logit_bias: { "1": 5 },
        parallel_tool_calls: false,
      }),
      target,
    );
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 300,
      temperature: 1.5,
      topP: 0.9,
      topK: 40,
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      stopSequences: ["END"],
      candidateCount: 2,
    });
    expect(dropped).toEqual(["parallel_tool_calls", "logit_bias"]);
  });

  it("declares functions with Gemini-safe schemas and maps tool_choice", () => {
    const tools = convertTools([
      WEATHER_TOOL,
      { type: "function", function: { name: "ping", parameters: { type: "object", properties: {} } } },
    ]);
    expect(tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "Weather for a city",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          },
          { name: "ping" },
        ],
      },
    ]);
    expect(convertToolChoice("auto")).toEqual({ functionCallingConfig: { mode: "AUTO" } });
    expect(convertToolChoice("none")).toEqual({ functionCallingConfig: { mode: "NONE" } });
    expect(convertToolChoice("required")).toEqual({ functionCallingConfig: { mode: "ANY" } });
    expect(convertToolChoice({ type: "function", function: { name: "get_weather" } })).toEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] },
    });
    const { body } = buildGeminiBody(request({ tools: [WEATHER_TOOL], tool_choice: "required" }), target);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } });
  });

  it("turns JSON Schema into Gemini's schema subset", () => {
    const schema = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      additionalProperties: false,
      $defs: { Unit: { type: "string", enum: ["c", "f"] } },
      properties: {
        city: { type: "string", minLength: 1 },
        unit: { $ref: "#/$defs/Unit" },
        note: { type: ["string", "null"], format: "uri" },
        kind: { const: "weather" },
        tags: { type: "array", items: { anyOf: [{ type: "string" }, { type: "null" }] } },
        temp: { type: "number", exclusiveMinimum: -300 },
      },
      required: ["city", "unit", "missing"],
    };
    expect(toGeminiSchema(schema)).toEqual({
      type: "object",
      properties: {
        city: { type: "string", minLength: 1 },
        unit: { type: "string", enum: ["c", "f"] },
        note: { type: "string", nullable: true },
        kind: { enum: ["weather"] },
        tags: { type: "array", items: { type: "string", nullable: true } },
        temp: { type: "number" },
      },
      required: ["city", "unit"],
    });
  });

  it("maps response_format to responseMimeType and responseSchema", () => {
    const object = buildGeminiBody(request({ response_format: { type: "json_object" } }), target).body;
    expect(object.generationConfig).toEqual({ responseMimeType: "application/json" });
    const schema = { type: "object", properties: { a: { type: "string" } }, additionalProperties: false };
    const typed = buildGeminiBody(
      request({ response_format: { type: "json_schema", json_schema: { name: "x", schema, strict: true } } }),
      target,
    ).body;
    expect(typed.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseSchema: { type: "object", properties: { a: { type: "string" } } },
    });
  });

  it("maps reasoning to thinkingConfig, the budget counting inside maxOutputTokens", () => {
    const config = (extra: Partial<ChatRequest>) =>
      buildGeminiBody(request(extra), target).body.generationConfig as Record<string, unknown> | undefined;
    expect(config({ reasoning: { effort: "low" }, max_tokens: 1000 })).toEqual({
      maxOutputTokens: 3048,
      thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 },
    });
    expect(config({ reasoning: { max_tokens: 5000, exclude: true } })?.thinkingConfig).toEqual({
      includeThoughts: false,
      thinkingBudget: 5000,
    });
    expect(config({ reasoning: { max_tokens: 100000 } })?.thinkingConfig).toEqual({
      includeThoughts: true,
      thinkingBudget: 24576,
    });
    expect(config({ reasoning_effort: "high" })?.thinkingConfig).toEqual({
      includeThoughts: true,
      thinkingBudget: 16384,
    });
    expect(config({ reasoning: { effort: "none" } })?.thinkingConfig).toEqual({ thinkingBudget: 0 });
    expect(config({})).toBeUndefined();
    const pro = { ...target, endpoint: { ...target.endpoint, provider_model_id: "gemini-2.5-pro" } };
    expect(
      (buildGeminiBody(request({ reasoning: { enabled: false } }), pro).body.generationConfig as any).thinkingConfig,
    ).toEqual({ includeThoughts: false, thinkingBudget: 128 });
  });

  it("turns thinking on for include_reasoning alone where the endpoint takes it, and allows for its budget", () => {
    const asked = request({ include_reasoning: true, max_tokens: 1000 });
    expect(buildGeminiBody(asked, target).body.generationConfig).toEqual({
      maxOutputTokens: 9192,
      thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 },
    });
    expect(geminiReasoningAllowance(asked, target.endpoint)).toBe(8192);
    // A model without thinking (Gemini 2.0 Flash lists neither reasoning parameter) is sent none.
    const flash2 = testTarget({
      slug: "google-ai-studio",
      model: "gemini-2.0-flash-001",
      parameters: CHAT_PARAMETERS.filter((p) => p !== "reasoning" && p !== "include_reasoning"),
    });
    expect(buildGeminiBody(asked, flash2).body.generationConfig).toEqual({ maxOutputTokens: 1000 });
    expect(geminiReasoningAllowance(asked, flash2.endpoint)).toBe(0);
  });

  it("calls generateContent or streamGenerateContent?alt=sse with x-goog-api-key", async () => {
    const plain = await buildGeminiChatRequest(request({}), target, false);
    expect(plain.url).toBe(
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-lite:generateContent",
    );
    expect(plain.init.headers["x-goog-api-key"]).toBe("secret-key");
    expect(JSON.parse(plain.init.body!)).toEqual({ contents: [{ role: "user", parts: [{ text: "hi" }] }] });
    const stream = await buildGeminiChatRequest(request({}), target, true);
    expect(stream.url).toBe(
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-lite:streamGenerateContent?alt=sse",
    );
  });
});

describe("Gemini images by URL", () => {
  const image = (path: string) => `${inject("emulatorUrl")}/__emulator/images/${path}`;
  const withImages = (...urls: string[]) =>
    request({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "describe" },
            ...urls.map((url) => ({ type: "image_url" as const, image_url: { url } })),
          ],
        },
      ],
    });
  const partsSent = async (req: ChatRequest) =>
    JSON.parse((await buildGeminiChatRequest(req, target, false)).init.body!).contents[0].parts;

  it("fetches an https image Gemini cannot read and sends its bytes inline; Files API and YouTube stay URLs", async () => {
    const files = "https://generativelanguage.googleapis.com/v1beta/files/abc123";
    const parts = await partsSent(withImages(image("pixel.png"), files));
    expect(parts).toEqual([
      { text: "describe" },
      { inlineData: { mimeType: "image/png", data: PIXEL_PNG_BASE64 } },
      { fileData: { mimeType: "image/jpeg", fileUri: files } },
    ]);
  });

  it("refuses, naming the image part, a URL that is not an image, not there, not http(s), or too large", async () => {
    const refusal = async (url: string) => {
      const error = await buildGeminiChatRequest(withImages(url), target, false).then(
        () => undefined,
        (e: unknown) => e as GatewayError,
      );
      expect(error).toBeInstanceOf(GatewayError);
      expect(error!.status).toBe(400);
      expect(error!.message).toContain("messages.0.content.1.image_url");
      return error!.message;
    };
    expect(await refusal(image("page.html"))).toMatch(/is not an image \(content-type text\/html\)/);
    expect(await refusal(image("missing.png"))).toMatch(/HTTP 404/);
    expect(await refusal("ftp://example.com/cat.png")).toMatch(/ftp: URLs are not fetched/);
    expect(await refusal(image("huge.png"))).toMatch(/20 MiB/);
    expect(await refusal(image("huge.png?declare=1"))).toMatch(/20 MiB/);
  });

  it("gives up on an image that does not arrive in time, and caps all of a request's images together", async () => {
    const slow = inlineRemoteImages(withImages(image("slow.png?ms=3000")), { timeoutMs: 200, allowPrivate: true });
    await expect(slow).rejects.toThrow(/did not arrive within 0.2 s/);
    const two = inlineRemoteImages(withImages(image("pixel.png"), image("pixel.png")), {
      maxBytes: 100,
      allowPrivate: true,
    });
    await expect(two).rejects.toThrow(/messages\.0\.content\.2\.image_url: .* goes past 100 bytes/);
  });
});

describe("Gemini response mapping", () => {
  it("maps text, thoughts, function calls with their signatures, finish reason and usage", () => {
    const out = parseGeminiResponse({
      candidates: [
        {
          content: {
            role: "model",
            parts: [
              { text: "Pondering", thought: true },
              { text: "Checking." },
              { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: "c2ln" },
              { functionCall: { name: "get_time", args: {}, id: "t1" } },
            ],
          },
          finishReason: "STOP",
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 100,
        candidatesTokenCount: 20,
        thoughtsTokenCount: 30,
        cachedContentTokenCount: 40,
        totalTokenCount: 150,
      },
      modelVersion: "gemini-2.5-flash-lite",
      responseId: "r1",
    });
    const choice = out.choices[0]!;
    expect(choice.message.content).toBe("Checking.");
    expect(choice.message.reasoning).toBe("Pondering");
    const calls = choice.message.tool_calls!;
    expect(calls[0]!.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(calls[0]!.function).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(calls[1]!.id).toBe("call_gm_t1");
    expect(choice.message.reasoning_details).toEqual([
      { type: "reasoning.text", text: "Pondering", format: "google-gemini-v1", index: 0 },
      { type: "reasoning.encrypted", data: "c2ln", id: calls[0]!.id, format: "google-gemini-v1", index: 1 },
    ]);
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.native_finish_reason).toBe("STOP");
    expect(out.usage).toEqual({
      prompt_tokens: 100,
      completion_tokens: 50,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 40 },
      completion_tokens_details: { reasoning_tokens: 30 },
    });
  });

  it("mints a different id for every call", () => {
    const part = { functionCall: { name: "f", args: {} } };
    const out = parseGeminiResponse({
      candidates: [{ content: { parts: [part, part] }, finishReason: "STOP" }],
    });
    const [a, b] = out.choices[0]!.message.tool_calls!;
    expect(a!.id).not.toBe(b!.id);
  });

  it("maps every finish reason", () => {
    expect(mapFinishReason("STOP")).toBe("stop");
    expect(mapFinishReason("STOP", true)).toBe("tool_calls");
    expect(mapFinishReason("MAX_TOKENS")).toBe("length");
    for (const reason of ["SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY"]) {
      expect(mapFinishReason(reason)).toBe("content_filter");
    }
    expect(mapFinishReason("MALFORMED_FUNCTION_CALL")).toBe("error");
    expect(mapFinishReason("OTHER")).toBe("error");
    expect(mapFinishReason("FINISH_REASON_UNSPECIFIED")).toBe("stop");
    expect(mapFinishReason(undefined)).toBeNull();
  });

  it("maps usage: tool-use prompt tokens count as prompt, thoughts as completion", () => {
    expect(mapUsage({ promptTokenCount: 10, toolUsePromptTokenCount: 5, candidatesTokenCount: 7 })).toEqual({
      prompt_tokens: 15,
      completion_tokens: 7,
      total_tokens: 22,
      prompt_tokens_details: { cached_tokens: 0 },
    });
    expect(mapUsage(undefined)).toBeUndefined();
  });

  it("maps a safety stop and a blocked prompt to content_filter", () => {
    const stopped = parseGeminiResponse({
      candidates: [{ content: { parts: [{ text: "Partial" }] }, finishReason: "SAFETY", index: 0 }],
    });
    expect(stopped.choices[0]).toMatchObject({ finish_reason: "content_filter", native_finish_reason: "SAFETY" });
    const blocked = parseGeminiResponse({
      promptFeedback: { blockReason: "PROHIBITED_CONTENT" },
      usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
    });
    expect(blocked.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: "" },
        finish_reason: "content_filter",
        native_finish_reason: "PROHIBITED_CONTENT",
      },
    ]);
    expect(blocked.usage?.prompt_tokens).toBe(9);
  });
});

describe("Gemini stream mapping", () => {
  const feed = (mapper: ReturnType<typeof createGeminiStreamMapper>, chunk: object) =>
    mapper.map({ data: JSON.stringify(chunk) });
  const delta = (chunks: ChatChunkOut[]) => chunks[0]!.choices[0]!.delta;

  it("maps thoughts, text, a whole function call with its signature, the finish and usage", () => {
    const mapper = createGeminiStreamMapper();
    const usage = { promptTokenCount: 29, candidatesTokenCount: 15, thoughtsTokenCount: 45, totalTokenCount: 89 };
    expect(
      delta(feed(mapper, { candidates: [{ content: { parts: [{ text: "Hmm", thought: true }] }, index: 0 }] })),
    ).toEqual({
      role: "assistant",
      reasoning: "Hmm",
      reasoning_details: [{ type: "reasoning.text", text: "Hmm", format: "google-gemini-v1" }],
    });
    expect(
      delta(feed(mapper, { candidates: [{ content: { parts: [{ text: " more", thought: true }] }, index: 0 }] })),
    ).toEqual({
      reasoning: " more",
      reasoning_details: [{ type: "reasoning.text", text: " more", format: "google-gemini-v1" }],
    });
    // The thoughts went out piece by piece: their end hands nothing over again.
    expect(delta(feed(mapper, { candidates: [{ content: { parts: [{ text: "Sure." }] }, index: 0 }] }))).toEqual({
      content: "Sure.",
    });
    const call = feed(mapper, {
      candidates: [
        {
          content: {
            parts: [{ functionCall: { name: "weather", args: { location: "SF" } }, thoughtSignature: "RXFVQw==" }],
            role: "model",
          },
          index: 0,
        },
      ],
      usageMetadata: usage,
    });
    const callDelta = delta(call);
    const toolCall = callDelta.tool_calls![0]!;
    expect(toolCall).toMatchObject({
      index: 0,
      type: "function",
      function: { name: "weather", arguments: '{"location":"SF"}' },
    });
    expect(toolCall.id).toMatch(/^call_/);
    expect(callDelta.reasoning_details).toEqual([
      { type: "reasoning.encrypted", data: "RXFVQw==", id: toolCall.id, format: "google-gemini-v1" },
    ]);
    expect(mapper.done).toBe(false);
    const end = feed(mapper, {
      candidates: [{ content: { parts: [{ text: "" }], role: "model" }, finishReason: "STOP", index: 0 }],
      usageMetadata: usage,
    });
    expect(mapper.done).toBe(true);
    expect(end[0]!.choices[0]).toEqual({
      index: 0,
      delta: {},
      finish_reason: "tool_calls",
      native_finish_reason: "STOP",
    });
    expect(end[1]).toEqual({
      choices: [],
      usage: {
        prompt_tokens: 29,
        completion_tokens: 60,
        total_tokens: 89,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 45 },
      },
    });
  });

  it("numbers parallel calls and hands over a text answer's final signature", () => {
    const mapper = createGeminiStreamMapper();
    const calls = feed(mapper, {
      candidates: [
        { content: { parts: [{ functionCall: { name: "a", args: {} } }, { functionCall: { name: "b", args: {} } }] } },
      ],
    });
    expect(delta(calls).tool_calls!.map((c) => [c.index, c.function?.name])).toEqual([
      [0, "a"],
      [1, "b"],
    ]);
    const text = createGeminiStreamMapper();
    feed(text, { candidates: [{ content: { parts: [{ text: "Hi" }] } }] });
    const end = feed(text, {
      candidates: [{ content: { parts: [{ text: "", thoughtSignature: "c2ln" }] }, finishReason: "STOP" }],
    });
    expect(end[0]!.choices[0]).toMatchObject({
      delta: { reasoning_details: [{ type: "reasoning.encrypted", data: "c2ln", format: "google-gemini-v1" }] },
      finish_reason: "stop",
    });
  });

  it("ends on a safety stop after partial text", () => {
    const mapper = createGeminiStreamMapper();
    feed(mapper, { candidates: [{ content: { parts: [{ text: "Here is" }] }, index: 0 }] });
    const end = feed(mapper, {
      candidates: [{ finishReason: "SAFETY", index: 0, safetyRatings: [{ category: "X", blocked: true }] }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 },
    });
    expect(end[0]!.choices[0]).toMatchObject({ finish_reason: "content_filter", native_finish_reason: "SAFETY" });
    expect(mapper.done).toBe(true);
  });

  it("ends a blocked prompt with content_filter", () => {
    const mapper = createGeminiStreamMapper();
    const out = feed(mapper, {
      promptFeedback: { blockReason: "SAFETY" },
      usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 },
    });
    expect(out[0]!.choices[0]).toEqual({
      index: 0,
      delta: { role: "assistant", content: "" },
      finish_reason: "content_filter",
      native_finish_reason: "SAFETY",
    });
    expect(out[1]!.usage?.prompt_tokens).toBe(5);
    expect(mapper.done).toBe(true);
  });

  it("is done only when every candidate has finished", () => {
    const mapper = createGeminiStreamMapper();
    feed(mapper, {
      candidates: [
        { content: { parts: [{ text: "a" }] }, index: 0 },
        { content: { parts: [{ text: "b" }] }, index: 1 },
      ],
    });
    feed(mapper, { candidates: [{ finishReason: "STOP", index: 0 }] });
    expect(mapper.done).toBe(false);
    feed(mapper, { candidates: [{ finishReason: "MAX_TOKENS", index: 1 }] });
    expect(mapper.done).toBe(true);
  });

  it("turns an in-stream error into a thrown error", () => {
    const mapper = createGeminiStreamMapper();
    expect(() =>
      feed(mapper, { error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } }),
    ).toThrow(/overloaded/);
  });
});

describe("Gemini errors", () => {
  const body = (code: number, status: string, message: string, details?: object[]) =>
    JSON.stringify({ error: { code, message, status, ...(details ? { details } : {}) } });

  it("classifies each status and reads the retry delay from RetryInfo", () => {
    const limited = parseGeminiError(
      429,
      body(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", [
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "34.4s" },
      ]),
      new Headers(),
    );
    expect(limited).toMatchObject({ status: 429, kind: "rate_limit", code: "RESOURCE_EXHAUSTED", retryAfter: 34.4 });
    const header = parseGeminiError(
      429,
      body(429, "RESOURCE_EXHAUSTED", "slow down"),
      new Headers({ "retry-after": "3" }),
    );
    expect(header.retryAfter).toBe(3);
    const context = parseGeminiError(
      400,
      body(
        400,
        "INVALID_ARGUMENT",
        "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).",
      ),
      new Headers(),
    );
    expect(context).toMatchObject({ status: 400, kind: "context_length", upstreamStatus: 400 });
    const key = parseGeminiError(
      400,
      body(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" },
      ]),
      new Headers(),
    );
    expect(key).toMatchObject({ status: 502, kind: "auth" });
    expect(parseGeminiError(400, body(400, "INVALID_ARGUMENT", "bad"), new Headers())).toMatchObject({
      status: 400,
      kind: "invalid_request",
    });
    expect(parseGeminiError(403, body(403, "PERMISSION_DENIED", "denied"), new Headers()).kind).toBe("auth");
    expect(parseGeminiError(404, body(404, "NOT_FOUND", "models/x is not found"), new Headers()).kind).toBe(
      "not_found",
    );
    expect(parseGeminiError(500, body(500, "INTERNAL", "oops"), new Headers())).toMatchObject({
      status: 502,
      kind: "server",
    });
    expect(
      parseGeminiError(
        503,
        body(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
        new Headers(),
      ),
    ).toMatchObject({ status: 502, kind: "overloaded", code: "UNAVAILABLE" });
    expect(parseGeminiError(504, body(504, "DEADLINE_EXCEEDED", "late"), new Headers()).kind).toBe("timeout");
    expect(parseGeminiError(502, "<html>Bad gateway</html>", new Headers()).kind).toBe("server");
  });
});

describe("Gemini embeddings", () => {
  it("batches every input into batchEmbedContents with task type and dimensions", () => {
    const embedTarget = { ...target, endpoint: { ...target.endpoint, provider_model_id: "gemini-embedding-001" } };
    const call = buildGeminiEmbeddingsRequest(
      { model: "google/gemini-embedding-001", input: ["a", "b"], dimensions: 256, input_type: "search_query" },
      embedTarget,
    );
    expect(call.url).toBe(
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents",
    );
    expect(call.init.headers["x-goog-api-key"]).toBe("secret-key");
    expect(JSON.parse(call.init.body!)).toEqual({
      requests: ["a", "b"].map((text) => ({
        model: "models/gemini-embedding-001",
        content: { parts: [{ text }] },
        taskType: "RETRIEVAL_QUERY",
        outputDimensionality: 256,
      })),
    });
    expect(call.dropped).toEqual([]);
    const odd = buildGeminiEmbeddingsRequest({ model: "m", input: ["a"], input_type: "weird" }, embedTarget);
    expect(odd.dropped).toEqual(["input_type"]);
  });

  it("reads embeddings[].values in order (Gemini reports no usage)", () => {
    expect(parseGeminiEmbeddingsResponse({ embeddings: [{ values: [0.1, 0.2] }, { values: [0.3] }] })).toEqual({
      data: [
        { index: 0, embedding: [0.1, 0.2] },
        { index: 1, embedding: [0.3] },
      ],
    });
    expect(parseGeminiEmbeddingsResponse({ embedding: { values: [1] } }).data).toEqual([{ index: 0, embedding: [1] }]);
  });
});

describe("Gemini emulator", () => {
  const url = (path: string) => `${inject("emulatorUrl")}/google-ai-studio/v1beta/models/${path}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = { "x-goog-api-key": "k" }) =>
    fetch(url(path), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const user = (text: string) => ({ contents: [{ role: "user", parts: [{ text }] }] });

  it("wants a key (header or ?key=) and answers without one as the API does", async () => {
    const denied = await post("gemini-2.5-flash-lite:generateContent", user("hi"), {});
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as any).error.status).toBe("PERMISSION_DENIED");
    expect((await post("gemini-2.5-flash-lite:generateContent?key=k", user("hi"), {})).status).toBe(200);
  });

  it("streams SSE chunks framed with CRLF, no [DONE], the finish reason and usage on the last one", async () => {
    const response = await post("gemini-2.5-flash-lite:streamGenerateContent?alt=sse", {
      ...user(`hello ${nonce()}`),
      generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } },
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    expect(text).not.toContain("[DONE]");
    const events = text.split("\r\n\r\n").filter(Boolean);
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    const chunks = events.map((e) => JSON.parse(e.slice(6)));
    expect(chunks[0].candidates[0].content.parts[0].thought).toBe(true);
    const last = chunks.at(-1);
    expect(last.candidates[0].finishReason).toBe("STOP");
    expect(last.usageMetadata.thoughtsTokenCount).toBeGreaterThan(0);
    expect(last.usageMetadata.totalTokenCount).toBe(
      last.usageMetadata.promptTokenCount +
        last.usageMetadata.candidatesTokenCount +
        last.usageMetadata.thoughtsTokenCount,
    );
  });

  it("streams a JSON array without alt=sse", async () => {
    const response = await post("gemini-2.5-flash-lite:streamGenerateContent", user("hello"));
    const chunks = (await response.json()) as any[];
    expect(chunks.at(-1).candidates[0].finishReason).toBe("STOP");
  });

  it("calls functions with a thought signature and answers with schema-shaped JSON", async () => {
    const tools = [
      {
        functionDeclarations: [
          { name: "get_weather", parameters: { type: "OBJECT", properties: { city: { type: "STRING" } } } },
        ],
      },
    ];
    const called = (await (
      await post("gemini-2.5-flash-lite:generateContent", { ...user("call the weather tool"), tools })
    ).json()) as any;
    const part = called.candidates[0].content.parts.find((p: any) => p.functionCall);
    expect(part.functionCall).toEqual({ name: "get_weather", args: { city: "Paris" } });
    expect(part.thoughtSignature).toBeTruthy();
    const json = (await (
      await post("gemini-2.5-flash-lite:generateContent", {
        ...user("weather as JSON"),
        generationConfig: {
          responseMimeType: "application/json",
          responseSchema: { type: "OBJECT", properties: { temp: { type: "NUMBER" } } },
        },
      })
    ).json()) as any;
    expect(JSON.parse(json.candidates[0].content.parts[0].text)).toEqual({ temp: 21.5 });
  });

  it("rejects what the API rejects", async () => {
    const unknown = await post("gemini-2.5-flash-lite:generateContent", {
      ...user("hi"),
      generationConfig: {
        responseMimeType: "application/json",
        responseSchema: { type: "object", additionalProperties: false },
      },
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error.message).toContain('Unknown name "additionalProperties"');
    const empty = await post("gemini-2.5-flash-lite:generateContent", {
      contents: [{ role: "user", parts: [{ text: "" }] }],
    });
    expect(empty.status).toBe(400);
    const unanswered = await post("gemini-2.5-flash-lite:generateContent", {
      contents: [
        { role: "user", parts: [{ text: "q" }] },
        {
          role: "model",
          parts: [{ functionCall: { name: "a", args: {} } }, { functionCall: { name: "b", args: {} } }],
        },
        { role: "user", parts: [{ functionResponse: { name: "a", response: {} } }] },
      ],
    });
    expect(((await unanswered.json()) as any).error.message).toContain("number of function response parts");
    const unsigned = await post("gemini-3-pro-preview:generateContent", {
      contents: [
        { role: "user", parts: [{ text: "q" }] },
        { role: "model", parts: [{ functionCall: { name: "a", args: {} } }] },
        { role: "user", parts: [{ functionResponse: { name: "a", response: {} } }] },
      ],
    });
    expect(((await unsigned.json()) as any).error.message).toContain("missing a thought_signature");
    const file = (fileUri: string) =>
      post("gemini-2.5-flash-lite:generateContent", {
        contents: [{ role: "user", parts: [{ text: "q" }, { fileData: { mimeType: "image/png", fileUri } }] }],
      });
    const foreign = await file("https://example.com/cat.png");
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as any).error).toEqual({
      code: 400,
      message: "Invalid or unsupported file uri: https://example.com/cat.png",
      status: "INVALID_ARGUMENT",
    });
    expect((await file("https://generativelanguage.googleapis.com/v1beta/files/abc123")).status).toBe(200);
  });

  it("answers errors with google.rpc.Status bodies (529 keeps its status)", async () => {
    const limited = await post("gemini-2.5-flash-lite:generateContent", user("[[emulate status=429 retry_after=7]]"));
    expect(limited.status).toBe(429);
    const error = ((await limited.json()) as any).error;
    expect(error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED" });
    expect(error.details.at(-1)).toEqual({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "7s" });
    const overloaded = await post("gemini-2.5-flash-lite:generateContent", user("[[emulate status=529]]"));
    expect(overloaded.status).toBe(529);
    expect(((await overloaded.json()) as any).error).toMatchObject({ code: 503, status: "UNAVAILABLE" });
  });

  it("embeds one text or a batch", async () => {
    const one = (await (
      await post("gemini-embedding-001:embedContent", { content: { parts: [{ text: "a" }] }, outputDimensionality: 4 })
    ).json()) as any;
    expect(one.embedding.values).toHaveLength(4);
    const batch = (await (
      await post("gemini-embedding-001:batchEmbedContents", {
        requests: ["a", "b"].map((text) => ({ model: "models/gemini-embedding-001", content: { parts: [{ text }] } })),
      })
    ).json()) as any;
    expect(batch.embeddings.map((e: any) => e.values.length)).toEqual([3072, 3072]);
    expect(batch.embeddings[0].values).toEqual(
      ((await (await post("gemini-embedding-001:embedContent", { content: { parts: [{ text: "a" }] } })).json()) as any)
        .embedding.values,
    );
  });
});

describe("Gemini through the gateway", () => {
  const MODEL = "google/gemini-2.5-flash-lite";
  const WEATHER = WEATHER_TOOL;

  it("round-trips a function call's thought signature across turns", async () => {
    const { key } = await fundedAccount("2");
    const first = (await (
      await chat(key, {
        model: MODEL,
        reasoning: { effort: "low" },
        tools: [WEATHER],
        messages: [{ role: "user", content: `call the weather tool ${nonce()}` }],
      })
    ).json()) as any;
    const message = first.choices[0].message;
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    expect(message.reasoning.length).toBeGreaterThan(0);
    const call = message.tool_calls[0];
    const signed = message.reasoning_details.find((d: any) => d.type === "reasoning.encrypted");
    expect(signed).toMatchObject({ id: call.id, format: "google-gemini-v1" });
    const marker = nonce();
    const second = await chat(key, {
      model: MODEL,
      reasoning: { effort: "low" },
      tools: [WEATHER],
      messages: [
        { role: "user", content: "call the weather tool" },
        message,
        { role: "tool", tool_call_id: call.id, content: '{"temp":18}' },
        { role: "user", content: `thanks ${marker}` },
      ],
    });
    expect(second.status).toBe(200);
    expect(((await second.json()) as any).choices[0].finish_reason).toBe("stop");
    const [upstream] = await emulatorRequests(marker);
    expect(upstream!.path).toBe("/google-ai-studio/v1beta/models/gemini-2.5-flash-lite:generateContent");
    expect(upstream!.headers["x-goog-api-key"]).toBe("emulator-key");
    const contents = (upstream!.body as any).contents;
    expect(contents[1]).toEqual({
      role: "model",
      parts: [
        {
          functionCall: { name: "get_weather", args: JSON.parse(call.function.arguments) },
          thoughtSignature: signed.data,
        },
      ],
    });
    expect(contents[2].parts[0]).toEqual({
      functionResponse: { name: "get_weather", response: { name: "get_weather", content: { temp: 18 } } },
    });
  });

  it("streams reasoning and a signed tool call that the next turn sends back", async () => {
    const { key } = await fundedAccount("2");
    const { data } = await readSse(
      await chat(key, {
        model: MODEL,
        stream: true,
        reasoning: { effort: "low" },
        tools: [WEATHER],
        messages: [{ role: "user", content: `call the weather tool ${nonce()}` }],
      }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const deltas = (data.slice(0, -1) as any[]).map((c) => c.choices[0]?.delta ?? {});
    expect(deltas.map((d) => d.reasoning ?? "").join("").length).toBeGreaterThan(0);
    const calls = deltas.flatMap((d) => d.tool_calls ?? []);
    expect(calls).toHaveLength(1);
    const details = deltas.flatMap((d) => d.reasoning_details ?? []);
    const signed = details.find((d: any) => d.type === "reasoning.encrypted");
    expect(signed.id).toBe(calls[0].id);
    const marker = nonce();
    await chat(key, {
      model: MODEL,
      tools: [WEATHER],
      messages: [
        { role: "user", content: "call the weather tool" },
        { role: "assistant", content: null, tool_calls: [calls[0]], reasoning_details: details },
        { role: "tool", tool_call_id: calls[0].id, content: "18C" },
        { role: "user", content: marker },
      ],
    });
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).contents[1].parts[0].thoughtSignature).toBe(signed.data);
  });

  it("sends a text answer's signature back on its text part", async () => {
    const { key } = await fundedAccount("1");
    const first = (await (
      await chat(key, {
        model: MODEL,
        reasoning: { effort: "low" },
        messages: [{ role: "user", content: `think ${nonce()}` }],
      })
    ).json()) as any;
    const details = first.choices[0].message.reasoning_details;
    const signed = details.find((d: any) => d.type === "reasoning.encrypted");
    expect(signed.data).toBeTruthy();
    expect(signed.id).toBeUndefined();
    const marker = nonce();
    await chat(key, {
      model: MODEL,
      messages: [
        { role: "user", content: "think" },
        { role: "assistant", content: first.choices[0].message.content, reasoning_details: details },
        { role: "user", content: marker },
      ],
    });
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).contents[1]).toEqual({
      role: "model",
      parts: [{ text: first.choices[0].message.content, thoughtSignature: signed.data }],
    });
  });

  it("answers about an https image, sent to Gemini inline; a URL that is no image is a 400 naming it", async () => {
    const { key } = await fundedAccount("1");
    const image = (path: string) => `${inject("emulatorUrl")}/__emulator/images/${path}`;
    const ask = (url: string, marker: string) =>
      chat(key, {
        model: MODEL,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: `what is this? ${marker}` },
              { type: "image_url", image_url: { url } },
            ],
          },
        ],
      });
    const marker = nonce();
    const answered = await ask(image("pixel.png"), marker);
    expect(answered.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).contents[0].parts[1]).toEqual({
      inlineData: { mimeType: "image/png", data: PIXEL_PNG_BASE64 },
    });
    const refused = await ask(image("page.html"), nonce());
    expect(refused.status).toBe(400);
    const message = ((await refused.json()) as any).error.message;
    expect(message).toContain("messages.0.content.1.image_url");
    expect(message).toContain("is not an image");
  });

  it("reports safety stops and blocked prompts as content_filter", async () => {
    const { key } = await fundedAccount("1");
    const stopped = (await (
      await chat(key, { model: MODEL, messages: [{ role: "user", content: `[[emulate code=SAFETY]] ${nonce()}` }] })
    ).json()) as any;
    expect(stopped.choices[0]).toMatchObject({ finish_reason: "content_filter", native_finish_reason: "SAFETY" });
    const { data } = await readSse(
      await chat(key, {
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: `[[emulate code=prompt_PROHIBITED_CONTENT]] ${nonce()}` }],
      }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const finish = (data.slice(0, -1) as any[]).find((c) => c.choices[0]?.finish_reason);
    expect(finish.choices[0]).toMatchObject({
      finish_reason: "content_filter",
      native_finish_reason: "PROHIBITED_CONTENT",
    });
  });

  it("fails a stream the model ends in error (OTHER) with an error chunk, not a clean-looking end", async () => {
    const { key } = await fundedAccount("1");
    const { data } = await readSse(
      await chat(key, {
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: `[[emulate code=OTHER tokens=6]] ${nonce()}` }],
      }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as any[];
    for (const chunk of chunks) expect(ChatStreamChunk$inboundSchema.safeParse(chunk).success).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("").length).toBeGreaterThan(0);
    // One error chunk, last: the top-level error says why, and the usage of what was produced.
    const last = chunks.at(-1);
    expect(last.error).toMatchObject({ code: 502, metadata: { provider_code: "OTHER" } });
    expect(last.choices[0].finish_reason).toBe("error");
    expect(last.usage.completion_tokens).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).some((c) => c.choices.some((ch: any) => ch.finish_reason !== null))).toBe(false);
  });

  it("fails over a stream the model ends in error before its first token", async () => {
    const { key } = await fundedAccount("1");
    const { data } = await readSse(
      await chat(key, {
        model: MODEL,
        models: [MODEL, "openai/gpt-4o-mini"],
        stream: true,
        messages: [{ role: "user", content: `[[emulate@google-ai-studio code=OTHER tokens=1]] ${nonce()}` }],
      }),
    );
    const chunks = data.slice(0, -1) as any[];
    expect(chunks.every((c) => c.provider === "OpenAI" && c.error === undefined)).toBe(true);
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
  });

  it("fails a stream whose finish chunk never comes", async () => {
    const { key } = await fundedAccount("1");
    const { data } = await readSse(
      await chat(key, {
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: `[[emulate no_done]] ${nonce()}` }],
      }),
    );
    const last = data.at(-2) as any;
    expect(last.choices[0].finish_reason).toBe("error");
  });
});
