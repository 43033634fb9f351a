import { Buffer } from "node:buffer";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { inlineRemoteImages } from "../src/providers/inline-image";
import type { ChatRequest } from "../src/schema/chat";
import { MAX_MESSAGES, MAX_MODEL_ID_LENGTH, MAX_USER_LENGTH } from "../src/schema/chat";
import { MAX_NESTING } from "../src/schema/nesting";
import { BASE, chat, fundedAccount, gatewayFetch } from "./support/gateway";

/**
 * Bodies built to cost the gateway CPU or stack: each is refused as a 400 that names the field and
 * the limit, in bounded time, where it was a 500 or a 502 after seconds of CPU. Timings allow ~10×
 * what they take here, for slow shared hosts.
 */

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

/** Posts a raw JSON text to chat completions; the reply's status, error and the time it took. */
async function post(text: string) {
  const started = performance.now();
  const response = await gatewayFetch(`${BASE}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: text,
  });
  const body = (await response.json()) as {
    error?: { code: number; message: string; metadata?: Record<string, unknown> };
  };
  return { status: response.status, error: body.error, ms: performance.now() - started };
}

const MODEL = "openai/gpt-4o-mini";
const repeat = (item: string, n: number) => Array.from({ length: n }, () => item).join(",");
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

describe("hostile request bodies", () => {
  it("refuses more messages than Anthropic's limit at once, bad ones included (a 500 after ~5 s)", async () => {
    const bad = await post(`{"model":"${MODEL}","messages":[${repeat('{"role":"x"}', 800_000)}]}`);
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toBe(`Invalid request: messages: at most ${MAX_MESSAGES} messages (Anthropic's limit)`);
    expect(bad.ms).toBeLessThan(3_000);

    const many = await post(
      `{"model":"${MODEL}","messages":[${repeat('{"role":"user","content":"hi"}', MAX_MESSAGES + 1)}]}`,
    );
    expect(many.status).toBe(400);
    expect(many.error?.message).toContain(`at most ${MAX_MESSAGES} messages`);
  });

  it("refuses ~800k bad values at the first one, at once (a 500 after seconds, then a 400 after seconds)", async () => {
    const hi = `"messages":[{"role":"user","content":"hi"}]`;
    // zod kept an issue for each bad value, and rebuilt each one's path at every level above it:
    // seconds of CPU on the isolate's one thread, from any key, for a 400 that names the first.
    const bodies: Array<[body: string, message: string]> = [
      [
        `{"model":"${MODEL}",${hi},"transforms":[${repeat("1", 800_000)}]}`,
        "transforms.0: expected string, received number",
      ],
      [
        `{"model":"${MODEL}",${hi},"provider":{"order":[${repeat("1", 800_000)}]}}`,
        "provider.order.0: expected string, received number",
      ],
      [
        `{"model":"${MODEL}","messages":[{"role":"user","content":[${repeat("1", 800_000)}]}]}`,
        "messages.0.content.0: expected object, received number",
      ],
      [`{"model":"${MODEL}",${hi},"stop":[${repeat("1", 800_000)}]}`, "stop.0: expected string, received number"],
      [
        `{"model":"${MODEL}",${hi},"metadata":{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":1`).join(",")}}}`,
        "metadata.k0: expected string, received number",
      ],
    ];
    for (const [body, message] of bodies) {
      const refused = await post(body);
      expect(refused.status).toBe(400);
      expect(refused.error?.message).toBe(`Invalid request: ${message}`);
      expect((refused.error?.metadata?.issues as unknown[] | undefined)?.length).toBe(1);
      expect(refused.ms, message).toBeLessThan(1_000);
    }
  });

  it("refuses JSON nested past the limit, naming where (a stack overflow in a request builder: a 502)", async () => {
    const body = `{"model":"anthropic/claude-haiku-4.5","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${nested(20_000)}}}}`;
    const deep = await post(body);
    expect(deep.status).toBe(400);
    expect(deep.error?.message).toBe(
      `Invalid request: response_format.json_schema.schema.a.a.a.a.a…: nested more than ${MAX_NESTING} levels deep`,
    );
    expect(deep.error?.metadata?.max_nesting).toBe(MAX_NESTING);
    expect(deep.ms).toBeLessThan(2_000);

    // 18 MB of `[`, refused before JSON.parse builds 9M nested arrays (~4 s of CPU).
    const brackets = await post(
      `{"model":"${MODEL}","messages":[],"x":${"[".repeat(9_000_000)}${"]".repeat(9_000_000)}}`,
    );
    expect(brackets.status).toBe(400);
    expect(brackets.error?.message).toBe(
      `Invalid request: x.0.0.0.0.0.0.0…: nested more than ${MAX_NESTING} levels deep`,
    );
    expect(brackets.ms).toBeLessThan(3_000);
  });

  it("takes a shallow body that opens more objects than the nesting limit", async () => {
    // 2 x (MAX_NESTING + 10) messages, each an object three levels down: many brackets, little depth.
    const turns = Array.from({ length: MAX_NESTING + 10 }, (_, i) => [
      { role: "user", content: `question ${i}` },
      { role: "assistant", content: `answer ${i}` },
    ]).flat();
    const reply = await post(JSON.stringify({ model: MODEL, messages: [...turns, { role: "user", content: "hi" }] }));
    expect(reply.status).toBe(200);
    expect(reply.error).toBeUndefined();
  });

  it("takes a tool schema nested to just within the limit, through every request builder", async () => {
    // The body's own levels: the root, tools, the tool, function, parameters.
    const schema = nested(MAX_NESTING - 5);
    const bedrock = `"anthropic/claude-haiku-4.5","provider":{"only":["amazon-bedrock"]}`;
    for (const model of [
      `"anthropic/claude-haiku-4.5"`,
      bedrock,
      `"google/gemini-2.5-flash-lite"`,
      `"cohere/command-a"`,
      `"${MODEL}"`,
    ]) {
      const reply = await post(
        `{"model":${model},"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${schema}}}]}`,
      );
      expect(reply.error?.message ?? "", model).not.toMatch(/nested|stack/);
    }
  });
});

