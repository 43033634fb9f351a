import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { CATALOG_KV_KEY } from "../src/catalog/store";
import type { Endpoint, Model } from "../src/catalog/types";
import { parseAnthropicResponse } from "../src/providers/anthropic/response";
import { parseBedrockResponse } from "../src/providers/bedrock/response";
import { putCatalog, withGroqServingLlama } from "./support/catalog";
import { chat, emulatorRequests, fundedAccount, nonce, WEATHER_TOOL } from "./support/gateway";

/**
 * Request parameters as each provider receives them, through the gateway: named and shaped as the
 * provider's API takes them, or left out where it has no equivalent.
 */

/**
 * Request shapes only retired models had, kept reachable by adding those models back to this file's
 * catalog (an operator's catalog may still list them, or a model shaped like them): an o-series
 * model (no parallel_tool_calls, effort low | medium | high), Gemini 2.0 (penalties) and Grok 4
 * (always reasons, refuses reasoning_effort). Each is a live model's entry under the old upstream id.
 */
const O4_MINI = "tollgate-test/o4-mini";
const GEMINI_2_0 = "tollgate-test/gemini-2.0-flash";
const GROK_4 = "tollgate-test/grok-4";

function retiredShape(id: string, from: string, upstreamId: string, parameters: string[]): Model {
  const live = defaultCatalog.models.find((m) => m.id === from) as Model;
  const endpoint = live.endpoints[0] as Endpoint;
  return {
    ...live,
    id,
    canonical_slug: id,
    endpoints: [{ ...endpoint, provider_model_id: upstreamId, supported_parameters: parameters }],
  };
}

const JSON_OUT = ["response_format", "structured_outputs"];
const RETIRED_SHAPES = [
  retiredShape(O4_MINI, "openai/gpt-4o-mini", "o4-mini", [
    "max_tokens",
    "seed",
    "tools",
    "tool_choice",
    ...JSON_OUT,
    "reasoning",
    "include_reasoning",
  ]),
  retiredShape(GEMINI_2_0, "google/gemini-2.5-flash-lite", "gemini-2.0-flash-001", [
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "top_k",
    "tools",
    "tool_choice",
    ...JSON_OUT,
  ]),
  retiredShape(GROK_4, "x-ai/grok-4.3", "grok-4", [
    "max_tokens",
    "temperature",
    "top_p",
    "seed",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    ...JSON_OUT,
    "reasoning",
    "include_reasoning",
  ]),
];

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("10"));
  // Groq serving Llama 3.3 and Qwen 3 too (withGroqServingLlama): its models without a JSON schema.
  const groqServing = withGroqServingLlama();
  await putCatalog({ ...groqServing, models: [...groqServing.models, ...RETIRED_SHAPES] }, GROK_4);
});
afterAll(async () => {
  await env.CATALOG.delete(CATALOG_KV_KEY);
});

/** The body of the one upstream call the request carrying `marker` made. */
async function upstreamBody(marker: string): Promise<Record<string, any>> {
  const calls = await emulatorRequests(marker);
  expect(calls).toHaveLength(1);
  return (calls[0] as (typeof calls)[number]).body as Record<string, any>;
}

const ask = (marker: string, extra: Record<string, unknown>) =>
  chat(key, { messages: [{ role: "user", content: `Say hello ${marker}` }], max_tokens: 50, ...extra });

describe("stop", () => {
  // OpenAI's clients send "" for "no stop" in places; Claude refuses an empty stop sequence (400
  // "each stop sequence must be non-empty") and Converse one shorter than a character.
  it.each([
    ["anthropic", "stop_sequences"],
    ["amazon-bedrock", "inferenceConfig.stopSequences"],
  ])("%s is sent the non-empty sequences only, and answers", async (provider, field) => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: [provider] },
      stop: ["", "END"],
    });
    expect(response.status).toBe(200);
    const body = await upstreamBody(marker);
    const sent = field.split(".").reduce((value, name) => value?.[name], body as any);
    expect(sent).toEqual(["END"]);
  });

  it.each(["anthropic", "amazon-bedrock"])('%s is sent no stop sequences for stop: ""', async (provider) => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: [provider] },
      stop: "",
    });
    expect(response.status).toBe(200);
    const body = await upstreamBody(marker);
    expect(body.stop_sequences).toBeUndefined();
    expect(body.inferenceConfig?.stopSequences).toBeUndefined();
  });
});

