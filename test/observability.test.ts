import { env } from "cloudflare:test";
import { GenerationResponse$inboundSchema } from "@openrouter/sdk/models";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CORS_REPLY_HEADERS } from "../src/cors";
import type { TollgateRpc } from "../src/rpc";
import { groqServingLlamaInForce } from "./support/catalog";
import { BASE, chat, fundedAccount, gatewayFetch, nonce, readSse, recordedGeneration, sleep } from "./support/gateway";

// Groq serving Llama 3.3 (the fastest of its hosts) and Qwen 3: see withGroqServingLlama.
groqServingLlamaInForce();

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("2"));
});
afterEach(() => vi.restoreAllMocks());

async function logLines(run: () => Promise<void>) {
  const lines: Array<Record<string, any>> = [];
  vi.spyOn(console, "log").mockImplementation((line: unknown) => {
    try {
      lines.push(JSON.parse(String(line)));
    } catch {
      // not ours
    }
  });
  await run();
  await sleep(50);
  return lines;
}

/** Streams a chat completion for `body`, read to its end; its chunks and its generation's log line. */
async function loggedStream(body: Record<string, unknown>) {
  let data: Awaited<ReturnType<typeof readSse>>["data"] = [];
  const lines = await logLines(async () => {
    ({ data } = await readSse(await chat(key, { ...body, stream: true })));
  });
  const id = (data[0] as any).id as string;
  return { id, data, line: lines.find((l) => l.generation_id === id) };
}

