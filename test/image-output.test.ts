import { ChatStreamChunk$inboundSchema } from "@openrouter/sdk/models";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { costParts, worstCaseCost } from "../src/billing/cost";
import { defaultCatalog } from "../src/catalog/default-catalog";
import type { Model } from "../src/catalog/types";
import { buildGeminiBody } from "../src/providers/google/request";
import { createGeminiStreamMapper, mapUsage, parseGeminiResponse } from "../src/providers/google/response";
import { audit, settled } from "./billing-support";
import {
  BASE,
  chat,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  readSse,
  recordedGeneration,
  sleep,
  totalUsage,
} from "./support/gateway";
import { chatRequest, testTarget } from "./support/target";

/**
 * Image generation through chat completions, as OpenRouter serves it: `modalities: ["image",
 * "text"]` to an image model, images back as `message.images` (`delta.images` in a stream) of
 * base64 data URLs, billed at the model's image-token price. Against the Gemini emulator, which
 * draws a small PNG of the asked aspect ratio and counts it as Gemini does (1290 tokens).
 */

const IMAGE_MODEL = "google/gemini-2.5-flash-image";
const IMAGE_TOKENS = 1290;
/** google/gemini-2.5-flash-image's prices, in nano-dollars a token: $0.30/M in, $2.50/M text out, $30/M image out. */
const PRICE = { prompt: 300, text: 2500, image: 30_000 };

/** The pixel size of a base64 PNG, from its IHDR chunk. */
function pngSize(dataUrl: string): { width: number; height: number } {
  const match = /^data:image\/png;base64,(.+)$/.exec(dataUrl);
  if (!match) throw new Error(`not a PNG data URL: ${dataUrl.slice(0, 40)}`);
  const bytes = Uint8Array.from(atob(match[1] as string), (c) => c.charCodeAt(0));
  expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The body the emulator received for the request carrying `marker`. */
async function upstreamBody(marker: string): Promise<Record<string, any>> {
  const [call] = await emulatorRequests(marker);
  expect(call).toBeDefined();
  return call?.body as Record<string, any>;
}

describe("image models in the catalog", () => {
  it("lists Gemini's image models under output_modalities=image, with OpenRouter's image_output price", async () => {
    const response = await gatewayFetch(`${BASE}/models?output_modalities=image`);
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: Array<Record<string, any>> };
    const ids = data.map((m) => m.id);
    expect(ids).toContain("google/gemini-2.5-flash-image");
    expect(ids).toContain("google/gemini-2.5-flash-image");
    // Only models that draw: no text model is listed.
    expect(ids).not.toContain("google/gemini-2.5-flash-lite");
    const model = data.find((m) => m.id === IMAGE_MODEL) as Record<string, any>;
    expect(model.architecture).toMatchObject({
      modality: "text+image->text+image",
      output_modalities: ["image", "text"],
    });
    expect(model.pricing).toMatchObject({ prompt: "0.0000003", completion: "0.0000025", image_output: "0.00003" });

    // OpenRouter's SDK reads it, the price included.
    const listed = await openRouterClient().models.list({ outputModalities: "image" });
    const parsed = listed.result.data.find((m) => m.id === IMAGE_MODEL);
    expect(parsed?.pricing.imageOutput).toBe("0.00003");
    expect(parsed?.architecture.outputModalities).toContain("image");
  });
});

