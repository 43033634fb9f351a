import { describe, expect, it } from "vitest";
import { attoToNanosCeil, parseUsdToAtto } from "../../src/billing/money";
import { buildGeminiBody, geminiReasoningAllowance } from "../../src/providers/google/request";
import type { ChatRequest } from "../../src/schema/chat";
import { chat, emulatorRequests, fundedAccount, nonce, readSse, recordedGeneration } from "../support/gateway";
import { chatRequest, testTarget } from "../support/target";

/**
 * Gemini 3 through the adapter and the gateway: reasoning is steered by `thinkingLevel` (each
 * model its own levels, from the catalog's `thinking_levels`), never `thinkingBudget`, which the
 * emulator, as Google, refuses beside a level; function calls carry thought signatures that the
 * next turn must send back (the emulator, as Google, answers 400 without them).
 */

const PRO = "google/gemini-3.1-pro-preview";
const FLASH = "google/gemini-3.8-flash";
const LITE = "google/gemini-3.5-flash-lite";
const pin = { order: ["google-ai-studio"], allow_fallbacks: false };

const WEATHER = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const TIME = {
  type: "function" as const,
  function: {
    name: "get_time",
    description: "Local time in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** The upstream `thinkingConfig` the gateway sends for a reasoning setting, and the reply. */
async function thinkingSent(model: string, extra: Record<string, unknown>) {
  const { key } = await fundedAccount("2");
  const marker = nonce();
  const response = await chat(key, {
    model,
    provider: pin,
    messages: [{ role: "user", content: `think about it ${marker}` }],
    ...extra,
  });
  const reply = (await response.json()) as any;
  const [upstream] = await emulatorRequests(marker);
  return { status: response.status, reply, config: (upstream?.body as any)?.generationConfig };
}

describe("Gemini 3 reasoning ⇒ thinkingLevel, through the gateway", () => {
  it.each([
    [FLASH, "low", "LOW"],
    [FLASH, "medium", "MEDIUM"],
    [FLASH, "high", "HIGH"],
    [FLASH, "xhigh", "HIGH"],
    // 3.8 Flash and 3.1 Pro take no MINIMAL: their lowest level stands in.
    [FLASH, "minimal", "LOW"],
    [PRO, "minimal", "LOW"],
    [LITE, "minimal", "MINIMAL"],
  ])("%s: effort %s ⇒ %s", async (model, effort, level) => {
    const { status, reply, config } = await thinkingSent(model, { reasoning: { effort } });
    expect(status).toBe(200);
    expect(config.thinkingConfig).toEqual({ includeThoughts: true, thinkingLevel: level });
    expect(reply.choices[0].message.reasoning.length).toBeGreaterThan(0);
    expect(reply.usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });

  it("sends a max_tokens budget as the level nearest it, with the level's room in maxOutputTokens", async () => {
    const sent = async (budget: number) =>
      (await thinkingSent(PRO, { reasoning: { max_tokens: budget }, max_tokens: 500 })).config;
    expect(await sent(1500)).toEqual({
      maxOutputTokens: 500 + 2048,
      thinkingConfig: { includeThoughts: true, thinkingLevel: "LOW" },
    });
    expect((await sent(6000)).thinkingConfig.thinkingLevel).toBe("MEDIUM");
    expect((await sent(100000)).thinkingConfig.thinkingLevel).toBe("HIGH");
  });

  it("turns reasoning off as far as the model goes: its lowest level, no thoughts shown", async () => {
    // Gemini 3.1 Pro cannot stop thinking (no MINIMAL): LOW, thoughts hidden, still counted.
    const pro = await thinkingSent(PRO, { reasoning: { enabled: false } });
    expect(pro.status).toBe(200);
    expect(pro.config.thinkingConfig).toEqual({ includeThoughts: false, thinkingLevel: "LOW" });
    expect(pro.reply.choices[0].message.reasoning ?? null).toBeNull();
    // Flash-Lite's MINIMAL is Google's "no thinking" for most prompts.
    const lite = await thinkingSent(LITE, { reasoning: { effort: "none" } });
    expect(lite.config.thinkingConfig).toEqual({ includeThoughts: false, thinkingLevel: "MINIMAL" });
  });

  it("keeps the level and hides the thoughts when reasoning is excluded", async () => {
    const { config, reply } = await thinkingSent(FLASH, { reasoning: { effort: "high", exclude: true } });
    expect(config.thinkingConfig).toEqual({ includeThoughts: false, thinkingLevel: "HIGH" });
    expect(reply.choices[0].message.reasoning ?? null).toBeNull();
  });
});

describe("Gemini 3 reasoning mapping (adapter)", () => {
  const target = (levels: ("minimal" | "low" | "medium" | "high")[]) => {
    const t = testTarget({ slug: "google-ai-studio", model: "gemini-3.1-pro-preview", maxCompletionTokens: 65536 });
    return { ...t, endpoint: { ...t.endpoint, thinking_levels: levels } };
  };
  const config = (extra: Partial<ChatRequest>, levels: ("minimal" | "low" | "medium" | "high")[]) =>
    buildGeminiBody(chatRequest(extra), target(levels)).body.generationConfig as any;

  it("never sends a budget to a level model, and allows for the level in the hold", () => {
    const pro = ["low", "medium", "high"] as ("low" | "medium" | "high")[];
    expect(config({ reasoning_effort: "medium", max_tokens: 100 }, pro)).toEqual({
      maxOutputTokens: 100 + 8192,
      thinkingConfig: { includeThoughts: true, thinkingLevel: "MEDIUM" },
    });
    // Gemini 3 Pro (LOW and HIGH only): a medium effort is nearer HIGH than LOW (8192 vs 2048/16384).
    expect(config({ reasoning: { effort: "medium" } }, ["low", "high"]).thinkingConfig.thinkingLevel).toBe("HIGH");
    expect(config({ include_reasoning: true }, pro).thinkingConfig).toEqual({
      includeThoughts: true,
      thinkingLevel: "MEDIUM",
    });
    expect(geminiReasoningAllowance(chatRequest({ reasoning: { effort: "high" } }), target(pro).endpoint)).toBe(16384);
    // Nothing asked, nothing sent: the model's own default level.
    expect(config({}, pro)).toBeUndefined();
  });
});

describe("Gemini 3 thought signatures on function calls, through the gateway", () => {
  it("round-trips parallel calls' signature (on the first call, as Gemini gives it); without it Gemini refuses", async () => {
    const { key } = await fundedAccount("2");
    const first = (await (
      await chat(key, {
        model: PRO,
        provider: pin,
        tools: [WEATHER, TIME],
        messages: [{ role: "user", content: `call both tools for Paris ${nonce()}` }],
      })
    ).json()) as any;
    const message = first.choices[0].message;
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    expect(message.tool_calls).toHaveLength(2);
    const signed = message.reasoning_details.filter((d: any) => d.type === "reasoning.encrypted");
    expect(signed).toEqual([expect.objectContaining({ id: message.tool_calls[0].id, format: "google-gemini-v1" })]);
    const turn = (assistant: Record<string, unknown>, marker: string) =>
      chat(key, {
        model: PRO,
        provider: pin,
        tools: [WEATHER, TIME],
        messages: [
          { role: "user", content: "call both tools for Paris" },
          assistant,
          ...message.tool_calls.map((call: any) => ({ role: "tool", tool_call_id: call.id, content: "ok" })),
          { role: "user", content: `thanks ${marker}` },
        ],
      });
    const marker = nonce();
    const second = await turn(message, marker);
    expect(second.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    const parts = (upstream!.body as any).contents[1].parts;
    expect(parts.map((p: any) => p.functionCall.name)).toEqual(["get_weather", "get_time"]);
    expect(parts[0].thoughtSignature).toBe(signed[0].data);
    expect(parts[1].thoughtSignature).toBeUndefined();
    // The same turn without the signature: Gemini 3's 400, passed on as the client's error.
    const { reasoning_details: _, ...unsigned } = message;
    const refused = await turn(unsigned, nonce());
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error.message).toContain("thought_signature");
  });

  it("streams a signed call whose signature the next turn sends back", async () => {
    const { key } = await fundedAccount("2");
    const { data } = await readSse(
      await chat(key, {
        model: FLASH,
        provider: pin,
        stream: true,
        reasoning: { effort: "low" },
        tools: [WEATHER],
        messages: [{ role: "user", content: `call the weather tool ${nonce()}` }],
      }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const deltas = (data.slice(0, -1) as any[]).map((c) => c.choices[0]?.delta ?? {});
    const calls = deltas.flatMap((d) => d.tool_calls ?? []);
    expect(calls).toHaveLength(1);
    const details = deltas.flatMap((d) => d.reasoning_details ?? []);
    const signed = details.find((d: any) => d.type === "reasoning.encrypted");
    expect(signed.id).toBe(calls[0].id);
    const marker = nonce();
    const second = await chat(key, {
      model: FLASH,
      provider: pin,
      stream: true,
      reasoning: { effort: "low" },
      tools: [WEATHER],
      messages: [
        { role: "user", content: "call the weather tool" },
        { role: "assistant", content: null, tool_calls: calls, reasoning_details: details },
        { role: "tool", tool_call_id: calls[0].id, content: "18C" },
        { role: "user", content: marker },
      ],
    });
    expect(second.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    const body = upstream!.body as any;
    expect(body.contents[1].parts[0].thoughtSignature).toBe(signed.data);
    expect(body.generationConfig.thinkingConfig).toEqual({ includeThoughts: true, thinkingLevel: "LOW" });
  });
});

describe("Gemini 3.1 Pro usage and cost", () => {
  /** Google's published rates, written out apart from the catalog (USD per token). */
  const RATES = {
    short: { prompt: "0.000002", completion: "0.000012" },
    long: { prompt: "0.000004", completion: "0.000018" },
  };
  const costOf = (prompt: number, completion: number, rates: { prompt: string; completion: string }) =>
    attoToNanosCeil(
      BigInt(prompt) * parseUsdToAtto(rates.prompt) + BigInt(completion) * parseUsdToAtto(rates.completion),
    ) / 1e9;

  it.each([
    [false, 1000, RATES.short],
    [true, 1000, RATES.short],
    [false, 250_000, RATES.long],
    [true, 250_000, RATES.long],
  ])(
    "stream %s, %i prompt tokens: thoughts are reasoning tokens, cost as /generation says",
    async (stream, prompt, rates) => {
      const { key } = await fundedAccount("10");
      const response = await chat(key, {
        model: PRO,
        provider: pin,
        stream,
        reasoning: { effort: "high" },
        messages: [{ role: "user", content: `A read [[emulate prompt_tokens=${prompt} tokens=12]] ${nonce()}` }],
      });
      expect(response.status).toBe(200);
      const reply = stream
        ? ((await readSse(response)).data.filter((d) => d !== "[DONE]").at(-1) as any)
        : ((await response.json()) as any);
      const usage = reply.usage;
      expect(usage.prompt_tokens).toBe(prompt);
      const reasoning = usage.completion_tokens_details.reasoning_tokens;
      expect(reasoning).toBeGreaterThan(0);
      // Gemini's candidatesTokenCount leaves thoughts out; completion tokens hold both.
      expect(usage.completion_tokens).toBeGreaterThan(reasoning);
      expect(usage.cost).toBe(costOf(prompt, usage.completion_tokens, rates));
      const generation = await recordedGeneration(key, reply.id);
      expect(generation.total_cost).toBe(usage.cost);
      expect(generation.native_tokens_reasoning).toBe(reasoning);
    },
  );
});
