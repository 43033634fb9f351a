import { env } from "cloudflare:test";
import { ChatStreamChunk$inboundSchema } from "@openrouter/sdk/models";
import { describe, expect, inject, it } from "vitest";
import { sha256Hex } from "../../src/digest";
import { bedrockAdapter, bedrockEmbeddingsAdapter } from "../../src/providers/bedrock";
import { EMULATOR_SECRET_ACCESS_KEY } from "../../src/providers/bedrock/credentials";
import { crc32, createEventStreamDecoder, encodeEventMessage } from "../../src/providers/bedrock/event-stream";
import { buildBedrockBody, buildBedrockChatRequest, regionOf } from "../../src/providers/bedrock/request";
import { mapStopReason } from "../../src/providers/bedrock/response";
import { canonicalUri, signature } from "../../src/providers/bedrock/sigv4";
import type { ChatChunkOut, UpstreamEvent } from "../../src/providers/types";
import type { ChatRequest } from "../../src/schema/chat";
import { PIXEL_PNG_BASE64 } from "../emulator/images";
import { BASE, chat, emulatorRequests, fundedAccount, gatewayFetch, nonce } from "../support/gateway";
import { chatRequest, testTarget } from "../support/target";

const toHex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

async function decode(chunks: Uint8Array[]): Promise<UpstreamEvent[]> {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  }).pipeThrough(createEventStreamDecoder());
  const events: UpstreamEvent[] = [];
  for await (const event of stream as unknown as AsyncIterable<UpstreamEvent>) events.push(event);
  return events;
}

describe("AWS event-stream framing", () => {
  const HEADERS = { ":event-type": "messageStart", ":content-type": "application/json", ":message-type": "event" };
  const PAYLOAD = '{"p":"abcd","role":"assistant"}';

  it("encodes the reference message byte for byte (CRC-32 IEEE)", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(toHex(encodeEventMessage(HEADERS, PAYLOAD))).toBe(
      "00000081000000526cc176930b3a6576656e742d7479706507000c6d65737361676553746172740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2270223a2261626364222c22726f6c65223a22617373697374616e74227df512a005",
    );
  });

  it("decodes messages split anywhere across reads, exceptions included", async () => {
    const one = encodeEventMessage(HEADERS, PAYLOAD);
    const two = encodeEventMessage(
      { ":exception-type": "throttlingException", ":content-type": "application/json", ":message-type": "exception" },
      '{"message":"Too many requests"}',
    );
    const all = new Uint8Array([...one, ...two]);
    const pieces = [all.slice(0, 5), all.slice(5, 100), all.slice(100, 140), all.slice(140)];
    expect(await decode(pieces)).toEqual([
      { event: "messageStart", data: PAYLOAD },
      { event: "exception:throttlingException", data: '{"message":"Too many requests"}' },
    ]);
  });

  it("decodes a 16 MB message (an inline image) read 16 kB at a time in time linear in its size", async () => {
    const image = "A".repeat(16 << 20);
    const big = encodeEventMessage(HEADERS, `{"image":"${image}"}`);
    const small = encodeEventMessage(HEADERS, PAYLOAD);
    const all = new Uint8Array(small.length + big.length + small.length);
    all.set(small);
    all.set(big, small.length);
    all.set(small, small.length + big.length);
    const reads: Uint8Array[] = [];
    for (let at = 0; at < all.length; at += 16 * 1024) reads.push(all.slice(at, at + 16 * 1024));
    const started = performance.now();
    const events = await decode(reads);
    const elapsed = performance.now() - started;
    expect(events.map((e) => e.data.length)).toEqual([PAYLOAD.length, image.length + 12, PAYLOAD.length]);
    // Joining every read to what came before took seconds here (1,024 copies of up to 16 MB).
    expect(elapsed).toBeLessThan(1000);
  });

  it("rejects a corrupted message and a stream cut inside a message", async () => {
    const bad = encodeEventMessage(HEADERS, PAYLOAD);
    bad[bad.length - 10] = (bad[bad.length - 10] as number) ^ 0xff;
    await expect(decode([bad])).rejects.toThrow(/CRC/);
    const good = encodeEventMessage(HEADERS, PAYLOAD);
    await expect(decode([good.slice(0, 40)])).rejects.toThrow(/ended inside a message/);
  });
});