describe("image output through /chat/completions", () => {
  it("returns the drawn image as message.images, asked of Gemini with the aspect ratio (OpenRouter SDK)", async () => {
    const { key } = await fundedAccount("5");
    const marker = nonce();
    const result = await openRouterClient(key).chat.send({
      chatRequest: {
        model: IMAGE_MODEL,
        messages: [{ role: "user", content: `Draw a blue square ${marker}` }],
        modalities: ["image", "text"],
        imageConfig: { aspect_ratio: "16:9" },
      },
    });
    if (!("choices" in result)) throw new Error("expected a completion");
    const message = result.choices[0]?.message;
    expect(typeof message?.content).toBe("string");
    expect(message?.content).not.toBe("");
    expect(message?.images).toHaveLength(1);
    // A 16:9 image (the emulator draws the ratio at 2 pixels a unit).
    expect(pngSize(message?.images?.[0]?.imageUrl.url as string)).toEqual({ width: 32, height: 18 });

    const body = await upstreamBody(marker);
    expect(body.generationConfig.responseModalities).toEqual(["IMAGE", "TEXT"]);
    expect(body.generationConfig.imageConfig).toEqual({ aspectRatio: "16:9" });
  });

  it("returns OpenRouter's wire shape, image tokens in the usage, and images alone when asked for them alone", async () => {
    const { key } = await fundedAccount("5");
    const response = await chat(key, {
      model: IMAGE_MODEL,
      messages: [{ role: "user", content: `Draw ${nonce()}` }],
      modalities: ["image"],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    const message = body.choices[0].message;
    expect(message.images).toEqual([
      { type: "image_url", image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) } },
    ]);
    expect(message.content).toBe("");
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.usage.completion_tokens).toBe(IMAGE_TOKENS);
    expect(body.usage.completion_tokens_details.image_tokens).toBe(IMAGE_TOKENS);
  });

  it("streams the image as delta.images, each chunk parsed by OpenRouter's SDK (OpenAI SDK as the client)", async () => {
    const { key } = await fundedAccount("5");
    const client = new OpenAI({
      apiKey: key,
      baseURL: BASE,
      fetch: (input, init) => gatewayFetch(input, init),
      maxRetries: 0,
    });
    const marker = nonce();
    const stream = await client.chat.completions.create({
      model: IMAGE_MODEL,
      messages: [{ role: "user", content: `Draw a cat ${marker} [[emulate tokens=6]]` }],
      stream: true,
      // OpenRouter's fields, which the OpenAI SDK sends as they are.
      ...({ modalities: ["image", "text"], image_config: { aspect_ratio: "1:1" } } as object),
    });
    let content = "";
    const images: Array<{ type: string; image_url: { url: string } }> = [];
    let usage: Record<string, any> | undefined;
    for await (const chunk of stream) {
      expect(ChatStreamChunk$inboundSchema.safeParse(chunk).success).toBe(true);
      const delta = chunk.choices[0]?.delta as (typeof chunk.choices)[0]["delta"] & { images?: typeof images };
      content += delta?.content ?? "";
      images.push(...(delta?.images ?? []));
      if (chunk.usage) usage = chunk.usage as Record<string, any>;
    }
    expect(content.length).toBeGreaterThan(0);
    expect(images).toHaveLength(1);
    expect(images[0]?.type).toBe("image_url");
    expect(pngSize(images[0]?.image_url.url as string)).toEqual({ width: 2, height: 2 });
    expect(usage?.completion_tokens_details.image_tokens).toBe(IMAGE_TOKENS);
    expect(usage?.cost).toBeGreaterThan((IMAGE_TOKENS * PRICE.image) / 1e9 - 1e-12);
    expect((await upstreamBody(marker)).generationConfig.responseModalities).toEqual(["IMAGE", "TEXT"]);
  });
});

describe("editing over several turns", () => {
  it("sends the image an earlier turn drew back to Gemini, as the OpenRouter SDK returns the turn", async () => {
    const { key } = await fundedAccount("5");
    const client = openRouterClient(key);
    const first = await client.chat.send({
      chatRequest: {
        model: IMAGE_MODEL,
        messages: [{ role: "user", content: `Draw a square ${nonce()}` }],
        modalities: ["image", "text"],
      },
    });
    if (!("choices" in first)) throw new Error("expected a completion");
    const drawn = first.choices[0]?.message;
    const url = drawn?.images?.[0]?.imageUrl.url as string;
    const marker = nonce();
    const second = await client.chat.send({
      chatRequest: {
        model: IMAGE_MODEL,
        messages: [
          { role: "user", content: "Draw a square" },
          // The SDK sends the turn's images without `type`, as its schema has none.
          { role: "assistant", content: drawn?.content ?? "", images: drawn?.images ?? [] },
          { role: "user", content: `Now make it red ${marker}` },
        ],
        modalities: ["image", "text"],
      },
    });
    if (!("choices" in second)) throw new Error("expected a completion");
    expect(second.choices[0]?.message.images).toHaveLength(1);
    const body = await upstreamBody(marker);
    const data = url.slice(url.indexOf(",") + 1);
    expect(body.contents[1].role).toBe("model");
    expect(body.contents[1].parts).toContainEqual({ inlineData: { mimeType: "image/png", data } });
  });
});