describe("whitespace-only stop sequences", () => {
  // Claude refuses them (400 "stop_sequences: each stop sequence must contain non-whitespace"),
  // on Bedrock too: they are left out, and `stop` is named as dropped, since "\n" meant something.
  it.each([
    ["anthropic", "stop_sequences"],
    ["amazon-bedrock", "inferenceConfig.stopSequences"],
  ])("%s is sent the others only, answers, and names stop as dropped", async (provider, field) => {
    for (const [stop, expected] of [
      [["\n", " \t", "END"], ["END"]],
      ["\n\n", undefined],
    ] as const) {
      const marker = nonce();
      const response = await ask(marker, { model: "anthropic/claude-haiku-4.5", provider: { only: [provider] }, stop });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-tollgate-dropped-params")).toBe("stop");
      const body = await upstreamBody(marker);
      expect(field.split(".").reduce((value, name) => value?.[name], body as any)).toEqual(expected);
    }
  });

  it("with provider.require_parameters, a Claude endpoint, which cannot honour them, is not called", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"], require_parameters: true },
      stop: ["\n"],
    });
    // Anthropic is the only endpoint allowed, and it cannot honour "\n": none is left to answer.
    expect(response.status).not.toBe(200);
    expect(await emulatorRequests(marker)).toHaveLength(0);
  });
});

describe("more stop sequences than OpenAI's four", () => {
  const stop = ["a1", "a2", "a3", "a4", "a5"];
  // OpenAI refuses a fifth (400 "'stop': array too long"), as Azure, Groq and xAI do.
  it("no OpenAI endpoint takes them: a 400 naming the limit, with no call made", async () => {
    const marker = nonce();
    const response = await ask(marker, { model: "openai/gpt-4o", stop });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("takes at most 4 stop sequences");
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("Groq is skipped with no call, and the next provider answers with all of them", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "meta-llama/llama-3.3-70b-instruct",
      provider: { order: ["groq", "together"], allow_fallbacks: false },
      stop,
    });
    expect(response.status).toBe(200);
    expect((await emulatorRequests(marker)).map((call) => call.provider)).toEqual(["together"]);
    expect((await upstreamBody(marker)).stop).toEqual(stop);
  });

  it("four still reach OpenAI", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "openai/gpt-4o",
      provider: { only: ["openai"] },
      stop: stop.slice(0, 4),
    });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker)).stop).toEqual(stop.slice(0, 4));
  });
});

describe("parallel_tool_calls: false", () => {
  const tools = [WEATHER_TOOL];
  it("Anthropic is sent disable_parallel_tool_use", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      tools,
      parallel_tool_calls: false,
    });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker)).tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true });
  });

  // Converse's toolChoice has no switch for it: Bedrock must not be taken as honouring it.
  it("with require_parameters, goes to Anthropic rather than Bedrock, which cannot honour it", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { order: ["amazon-bedrock", "anthropic"], require_parameters: true },
      tools,
      parallel_tool_calls: false,
    });
    expect(response.status).toBe(200);
    const calls = await emulatorRequests(marker);
    expect(calls.map((call) => call.provider)).toEqual(["anthropic"]);
  });

  it("Bedrock without require_parameters answers and names it dropped", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["amazon-bedrock"] },
      tools,
      parallel_tool_calls: false,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("parallel_tool_calls");
  });
});

describe("reasoning to an OpenAI-format reasoning model (reasoning_effort)", () => {
  const sent = async (extra: Record<string, unknown>) => {
    const marker = nonce();
    const response = await ask(marker, { model: O4_MINI, max_tokens: 10000, ...extra });
    expect(response.status).toBe(200);
    return (await upstreamBody(marker)).reasoning_effort;
  };

  it("an effort is sent as asked", async () => {
    expect(await sent({ reasoning: { effort: "high" } })).toBe("high");
    expect(await sent({ reasoning_effort: "low" })).toBe("low");
  });

  // OpenRouter: for models that take only an effort, reasoning.max_tokens sets the effort by its
  // share of the output (low ≈ 20%, medium ≈ 50%, high ≈ 80%).
  it("a token budget becomes the effort whose share of max_tokens is nearest", async () => {
    expect(await sent({ reasoning: { max_tokens: 2000 } })).toBe("low");
    expect(await sent({ reasoning: { max_tokens: 5000 } })).toBe("medium");
    expect(await sent({ reasoning: { max_tokens: 8000 } })).toBe("high");
  });

  it("reasoning only enabled is the medium effort; turned off sends none", async () => {
    expect(await sent({ reasoning: { enabled: true } })).toBe("medium");
    expect(await sent({ reasoning: { enabled: false, effort: "high" } })).toBeUndefined();
  });
});

