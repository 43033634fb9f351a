import { describe, expect, it } from "vitest";
import { chat, emulatorRequests, fundedAccount, nonce, recordedGeneration, WEATHER_TOOL } from "../support/gateway";

/**
 * The Claude 5.5 models on Bedrock, through the real gateway and the Bedrock emulator, which
 * refuses what the models refuse (budget thinking, non-default sampling, forced tools on Opus and
 * Sonnet 5.5): asked as on Anthropic, with adaptive thinking and output_config.effort in
 * Converse's additionalModelRequestFields.
 */
const SONNET = "anthropic/claude-sonnet-5.5";
const OPUS = "anthropic/claude-opus-5.5";
const BEDROCK = { only: ["amazon-bedrock"] };
// The catalog's Sonnet 5.5 prices on Bedrock's global profile, USD per token.
const PROMPT_USD = 2 / 1e6;
const COMPLETION_USD = 10 / 1e6;

const upstream = async (marker: string) => (await emulatorRequests(marker))[0]!;

describe("Claude 5.5 on Bedrock through the gateway", () => {
  it("sends reasoning effort as adaptive thinking with output_config.effort (xhigh as the nearest it takes)", async () => {
    const { key } = await fundedAccount("10");
    for (const [effort, sent] of [
      ["low", "low"],
      ["xhigh", "high"],
    ] as const) {
      const marker = nonce();
      const response = await chat(key, {
        model: SONNET,
        provider: BEDROCK,
        reasoning: { effort },
        messages: [{ role: "user", content: `think ${marker}` }],
      });
      expect(response.status).toBe(200);
      const call = await upstream(marker);
      expect(call.path).toContain("global.anthropic.claude-sonnet-5-5");
      const body = call.body as any;
      expect(body.additionalModelRequestFields).toEqual({
        thinking: { type: "adaptive", display: "summarized" },
        output_config: { effort: sent },
      });
      expect(body.inferenceConfig.maxTokens).toBeLessThanOrEqual(128000);
    }
  });

  it("drops temperature, top_p and top_k, naming them, where the model takes only the defaults", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const response = await chat(key, {
      model: SONNET,
      provider: BEDROCK,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 5,
      messages: [{ role: "user", content: marker }],
    });
    expect(response.status).toBe(200);
    const dropped = response.headers.get("x-tollgate-dropped-params") ?? "";
    for (const name of ["temperature", "top_p", "top_k"]) expect(dropped).toMatch(name);
    const body = (await upstream(marker)).body as any;
    expect(body.inferenceConfig.temperature).toBeUndefined();
    expect(body.inferenceConfig.topP).toBeUndefined();
    expect(body.additionalModelRequestFields?.top_k).toBeUndefined();
  });

  it("offers the tools where the model refuses a forced one, json_schema's tool included", async () => {
    const { key } = await fundedAccount("10");
    const marker = nonce();
    const response = await chat(key, {
      model: OPUS,
      provider: BEDROCK,
      tools: [WEATHER_TOOL],
      tool_choice: "required",
      messages: [{ role: "user", content: `weather ${marker}` }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toMatch(/tool_choice/);
    expect(((await upstream(marker)).body as any).toolConfig.toolChoice).toEqual({ auto: {} });

    const json = nonce();
    const answer = await chat(key, {
      model: OPUS,
      provider: BEDROCK,
      response_format: { type: "json_schema", json_schema: { name: "place", schema: { type: "object" } } },
      messages: [{ role: "user", content: json }],
    });
    expect(answer.status).toBe(200);
    const body = (await upstream(json)).body as any;
    expect(body.toolConfig.toolChoice).toBeUndefined();
    expect(body.toolConfig.tools.map((t: any) => t.toolSpec.name)).toEqual(["json_output"]);
    expect(JSON.stringify(body.system)).toMatch(/json_output/);
  });

  it("round-trips thinking with its signature, and charges tokens at the catalog's Bedrock prices", async () => {
    const { key } = await fundedAccount("10");
    const first = await chat(key, {
      model: SONNET,
      provider: BEDROCK,
      reasoning: { effort: "medium" },
      messages: [{ role: "user", content: `think ${nonce()}` }],
    });
    expect(first.status).toBe(200);
    const reply = (await first.json()) as any;
    const message = reply.choices[0].message;
    expect(message.reasoning).toBeTruthy();
    expect(message.reasoning_details[0].signature).toMatch(/^sig_/);
    const usage = reply.usage;
    const cost = usage.prompt_tokens * PROMPT_USD + usage.completion_tokens * COMPLETION_USD;
    expect(usage.cost).toBeCloseTo(cost, 12);
    expect((await recordedGeneration(key, reply.id)).total_cost).toBeCloseTo(cost, 12);

    const marker = nonce();
    const second = await chat(key, {
      model: SONNET,
      provider: BEDROCK,
      reasoning: { effort: "medium" },
      messages: [
        { role: "user", content: "think" },
        { role: "assistant", content: message.content, reasoning_details: message.reasoning_details },
        { role: "user", content: `again ${marker}` },
      ],
    });
    expect(second.status).toBe(200);
    expect(((await upstream(marker)).body as any).messages[1].content[0]).toEqual({
      reasoningContent: {
        reasoningText: { text: message.reasoning_details[0].text, signature: message.reasoning_details[0].signature },
      },
    });
  });
});
