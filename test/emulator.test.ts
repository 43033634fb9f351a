import { describe, expect, inject, it } from "vitest";
import { nonce } from "./support/gateway";

/** The emulator itself, spoken to directly: the fixtures every other suite relies on. */
const url = (path: string) => `${inject("emulatorUrl")}${path}`;
const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: "Bearer k" }) =>
  fetch(url(path), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const chatBody = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "m",
  messages: [{ role: "user", content: text }],
  ...extra,
});

describe("OpenAI-format emulator", () => {
  it("requires a bearer credential", async () => {
    const response = await post("/openai/v1/chat/completions", chatBody("hi"), {});
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.code).toBe("invalid_api_key");
  });

  it("answers deterministically with consistent usage", async () => {
    const text = `same prompt ${nonce()}`;
    const a = (await (await post("/openai/v1/chat/completions", chatBody(text))).json()) as any;
    const b = (await (await post("/openai/v1/chat/completions", chatBody(text))).json()) as any;
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.usage.total_tokens).toBe(a.usage.prompt_tokens + a.usage.completion_tokens);
  });

  it("honours n and stop", async () => {
    const body = (await (await post("/openai/v1/chat/completions", chatBody("hi", { n: 3 }))).json()) as any;
    expect(body.choices.map((c: any) => c.index)).toEqual([0, 1, 2]);
    const stopped = (await (
      await post("/openai/v1/chat/completions", chatBody("hi", { stop: ["from"] }))
    ).json()) as any;
    expect(stopped.choices[0].message.content).toBe("Hello ");
    expect(stopped.choices[0].finish_reason).toBe("stop");
  });

  it("never echoes a directive", async () => {
    const body = (await (
      await post("/openai/v1/chat/completions", chatBody("hi [[emulate tokens=40]]"))
    ).json()) as any;
    expect(body.choices[0].message.content).not.toContain("emulate");
    expect(body.usage.completion_tokens).toBe(40);
  });

  it("applies a fault only the first `times` requests", async () => {
    const text = `[[emulate status=503 times=2]] ${nonce()}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post("/openai/v1/chat/completions", chatBody(text))).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it("scopes a directive to one provider slug", async () => {
    const text = `[[emulate@together status=500]] ${nonce()}`;
    expect((await post("/together/v1/chat/completions", chatBody(text))).status).toBe(500);
    expect((await post("/groq/openai/v1/chat/completions", chatBody(text))).status).toBe(200);
  });

  it("delays the headers by delay_ms", async () => {
    const started = Date.now();
    await post("/openai/v1/chat/completions", chatBody("[[emulate delay_ms=300]]"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("resets the connection", async () => {
    await expect(post("/openai/v1/chat/completions", chatBody("[[emulate reset]]"))).rejects.toThrow();
  });

  it("serves embeddings and legacy completions", async () => {
    const embedded = (await (
      await post("/openai/v1/embeddings", { model: "e", input: ["a", "b"], dimensions: 4 })
    ).json()) as any;
    expect(embedded.data).toHaveLength(2);
    expect(embedded.data[0].embedding).toHaveLength(4);
    const completion = (await (
      await post("/openai/v1/completions", { model: "c", prompt: "Once", max_tokens: 3 })
    ).json()) as any;
    expect(completion.object).toBe("text_completion");
    expect(completion.usage.completion_tokens).toBe(3);
  });

  it("logs requests with their outcome", async () => {
    const marker = nonce();
    await post("/openai/v1/chat/completions", chatBody(`log ${marker}`));
    const { requests } = (await (await fetch(url(`/__emulator/requests?contains=${marker}`))).json()) as any;
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ provider: "openai", outcome: "completed", status: 200 });
  });
});