describe("frequency_penalty and presence_penalty to Gemini", () => {
  it("Gemini 2.0 is sent them as frequencyPenalty and presencePenalty", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: GEMINI_2_0,
      frequency_penalty: 0.5,
      presence_penalty: -0.25,
    });
    expect(response.status).toBe(200);
    const config = (await upstreamBody(marker)).generationConfig;
    expect(config).toMatchObject({ frequencyPenalty: 0.5, presencePenalty: -0.25 });
  });

  // Gemini 2.5 refuses any penalty (400 "Penalty is not enabled for models/gemini-2.5-flash-lite").
  it("Gemini 2.5 Flash-Lite is not sent them: it answers, and they are named dropped", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "google/gemini-2.5-flash-lite",
      frequency_penalty: 0.5,
      presence_penalty: 0.5,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("frequency_penalty, presence_penalty");
    const config = (await upstreamBody(marker)).generationConfig ?? {};
    expect(config.frequencyPenalty).toBeUndefined();
    expect(config.presencePenalty).toBeUndefined();
  });

  it("with require_parameters, a Gemini 2.5 model has no endpoint for them: a 404 that says why", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "google/gemini-2.5-flash-lite",
      frequency_penalty: 0.5,
      provider: { require_parameters: true },
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("frequency_penalty");
    expect(await emulatorRequests(marker)).toEqual([]);
  });
});

describe("reasoning to xAI", () => {
  const call = async (model: string, reasoning: Record<string, unknown>) => {
    const marker = nonce();
    const response = await ask(marker, { model, reasoning });
    expect(response.status).toBe(200);
    return { response, body: await upstreamBody(marker) };
  };

  // grok-3-mini takes reasoning_effort low or high, nothing else.
  it("grok-3-mini is sent low or high", async () => {
    expect((await call("x-ai/grok-3-mini", { effort: "high" })).body.reasoning_effort).toBe("high");
    expect((await call("x-ai/grok-3-mini", { effort: "xhigh" })).body.reasoning_effort).toBe("high");
    expect((await call("x-ai/grok-3-mini", { effort: "medium" })).body.reasoning_effort).toBe("low");
    expect((await call("x-ai/grok-3-mini", { effort: "minimal" })).body.reasoning_effort).toBe("low");
    expect((await call("x-ai/grok-3-mini", { enabled: true })).body.reasoning_effort).toBe("low");
  });

  // grok-4 always reasons and refuses reasoning_effort (400 "does not support parameter reasoningEffort").
  it("grok-4 is sent no reasoning_effort, answers, and names reasoning dropped", async () => {
    const { response, body } = await call(GROK_4, { effort: "high" });
    expect(body.reasoning_effort).toBeUndefined();
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("reasoning");
  });
});

describe("reasoning effort to OpenAI's o-series", () => {
  // o4-mini takes low | medium | high; OpenRouter maps an effort a model lacks to the nearest.
  it.each([
    ["minimal", "low"],
    ["none", "low"],
    ["xhigh", "high"],
    ["medium", "medium"],
  ])("%s is sent as %s", async (asked, sent) => {
    const marker = nonce();
    const response = await ask(marker, { model: O4_MINI, reasoning: { effort: asked } });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker)).reasoning_effort).toBe(sent);
  });
});

