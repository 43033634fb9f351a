import Anthropic from "@anthropic-ai/sdk";
import {
  ChatStreamChunk$inboundSchema,
  OpenResponsesResult$inboundSchema,
  OpenRouterMetadata$inboundSchema,
} from "@openrouter/sdk/models";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, chat, fundedAccount, gatewayFetch, nonce, openRouterClient, readSse } from "./support/gateway";

/**
 * OpenRouter's router metadata (experimental): `X-OpenRouter-Metadata: enabled` adds
 * `openrouter_metadata` to a reply (chat, its stream's final chunk, /responses, /messages, legacy
 * completions), saying what the router did; without the header, nothing is added.
 */

const MODEL = "openai/gpt-4o-mini";
const ENABLED = { "x-openrouter-metadata": "enabled" };

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

describe("openrouter_metadata on /chat/completions", () => {
  it("is what the router did, parsed by OpenRouter's SDK: the model asked for, the plan, the attempt that answered", async () => {
    const result = await openRouterClient(key).chat.send({
      xOpenRouterMetadata: "enabled",
      chatRequest: { model: MODEL, messages: [{ role: "user", content: `Hello ${nonce()}` }], maxTokens: 10 },
    });
    if (!("choices" in result)) throw new Error("expected a chat result");
    const metadata = result.openrouterMetadata;
    expect(metadata).toMatchObject({
      requested: MODEL,
      strategy: "direct",
      region: null,
      attempt: 1,
      isByok: false,
    });
    // The SDK's ChatResult keeps no `provider`: the attempt names it.
    const provider = metadata?.attempts?.[0]?.provider as string;
    expect(metadata?.attempts).toEqual([{ model: MODEL, provider, status: 200 }]);
    const available = metadata?.endpoints.available ?? [];
    expect(metadata?.endpoints.total).toBe(available.length);
    // GPT-4o mini's one endpoint in the bundled catalog: OpenAI's.
    expect(available).toEqual([{ model: MODEL, provider: "OpenAI", selected: true }]);
    expect(provider).toBe("OpenAI");
    expect(metadata?.generationTime).toBeGreaterThanOrEqual(0);
    expect(metadata?.summary).toBe(`1 candidate endpoint; OpenAI served ${MODEL} on attempt 1`);
  });

  it("names a failed attempt and the fallback that answered", async () => {
    const response = await chat(
      key,
      {
        models: [MODEL, "anthropic/claude-haiku-4.5"],
        max_tokens: 10,
        messages: [{ role: "user", content: `[[emulate@openai status=500]] [[emulate@azure status=500]] ${nonce()}` }],
      },
      ENABLED,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    const metadata = body.openrouter_metadata;
    expect(metadata.strategy).toBe("fallback");
    expect(metadata.requested).toBe(MODEL);
    expect(metadata.attempts.at(-1)).toEqual({
      model: "anthropic/claude-haiku-4.5",
      provider: body.provider,
      status: 200,
    });
    expect(metadata.attempts.slice(0, -1).every((a: any) => a.model === MODEL && a.status === 500)).toBe(true);
    expect(metadata.attempt).toBe(metadata.attempts.length);
    expect(metadata.attempt).toBeGreaterThan(1);
    const selected = metadata.endpoints.available.filter((e: any) => e.selected);
    expect(selected).toEqual([{ model: "anthropic/claude-haiku-4.5", provider: body.provider, selected: true }]);
  });

  it("is left out without the header, or with any value but enabled", async () => {
    const offs: Array<Record<string, string>> = [
      {},
      { "x-openrouter-metadata": "disabled" },
      { "x-openrouter-metadata": "yes" },
    ];
    for (const headers of offs) {
      const response = await chat(
        key,
        { model: MODEL, max_tokens: 5, messages: [{ role: "user", content: "Hi" }] },
        headers,
      );
      expect(((await response.json()) as any).openrouter_metadata).toBeUndefined();
    }
    // The header's older name still opts in.
    const legacy = await chat(
      key,
      { model: MODEL, max_tokens: 5, messages: [{ role: "user", content: "Hi" }] },
      { "x-openrouter-experimental-metadata": "Enabled" },
    );
    expect(((await legacy.json()) as any).openrouter_metadata.requested).toBe(MODEL);
  });

  it("streamed, comes on the final chunk beside the usage", async () => {
    const response = await chat(
      key,
      { model: MODEL, stream: true, max_tokens: 10, messages: [{ role: "user", content: `Hi ${nonce()}` }] },
      ENABLED,
    );
    const { data } = await readSse(response);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as any[];
    for (const chunk of chunks) ChatStreamChunk$inboundSchema.parse(chunk);
    const last = chunks.at(-1);
    expect(last.usage.cost).toBeGreaterThan(0);
    expect(last.openrouter_metadata).toMatchObject({ requested: MODEL, attempt: 1, is_byok: false });
    expect(chunks.slice(0, -1).some((c) => c.openrouter_metadata)).toBe(false);
  });
});

describe("openrouter_metadata's pipeline: what ran beside the model", () => {
  const base64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  it("lists each server tool called, the web plugin's search and response healing; none for a plain request", async () => {
    const ask = async (body: Record<string, unknown>) => {
      const response = await chat(key, { model: MODEL, max_tokens: 30, ...body }, ENABLED);
      expect(response.status).toBe(200);
      const metadata = ((await response.json()) as any).openrouter_metadata;
      // As OpenRouter's SDK reads it (its PipelineStage among the rest).
      OpenRouterMetadata$inboundSchema.parse(metadata);
      return metadata;
    };
    const tools = await ask({
      messages: [{ role: "user", content: `use the clock ${nonce()}` }],
      tools: [{ type: "openrouter:datetime" }],
    });
    expect(tools.pipeline).toEqual([
      { type: "server_tools", name: "openrouter:datetime", summary: "1 call, 1 completed" },
    ]);
    const web = await ask({
      messages: [{ role: "user", content: `news ${nonce()}` }],
      plugins: [{ id: "web", max_results: 2 }],
    });
    expect(web.pipeline).toEqual([{ type: "plugin", name: "web", summary: "2 results" }]);
    const healed = await ask({
      messages: [{ role: "user", content: `[[emulate content=${base64url("{a: 1,}")}]] ${nonce()}` }],
      response_format: { type: "json_object" },
      plugins: [{ id: "response-healing" }],
    });
    expect(healed.pipeline).toEqual([
      { type: "response_healing", name: "response-healing", summary: "1 choice repaired" },
    ]);
    const plain = await ask({ messages: [{ role: "user", content: `Hi ${nonce()}` }] });
    expect(plain.pipeline).toBeUndefined();
  });
});

describe("openrouter_metadata and response caching", () => {
  it("a cached reply is stored without it: its replay says nothing of the first request's routing", async () => {
    const body = { model: MODEL, max_tokens: 5, messages: [{ role: "user", content: `Cache me ${nonce()}` }] };
    const first = await chat(key, body, { ...ENABLED, "x-openrouter-cache": "true" });
    expect(first.headers.get("x-openrouter-cache-status")).toBe("MISS");
    expect(((await first.json()) as any).openrouter_metadata.attempt).toBe(1);
    const replay = await chat(key, body, { "x-openrouter-cache": "true" });
    expect(replay.headers.get("x-openrouter-cache-status")).toBe("HIT");
    expect(((await replay.json()) as any).openrouter_metadata).toBeUndefined();
  });

  it("a stream kept for caching carries none", async () => {
    const body = {
      model: MODEL,
      stream: true,
      max_tokens: 5,
      messages: [{ role: "user", content: `Cache my stream ${nonce()}` }],
    };
    const { data } = await readSse(await chat(key, body, { ...ENABLED, "x-openrouter-cache": "true" }));
    expect((data.at(-2) as any).usage).toBeDefined();
    expect((data.at(-2) as any).openrouter_metadata).toBeUndefined();
  });
});

describe("openrouter_metadata on the other APIs", () => {
  it("/responses: on the Response (OpenRouter's SDK), and on response.completed when streamed", async () => {
    const result = await openRouterClient(key).beta.responses.send({
      xOpenRouterMetadata: "enabled",
      responsesRequest: { model: MODEL, input: `Hello ${nonce()}`, maxOutputTokens: 10 },
    });
    if (!("output" in result)) throw new Error("expected a Response");
    expect(result.openrouterMetadata).toMatchObject({ requested: MODEL, attempt: 1 });

    const response = await gatewayFetch(`${BASE}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...ENABLED },
      body: JSON.stringify({ model: MODEL, input: "Hi", stream: true, max_output_tokens: 10 }),
    });
    const events = (await response.text())
      .split("\n\n")
      .filter((frame) => frame.startsWith("event: "))
      .map((frame) => JSON.parse(frame.slice(frame.indexOf("data: ") + "data: ".length)));
    // At 10 tokens the answer may be cut (`response.incomplete`): either ends the stream with the Response.
    const completed = events.find((e) => e.type === "response.completed" || e.type === "response.incomplete");
    OpenResponsesResult$inboundSchema.parse(completed.response);
    expect(completed.response.openrouter_metadata).toMatchObject({ requested: MODEL, attempt: 1 });
    const created = events.find((e) => e.type === "response.created");
    expect(created.response.openrouter_metadata).toBeUndefined();
  });

  it("/messages: on the Message, and on message_stop when streamed (Anthropic's SDK reads both)", async () => {
    const client = new Anthropic({
      apiKey: key,
      baseURL: BASE.replace(/\/v1$/, ""),
      fetch: (input, init) => gatewayFetch(input as RequestInfo, init),
      maxRetries: 0,
      defaultHeaders: ENABLED,
    });
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: "user", content: "Hi" }],
    });
    expect((message as any).openrouter_metadata).toMatchObject({ requested: MODEL, attempt: 1 });
    const events: any[] = [];
    for await (const event of client.messages.stream({
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: "user", content: "Hi" }],
    })) {
      events.push(event);
    }
    const stop = events.find((e) => e.type === "message_stop");
    expect(stop.openrouter_metadata).toMatchObject({ requested: MODEL, attempt: 1 });
  });

  it("/completions: on the legacy completion", async () => {
    const response = await gatewayFetch(`${BASE}/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...ENABLED },
      body: JSON.stringify({ model: MODEL, prompt: "Say hi", max_tokens: 5 }),
    });
    const body = (await response.json()) as any;
    expect(body.object).toBe("text_completion");
    expect(body.openrouter_metadata).toMatchObject({ requested: MODEL, strategy: "direct", attempt: 1 });
  });
});
