import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fundedAccount, nonce, readSse } from "./support/gateway";

/**
 * Tollgate called from another Worker (examples/consumer) through a real service binding to the
 * `TollgateRpc` entrypoint. The consumer gets its key per request here (as a header) so each test
 * can use a fresh funded account; in production it is the TOLLGATE_KEY secret.
 */
const consumer = () => (env as unknown as { CONSUMER: Fetcher }).CONSUMER;

async function callConsumer(path: string, key: string) {
  return consumer().fetch(`http://consumer${path}`, { headers: { "x-tollgate-key": key } });
}

describe("service binding (RPC)", () => {
  it("answers a chat completion over RPC, charged to the key", async () => {
    const { key } = await fundedAccount("1");
    const response = await callConsumer(`/ask?q=${nonce()}`, key);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.id).toMatch(/^gen-/);
    expect(body.usage.cost).toBeGreaterThan(0);
  });

  it("streams a ReadableStream over RPC", async () => {
    const { key } = await fundedAccount("1");
    const { data } = await readSse(await callConsumer(`/ask?stream=1&q=${nonce()}`, key));
    expect(data.at(-1)).toBe("[DONE]");
    expect((data.at(-2) as any).usage.cost).toBeGreaterThan(0);
  });

  it("lists models and key info", async () => {
    const { key } = await fundedAccount("1");
    const models = (await (await callConsumer("/models", key)).json()) as any;
    expect(models.data.length).toBeGreaterThanOrEqual(25);
    const info = (await (await callConsumer("/key", key)).json()) as any;
    expect(info).toHaveProperty("limit_remaining");
  });

  it("refuses an unknown key with OpenRouter's error", async () => {
    const response = await callConsumer(`/ask?q=${nonce()}`, "sk-tg-v1-nope");
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.code).toBe(401);
  });

  it("serves the HTTP API through the binding's fetch", async () => {
    const { key } = await fundedAccount("1");
    const response = await callConsumer("/http/api/v1/key", key);
    expect(response.status).toBe(200);
  });
});