describe("values kept with each generation", () => {
  it("refuses a `user` longer than the limit, which was answered and never charged", async () => {
    const funded = await fundedAccount("1");
    const messages = [{ role: "user", content: "hi" }];
    const long = await chat(funded.key, { model: MODEL, messages, user: "u".repeat(3_000_000) });
    expect(long.status).toBe(400);
    const body = (await long.json()) as { error: { message: string } };
    expect(body.error.message).toBe(
      `Invalid request: user: at most ${MAX_USER_LENGTH} characters (an id for the end user, kept with each generation)`,
    );

    const embedding = await gatewayFetch(`${BASE}/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${funded.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "openai/text-embedding-3-small",
        input: "a",
        user: "u".repeat(MAX_USER_LENGTH + 1),
      }),
    });
    expect(embedding.status).toBe(400);

    const fits = await chat(funded.key, { model: MODEL, messages, user: "u".repeat(MAX_USER_LENGTH) });
    expect(fits.status).toBe(200);
  });

  it("refuses a model id longer than any, which came back twice in the 400", async () => {
    const funded = await fundedAccount("1");
    const messages = [{ role: "user", content: "hi" }];
    const junk = `openai/${"a".repeat(1_000_000)}`;
    for (const body of [
      { model: junk, messages },
      { model: MODEL, models: [MODEL, junk], messages },
    ]) {
      const reply = await chat(funded.key, body);
      expect(reply.status).toBe(400);
      const text = await reply.text();
      expect(text.length).toBeLessThan(2_000);
      expect(text).toContain(`at most ${MAX_MODEL_ID_LENGTH} characters (a model id)`);
    }
  });
});

describe("CPU cost of whitespace in a prompt counted exactly (near the context limit)", () => {
  /**
   * ~97k short words, enough that the estimate passes 75% of gpt-4o-mini's 128k context and the
   * o200k tokenizer counts the prompt, then one run of whitespace: tiktoken makes it one BPE piece,
   * whose merge is quadratic in its length. A key with no credit is refused (402) after the count.
   */
  async function timed(run: string) {
    const { key: broke } = await fundedAccount("0");
    const started = performance.now();
    const response = await chat(broke, {
      model: MODEL,
      max_tokens: 1,
      messages: [{ role: "user", content: `${"a ".repeat(97_000)}${run}` }],
    });
    await response.text();
    return { status: response.status, ms: performance.now() - started };
  }

  it("a run of 4k no-break spaces or 8k spaces costs about what as much prose does", async () => {
    await timed(""); // loads the vocabulary once
    const base = await timed("");
    // Before whitespace runs were cut for the BPE: 8k spaces took ~10 s, 4k no-break spaces ~12 s.
    for (const run of [" ".repeat(8_000), "\u00a0".repeat(4_000), "\u3000".repeat(4_000)]) {
      const took = await timed(run);
      expect(took.status).toBe(402);
      expect(took.ms - base.ms).toBeLessThan(1_000);
    }
  }, 120_000);
});

describe("embeddings token ids", () => {
  it("refuses 3M bad token ids at once, naming the first (~9 s of CPU for a 400)", async () => {
    const funded = await fundedAccount("1");
    const embed = (input: unknown) =>
      gatewayFetch(`${BASE}/embeddings`, {
        method: "POST",
        headers: { authorization: `Bearer ${funded.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "openai/text-embedding-3-small", input }),
      });
    const started = performance.now();
    const bad = await embed(Array.from({ length: 3_000_000 }, () => -1));
    const ms = performance.now() - started;
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { message: string } };
    expect(body.error.message).toBe("Invalid request: input.0: token ids must be non-negative integers");
    expect(ms).toBeLessThan(3_000);

    const nested = await embed([
      [1, 2],
      [3, -1],
    ]);
    expect(((await nested.json()) as { error: { message: string } }).error.message).toBe(
      "Invalid request: input.1.1: token ids must be non-negative integers",
    );
    expect((await embed([[1, 2], [3]])).status).toBe(200);
  });
});

describe("images fetched and inlined (Gemini, Bedrock)", () => {
  it("encodes a 21 MiB image to the same bytes across the chunks it arrived in", async () => {
    const url = `${inject("emulatorUrl")}/__emulator/images/huge.png`;
    const request = {
      model: "google/gemini-2.5-flash-lite",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }],
    } as ChatRequest;
    const inlined = await inlineRemoteImages(request, { maxBytes: 32 * 1024 * 1024, allowPrivate: true });
    const part = (inlined.messages[0]?.content as Array<{ image_url: { url: string } }> | undefined)?.[0];
    const dataUrl = part?.image_url.url ?? "";
    expect(dataUrl.startsWith("data:image/png;base64,")).toBe(true);
    const decoded = Buffer.from(dataUrl.slice("data:image/png;base64,".length), "base64");
    const original = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(decoded.length).toBe(original.length);
    expect(decoded.equals(original)).toBe(true);
  });
});
