import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { chat, fundedAccount, nonce, readSse, sleep } from "./support/gateway";

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

  it("sends a Server-Timing header", async () => {
    const response = await chat(key, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: nonce() }] });
    expect(response.headers.get("server-timing")).toMatch(/^plan;dur=[\d.]+, reserve;dur=[\d.]+, upstream;dur=[\d.]+$/);
  });
});