describe("reasoning effort to Fireworks", () => {
  // Fireworks takes low | medium | high, and none where thinking can be turned off (Qwen 3).
  it.each([
    [{ effort: "none" }, "none", null],
    [{ enabled: false }, "none", null],
    [{ effort: "minimal" }, "low", null],
    [{ effort: "xhigh" }, "high", null],
  ])("Qwen 3: %o is sent as %s", async (reasoning, sent, dropped) => {
    const marker = nonce();
    const response = await ask(marker, { model: "qwen/qwen3-235b-a22b", provider: { only: ["fireworks"] }, reasoning });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe(dropped);
    expect((await upstreamBody(marker)).reasoning_effort).toBe(sent);
  });

  it("R1, which always reasons, is sent no effort for none, answers, and names reasoning dropped", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "deepseek/deepseek-r1",
      provider: { only: ["fireworks"] },
      reasoning: { effort: "none" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("reasoning");
    expect((await upstreamBody(marker)).reasoning_effort).toBeUndefined();
  });
});

describe("prediction (Predicted Outputs)", () => {
  const prediction = { type: "content", content: "Hello there, friend." };
  it.each([
    ["openai/gpt-4o", "openai"],
    ["mistralai/mistral-large", "mistral"],
  ])("%s is sent it (%s takes it)", async (model, provider) => {
    const marker = nonce();
    const response = await ask(marker, { model, provider: { only: [provider] }, prediction });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker)).prediction).toEqual(prediction);
  });

  it("a provider without it is not sent it", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "meta-llama/llama-3.3-70b-instruct",
      provider: { only: ["together"] },
      prediction,
    });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker)).prediction).toBeUndefined();
  });
});

describe("verbosity", () => {
  // Only GPT-5-style models take it (gpt-4o: 400 "'verbosity' does not support 'low' with this model").
  it("an endpoint that does not list it is not sent it, and names it dropped", async () => {
    const marker = nonce();
    const response = await ask(marker, { model: "openai/gpt-4o", verbosity: "low" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("verbosity");
    expect((await upstreamBody(marker)).verbosity).toBeUndefined();
  });

  it("with require_parameters, a model with no endpoint for it is a 404 naming it", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "openai/gpt-4o",
      verbosity: "low",
      provider: { require_parameters: true },
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("verbosity");
    expect(await emulatorRequests(marker)).toEqual([]);
  });
});

describe("n", () => {
  // Claude (direct or on Bedrock) answers with one choice: the client is told n was not honoured.
  it.each(["anthropic", "amazon-bedrock"])("%s answers one choice and names n dropped", async (provider) => {
    const marker = nonce();
    const response = await ask(marker, { model: "anthropic/claude-haiku-4.5", provider: { only: [provider] }, n: 2 });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("n");
    expect(((await response.json()) as { choices: unknown[] }).choices).toHaveLength(1);
  });
});

describe("response_format with tools to Gemini and Cohere", () => {
  // Gemini before 3 refuses functions with a JSON response (400 "Function calling with a response
  // mime type: 'application/json' is unsupported"): the tools are kept, the format named dropped.
  it.each([
    [{ type: "json_object" }, "response_format"],
    [{ type: "json_schema", json_schema: { name: "out", schema: { type: "object" } } }, "structured_outputs"],
  ])("%o: Gemini 2.5 answers with the tools and names the format dropped", async (format, name) => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "google/gemini-2.5-flash-lite",
      tools: [WEATHER_TOOL],
      response_format: format,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe(name);
    const body = await upstreamBody(marker);
    expect(body.tools[0].functionDeclarations[0].name).toBe("get_weather");
    expect(body.generationConfig?.responseMimeType).toBeUndefined();
  });

  // Cohere's API reference: response_format "is not supported when used in combinations with the
  // documents or tools parameters".
  it("Cohere answers with the tools and names the format dropped", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "cohere/command-a",
      tools: [WEATHER_TOOL],
      response_format: { type: "json_object" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("response_format");
    const body = await upstreamBody(marker);
    expect(body.tools[0].function.name).toBe("get_weather");
    expect(body.response_format).toBeUndefined();
  });

  it("without tools, the JSON response is still asked", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "google/gemini-2.5-flash-lite",
      response_format: { type: "json_object" },
    });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker)).generationConfig.responseMimeType).toBe("application/json");
  });
});

