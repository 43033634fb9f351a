import { describe, expect, it } from "vitest";
import { chat, emulatorRequests, fundedAccount, nonce, recordedGeneration } from "../support/gateway";

/**
 * OpenAI's GPT-6 models through the real gateway and the OpenAI emulator (their Responses API,
 * test/providers/openai-responses.test.ts), which refuses the efforts each model lacks as OpenAI does: every model answers, its effort is sent as it takes it,
 * and its cost is its tokens at the catalog's prices, as /generation records it.
 */
// The catalog's short-context prices, USD per token (prompt, completion).
const MODELS = [
  { id: "openai/gpt-6.1-sol", prompt: 2 / 1e6, completion: 10 / 1e6 },
  { id: "openai/gpt-6.1-terra", prompt: 1 / 1e6, completion: 5 / 1e6 },
  { id: "openai/gpt-6-luna", prompt: 0.1 / 1e6, completion: 0.5 / 1e6 },
];

const upstreamBody = async (marker: string) => (await emulatorRequests(marker))[0]!.body as any;

describe("GPT-6 through the gateway", () => {
  for (const m of MODELS) {
    it(`${m.id} answers, charged its tokens at the catalog's prices`, async () => {
      const { key } = await fundedAccount("10");
      const marker = nonce();
      const response = await chat(key, {
        model: m.id,
        reasoning: { effort: "high" },
        messages: [{ role: "user", content: `hello ${marker}` }],
      });
      expect(response.status).toBe(200);
      const reply = (await response.json()) as any;
      expect(reply.choices[0].message.content).toBeTruthy();
      const body = await upstreamBody(marker);
      expect(body.model).toBe(m.id.slice("openai/".length));
      expect(body.reasoning.effort).toBe("high");
      const cost = reply.usage.prompt_tokens * m.prompt + reply.usage.completion_tokens * m.completion;
      expect(reply.usage.cost).toBeCloseTo(cost, 12);
      expect((await recordedGeneration(key, reply.id)).total_cost).toBeCloseTo(cost, 12);
    });
  }

  it("sends each model the effort it takes: none kept where it exists, else low; minimal is low; xhigh kept", async () => {
    const { key } = await fundedAccount("10");
    for (const [model, effort, sent] of [
      ["openai/gpt-6.1-sol", "none", "low"],
      ["openai/gpt-6.1-sol", "minimal", "low"],
      ["openai/gpt-6.1-sol", "xhigh", "xhigh"],
      ["openai/gpt-6.1-terra", "none", "none"],
      ["openai/gpt-6-luna", "minimal", "low"],
    ] as const) {
      const marker = nonce();
      const response = await chat(key, {
        model,
        reasoning_effort: effort,
        messages: [{ role: "user", content: `effort ${marker}` }],
      });
      expect(response.status, `${model} ${effort}`).toBe(200);
      expect((await upstreamBody(marker)).reasoning.effort, `${model} ${effort}`).toBe(sent);
    }
  });
});
