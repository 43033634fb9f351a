import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { insured } from "../src/generation/insurance";
import worker from "../src/index";
import { health } from "../src/routing/health";
import { BASE, chat, fundedAccount, nonce, readSse, recordedGeneration, totalUsage } from "./support/gateway";

/**
 * OpenRouter's zero completion insurance: a generation that ended in an error finish, or produced
 * nothing and never finished, is not charged, the provider's count of its tokens notwithstanding.
 * `ZERO_COMPLETION_INSURANCE=off` charges them as any other.
 */
// Asked not to think, so its tokens are all text (as Gemini 2.0 Flash's were, until its shutdown).
const ONLY_GEMINI = {
  model: "google/gemini-2.5-flash-lite",
  provider: { allow_fallbacks: false },
  reasoning: { enabled: false },
};

/** A stream that fails after five tokens with Gemini's own error finish (OTHER). */
const failingLate = (marker: string) => ({
  ...ONLY_GEMINI,
  stream: true,
  messages: [{ role: "user", content: `fail late [[emulate error_finish=OTHER tokens=5]] ${marker}` }],
});

/** The account's total usage (USD) once the generation `id` is recorded (settled). */
async function usageAfter(key: string, id: string): Promise<number> {
  await recordedGeneration(key, id);
  return totalUsage(key);
}

describe("zero completion insurance", () => {
  it("an error finish costs the account nothing", async () => {
    health.reset();
    const { key } = await fundedAccount("1");
    const { data } = await readSse(await chat(key, failingLate(nonce())));
    const last = data.at(-2) as { id: string; usage: { completion_tokens: number; cost: number } };
    expect(last.usage.completion_tokens).toBe(5);
    expect(last.usage.cost).toBe(0);
    expect(await usageAfter(key, last.id)).toBe(0);
  });

  it("a reply that finished cleanly with no completion tokens is still charged for its prompt", async () => {
    health.reset();
    const { key } = await fundedAccount("1");
    const response = await chat(key, {
      ...ONLY_GEMINI,
      messages: [{ role: "user", content: `say nothing [[emulate tokens=0]] ${nonce()}` }],
    });
    const body = (await response.json()) as {
      id: string;
      choices: { finish_reason: string }[];
      usage: { completion_tokens: number; cost: number };
    };
    expect(body.usage.completion_tokens).toBe(0);
    expect(body.choices[0]?.finish_reason).toBe("stop");
    expect(body.usage.cost).toBeGreaterThan(0);
    expect(await usageAfter(key, body.id)).toBeCloseTo(body.usage.cost, 12);
  });

  it("ZERO_COMPLETION_INSURANCE=off charges an error finish for what the provider counted", async () => {
    health.reset();
    const { key } = await fundedAccount("1");
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(failingLate(nonce())),
      }),
      { ...env, ZERO_COMPLETION_INSURANCE: "off" },
      ctx,
    );
    const { data } = await readSse(response);
    await waitOnExecutionContext(ctx);
    const last = data.at(-2) as { id: string; usage: { completion_tokens: number; cost: number } };
    expect(last.usage.completion_tokens).toBe(5);
    expect(last.usage.cost).toBeGreaterThan(0);
    expect(await usageAfter(key, last.id)).toBeCloseTo(last.usage.cost, 12);
  });

  it("covers an error finish, and a generation with no tokens and no finish; nothing else", () => {
    const on = {};
    expect(insured(on, { finishReasons: ["error"], completionTokens: 40 })).toBe(true);
    expect(insured(on, { finishReasons: ["error", "error"], completionTokens: 40 })).toBe(true);
    expect(insured(on, { finishReasons: [null], completionTokens: 0 })).toBe(true);
    // A choice that finished, or tokens produced, are charged.
    expect(insured(on, { finishReasons: ["error", "stop"], completionTokens: 40 })).toBe(false);
    expect(insured(on, { finishReasons: ["stop"], completionTokens: 0 })).toBe(false);
    expect(insured(on, { finishReasons: [null], completionTokens: 3 })).toBe(false);
    expect(insured(on, { finishReasons: ["length"], completionTokens: 3 })).toBe(false);
    expect(insured({ ZERO_COMPLETION_INSURANCE: "off" }, { finishReasons: ["error"], completionTokens: 40 })).toBe(
      false,
    );
  });
});