describe("response_format json_schema with the client's own tools, to Claude", () => {
  const format = { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" } } };
  // Claude carries json_schema on a tool of its own (json_output). Forced, it kept Claude from ever
  // calling the client's tools: an agent loop with tools and a structured final answer never ran.
  it("Anthropic offers the JSON tool beside the client's, the client's tool_choice standing", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      tools: [WEATHER_TOOL],
      response_format: format,
    });
    expect(response.status).toBe(200);
    const body = await upstreamBody(marker);
    expect(body.tools.map((t: { name: string }) => t.name)).toEqual(["get_weather", "json_output"]);
    expect(body.tool_choice).toEqual({ type: "auto" });
  });

  it("Bedrock offers the JSON tool beside the client's, with no forced choice", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["amazon-bedrock"] },
      tools: [WEATHER_TOOL],
      response_format: format,
    });
    expect(response.status).toBe(200);
    const config = (await upstreamBody(marker)).toolConfig;
    expect(config.tools.map((t: { toolSpec: { name: string } }) => t.toolSpec.name)).toEqual([
      "get_weather",
      "json_output",
    ]);
    expect(config.toolChoice).toBeUndefined();
  });

  it("without tools of the client's (or with tool_choice none), the JSON tool is forced", async () => {
    for (const extra of [{}, { tools: [WEATHER_TOOL], tool_choice: "none" }]) {
      const marker = nonce();
      const response = await ask(marker, {
        model: "anthropic/claude-haiku-4.5",
        provider: { only: ["anthropic"] },
        response_format: format,
        ...extra,
      });
      expect(response.status).toBe(200);
      expect((await upstreamBody(marker)).tool_choice).toEqual({ type: "tool", name: "json_output" });
    }
  });

  it("a reply calling a client's tool beside the JSON tool finishes with tool_calls", () => {
    const anthropic = parseAnthropicResponse({
      content: [
        { type: "tool_use", id: "toolu_1", name: "json_output", input: { a: 1 } },
        { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Paris" } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    expect(anthropic.choices[0]?.finish_reason).toBe("tool_calls");
    const bedrock = parseBedrockResponse({
      output: {
        message: {
          role: "assistant",
          content: [
            { toolUse: { toolUseId: "t1", name: "json_output", input: { a: 1 } } },
            { toolUse: { toolUseId: "t2", name: "get_weather", input: { city: "Paris" } } },
          ],
        },
      },
      stopReason: "tool_use",
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    });
    expect(bedrock.choices[0]?.finish_reason).toBe("tool_calls");
  });
});

describe("user", () => {
  it.each([
    ["openai/gpt-4o", "user", "end-user-7"],
    ["anthropic/claude-haiku-4.5", "metadata", { user_id: "end-user-7" }],
  ])("%s is sent it as %s", async (model, field, value) => {
    const marker = nonce();
    const response = await ask(marker, { model, provider: { ignore: ["amazon-bedrock"] }, user: "end-user-7" });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker))[field]).toEqual(value);
  });

  // Mistral has no such field and refuses what it does not know (422 "Extra inputs are not permitted").
  it("Mistral is not sent it, and answers", async () => {
    const marker = nonce();
    const response = await ask(marker, { model: "mistralai/mistral-large", user: "end-user-7" });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker)).user).toBeUndefined();
  });
});

describe("fields a strict API does not know", () => {
  // Mistral refuses any field it does not know (422 extra_forbidden), Groq too (400 "property
  // 'store' is unsupported"); OpenAI takes its own.
  it("Mistral is not sent them, answers, and names them dropped", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "mistralai/mistral-large",
      provider: { only: ["mistral"] },
      modalities: ["text"],
      service_tier: "auto",
      temperature: 0.2,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("modalities, service_tier");
    const body = await upstreamBody(marker);
    expect(body.modalities).toBeUndefined();
    expect(body.service_tier).toBeUndefined();
    expect(body.temperature).toBe(0.2);
  });

  it("Groq is not sent store, answers, and names it dropped; it is sent service_tier", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "meta-llama/llama-3.3-70b-instruct",
      provider: { only: ["groq"] },
      store: true,
      service_tier: "auto",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("store");
    const body = await upstreamBody(marker);
    expect(body.store).toBeUndefined();
    expect(body.service_tier).toBe("auto");
  });

  it("OpenAI is sent them", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "openai/gpt-4o",
      provider: { only: ["openai"] },
      modalities: ["text"],
      service_tier: "auto",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBeNull();
    const body = await upstreamBody(marker);
    expect(body.modalities).toEqual(["text"]);
    expect(body.service_tier).toBe("auto");
  });
});

