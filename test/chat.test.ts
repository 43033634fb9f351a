import { ApiErrorType } from "@openrouter/sdk/models";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, chat, emulatorRequests, fundedAccount, gatewayFetch, nonce } from "./support/gateway";

const MODEL = "openai/gpt-4o-mini";
let key: string;

beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

const ask = (text: string, extra: Record<string, unknown> = {}) =>
  chat(key, { model: MODEL, messages: [{ role: "user", content: text }], ...extra });

describe("POST /chat/completions", () => {
  it("answers in OpenAI's shape with OpenRouter's extras", async () => {
    const response = await ask(`Say hello ${nonce()}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.id).toMatch(/^gen-\d+-[A-Za-z0-9]+$/);
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe(MODEL);
    expect(body.provider).toBe("OpenAI");
    expect(body.choices[0].message.role).toBe("assistant");
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.choices[0].native_finish_reason).toBe("stop");
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(typeof body.usage.cost).toBe("number");
    expect(body.usage.cost).toBeGreaterThan(0);
  });

  it("is also served at /v1 for SDKs that assume OpenAI's path", async () => {
    const response = await gatewayFetch("http://gateway.test/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
  });

  it("sends the provider's model id and the provider's key upstream, never the client's key", async () => {
    const marker = nonce();
    await ask(`hello ${marker}`, { max_tokens: 7, temperature: 0.2 });
    const [upstream] = await emulatorRequests(marker);
    expect(upstream?.provider).toBe("openai");
    expect((upstream!.body as any).model).toBe("gpt-4o-mini");
    expect((upstream!.body as any).max_completion_tokens).toBe(7);
    expect((upstream!.body as any).temperature).toBe(0.2);
    expect(JSON.stringify(upstream?.headers)).not.toContain(key);
    expect(JSON.stringify(upstream?.body)).not.toContain("provider");
  });

  it("honours max_tokens: a truncated answer says length", async () => {
    const response = await ask(`tell me a long story [[emulate tokens=50]] ${nonce()}`, { max_tokens: 5 });
    const body = (await response.json()) as any;
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBe(5);
  });

  it("passes tools through and returns tool calls", async () => {
    const response = await ask(`call the weather tool for Paris ${nonce()}`, {
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          },
        },
      ],
    });
    const body = (await response.json()) as any;
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    const call = body.choices[0].message.tool_calls[0];
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toHaveProperty("city");
  });

  it("takes more than four stop sequences (OpenRouter sets no cap) and passes them all on", async () => {
    const marker = nonce();
    const stop = ["a1", "b1", "c1", "d1", "e1"];
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      max_tokens: 3,
      stop,
      messages: [{ role: "user", content: `hi ${marker}` }],
    });
    expect(response.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).stop_sequences).toEqual(stop);
  });

  it("returns valid JSON for response_format json_object", async () => {
    const response = await ask(`reply in JSON ${nonce()}`, { response_format: { type: "json_object" } });
    const body = (await response.json()) as any;
    expect(() => JSON.parse(body.choices[0].message.content)).not.toThrow();
  });
});

describe("bad input is a 400 that names the problem", () => {
  const post = (body: unknown) =>
    gatewayFetch(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("rejects a body that is not JSON", async () => {
    const response = await post("{not json");
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error).toMatchObject({
      code: 400,
      message: expect.stringContaining("JSON"),
    });
  });

  it("names the field that is wrong", async () => {
    const response = await post({ model: MODEL, messages: [{ role: "user", content: "x" }], temperature: 7 });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.error.code).toBe(400);
    expect(body.error.message).toContain("temperature");
  });

  it("requires messages", async () => {
    const response = await post({ model: MODEL });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toContain("messages");
  });

  it("names the field inside a content part, not just the message's content", async () => {
    const withContent = (content: unknown) => post({ model: MODEL, messages: [{ role: "user", content }] });
    const message = async (response: Response) => {
      expect(response.status).toBe(400);
      return ((await response.json()) as any).error.message as string;
    };
    expect(await message(await withContent([{ type: "text", text: 5 }]))).toContain(
      "messages.0.content.0.text: expected string",
    );
    expect(await message(await withContent([{ type: "image_url" }]))).toContain(
      "messages.0.content.0.image_url: missing",
    );
    // A part type the gateway does not take (OpenRouter's video_url) is named, with those it takes.
    const video = await message(await withContent([{ type: "video_url", video_url: { url: "https://x.test/v.mp4" } }]));
    expect(video).toContain("messages.0.content.0.type");
    expect(video).toContain('got "video_url"');
    expect(video).toContain('"image_url"');
  });

  it("lists the accepted values of an enum-like field (tool_choice, provider.sort)", async () => {
    const toolChoice = await post({ model: MODEL, messages: [{ role: "user", content: "x" }], tool_choice: "any" });
    expect(toolChoice.status).toBe(400);
    expect(((await toolChoice.json()) as any).error.message).toBe(
      'Invalid request: tool_choice: expected one of "none", "auto", "required" or an object, got "any"',
    );
    const sort = await post({ model: MODEL, messages: [{ role: "user", content: "x" }], provider: { sort: "fast" } });
    expect(((await sort.json()) as any).error).toMatchObject({
      code: 400,
      message: expect.stringContaining('provider.sort: expected one of "price", "throughput", "latency"'),
    });
  });

  it("answers a wrong method on a known route with a 405 and Allow, an unknown route with a 404", async () => {
    const call = (method: string, path: string) =>
      gatewayFetch(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
    const cases: Array<[string, string, string]> = [
      ["GET", "/chat/completions", "POST"],
      ["DELETE", "/models", "GET, HEAD"],
      ["PUT", "/keys/abc123", "DELETE, GET, HEAD, PATCH"],
      ["POST", "/models/openai/gpt-4o-mini/endpoints", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await call(method, path);
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get("allow")).toBe(allow);
      expect(((await response.json()) as any).error).toEqual({
        code: 405,
        message: `Method ${method} is not allowed on /api/v1${path} (allowed: ${allow})`,
      });
    }
    const unknown = await call("GET", "/chat/completion");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.code).toBe(404);
  });

  it("rejects an unknown model", async () => {
    const response = await post({ model: "nobody/nothing-9000", messages: [{ role: "user", content: "x" }] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toContain("nobody/nothing-9000");
  });
});

describe("OpenRouter's model variants and plugins are served or refused, never ignored", () => {
  const errorOf = async (response: Response) => {
    expect(response.status).toBe(400);
    return ((await response.json()) as any).error as { code: number; message: string };
  };

  it(":thinking turns reasoning on", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5:thinking",
      provider: { only: ["anthropic"] },
      max_tokens: 2000,
      messages: [{ role: "user", content: `think ${marker}` }],
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).model).toBe("anthropic/claude-haiku-4.5");
    const [upstream] = await emulatorRequests(marker);
    expect((upstream!.body as any).thinking).toMatchObject({ type: "enabled" });
  });

  it(":thinking turns reasoning on for its own model only, not for the models after it in `models`", async () => {
    const marker = nonce();
    const response = await chat(key, {
      models: ["google/gemini-2.5-flash-lite:thinking", "anthropic/claude-haiku-4.5"],
      provider: { only: ["google-ai-studio", "anthropic"] },
      max_tokens: 2000,
      messages: [{ role: "user", content: `[[emulate@google-ai-studio status=503]] think ${marker}` }],
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).model).toBe("anthropic/claude-haiku-4.5");
    const calls = await emulatorRequests(marker);
    expect(calls.map((call) => call.provider)).toEqual(["google-ai-studio", "anthropic"]);
    // Gemini was asked to think; Claude, the fallback, was not (and its hold had no budget for it).
    const [gemini, claude] = calls.map((call) => call.body as any);
    expect(gemini.generationConfig.thinkingConfig).toMatchObject({ includeThoughts: true });
    expect(claude.thinking).toBeUndefined();
  });

  it(":extended is refused by name (no extended-context endpoints); :online is web search (web-search.test.ts)", async () => {
    expect((await errorOf(await ask("hi", { model: `${MODEL}:extended` }))).message).toContain(":extended");
  });

  it("the web plugin's engines other than Exa are refused by name; sent disabled, it asks for nothing", async () => {
    const web = await errorOf(await ask(`news ${nonce()}`, { plugins: [{ id: "web", engine: "firecrawl" }] }));
    expect(web.message).toBe(
      'plugins: "web" engine "firecrawl" is not supported: this gateway searches with Exa only (only "exa" or "native")',
    );
    const disabled = await ask(`hi ${nonce()}`, { plugins: [{ id: "web", enabled: false }] });
    expect(disabled.status).toBe(200);
  });

  it("response-healing is accepted (it heals JSON replies: response-healing.test.ts)", async () => {
    const response = await ask(`hi ${nonce()}`, {
      plugins: [{ id: "response-healing" }],
      response_format: { type: "json_object" },
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(((await response.json()) as any).choices[0].message.content)).toBeTypeOf("object");
  });

  it("other plugins it cannot run, and unknown ones, are refused by name", async () => {
    expect((await errorOf(await ask("hi", { plugins: [{ id: "moderation" }] }))).message).toContain('"moderation"');
    expect((await errorOf(await ask("hi", { plugins: [{ id: "teleport" }] }))).message).toBe(
      'plugins: unknown plugin "teleport"',
    );
  });
});

describe("request bodies", () => {
  const LIMIT = 20 * 1024 * 1024;
  const MIB = 1024 * 1024;
  /** A body sent as a stream: no Content-Length, as chunked uploads and Worker-built requests come. */
  const streamOf = (chunks: Uint8Array[]) =>
    new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
  const postBody = (apiKey: string, body: BodyInit) =>
    gatewayFetch(`${BASE}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body,
    });
  const usageOf = async (apiKey: string) => {
    const response = await gatewayFetch(`${BASE}/key`, { headers: { authorization: `Bearer ${apiKey}` } });
    return ((await response.json()) as any).data.usage as number;
  };

  it("413s a body over 20 MiB, in OpenRouter's shape, and charges nothing", async () => {
    const fresh = await fundedAccount("5");
    const text = "x".repeat(LIMIT);
    const body = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: text }] });
    const response = await postBody(fresh.key, body);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      error: { code: 413, message: `Request body exceeds ${LIMIT} bytes` },
    });
    expect(await usageOf(fresh.key)).toBe(0);
  });

  it("413s a streamed body once it passes 20 MiB, without a declared length", async () => {
    const chunks = Array.from({ length: 21 }, () => new Uint8Array(MIB).fill(0x20));
    const response = await postBody(key, streamOf(chunks));
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.code).toBe(413);
  });

  it("answers a streamed body that arrives in pieces, split inside a character", async () => {
    const marker = nonce();
    const bytes = new TextEncoder().encode(
      JSON.stringify({ model: MODEL, messages: [{ role: "user", content: `Say hello ${marker} — ünïcödé` }] }),
    );
    const at = bytes.indexOf(0xe2) + 1; // inside the em dash's three bytes
    const response = await postBody(key, streamOf([bytes.slice(0, 10), bytes.slice(10, at), bytes.slice(at)]));
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).choices[0].message.content.length).toBeGreaterThan(0);
    const [seen] = await emulatorRequests(marker);
    expect(JSON.stringify(seen?.body)).toContain(`${marker} — ünïcödé`);
  });
});