describe("observability", () => {
  it("writes one structured log line per generation, without the key", async () => {
    let id = "";
    const lines = await logLines(async () => {
      const response = await chat(key, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }] });
      id = ((await response.json()) as any).id;
    });
    const line = lines.find((l) => l.generation_id === id);
    expect(line).toMatchObject({
      msg: "generation",
      model: "openai/gpt-4o-mini",
      provider: "OpenAI",
      status: 200,
      attempts: ["OpenAI:200"],
      tokens_prompt: expect.any(Number),
      tokens_completion: expect.any(Number),
      cost_usd: expect.any(Number),
      latency_ms: expect.any(Number),
      first_byte_ms: expect.any(Number),
      request_id: expect.any(String),
      key: expect.any(String),
    });
    expect(JSON.stringify(lines)).not.toContain(key);
    expect(lines.filter((l) => l.request_id === line?.request_id)).toHaveLength(1);
  });

  it("counts a generation's latency and Server-Timing from the request's arrival, its body's upload included", async () => {
    const marker = nonce();
    const text = JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: marker }] });
    const bytes = new TextEncoder().encode(text);
    let response: Response | undefined;
    const lines = await logLines(async () => {
      // The body's second half arrives 300 ms after the gateway asks for more than its first:
      // time the gateway spends reading it. (Timed from the reads, not from the stream's
      // construction, which comes before the request reaches the gateway: on a busy host that
      // gap came off the wait the gateway could see.)
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          pulls++;
          if (pulls === 1) return controller.enqueue(bytes.slice(0, 20));
          await sleep(300);
          controller.enqueue(bytes.slice(20));
          controller.close();
        },
      });
      response = await gatewayFetch(`${BASE}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      await response.text();
    });
    expect(response?.status).toBe(200);
    const line = lines.find((l) => l.msg === "generation" && l.model === "openai/gpt-4o-mini" && l.latency_ms >= 0);
    expect(line?.latency_ms).toBeGreaterThanOrEqual(290);
    expect(line?.first_byte_ms).toBeGreaterThanOrEqual(290);
    // The plan step is the one that waited for the body.
    const plan = /plan;dur=([\d.]+)/.exec(response?.headers.get("server-timing") ?? "")?.[1];
    expect(Number(plan)).toBeGreaterThanOrEqual(290);
  });

  it("logs streams once, at their end, and failed requests with their status", async () => {
    const lines = await logLines(async () => {
      await readSse(
        await chat(key, { model: "openai/gpt-4o-mini", stream: true, messages: [{ role: "user", content: nonce() }] }),
      );
      await chat(key, {
        model: "openai/gpt-4o-mini",
        messages: [{ role: "user", content: `[[emulate status=400]] ${nonce()}` }],
      });
      await chat("sk-tg-v1-bad", { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "x" }] });
    });
    expect(lines.find((l) => l.msg === "generation" && l.streamed)?.tokens_completion).toBeGreaterThan(0);
    expect(lines.find((l) => l.msg === "generation" && l.status === 400)).toBeDefined();
    expect(lines.find((l) => l.msg === "request" && l.status === 401)).toBeDefined();
  });

  it("counts a stream's first byte from the request, with the upstream's wait for its headers", async () => {
    // Before: counted from the relay's start, after the headers came: a provider 300 ms slow to
    // answer showed a first byte of a few ms, in the log line and in /generation's latency.
    const { line } = await loggedStream({
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: `[[emulate delay_ms=300]] ${nonce()}` }],
    });
    expect(line?.first_byte_ms).toBeGreaterThanOrEqual(300);
    expect(line?.first_byte_ms).toBeLessThanOrEqual(line?.latency_ms);
  });

  it("gives a stream that failed before its first token no latency, in the log line and in /generation", async () => {
    // Before: the time to the failure, as if it had been the first token.
    const { id, data, line } = await loggedStream({
      model: "openai/gpt-4o-mini",
      provider: { allow_fallbacks: false },
      messages: [{ role: "user", content: `[[emulate delay_ms=150 cut_after=1]] ${nonce()}` }],
    });
    expect(data.some((d) => d !== "[DONE]" && d.error)).toBe(true);
    expect(line).toMatchObject({ streamed: true, first_byte_ms: null });
    expect(line?.latency_ms).toBeGreaterThanOrEqual(150);
    const generation = await recordedGeneration(key, id);
    expect(GenerationResponse$inboundSchema.parse({ data: generation }).data).toMatchObject({
      finishReason: "error",
      latency: null,
    });
    expect(generation.generation_time).toBeGreaterThanOrEqual(150);
  });

  it("lists a stream's failover in its attempts, down to the endpoint that answered", async () => {
    // Before: only the first call's attempts ("Together:200"), beside provider "Groq".
    const { line } = await loggedStream({
      model: "meta-llama/llama-3.3-70b-instruct",
      provider: { order: ["together", "groq"] },
      messages: [{ role: "user", content: `[[emulate tokens=5]] [[emulate@together cut_after=1]] ${nonce()}` }],
    });
    expect(line).toMatchObject({ provider: "Groq", status: 200, attempts: ["Together:200", "Groq:200"] });
  });

  it("logs a CORS preflight once, with its request id", async () => {
    // Before: answered before the logging middleware's line, so a preflight left no trace.
    let preflight: Response | undefined;
    const lines = await logLines(async () => {
      preflight = await gatewayFetch(`${BASE}/chat/completions`, {
        method: "OPTIONS",
        headers: { origin: "https://app.example", "access-control-request-method": "POST", "x-request-id": "pre-7" },
      });
    });
    expect(preflight?.headers.get("x-request-id")).toBe("pre-7");
    expect(lines.filter((l) => l.request_id === "pre-7")).toEqual([
      expect.objectContaining({ msg: "request", method: "OPTIONS", status: 204, key: null }),
    ]);
  });

  it("sends Server-Timing on a request no provider answered, and logs the upstream time", async () => {
    // Before: a 502 after every attempt failed had no Server-Timing, and its line no upstream time.
    const marker = nonce();
    let reply: Response | undefined;
    const lines = await logLines(async () => {
      reply = await chat(
        key,
        { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: `[[emulate status=500]] ${marker}` }] },
        { "x-request-id": marker },
      );
    });
    expect(reply?.status).toBe(502);
    expect(reply?.headers.get("server-timing")).toMatch(
      /^plan;dur=[\d.]+, (reserve|lease);dur=[\d.]+, upstream;dur=[\d.]+$/,
    );
    const mine = lines.filter((l) => l.request_id === marker);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ msg: "generation", status: 502, provider: null, model: "openai/gpt-4o-mini" });
    expect(mine[0]?.timings.upstream).toEqual(expect.any(Number));
  });

  it("logs each RPC call once, a key no header can carry and a body JSON cannot carry included", async () => {
    // Before: the unsendable key was refused in rpc.ts, before the app, and left no line; so did a
    // request with a BigInt in it (thrown as the runtime's TypeError).
    const rpc = (env as unknown as { TOLLGATE_RPC: Service<TollgateRpc> }).TOLLGATE_RPC;
    let id = "";
    const lines = await logLines(async () => {
      await rpc.credits("sk-tg-v1-\nabc").catch(() => undefined);
      const withBigInt = { model: "openai/text-embedding-3-small", input: nonce(), dimensions: 8n };
      await rpc.embeddings(key, withBigInt as unknown as { model: string; input: string }).catch(() => undefined);
      id = (
        await rpc.chatCompletion(key, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }] })
      ).id;
    });
    expect(lines.filter((l) => l.path === "/api/v1/credits")).toEqual([
      expect.objectContaining({ msg: "request", status: 401, key: null }),
    ]);
    expect(lines.filter((l) => l.path === "/api/v1/embeddings")).toEqual([
      expect.objectContaining({ msg: "request", status: 400, key: null }),
    ]);
    const line = lines.find((l) => l.generation_id === id);
    expect(lines.filter((l) => l.request_id === line?.request_id)).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(key);
  });

  it("names the requested model on the line of a request refused before any attempt", async () => {
    // Before: a 402 (or a 400 for no endpoint) on chat or embeddings logged no model at all.
    const poor = await fundedAccount("0");
    const lines = await logLines(async () => {
      await chat(
        poor.key,
        { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }] },
        {
          "x-request-id": "poor-1",
        },
      );
      await gatewayFetch(`${BASE}/embeddings`, {
        method: "POST",
        headers: { authorization: `Bearer ${poor.key}`, "content-type": "application/json", "x-request-id": "poor-2" },
        body: JSON.stringify({ model: "openai/text-embedding-3-small", input: nonce() }),
      });
      await gatewayFetch(`${BASE}/models`, { headers: { "x-request-id": "poor-3" } });
    });
    const line = (id: string) => lines.filter((l) => l.request_id === id);
    expect(line("poor-1")).toEqual([
      expect.objectContaining({ msg: "request", status: 402, model: "openai/gpt-4o-mini" }),
    ]);
    expect(line("poor-2")).toEqual([
      expect.objectContaining({ msg: "request", status: 402, model: "openai/text-embedding-3-small" }),
    ]);
    expect(line("poor-3")).toEqual([expect.objectContaining({ msg: "request", status: 200, model: null })]);
  });

  it("sends a Server-Timing header", async () => {
    const response = await chat(key, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }] });
    expect(response.headers.get("server-timing")).toMatch(
      /^plan;dur=[\d.]+, (reserve|lease);dur=[\d.]+, upstream;dur=[\d.]+$/,
    );
  });

  it("tags every reply with its request id (the caller's, when it sends one) and CORS headers", async () => {
    const reply = await chat(
      key,
      { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }] },
      { "x-request-id": "trace-42", origin: "https://app.example" },
    );
    expect(reply.headers.get("x-request-id")).toBe("trace-42");
    expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    expect(reply.headers.get("access-control-expose-headers")).toContain("x-tollgate-attempts");
    expect(reply.headers.get("server-timing")).not.toBeNull();

    const streamed = await chat(key, {
      model: "openai/gpt-4o-mini",
      stream: true,
      messages: [{ role: "user", content: nonce() }],
    });
    expect(streamed.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(streamed.headers.get("access-control-allow-origin")).toBe("*");
    await readSse(streamed);

    const refused = await chat("sk-tg-v1-bad", { model: "openai/gpt-4o-mini", messages: [] });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("puts every CORS header on a generation's reply, as on the replies stamped after their route", async () => {
    // A generation's reply is built with its CORS headers (replyHeaders) and not stamped again:
    // it must name every one the stamp sets.
    const replies = [
      await chat(key, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }] }),
      await gatewayFetch(`${BASE}/models`),
    ];
    for (const reply of replies) {
      for (const [name, value] of Object.entries(CORS_REPLY_HEADERS)) expect(reply.headers.get(name), name).toBe(value);
      await reply.text();
    }
  });

  it("tags a Messages or Responses reply with the request's id and CORS headers, as chat's", async () => {
    // Each is chat's generation with its reply translated: it must carry what chat's reply does.
    const calls = [
      ["messages", { model: "openai/gpt-4o-mini", max_tokens: 16, messages: [{ role: "user", content: nonce() }] }],
      ["responses", { model: "openai/gpt-4o-mini", input: nonce() }],
    ] as const;
    for (const [path, body] of calls) {
      const reply = await gatewayFetch(`${BASE}/${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          "x-request-id": `trace-${path}`,
        },
        body: JSON.stringify(body),
      });
      expect(reply.status, path).toBe(200);
      expect(reply.headers.get("x-request-id"), path).toBe(`trace-${path}`);
      expect(reply.headers.get("access-control-allow-origin"), path).toBe("*");
      expect(reply.headers.get("access-control-expose-headers"), path).toContain("x-tollgate-attempts");
      await reply.text();
    }
  });

  it("answers a browser's preflight without a key", async () => {
    const preflight = await gatewayFetch(`${BASE}/chat/completions`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, x-stainless-lang",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization, content-type, x-stainless-lang");
    expect(Number(preflight.headers.get("access-control-max-age"))).toBeGreaterThan(0);
  });
});