describe("parallel_tool_calls to OpenAI's o-series", () => {
  // o3-mini and o4-mini refuse it (400 "Unsupported parameter: 'parallel_tool_calls'").
  it("o4-mini is not sent it, answers, and names it dropped", async () => {
    const marker = nonce();
    const response = await ask(marker, { model: O4_MINI, tools: [WEATHER_TOOL], parallel_tool_calls: false });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("parallel_tool_calls");
    expect((await upstreamBody(marker)).parallel_tool_calls).toBeUndefined();
  });

  it("gpt-4o is sent it", async () => {
    const marker = nonce();
    const response = await ask(marker, { model: "openai/gpt-4o", tools: [WEATHER_TOOL], parallel_tool_calls: false });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker)).parallel_tool_calls).toBe(false);
  });
});

describe("parameters sent at their API default", () => {
  // logprobs: false and parallel_tool_calls: true ask nothing an endpoint without them would not do.
  it("with require_parameters, logprobs: false does not leave out endpoints without logprobs", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"], require_parameters: true },
      logprobs: false,
      frequency_penalty: 0,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBeNull();
  });

  it("with require_parameters, parallel_tool_calls: true still routes to o4-mini, which is not sent it", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: O4_MINI,
      provider: { require_parameters: true },
      tools: [WEATHER_TOOL],
      parallel_tool_calls: true,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBeNull();
    expect((await upstreamBody(marker)).parallel_tool_calls).toBeUndefined();
  });

  it("a value other than the default still does", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"], require_parameters: true },
      logprobs: true,
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("logprobs");
    expect(await emulatorRequests(marker)).toEqual([]);
  });
});

describe("logprobs", () => {
  it("an OpenAI endpoint's chat logprobs reach the client as it gives them, each token with its top ones", async () => {
    const marker = nonce();
    const response = await ask(marker, { model: "openai/gpt-4o-mini", logprobs: true, top_logprobs: 2, max_tokens: 4 });
    expect(response.status).toBe(200);
    const choice = ((await response.json()) as any).choices[0];
    const content = choice.logprobs.content as any[];
    expect(content.map((entry) => entry.token).join("")).toBe(choice.message.content);
    for (const entry of content) {
      expect(typeof entry.logprob).toBe("number");
      expect(entry.top_logprobs).toHaveLength(2);
      expect(entry.top_logprobs[0]).toMatchObject({ token: entry.token, logprob: entry.logprob });
    }
  });
});