describe("SigV4", () => {
  it("matches the reference signature (double-encoded path, payload hash, signing key)", async () => {
    const url =
      "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
    const body = '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}';
    expect(canonicalUri(new URL(url).pathname)).toBe("/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse");
    const payloadHash = await sha256Hex(body);
    expect(payloadHash).toBe("c3335e07d6e89650bf94cb98664be69f8774dbc3198df221f113db0a59ea14f0");
    const signed = await signature({
      url,
      payloadHash,
      headers: { host: "bedrock-runtime.us-east-1.amazonaws.com", "x-amz-date": "20250101T000000Z" },
      region: "us-east-1",
      service: "bedrock",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    });
    expect(signed.canonicalRequestHash).toBe("5339ebc1e12a1212e82f1e67db62fb24b82f65fb13e828142337ee8e7e1c95cc");
    expect(signed.signature).toBe("6439c1fd5984973c586965e89bf8472454cbdb51a8ee924761e87234c07104ef");
    expect(signed.signedHeaders).toBe("host;x-amz-date");
  });
});

const target = testTarget({
  slug: "amazon-bedrock",
  model: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
  maxCompletionTokens: 64000,
  baseUrl: "https://bedrock-runtime.eu-west-3.amazonaws.com",
  // The emulator's images are on loopback.
  settings: { AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "session-token", IMAGE_FETCH_PRIVATE: "allow" },
  parameters: [
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop",
    "tools",
    "tool_choice",
    "reasoning",
    "response_format",
    "structured_outputs",
  ],
});
target.provider.base_url = "https://bedrock-runtime.eu-west-3.amazonaws.com";

/** A tool turn whose id another provider minted (Kimi's `functions.<name>:<n>`). */
const KIMI_TOOL_TURN = [
  { role: "user", content: "what time is it? call the tool" },
  {
    role: "assistant",
    content: null,
    tool_calls: [{ id: "functions.get_time:0", type: "function", function: { name: "get_time", arguments: "{}" } }],
  },
  { role: "tool", tool_call_id: "functions.get_time:0", content: "noon" },
] as ChatRequest["messages"];