describe("authentication", () => {
  it("401s a missing key in OpenRouter's shape", async () => {
    const response = await gatewayFetch(`${BASE}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "x" }] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 401, message: expect.any(String) } });
  });

  it("401s an unknown key", async () => {
    const response = await chat("sk-tg-v1-0000000000000000000000000000000000000000000000000000000000000000", {
      model: MODEL,
      messages: [{ role: "user", content: "x" }],
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.code).toBe(401);
  });

  it("keeps HTTP-Referer and X-Title with the generation", async () => {
    const response = await ask(`attribution ${nonce()}`, {});
    const { id } = (await response.json()) as any;
    const attributed = await chat(
      key,
      { model: MODEL, messages: [{ role: "user", content: `attributed ${nonce()}` }] },
      { "HTTP-Referer": "https://myapp.example", "X-Title": "My App" },
    );
    const gen = (await attributed.json()) as any;
    expect(id).not.toBe(gen.id);
    // settlement runs after the reply: poll the generation record
    let record: any;
    for (let i = 0; i < 50 && !record; i++) {
      const r = await gatewayFetch(`${BASE}/generation?id=${gen.id}`, { headers: { authorization: `Bearer ${key}` } });
      if (r.ok) record = ((await r.json()) as any).data;
      else await new Promise((res) => setTimeout(res, 20));
    }
    expect(record).toBeDefined();
    expect(JSON.stringify(record)).toContain("https://myapp.example");
    expect(JSON.stringify(record)).toContain("My App");
  });
});

describe("upstream errors become OpenRouter-shaped errors", () => {
  const cases: Array<[string, number, string]> = [
    ["[[emulate status=400 code=invalid_request_error]]", 400, "invalid_request"],
    ["[[emulate status=400 code=context_length_exceeded]]", 400, "context_length_exceeded"],
    ["[[emulate status=429 retry_after=7]]", 429, "rate_limit_exceeded"],
    ["[[emulate status=500]]", 502, "provider_unavailable"],
    ["[[emulate status=503]]", 502, "provider_overloaded"],
    ["[[emulate status=401 code=invalid_api_key]]", 502, "provider_unavailable"],
    ["[[emulate status=408]]", 408, "timeout"],
  ];
  for (const [directive, status, kind] of cases) {
    it(`${directive} ⇒ ${status}`, async () => {
      const response = await ask(`${directive} ${nonce()}`);
      expect(response.status).toBe(status);
      const body = (await response.json()) as any;
      expect(body.error.code).toBe(status);
      expect(body.error.metadata.error_type).toBe(kind);
      // OpenRouter's vocabulary, as inside a stream (its SDK's enum is open, so it parses anything).
      expect(Object.values(ApiErrorType)).toContain(kind);
      expect(body.error.metadata.provider_name).toBe("OpenAI");
      expect(JSON.stringify(body)).not.toContain("emulator-key");
      expect(JSON.stringify(body)).not.toMatch(/at \w+ \(/); // no stack traces
      if (status === 429) expect(response.headers.get("retry-after")).toBe("7");
    });
  }

  it("a connection reset is a 502 naming the provider", async () => {
    const response = await ask(`[[emulate reset]] ${nonce()}`);
    expect(response.status).toBe(502);
    expect(((await response.json()) as any).error.metadata.attempts[0].provider).toBe("OpenAI");
  });
});