describe("sampling with Claude's thinking on", () => {
  // Extended thinking takes no temperature or top_k, and top_p only from 0.95 to 1.
  it.each(["anthropic", "amazon-bedrock"])(
    "%s keeps a top_p of 0.95 or more and names the rest dropped",
    async (provider) => {
      const marker = nonce();
      const response = await ask(marker, {
        model: "anthropic/claude-haiku-4.5",
        provider: { only: [provider] },
        reasoning: { effort: "low" },
        temperature: 0.2,
        top_p: 0.97,
        top_k: 5,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-tollgate-dropped-params")).toBe("temperature, top_k");
      const body = await upstreamBody(marker);
      const sampling =
        provider === "anthropic"
          ? { temperature: body.temperature, top_p: body.top_p, top_k: body.top_k }
          : {
              temperature: body.inferenceConfig.temperature,
              top_p: body.inferenceConfig.topP,
              top_k: body.additionalModelRequestFields?.top_k,
            };
      expect(sampling).toEqual({ temperature: undefined, top_p: 0.97, top_k: undefined });
    },
  );

  it("a lower top_p is named dropped too", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "anthropic/claude-haiku-4.5",
      provider: { only: ["anthropic"] },
      reasoning: { effort: "low" },
      top_p: 0.5,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("top_p");
    expect((await upstreamBody(marker)).top_p).toBeUndefined();
  });
});

describe("require_parameters and what a format cannot take as sent", () => {
  // An endpoint that lists a parameter may still drop it as sent; require_parameters must not
  // route there.
  it("Gemini 2.5 is not chosen for tools with a JSON response: a 404 naming response_format", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "google/gemini-2.5-flash-lite",
      tools: [WEATHER_TOOL],
      response_format: { type: "json_object" },
      provider: { require_parameters: true },
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("response_format");
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("Cohere is not chosen for a penalty outside its 0..1: a 404 naming it", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "cohere/command-a",
      frequency_penalty: -0.5,
      provider: { require_parameters: true },
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("frequency_penalty");
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("what the format takes as sent still routes", async () => {
    for (const extra of [
      { model: "google/gemini-2.5-flash-lite", response_format: { type: "json_object" } },
      { model: "cohere/command-a", frequency_penalty: 0.5 },
      { model: "x-ai/grok-4.3", reasoning: { enabled: true } },
    ]) {
      const marker = nonce();
      const response = await ask(marker, { ...extra, provider: { require_parameters: true } });
      expect(response.status, JSON.stringify(extra)).toBe(200);
      expect(response.headers.get("x-tollgate-dropped-params")).toBeNull();
    }
  });
});

describe("response_format json_schema to an endpoint with JSON mode only", () => {
  const format = { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" } } };
  // Groq's Qwen 3 takes JSON mode only (400 "This model does not support response format
  // `json_schema`"); it lists response_format, not structured_outputs. (DeepSeek's own API was the
  // other such endpoint, until its deepseek-chat name was retired.)
  it("Groq's Qwen 3 is sent JSON mode, answers, and names structured_outputs dropped", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "qwen/qwen3-32b",
      provider: { only: ["groq"] },
      response_format: format,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("structured_outputs");
    expect((await upstreamBody(marker)).response_format).toEqual({ type: "json_object" });
  });

  it("with require_parameters, another provider of the model answers", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "meta-llama/llama-3.3-70b-instruct",
      provider: { order: ["groq", "together"], require_parameters: true },
      response_format: format,
    });
    expect(response.status).toBe(200);
    expect((await emulatorRequests(marker)).map((call) => call.provider)).toEqual(["together"]);
    expect((await upstreamBody(marker)).response_format).toEqual(format);
  });

  it("json_object still reaches Groq's Qwen 3", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "qwen/qwen3-32b",
      provider: { only: ["groq"] },
      response_format: { type: "json_object" },
    });
    expect(response.status).toBe(200);
    expect((await upstreamBody(marker)).response_format).toEqual({ type: "json_object" });
  });

  // Groq took a JSON schema on GPT-OSS, not on Llama 3.3 (400 "does not support response format
  // `json_schema`"), though both list response_format.
  it("Groq's Llama 3.3 is sent JSON mode and names structured_outputs dropped; its GPT-OSS the schema", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "meta-llama/llama-3.3-70b-instruct",
      provider: { only: ["groq"] },
      response_format: format,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("structured_outputs");
    expect((await upstreamBody(marker)).response_format).toEqual({ type: "json_object" });

    const marker4 = nonce();
    const response4 = await ask(marker4, {
      model: "openai/gpt-oss-120b",
      provider: { only: ["groq"] },
      response_format: format,
    });
    expect(response4.status).toBe(200);
    expect(response4.headers.get("x-tollgate-dropped-params")).toBeNull();
    expect((await upstreamBody(marker4)).response_format).toEqual(format);
  });

  it("with require_parameters, an endpoint without structured_outputs is not chosen: a 404 naming it", async () => {
    const marker = nonce();
    const response = await ask(marker, {
      model: "meta-llama/llama-3.3-70b-instruct",
      provider: { only: ["groq", "deepinfra"], require_parameters: true },
      response_format: format,
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("structured_outputs");
    expect(await emulatorRequests(marker)).toEqual([]);
  });
});

describe("reasoning to Groq's Qwen 3", () => {
  // reasoning_effort there is none (thinking off) or default (on): 400 "must be one of none or default".
  it.each([
    [{ enabled: true }, "default", null],
    [{ effort: "high" }, "default", "reasoning"],
    [{ effort: "none" }, "none", null],
    [{ enabled: false }, "none", null],
  ])("%o is sent as %s", async (reasoning, sent, dropped) => {
    const marker = nonce();
    const response = await ask(marker, { model: "qwen/qwen3-32b", provider: { only: ["groq"] }, reasoning });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe(dropped);
    expect((await upstreamBody(marker)).reasoning_effort).toBe(sent);
  });
});