describe("Bedrock request", () => {
  it("signs for the endpoint's region with the session token, the model id as one encoded segment", async () => {
    const call = await buildBedrockChatRequest(chatRequest(), target, true);
    expect(call.url).toBe(
      "https://bedrock-runtime.eu-west-3.amazonaws.com/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream",
    );
    expect(regionOf(target)).toBe("eu-west-3");
    expect(call.init.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=secret-key\/\d{8}\/eu-west-3\/bedrock\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(call.init.headers["x-amz-security-token"]).toBe("session-token");
    expect(call.init.headers["x-amz-content-sha256"]).toBe(await sha256Hex(call.init.body ?? ""));
  });

  it("refuses to sign without a secret (outside the emulator)", async () => {
    const unsigned = testTarget({ slug: "amazon-bedrock" });
    await expect(buildBedrockChatRequest(chatRequest(), unsigned, false)).rejects.toThrow(/AWS_SECRET_ACCESS_KEY/);
  });

  it("hoists system, alternates roles, groups tool results, replays signed reasoning, declares tools used in history", () => {
    const { body } = buildBedrockBody(
      chatRequest({
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "a" },
          { role: "user", content: "b" },
          {
            role: "assistant",
            content: null,
            reasoning_details: [{ type: "reasoning.text", text: "think", signature: "sig" }],
            tool_calls: [{ id: "tooluse_1", type: "function", function: { name: "lookup", arguments: '{"q":1}' } }],
          },
          { role: "tool", tool_call_id: "tooluse_1", content: "result" },
        ] as ChatRequest["messages"],
      }),
      target,
    );
    expect(body.system).toEqual([{ text: "be brief" }]);
    const messages = body.messages as any[];
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(messages[0].content).toEqual([{ text: "a" }, { text: "b" }]);
    expect(messages[1].content[0]).toEqual({
      reasoningContent: { reasoningText: { text: "think", signature: "sig" } },
    });
    expect(messages[1].content[1]).toEqual({ toolUse: { toolUseId: "tooluse_1", name: "lookup", input: { q: 1 } } });
    expect(messages[2].content[0].toolResult).toMatchObject({ toolUseId: "tooluse_1", content: [{ text: "result" }] });
    expect((body.toolConfig as any).tools[0].toolSpec.name).toBe("lookup");
  });

  it("maps images (bytes only: a URL not fetched first is dropped and named), inference config, thinking and tool choice", () => {
    const { body, dropped } = buildBedrockBody(
      chatRequest({
        messages: [
          {
            role: "user",
            content: [
              { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/AA==" } },
              { type: "image_url", image_url: { url: "https://example.org/cat.png" } },
              { type: "text", text: "what?" },
            ],
          },
        ] as ChatRequest["messages"],
        max_tokens: 500,
        stop: "END",
        top_k: 20,
        temperature: 0.3,
        tools: [{ type: "function", function: { name: "w", parameters: { type: "object" } } }],
        tool_choice: "required",
      }),
      target,
    );
    expect((body.messages as any[])[0].content[0]).toEqual({
      image: { format: "jpeg", source: { bytes: "/9j/AA==" } },
    });
    expect(dropped).toContain("image_url");
    expect(body.inferenceConfig).toEqual({ maxTokens: 500, temperature: 0.3, stopSequences: ["END"] });
    expect(body.additionalModelRequestFields).toEqual({ top_k: 20 });
    expect((body.toolConfig as any).toolChoice).toEqual({ any: {} });
    const thinking = buildBedrockBody(
      chatRequest({ reasoning: { max_tokens: 2000 }, temperature: 0.3, max_tokens: 500 }),
      target,
    ).body;
    expect(thinking.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 2000 } });
    expect((thinking.inferenceConfig as any).maxTokens).toBe(2500);
    expect((thinking.inferenceConfig as any).temperature).toBeUndefined();
  });

  it("rewrites tool-call ids minted elsewhere to Bedrock's ^[a-zA-Z0-9_-]+$, the same in the call and its result", () => {
    const { body } = buildBedrockBody(chatRequest({ messages: KIMI_TOOL_TURN }), target);
    const messages = body.messages as any[];
    expect(messages[1].content[0].toolUse.toolUseId).toBe("functions_get_time_0");
    expect(messages[2].content[0].toolResult.toolUseId).toBe("functions_get_time_0");
  });

  it("replays only Claude's own reasoning, not another provider's signatures", () => {
    const { body } = buildBedrockBody(
      chatRequest({
        messages: [
          { role: "user", content: "a" },
          {
            role: "assistant",
            content: "b",
            reasoning_details: [
              { type: "reasoning.encrypted", data: "EtoF", format: "google-gemini-v1" },
              { type: "reasoning.text", text: "think", signature: "sig", format: "anthropic-claude-v1" },
            ],
          },
          { role: "user", content: "c" },
        ] as ChatRequest["messages"],
      }),
      target,
    );
    expect((body.messages as any[])[1].content).toEqual([
      { reasoningContent: { reasoningText: { text: "think", signature: "sig" } } },
      { text: "b" },
    ]);
  });

  it("fetches images given by URL and sends their bytes, as Converse takes no URLs", async () => {
    const url = `${inject("emulatorUrl")}/__emulator/images/pixel.png`;
    const call = await buildBedrockChatRequest(
      chatRequest({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "what?" },
              { type: "image_url", image_url: { url } },
            ],
          },
        ] as ChatRequest["messages"],
      }),
      target,
      false,
    );
    expect(JSON.parse(call.init.body!).messages[0].content[1]).toEqual({
      image: { format: "png", source: { bytes: PIXEL_PNG_BASE64 } },
    });
    expect(call.dropped).not.toContain("image_url");
  });

  it("leaves Claude's thinking off (and names reasoning as dropped) when tool_choice forces a tool", () => {
    const { body, dropped } = buildBedrockBody(
      chatRequest({
        reasoning: { effort: "low" },
        tools: [{ type: "function", function: { name: "w", parameters: { type: "object" } } }],
        tool_choice: { type: "function", function: { name: "w" } },
      }),
      target,
    );
    expect(body.additionalModelRequestFields).toBeUndefined();
    expect((body.toolConfig as any).toolChoice).toEqual({ tool: { name: "w" } });
    expect(dropped).toContain("reasoning");
  });
});

