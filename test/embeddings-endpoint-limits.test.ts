import { describe, expect, it } from "vitest";
import { health } from "../src/routing/health";
import {
  BASE,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  recordedGeneration,
  totalUsage,
} from "./support/gateway";

/**
 * An endpoint whose API cannot take the request as built (Cohere's 96 texts per call, Gemini's
 * 100, Titan's one input and its output sizes) is skipped, with no call made and nothing charged,
 * and the next endpoint of the plan answers; the limit's 400 is the answer only when none could.
 */

function embed(apiKey: string, body: Record<string, unknown>) {
  return gatewayFetch(`${BASE}/embeddings`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** `count` distinct texts, the first starting with `first` so the emulator's log can be searched. */
function texts(count: number, first: string): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? first : `text ${i}`));
}

const providersCalled = async (marker: string) => (await emulatorRequests(marker)).map((r) => r.provider);

describe("embeddings endpoints that cannot take the request", () => {
  it("skips Cohere for 97 inputs and answers from the next model of `models`, charging only it", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await embed(key, {
      model: "cohere/embed-v4.0",
      models: ["cohere/embed-v4.0", "openai/text-embedding-3-small"],
      input: texts(97, `text ${marker}`),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.model).toBe("openai/text-embedding-3-small");
    expect(body.data).toHaveLength(97);
    expect(response.headers.get("x-tollgate-attempts")).toMatch(/^Cohere;status=400, (OpenAI|Azure);status=200$/);
    // OpenAI's model has two providers (OpenAI, Azure): one call to either, none to Cohere.
    expect(await providersCalled(marker)).toEqual([expect.stringMatching(/^(openai|azure)$/)]);
    await recordedGeneration(key, body.id);
    expect(await totalUsage(key)).toBe(body.usage.cost);
    // A skip is no verdict on Cohere's health.
    expect(health.snapshot("cohere:cohere/embed-v4.0")).toBeUndefined();
  });

  it("skips Titan for several inputs, and for dimensions it does not offer, when another model can take them", async () => {
    const { key } = await fundedAccount("1");
    const several = nonce();
    const response = await embed(key, {
      model: "amazon/titan-embed-text-v2",
      models: ["google/gemini-embedding-001"],
      input: [`one ${several}`, "two"],
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).model).toBe("google/gemini-embedding-001");
    expect(await providersCalled(several)).toEqual(["google-ai-studio"]);

    const sized = nonce();
    const resized = await embed(key, {
      model: "cohere/embed-v4.0",
      models: ["openai/text-embedding-3-small"],
      input: `hello ${sized}`,
      dimensions: 16,
    });
    expect(resized.status).toBe(200);
    expect(((await resized.json()) as any).model).toBe("openai/text-embedding-3-small");
    expect(await providersCalled(sized)).toEqual([expect.stringMatching(/^(openai|azure)$/)]);
  });

  it("answers the first refusal's 400, naming the limit, when no endpoint can take the request", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await embed(key, {
      model: "cohere/embed-v4.0",
      models: ["cohere/embed-v4.0", "google/gemini-embedding-001"],
      input: texts(101, `text ${marker}`),
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as any;
    expect(error.message).toMatch(/embed-v4.0 on Cohere embeds at most 96 inputs per request; got 101/);
    expect(error.metadata.attempts.map((a: any) => [a.provider, a.status])).toEqual([
      ["Cohere", 400],
      ["Google AI Studio", 400],
    ]);
    expect(error.metadata.attempts[1].reason).toMatch(/^skipped: .*at most 100 inputs per request/);
    expect(await providersCalled(marker)).toEqual([]);
    expect(await totalUsage(key)).toBe(0);
  });

  it("answers the failure of an endpoint that was called, not a skipped one's limit", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const response = await embed(key, {
      model: "cohere/embed-v4.0",
      models: ["openai/text-embedding-3-small"],
      input: texts(97, `[[emulate@openai status=500]] [[emulate@azure status=500]] ${marker}`),
    });
    expect(response.status).toBe(502);
    const { error } = (await response.json()) as any;
    expect(error.message).not.toMatch(/at most 96/);
    expect(error.metadata.attempts[0]).toMatchObject({ provider: "Cohere", status: 400 });
    expect(await providersCalled(marker)).not.toContain("cohere");
    expect(await totalUsage(key)).toBe(0);
  });
});