describe("what image output costs", () => {
  it("charges the image's tokens at image_output and the text at the completion price, to the nano-dollar", async () => {
    const { accountId, key } = await fundedAccount("5");
    const response = await chat(key, {
      model: IMAGE_MODEL,
      messages: [{ role: "user", content: `Draw a dog ${nonce()} [[emulate tokens=12]]` }],
      modalities: ["image", "text"],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    const { prompt_tokens: prompt, completion_tokens: completion } = body.usage;
    const text = completion - IMAGE_TOKENS;
    expect(text).toBe(12);
    const nanos = prompt * PRICE.prompt + text * PRICE.text + IMAGE_TOKENS * PRICE.image;
    expect(body.usage.cost).toBe(nanos / 1e9);
    expect(body.usage.cost_details.upstream_inference_completions_cost).toBe(
      (text * PRICE.text + IMAGE_TOKENS * PRICE.image) / 1e9,
    );

    const books = await settled(accountId);
    expect(books.totals.usageNanos).toBe(nanos);
    expect(await totalUsage(key)).toBe(nanos / 1e9);
    const record = await recordedGeneration(key, body.id);
    expect(record).toMatchObject({
      model: IMAGE_MODEL,
      provider_name: "Google AI Studio",
      total_cost: nanos / 1e9,
      tokens_completion: completion,
      native_tokens_completion: completion,
      native_tokens_completion_images: IMAGE_TOKENS,
      num_media_completion: 1,
    });
  });

  it("holds at least one image at the image price, however small max_tokens is", async () => {
    const { accountId, key } = await fundedAccount("5");
    const pending = chat(key, {
      model: IMAGE_MODEL,
      max_tokens: 10,
      messages: [{ role: "user", content: `Draw ${nonce()} [[emulate delay_ms=400]]` }],
      modalities: ["image", "text"],
    });
    let held = 0;
    for (let i = 0; i < 200 && held === 0; i++) {
      held = (await audit(accountId)).totals.reservedNanos;
      if (held === 0) await sleep(5);
    }
    await (await pending).text();
    // 10 tokens at the text price would hold 25,000 nano-dollars; one image is 38,700,000.
    expect(held).toBeGreaterThanOrEqual(IMAGE_TOKENS * PRICE.image);
  });

  it("refuses (402) an image it cannot pay for, rather than drawing past the balance", async () => {
    // $0.03: a 1290-token image costs $0.0387.
    const { key } = await fundedAccount("0.03");
    const response = await chat(key, {
      model: IMAGE_MODEL,
      max_tokens: 10,
      messages: [{ role: "user", content: `Draw ${nonce()}` }],
      modalities: ["image", "text"],
    });
    expect(response.status).toBe(402);
  });
});

describe("image requests to models that cannot draw", () => {
  it("is a 404 naming image output, with no call to the provider and nothing charged", async () => {
    const { key } = await fundedAccount("5");
    for (const model of ["google/gemini-2.5-flash-lite", "openai/gpt-4o-mini"]) {
      const marker = nonce();
      const response = await chat(key, {
        model,
        messages: [{ role: "user", content: `Draw ${marker}` }],
        modalities: ["image", "text"],
      });
      expect(response.status).toBe(404);
      const { error } = (await response.json()) as { error: { message: string } };
      expect(error.message).toContain("No endpoints found that support the requested output modalities: image");
      expect(error.message).toContain(model);
      expect(await emulatorRequests(marker)).toHaveLength(0);
    }
    expect(await totalUsage(key)).toBe(0);
  });

  it("falls back along `models` to the one that draws", async () => {
    const { key } = await fundedAccount("5");
    const response = await chat(key, {
      models: ["google/gemini-2.5-flash-lite", IMAGE_MODEL],
      messages: [{ role: "user", content: `Draw ${nonce()}` }],
      modalities: ["image", "text"],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body.model).toBe(IMAGE_MODEL);
    expect(body.choices[0].message.images).toHaveLength(1);
  });

  it("leaves a text request as it was: no response modalities sent", async () => {
    const { key } = await fundedAccount("5");
    const marker = nonce();
    const response = await chat(key, {
      model: "google/gemini-2.5-flash-lite",
      messages: [{ role: "user", content: `Hello ${marker}` }],
      modalities: ["text"],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body.choices[0].message.images).toBeUndefined();
    expect((await upstreamBody(marker)).generationConfig?.responseModalities).toBeUndefined();
  });
});

describe("image request validation", () => {
  it("refuses an unknown modality and a malformed aspect ratio with a 400 naming the field", async () => {
    const { key } = await fundedAccount("5");
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ modalities: ["image", "video"] }, "modalities.1"],
      [{ modalities: "image" }, "modalities"],
      [{ modalities: ["image"], image_config: { aspect_ratio: "wide" } }, "image_config.aspect_ratio"],
    ];
    for (const [fields, path] of cases) {
      const response = await chat(key, {
        model: IMAGE_MODEL,
        messages: [{ role: "user", content: "Draw" }],
        ...fields,
      });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { message: string } };
      expect(error.message).toContain(path);
    }
  });

  it("refuses several image choices with a 400 naming n, with no call to Gemini (which draws one a request)", async () => {
    const { key } = await fundedAccount("5");
    const marker = nonce();
    const response = await chat(key, {
      model: IMAGE_MODEL,
      modalities: ["image", "text"],
      n: 2,
      messages: [{ role: "user", content: `Draw two cats ${marker}` }],
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { message: string } };
    expect(error.message).toContain("`n` is 2");
    expect(await emulatorRequests(marker)).toEqual([]);
    expect(await totalUsage(key)).toBe(0);
  });

  it("refuses image output on /completions and /responses, whose replies have no field for images", async () => {
    const { key } = await fundedAccount("5");
    const post = (path: string, body: Record<string, unknown>) =>
      gatewayFetch(`${BASE}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const completions = await post("/completions", { model: IMAGE_MODEL, prompt: "Draw", modalities: ["image"] });
    const responses = await post("/responses", { model: IMAGE_MODEL, input: "Draw", modalities: ["image"] });
    const streamed = await post("/responses", {
      model: IMAGE_MODEL,
      input: "Draw",
      modalities: ["image"],
      stream: true,
    });
    // Validated there as on chat: a bad value is a 400 naming it, not a failure of the gateway.
    const malformed = await post("/completions", { model: IMAGE_MODEL, prompt: "Draw", modalities: 5 });
    for (const response of [completions, responses, streamed, malformed]) {
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain("modalities");
    }
    expect(await totalUsage(key)).toBe(0);
  });
});

describe("the stream's wire form", () => {
  it("sends the image in one chunk's delta.images, before the finish", async () => {
    const { key } = await fundedAccount("5");
    const response = await chat(key, {
      model: IMAGE_MODEL,
      stream: true,
      messages: [{ role: "user", content: `Draw ${nonce()} [[emulate tokens=3]]` }],
      modalities: ["image", "text"],
    });
    expect(response.status).toBe(200);
    const { data } = await readSse(response);
    const chunks = data.filter((d): d is Record<string, any> => d !== "[DONE]");
    const withImages = chunks.filter((c) => c.choices?.[0]?.delta?.images);
    expect(withImages).toHaveLength(1);
    const finish = chunks.findIndex((c) => c.choices?.[0]?.finish_reason);
    expect(chunks.indexOf(withImages[0] as Record<string, any>)).toBeLessThan(finish);
    expect(data.at(-1)).toBe("[DONE]");
    // The generation's record counts the image, as a whole reply's does.
    const record = await recordedGeneration(key, (chunks[0] as Record<string, any>).id);
    expect(record).toMatchObject({
      streamed: true,
      native_tokens_completion_images: IMAGE_TOKENS,
      num_media_completion: 1,
    });
  });

  it("records no image figures for a text generation", async () => {
    const { key } = await fundedAccount("5");
    const response = await chat(key, {
      model: "google/gemini-2.5-flash-lite",
      messages: [{ role: "user", content: "Hi" }],
    });
    const record = await recordedGeneration(key, ((await response.json()) as { id: string }).id);
    expect(record).toMatchObject({ native_tokens_completion_images: null, num_media_completion: null });
  });
});

describe("Gemini's image parts and usage, mapped", () => {
  const PNG = "iVBORw0KGgo=";
  const modelOf = (id: string) => defaultCatalog.models.find((m) => m.id === id) as Model;
  const targetFor = (id: string) => ({ ...testTarget({ slug: "google-ai-studio" }), model: modelOf(id) });

  it("asks Gemini for images only when the request does, and sends image_config only to a model that draws", () => {
    const draw = buildGeminiBody(
      chatRequest({
        modalities: ["text", "image"],
        image_config: { aspect_ratio: "3:2", image_size: "2K", quality: "high" },
      }),
      targetFor(IMAGE_MODEL),
    ).body.generationConfig as Record<string, unknown>;
    expect(draw.responseModalities).toEqual(["TEXT", "IMAGE"]);
    // OpenRouter's keys for other providers have no Gemini field: left out.
    expect(draw.imageConfig).toEqual({ aspectRatio: "3:2", imageSize: "2K" });
    const text = buildGeminiBody(
      chatRequest({ modalities: ["text"], image_config: { aspect_ratio: "3:2" } }),
      targetFor("google/gemini-2.5-flash-lite"),
    );
    expect(text.body.generationConfig).toBeUndefined();
    expect(text.dropped).toContain("image_config");
  });

  it("returns image parts as images, leaving out thought images and other inline data", () => {
    const reply = parseGeminiResponse({
      candidates: [
        {
          content: {
            parts: [
              { inlineData: { mimeType: "image/png", data: "draft" }, thought: true },
              { text: "Here it is" },
              { inlineData: { mimeType: "image/png", data: PNG } },
              { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } },
            ],
          },
          finishReason: "STOP",
        },
      ],
    });
    expect(reply.choices[0]?.message).toMatchObject({
      content: "Here it is",
      images: [{ type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }],
    });
    expect(reply.choices[0]?.message.images).toHaveLength(1);
  });

  it("takes image tokens from candidatesTokensDetails, and a stream's image whole in its chunk", () => {
    const usage = {
      promptTokenCount: 7,
      candidatesTokenCount: 1300,
      candidatesTokensDetails: [
        { modality: "TEXT", tokenCount: 10 },
        { modality: "IMAGE", tokenCount: 1290 },
      ],
    };
    expect(mapUsage(usage)).toMatchObject({
      completion_tokens: 1300,
      completion_tokens_details: { image_tokens: 1290 },
    });
    expect(mapUsage({ promptTokenCount: 7, candidatesTokenCount: 3 })?.completion_tokens_details).toBeUndefined();

    const mapper = createGeminiStreamMapper();
    const image = { inlineData: { mimeType: "image/png", data: PNG } };
    const [first] = mapper.map({ data: JSON.stringify({ candidates: [{ content: { parts: [image] } }] }) });
    expect(first?.choices[0]?.delta).toEqual({
      role: "assistant",
      images: [{ type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }],
    });
  });

  it("prices image tokens apart, and holds every output token at the image price", () => {
    const pricing = modelOf(IMAGE_MODEL).endpoints[0]?.pricing as Model["endpoints"][0]["pricing"];
    const parts = costParts(pricing, { promptTokens: 10, completionTokens: 1300, imageTokens: 1290 });
    expect(parts.completionAtto).toBe(10n * 2_500_000_000_000n + 1290n * 30_000_000_000_000n);
    // Any output token of a model that draws may be an image's.
    expect(worstCaseCost(pricing, 0, 100)).toBe(100 * PRICE.image);
    // A model without image_output is held at its completion price, as before.
    const text = modelOf("google/gemini-3.5-flash-lite").endpoints[0]?.pricing as typeof pricing;
    expect(worstCaseCost(text, 0, 100)).toBe(100 * 2500);
  });
});