describe("Bedrock response", () => {
  it("maps stop reasons, including guardrails and malformed output", () => {
    expect(mapStopReason("end_turn")).toBe("stop");
    expect(mapStopReason("tool_use")).toBe("tool_calls");
    expect(mapStopReason("max_tokens")).toBe("length");
    expect(mapStopReason("guardrail_intervened")).toBe("content_filter");
    expect(mapStopReason("content_filtered")).toBe("content_filter");
    expect(mapStopReason("malformed_tool_use")).toBe("error");
  });

  it("parses reasoning with its signature, tool calls and usage with cache tokens", () => {
    const reply = bedrockAdapter.parseChatResponse(
      {
        output: {
          message: {
            role: "assistant",
            content: [
              { reasoningContent: { reasoningText: { text: "hmm", signature: "EvYB" } } },
              { toolUse: { toolUseId: "tooluse_9", name: "w", input: { city: "Oslo" } } },
            ],
          },
        },
        stopReason: "tool_use",
        usage: {
          inputTokens: 10,
          outputTokens: 20,
          totalTokens: 30,
          cacheReadInputTokens: 5,
          cacheWriteInputTokens: 2,
        },
      },
      target,
    );
    const choice = reply.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.reasoning).toBe("hmm");
    expect(choice.message.reasoning_details?.[0]).toMatchObject({ type: "reasoning.text", signature: "EvYB" });
    expect(choice.message.tool_calls?.[0]).toMatchObject({
      id: "tooluse_9",
      function: { name: "w", arguments: '{"city":"Oslo"}' },
    });
    expect(reply.usage).toMatchObject({
      prompt_tokens: 17,
      completion_tokens: 20,
      prompt_tokens_details: { cached_tokens: 5, cache_write_tokens: 2 },
    });
  });

  it("maps the stream: tool use start and input fragments, reasoning and its signature, stop, then usage", () => {
    const mapper = bedrockAdapter.createStreamMapper(target);
    const events: UpstreamEvent[] = [
      { event: "messageStart", data: '{"role":"assistant","p":"abc"}' },
      { event: "contentBlockDelta", data: '{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"let me"}}}' },
      { event: "contentBlockDelta", data: '{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"S1"}}}' },
      { event: "contentBlockStop", data: '{"contentBlockIndex":0}' },
      {
        event: "contentBlockStart",
        data: '{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_a","name":"w"}}}',
      },
      { event: "contentBlockDelta", data: '{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\\"city\\":"}}}' },
      { event: "contentBlockDelta", data: '{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\\"Oslo\\"}"}}}' },
      { event: "contentBlockStop", data: '{"contentBlockIndex":1}' },
      { event: "messageStop", data: '{"stopReason":"tool_use"}' },
      { event: "metadata", data: '{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7}}' },
    ];
    const chunks: ChatChunkOut[] = events.flatMap((e) => mapper.map(e));
    const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
    expect(deltas.map((d) => d.reasoning ?? "").join("")).toBe("let me");
    // Text pieces, then the signature: the text is in the details once, as in `reasoning`.
    expect(deltas.flatMap((d) => d.reasoning_details ?? [])).toEqual([
      { type: "reasoning.text", text: "let me", format: "anthropic-claude-v1" },
      { type: "reasoning.text", text: "", signature: "S1", format: "anthropic-claude-v1" },
    ]);
    const calls = deltas.flatMap((d) => d.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: "tooluse_a", function: { name: "w" } });
    expect(calls.map((c) => c.function?.arguments ?? "").join("")).toBe('{"city":"Oslo"}');
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "tool_calls")).toBe(true);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4 });
    expect(mapper.done).toBe(true);
  });

  it("streams a tool called without arguments (no or empty input) as arguments {}", () => {
    const mapper = bedrockAdapter.createStreamMapper(target);
    const events: UpstreamEvent[] = [
      { event: "messageStart", data: '{"role":"assistant"}' },
      {
        event: "contentBlockStart",
        data: '{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t1","name":"now"}}}',
      },
      { event: "contentBlockDelta", data: '{"contentBlockIndex":0,"delta":{"toolUse":{"input":""}}}' },
      { event: "contentBlockStop", data: '{"contentBlockIndex":0}' },
      {
        event: "contentBlockStart",
        data: '{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t2","name":"now"}}}',
      },
      { event: "contentBlockStop", data: '{"contentBlockIndex":1}' },
      { event: "messageStop", data: '{"stopReason":"tool_use"}' },
      { event: "metadata", data: '{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7}}' },
    ];
    const args: string[] = [];
    for (const chunk of events.flatMap((e) => mapper.map(e)))
      for (const call of chunk.choices[0]?.delta.tool_calls ?? [])
        args[call.index] = (args[call.index] ?? "") + (call.function?.arguments ?? "");
    expect(args.map((a) => JSON.parse(a))).toEqual([{}, {}]);
  });

  it("an exception frame fails the stream with its message", () => {
    const mapper = bedrockAdapter.createStreamMapper(target);
    expect(() => mapper.map({ event: "exception:throttlingException", data: '{"message":"slow down"}' })).toThrow(
      /slow down/,
    );
  });

  it("classifies errors by x-amzn-errortype and message", () => {
    const typed = (type: string) =>
      new Headers({ "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });
    expect(
      bedrockAdapter.parseError(
        400,
        '{"message":"Input is too long for requested model."}',
        typed("ValidationException"),
      ),
    ).toMatchObject({
      kind: "context_length",
      status: 400,
      code: "ValidationException",
    });
    expect(
      bedrockAdapter.parseError(429, '{"message":"Too many requests"}', typed("ThrottlingException")),
    ).toMatchObject({ kind: "rate_limit" });
    expect(bedrockAdapter.parseError(403, '{"message":"no access"}', typed("AccessDeniedException"))).toMatchObject({
      kind: "auth",
      status: 502,
    });
    expect(bedrockAdapter.parseError(424, '{"message":"model error"}', typed("ModelErrorException"))).toMatchObject({
      status: 502,
      upstreamStatus: 424,
    });
  });
});

