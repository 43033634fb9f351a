import { describe, expect, it } from "vitest";
import {
  chat,
  emulatorRequests,
  fundedAccount,
  nonce,
  readSse,
  recordedGeneration,
  WEATHER_TOOL,
} from "../support/gateway";

/**
 * The Claude 5.5 models through the real gateway and the Anthropic emulator, which refuses what
 * the real API refuses for them (budget thinking, non-default sampling, forced tools on Opus and
 * Sonnet 5.5): adaptive thinking with output_config.effort, native structured output.
 */
const SONNET = "anthropic/claude-sonnet-5.5";
const OPUS = "anthropic/claude-opus-5.5";
// The models are served by Bedrock too: these requests are Anthropic's.
const ANTHROPIC = { only: ["anthropic"] };
// The catalog's Sonnet 5.5 prices, USD per token.
const PROMPT_USD = 2 / 1e6;
const COMPLETION_USD = 10 / 1e6;

const upstreamBody = async (marker: string) => (await emulatorRequests(marker))[0]!.body as any;

describe("Claude 5.5 through the gateway", () => {
  it("sends reasoning effort as adaptive thinking with output_config.effort (xhigh as the nearest it takes)", async () => {
    const { key } = await fundedAccount("10");
    for (const [effort, sent] of [
      ["low", "low"],
      ["xhigh", "high"],
    ] as const) {
      const marker = nonce();
      const response = await chat(key, {
        model: SONNET,
        provider: ANTHROPIC,
        reasoning: { effort },
        messages: [{ role: "user", content: `think ${marker}` }],
      });
      expect(response.status).toBe(200);
      const body = await upstreamBody(marker);
      expect(body.thinking).toEqual({ type: "adaptive", display: "summarized" });
      expect(body.output_config).toEqual({ effort: sent });
      expect(body.max_tokens).toBeLessThanOrEqual(128000);
    }
  });

  it("sends enabled alone as adaptive thinking with no effort, and a max_tokens budget as the nearest effort", async () => {
    const { key } = await fundedAccount("10");
    const alone = nonce();
    expect(
      (
        await chat(key, {
          model: OPUS,
          provider: ANTHROPIC,
          reasoning: { enabled: true },
          messages: [{ role: "user", content: alone }],
        })
      ).status,
    ).toBe(200);
    const aloneBody = await upstreamBody(alone);
    expect(aloneBody.thinking).toEqual({ type: "adaptive", display: "summarized" });
    expect(aloneBody.output_config).toBeUndefined();
    const budget = nonce();
    const response = await chat(key, {
      model: OPUS,
      provider: ANTHROPIC,
      reasoning: { max_tokens: 2000, exclude: true },
      messages: [{ role: "user", content: budget }],
    });
    expect(response.status).toBe(200);
    const body = await upstreamBody(budget);
    expect(body.thinking).toEqual({ type: "adaptive", display: "omitted" });
    expect(body.output_config).toEqual({ effort: "low" });
    expect(((await response.json()) as any).choices[0].message.reasoning ?? null).toBeNull();
  });

  it("drops temperature, top_p and top_k, naming them, where the model takes only the defaults", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const response = await chat(key, {
      model: SONNET,
      provider: ANTHROPIC,
      temperature: 0.2,
      top_p: 0.9,
      messages: [{ role: "user", content: marker }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toMatch(/temperature/);
    expect(response.headers.get("x-tollgate-dropped-params")).toMatch(/top_p/);
    const body = await upstreamBody(marker);
    expect(body.temperature).toBeUndefined();
    expect(body.top_p).toBeUndefined();
  });

  it("sends json_schema as output_config.format and answers with the JSON text", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const response = await chat(key, {
      model: SONNET,
      provider: ANTHROPIC,
      response_format: { type: "json_schema", json_schema: { name: "place", schema } },
      messages: [{ role: "user", content: marker }],
    });
    expect(response.status).toBe(200);
    const body = await upstreamBody(marker);
    expect(body.output_config).toEqual({ format: { type: "json_schema", schema } });
    expect(body.tools).toBeUndefined();
    expect(body.tool_choice).toBeUndefined();
    const reply = (await response.json()) as any;
    expect(typeof JSON.parse(reply.choices[0].message.content).city).toBe("string");
    expect(reply.choices[0].finish_reason).toBe("stop");
  });

  it("keeps the forced json tool for the older models, unchanged", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const response = await chat(key, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      response_format: { type: "json_schema", json_schema: { name: "place", schema: { type: "object" } } },
      messages: [{ role: "user", content: marker }],
    });
    expect(response.status).toBe(200);
    const body = await upstreamBody(marker);
    expect(body.output_config).toBeUndefined();
    expect(body.tool_choice).toEqual({ type: "tool", name: "json_output" });
  });

  it("offers the tools where the model refuses a forced one, naming tool_choice as dropped", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const response = await chat(key, {
      model: OPUS,
      provider: ANTHROPIC,
      tools: [WEATHER_TOOL],
      tool_choice: "required",
      messages: [{ role: "user", content: `weather ${marker}` }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toMatch(/tool_choice/);
    expect((await upstreamBody(marker)).tool_choice).toEqual({ type: "auto" });
  });

  it("round-trips thinking with its signature, and charges thinking tokens as reasoning at catalog prices", async () => {
    const { key } = await fundedAccount("10");
    const first = await chat(key, {
      model: SONNET,
      provider: ANTHROPIC,
      reasoning: { effort: "medium" },
      messages: [{ role: "user", content: `think ${nonce()}` }],
    });
    expect(first.status).toBe(200);
    const reply = (await first.json()) as any;
    const details = reply.choices[0].message.reasoning_details;
    expect(details[0].signature).toMatch(/^sig_/);
    expect(details[0].text).toBe(reply.choices[0].message.reasoning);
    const usage = reply.usage;
    expect(usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens_details.reasoning_tokens).toBeLessThanOrEqual(usage.completion_tokens);
    const cost = usage.prompt_tokens * PROMPT_USD + usage.completion_tokens * COMPLETION_USD;
    expect(usage.cost).toBeCloseTo(cost, 12);
    const generation = await recordedGeneration(key, reply.id);
    expect(generation.total_cost).toBeCloseTo(cost, 12);
    expect(generation.native_tokens_reasoning ?? usage.completion_tokens_details.reasoning_tokens).toBe(
      usage.completion_tokens_details.reasoning_tokens,
    );

    const marker = nonce();
    const second = await chat(key, {
      model: SONNET,
      provider: ANTHROPIC,
      reasoning: { effort: "medium" },
      messages: [
        { role: "user", content: "think" },
        { role: "assistant", content: reply.choices[0].message.content, reasoning_details: details },
        { role: "user", content: `again ${marker}` },
      ],
    });
    expect(second.status).toBe(200);
    expect((await upstreamBody(marker)).messages[1].content[0]).toEqual({
      type: "thinking",
      thinking: details[0].text,
      signature: details[0].signature,
    });
  });

  it("streams thinking with its signature and the usage of the whole reply", async () => {
    const { key } = await fundedAccount("10");
    const prompt = `think ${nonce()}`;
    const ask = (stream: boolean) =>
      chat(key, {
        model: SONNET,
        provider: ANTHROPIC,
        reasoning: { effort: "high" },
        messages: [{ role: "user", content: prompt }],
        stream,
      });
    const whole = (await (await ask(false)).json()) as any;
    const { data } = await readSse(await ask(true));
    const chunks = data.slice(0, -1) as any[];
    const deltas = chunks.flatMap((c) => c.choices.map((ch: any) => ch.delta));
    expect(deltas.map((d) => d.reasoning ?? "").join("")).toBe(whole.choices[0].message.reasoning);
    const signed = deltas.flatMap((d) => d.reasoning_details ?? []).filter((d: any) => d.signature);
    expect(signed).toHaveLength(1);
    expect(signed[0].signature).toBe(whole.choices[0].message.reasoning_details[0].signature);
    const usage = chunks.at(-1).usage;
    expect(usage.completion_tokens).toBe(whole.usage.completion_tokens);
    expect(usage.completion_tokens_details.reasoning_tokens).toBe(
      whole.usage.completion_tokens_details.reasoning_tokens,
    );
    expect(usage.cost).toBeCloseTo(usage.prompt_tokens * PROMPT_USD + usage.completion_tokens * COMPLETION_USD, 12);
  });
});
