import { env } from "cloudflare:test";
import Anthropic from "@anthropic-ai/sdk";
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { GoogleGenAI, Modality } from "@google/genai";
import { CohereClientV2 } from "cohere-ai";
import { AzureOpenAI } from "openai";
import { describe, expect, it } from "vitest";

/**
 * The emulators are only worth their name if each provider's official SDK, unchanged but for its
 * base URL, talks to them as it would to the real API: requests it builds are accepted, replies
 * and streams parse, errors surface as the SDK's own typed errors.
 */
const EMULATOR = (env as { EMULATOR_URL: string }).EMULATOR_URL;

// A fresh object per use: SDKs may rewrite the schemas they are given in place.
const weather = () => ({
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
});

describe("Anthropic SDK against the Anthropic emulator", () => {
  const client = new Anthropic({ apiKey: "test-key", baseURL: `${EMULATOR}/anthropic`, maxRetries: 0 });

  it("creates a message", async () => {
    const message = await client.messages.create({
      model: "claude-haiku-4-5-20251001",
      max_tokens: 200,
      system: "Be brief.",
      messages: [{ role: "user", content: "Say hello" }],
    });
    expect(message.type).toBe("message");
    expect(message.content[0]?.type).toBe("text");
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it("streams a tool call and a thinking block, and assembles them", async () => {
    const stream = client.messages.stream({
      model: "claude-haiku-4-5-20251001",
      max_tokens: 4000,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [
        { name: weather().name, description: weather().description, input_schema: weather().parameters as never },
      ],
      messages: [{ role: "user", content: "call the weather tool for Paris" }],
    });
    const message = await stream.finalMessage();
    const thinking = message.content.find((b) => b.type === "thinking");
    const call = message.content.find((b) => b.type === "tool_use");
    expect(thinking && "signature" in thinking && thinking.signature).toBeTruthy();
    expect(call && "input" in call && (call.input as { city?: string }).city).toBeTruthy();
    expect(message.stop_reason).toBe("tool_use");
  });

  it("raises the SDK's typed errors", async () => {
    const request = (status: number) =>
      client.messages.create({
        model: "claude-haiku-4-5-20251001",
        max_tokens: 50,
        messages: [{ role: "user", content: `[[emulate status=${status}]]` }],
      });
    await expect(request(429)).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    await expect(request(529)).rejects.toMatchObject({ status: 529 });
    await expect(request(400)).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });
});

describe("Google Gen AI SDK against the Gemini emulator", () => {
  const client = new GoogleGenAI({ apiKey: "test-key", httpOptions: { baseUrl: `${EMULATOR}/google-ai-studio` } });

  it("generates content", async () => {
    const response = await client.models.generateContent({
      model: "gemini-2.5-flash-lite",
      contents: "Say hello",
      config: { systemInstruction: "Be brief." },
    });
    expect(response.text?.length).toBeGreaterThan(0);
    expect(response.candidates?.[0]?.finishReason).toBe("STOP");
    expect(response.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
  });

  it("returns a function call the SDK exposes", async () => {
    const response = await client.models.generateContent({
      model: "gemini-2.5-flash-lite",
      contents: "call the weather tool for Paris",
      config: { tools: [{ functionDeclarations: [weather() as never] }] },
    });
    expect(response.functionCalls?.[0]?.name).toBe("get_weather");
    expect(response.functionCalls?.[0]?.args?.city).toBeTruthy();
  });

  it("streams content", async () => {
    const stream = await client.models.generateContentStream({
      model: "gemini-2.5-flash-lite",
      contents: "Count please [[emulate tokens=12]]",
    });
    let text = "";
    let finish: string | undefined;
    for await (const chunk of stream) {
      text += chunk.text ?? "";
      finish = chunk.candidates?.[0]?.finishReason ?? finish;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe("STOP");
  });

  it("draws with an image model, as the SDK sends image generation (Modality, imageConfig)", async () => {
    const response = await client.models.generateContent({
      model: "gemini-2.5-flash-image",
      contents: "Draw a square",
      config: { responseModalities: [Modality.TEXT, Modality.IMAGE], imageConfig: { aspectRatio: "4:3" } },
    });
    expect(response.text?.length).toBeGreaterThan(0);
    // The SDK's `data` getter reads the first inlineData part: the image, base64.
    const image = response.candidates?.[0]?.content?.parts?.find((part) => part.inlineData)?.inlineData;
    expect(image?.mimeType).toBe("image/png");
    expect(response.data).toBe(image?.data);
    expect(response.usageMetadata?.candidatesTokensDetails).toContainEqual({ modality: "IMAGE", tokenCount: 1290 });
    // A text model asked to draw is Gemini's 400.
    await expect(
      client.models.generateContent({
        model: "gemini-2.5-flash-lite",
        contents: "Draw",
        config: { responseModalities: [Modality.IMAGE] },
      }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it("embeds", async () => {
    const response = await client.models.embedContent({
      model: "gemini-embedding-001",
      contents: ["first text", "second text"],
      config: { outputDimensionality: 8 },
    });
    expect(response.embeddings?.length).toBe(2);
    expect(response.embeddings?.[0]?.values?.length).toBe(8);
  });

  it("raises the SDK's errors with the status", async () => {
    await expect(
      client.models.generateContent({ model: "gemini-2.5-flash-lite", contents: "[[emulate status=429]]" }),
    ).rejects.toMatchObject({ status: 429 });
  });
});

describe("Cohere SDK (v2 client) against the Cohere emulator", () => {
  const client = new CohereClientV2({ token: "test-key", environment: `${EMULATOR}/cohere` });

  it("chats", async () => {
    const response = await client.chat({
      model: "command-a-03-2025",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Say hello" },
      ],
    });
    expect(response.finishReason).toBe("COMPLETE");
    expect(response.message.content?.[0]).toMatchObject({ type: "text" });
    expect(response.usage?.billedUnits?.outputTokens).toBeGreaterThan(0);
  });

  it("streams a tool call the SDK assembles from its events", async () => {
    const stream = await client.chatStream({
      model: "command-a-03-2025",
      messages: [{ role: "user", content: "call the weather tool for Paris" }],
      tools: [{ type: "function", function: weather() }],
    });
    const types: string[] = [];
    let args = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "tool-call-delta") args += event.delta?.message?.toolCalls?.function?.arguments ?? "";
    }
    expect(types[0]).toBe("message-start");
    expect(types).toContain("tool-call-start");
    expect(types.at(-1)).toBe("message-end");
    expect(JSON.parse(args).city).toBeTruthy();
  });

  it("embeds", async () => {
    const response = await client.embed({
      model: "embed-v4.0",
      texts: ["first", "second"],
      inputType: "search_document",
      embeddingTypes: ["float"],
    });
    expect(response.embeddings.float).toHaveLength(2);
  });

  it("raises the SDK's typed errors", async () => {
    await expect(
      client.chat(
        { model: "command-a-03-2025", messages: [{ role: "user", content: "[[emulate status=429]]" }] },
        { maxRetries: 0 },
      ),
    ).rejects.toMatchObject({ statusCode: 429 });
  });
});

describe("OpenAI SDK's AzureOpenAI client against the Azure emulator", () => {
  const client = new AzureOpenAI({
    apiKey: "test-key",
    endpoint: `${EMULATOR}/azure`,
    apiVersion: "2024-10-21",
    deployment: "gpt-4o",
    maxRetries: 0,
  });

  it("chats and streams on a deployment", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      stream: true,
      messages: [{ role: "user", content: "Count [[emulate tokens=5]]" }],
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text.length).toBeGreaterThan(0);
  });

  it("embeds on a deployment", async () => {
    const embeddings = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: "x",
      encoding_format: "float",
    });
    expect(embeddings.data[0]?.embedding.length).toBeGreaterThan(0);
  });
});

describe("AWS SDK's Bedrock Runtime client against the Bedrock emulator", () => {
  const client = new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: `${EMULATOR}/amazon-bedrock`,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  const MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

  it("converses", async () => {
    const reply = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        system: [{ text: "Be brief." }],
        messages: [{ role: "user", content: [{ text: "Say hello" }] }],
      }),
    );
    expect(reply.stopReason).toBe("end_turn");
    expect(reply.output?.message?.content?.[0]?.text?.length).toBeGreaterThan(0);
    expect(reply.usage?.outputTokens).toBeGreaterThan(0);
  });

  it("streams a tool call over the binary event stream, which the SDK decodes", async () => {
    const reply = await client.send(
      new ConverseStreamCommand({
        modelId: MODEL,
        messages: [{ role: "user", content: [{ text: "call the weather tool for Paris" }] }],
        toolConfig: { tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: weather().parameters } } }] },
      }),
    );
    let input = "";
    let stop: string | undefined;
    let usage: number | undefined;
    for await (const event of reply.stream ?? []) {
      input += event.contentBlockDelta?.delta?.toolUse?.input ?? "";
      stop = event.messageStop?.stopReason ?? stop;
      usage = event.metadata?.usage?.outputTokens ?? usage;
    }
    expect(stop).toBe("tool_use");
    expect(JSON.parse(input).city).toBeTruthy();
    expect(usage).toBeGreaterThan(0);
  });

  it("invokes Titan embeddings", async () => {
    const reply = await client.send(
      new InvokeModelCommand({
        modelId: "amazon.titan-embed-text-v2:0",
        contentType: "application/json",
        body: JSON.stringify({ inputText: "hello", dimensions: 256 }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(reply.body));
    expect(body.embedding).toHaveLength(256);
  });

  it("raises the SDK's typed errors from x-amzn-errortype", async () => {
    await expect(
      client.send(
        new ConverseCommand({
          modelId: MODEL,
          messages: [{ role: "user", content: [{ text: "[[emulate status=429]]" }] }],
        }),
      ),
    ).rejects.toMatchObject({ name: "ThrottlingException" });
  });
});