describe("Bedrock through the gateway", () => {
  it("a thinking signature from a Bedrock answer is replayed to Bedrock on the next turn", async () => {
    // Each turn holds ~$1 (Claude's whole output limit, no max_tokens): with $1 the second turn
    // was refused whenever the first's settlement reached the account after its reservation.
    const { key } = await fundedAccount("5");
    const first = (await (
      await chat(key, {
        model: "anthropic/claude-haiku-4.5",
        provider: { only: ["amazon-bedrock"] },
        reasoning: { effort: "low" },
        tools: [
          {
            type: "function",
            function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
          },
        ],
        messages: [{ role: "user", content: `call the weather tool ${nonce()}` }],
      })
    ).json()) as any;
    const message = first.choices[0].message;
    expect(message.reasoning_details[0].signature).toBeTruthy();
    const marker = nonce();
    const second = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["amazon-bedrock"] },
      reasoning: { effort: "low" },
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
      messages: [
        { role: "user", content: `call the weather tool ${marker}` },
        message,
        { role: "tool", tool_call_id: message.tool_calls[0].id, content: "sunny" },
      ],
    });
    expect(second.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    const replayed = (upstream!.body as any).messages[1].content[0];
    expect(replayed.reasoningContent.reasoningText.signature).toBe(message.reasoning_details[0].signature);
  });

  it("continues a tool turn whose call id another provider minted", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["amazon-bedrock"] },
      tools: [{ type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } }],
      messages: [...KIMI_TOOL_TURN, { role: "user", content: `thanks ${marker}` }],
    });
    expect(response.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    const messages = (upstream!.body as any).messages;
    expect(messages[1].content[0].toolUse.toolUseId).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(messages[2].content[0].toolResult.toolUseId).toBe(messages[1].content[0].toolUse.toolUseId);
  });

  it("answers about an image given by URL, sent to Bedrock as bytes", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["amazon-bedrock"] },
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `what is this? ${marker}` },
            { type: "image_url", image_url: { url: `${inject("emulatorUrl")}/__emulator/images/pixel.png` } },
          ],
        },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params") ?? "").not.toContain("image_url");
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).messages[0].content[1]).toEqual({
      image: { format: "png", source: { bytes: PIXEL_PNG_BASE64 } },
    });
  });

  it("an error repeating the secret access key and session token reaches the client with neither", async () => {
    const secrets = [EMULATOR_SECRET_ACCESS_KEY, (env as { AWS_SESSION_TOKEN?: string }).AWS_SESSION_TOKEN ?? ""];
    expect(secrets[1]).not.toBe("");
    // $5: each call holds ~$1 (no max_tokens) until the one before it has settled.
    const { key } = await fundedAccount("5");
    const ask = (stream: boolean) =>
      chat(key, {
        model: "anthropic/claude-haiku-4.5",
        provider: { only: ["amazon-bedrock"] },
        stream,
        messages: [{ role: "user", content: `[[emulate@amazon-bedrock echo_credentials]] ${nonce()}` }],
      });
    // Refused before any answer: the error body, its metadata and the attempts it lists.
    const refused = await ask(false);
    expect(refused.status).toBe(502);
    const text = await refused.text();
    // The emulator's words came through, with each secret in them replaced.
    expect(text).toContain("Secret Access Key (***) and signing method; x-amz-security-token: ***");
    for (const secret of secrets) expect(text).not.toContain(secret);
    // A stream that fails with an exception event: the error in its final chunk.
    const streamed = await ask(true);
    expect(streamed.status).toBe(200);
    const events = await streamed.text();
    expect(events).toContain("Secret Access Key (***) and signing method; x-amz-security-token: ***");
    expect(events).toContain('"finish_reason":"error"');
    for (const secret of secrets) expect(events).not.toContain(secret);
    // Its error says what kind of failure the provider reported, with the provider's own code,
    // as OpenRouter's chunk schema has them.
    const last = events
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .at(-1) as string;
    const chunk = ChatStreamChunk$inboundSchema.parse(JSON.parse(last.slice("data: ".length)));
    expect(chunk.error?.metadata).toEqual({ errorType: "invalid_request", providerCode: "validationException" });
    // Embeddings are signed with the same credential, and cleaned the same way.
    const embedding = await gatewayFetch(`${BASE}/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "amazon/titan-embed-text-v2", input: `[[emulate echo_credentials]] ${nonce()}` }),
    });
    expect(embedding.status).toBe(502);
    const embeddingText = await embedding.text();
    expect(embeddingText).toContain("x-amz-security-token: ***");
    for (const secret of secrets) expect(embeddingText).not.toContain(secret);
  });

  it("embeds with Titan through InvokeModel, one input per request", async () => {
    const { key } = await fundedAccount("1");
    const send = (input: unknown) =>
      gatewayFetch(`${BASE}/embeddings`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "amazon/titan-embed-text-v2", input, dimensions: 256 }),
      });
    const ok = await send(`hello ${nonce()}`);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as any;
    expect(body.data[0].embedding).toHaveLength(256);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    const many = await send(["a", "b"]);
    expect(many.status).toBe(400);
    expect(((await many.json()) as any).error.message).toMatch(/one input per request/);
    const call = await bedrockEmbeddingsAdapter.buildEmbeddingsRequest(
      { model: "m", input: ["x"], dimensions: 512 },
      target,
    );
    expect(call.url).toMatch(/\/model\/us\.anthropic\.claude-haiku-4-5-20251001-v1%3A0\/invoke$/);
    expect(JSON.parse(call.init.body ?? "{}")).toEqual({ inputText: "x", dimensions: 512, normalize: true });
  });
});
