import { describe, expect, it } from "vitest";
import { settled } from "./billing-support";
import {
  BASE,
  emulatorRequests,
  fundedAccount,
  gatewayFetch,
  nonce,
  openRouterClient,
  recordedGeneration,
} from "./support/gateway";

/**
 * OpenRouter's image generation API, `POST /images`, answered by the chat path against the Gemini
 * emulator (which draws a small PNG of the asked aspect ratio, 2 pixels a unit, counted as the
 * 1290 tokens Gemini counts for an image).
 */

const IMAGE_MODEL = "google/gemini-2.5-flash-image";
const IMAGE_TOKENS = 1290;
/** google/gemini-2.5-flash-image's prices, in nano-dollars a token: $0.30/M in, $30/M image out. */
const PRICE = { prompt: 300, image: 30_000 };

/** A tiny PNG (1×1), as a client would send one to edit. */
const PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/** The pixel size of base64 PNG bytes, from the IHDR chunk. */
function pngSize(b64: string): { width: number; height: number } {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  expect([...bytes.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  const view = new DataView(bytes.buffer);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function postImages(key: string, body: unknown): Promise<Response> {
  return gatewayFetch(`${BASE}/images`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The body the Gemini emulator received for the request carrying `marker`. */
async function upstreamBody(marker: string): Promise<Record<string, any>> {
  const [call] = await emulatorRequests(marker);
  expect(call).toBeDefined();
  return call?.body as Record<string, any>;
}

describe("POST /images", () => {
  it("draws the image the SDK asks for, at the aspect ratio and size asked, charged to the nano-dollar", async () => {
    const { accountId, key } = await fundedAccount("5");
    const marker = nonce();
    const result = await openRouterClient(key).images.generate({
      imageGenerationRequest: {
        model: IMAGE_MODEL,
        prompt: `A lighthouse at dusk ${marker}`,
        aspectRatio: "16:9",
        resolution: "2K",
        seed: 7,
      },
    });
    if (!("data" in result)) throw new Error("expected a whole reply");
    expect(result.data).toHaveLength(1);
    const image = result.data[0];
    expect(image?.mediaType).toBe("image/png");
    expect(pngSize(image?.b64Json as string)).toEqual({ width: 32, height: 18 });

    // Asked of Gemini for an image alone, with the ratio, the size and the seed.
    const upstream = await upstreamBody(marker);
    expect(upstream.generationConfig).toMatchObject({
      responseModalities: ["IMAGE"],
      imageConfig: { aspectRatio: "16:9", imageSize: "2K" },
      seed: 7,
    });
    expect(upstream.contents).toEqual([{ role: "user", parts: [{ text: `A lighthouse at dusk ${marker}` }] }]);

    // The emulator's usage, charged at the prompt and image prices, is what the reply says it cost.
    const usage = result.usage;
    expect(usage?.completionTokens).toBe(IMAGE_TOKENS);
    expect(usage?.completionTokensDetails?.imageTokens).toBe(IMAGE_TOKENS);
    const nanos = (usage?.promptTokens as number) * PRICE.prompt + IMAGE_TOKENS * PRICE.image;
    expect(usage?.cost).toBe(nanos / 1e9);
    const books = await settled(accountId);
    expect(books.totals.usageNanos).toBe(nanos);
  });

  it("names the generation in the reply, recorded for /generation as a chat generation is", async () => {
    const { key } = await fundedAccount("5");
    const response = await postImages(key, { model: IMAGE_MODEL, prompt: `A cat ${nonce()}` });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body.id).toMatch(/^gen-/);
    expect(body.created).toBeTypeOf("number");
    expect(Object.keys(body.data[0])).toEqual(["b64_json", "media_type"]);
    const record = await recordedGeneration(key, body.id);
    expect(record).toMatchObject({
      model: IMAGE_MODEL,
      total_cost: body.usage.cost,
      native_tokens_completion_images: IMAGE_TOKENS,
      num_media_completion: 1,
    });
  });

  it("sends input_references to Gemini as the images to work from, after the prompt", async () => {
    const { key } = await fundedAccount("5");
    const marker = nonce();
    const response = await postImages(key, {
      model: IMAGE_MODEL,
      prompt: `Make it blue ${marker}`,
      input_references: [{ type: "image_url", image_url: { url: `data:image/png;base64,${PNG_1X1}` } }],
      size: "1K",
    });
    expect(response.status).toBe(200);
    const upstream = await upstreamBody(marker);
    expect(upstream.contents[0].parts).toEqual([
      { text: `Make it blue ${marker}` },
      { inlineData: { mimeType: "image/png", data: PNG_1X1 } },
    ]);
    expect(upstream.generationConfig.imageConfig).toEqual({ imageSize: "1K" });
  });

  it("takes quality and output_compression, which Gemini has no knob for, and names them dropped", async () => {
    const { key } = await fundedAccount("5");
    const response = await postImages(key, {
      model: IMAGE_MODEL,
      prompt: `A tree ${nonce()}`,
      quality: "high",
      output_compression: 80,
      output_format: "png",
      background: "opaque",
      aspect_ratio: "auto",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-tollgate-dropped-params")).toBe("quality, output_compression");
  });

  it("answers stream: true with the whole reply, as OpenRouter does for providers that do not stream images", async () => {
    const { key } = await fundedAccount("5");
    const response = await postImages(key, { model: IMAGE_MODEL, prompt: `A boat ${nonce()}`, stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as Record<string, any>;
    expect(body.data).toHaveLength(1);
  });
});

describe("POST /images when Gemini draws nothing", () => {
  it("returns data: [] charged for the prompt when Gemini blocks the image, and free when its drawing fails", async () => {
    const { accountId, key } = await fundedAccount("5");
    const ask = async (reason: string) => {
      const response = await postImages(key, {
        model: IMAGE_MODEL,
        prompt: `Draw ${nonce()} [[emulate error_finish=${reason} tokens=0]]`,
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, any>;
    };
    const blocked = await ask("IMAGE_SAFETY");
    expect(blocked.data).toEqual([]);
    expect(blocked.usage.completion_tokens).toBe(0);
    expect(blocked.usage.cost).toBe((blocked.usage.prompt_tokens * PRICE.prompt) / 1e9);
    // IMAGE_OTHER is an error finish: an answer that failed is not charged.
    const failed = await ask("IMAGE_OTHER");
    expect(failed.data).toEqual([]);
    expect(failed.usage.cost).toBe(0);
    expect((await settled(accountId)).totals.usageNanos).toBe(blocked.usage.prompt_tokens * PRICE.prompt);
  });
});

describe("POST /images refuses what it cannot do, naming the field, before any call", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["an empty prompt", { prompt: "" }, /^Invalid request: prompt: /],
    ["n > 1", { n: 2 }, /^Invalid request: n: .*one image a request/],
    ["a transparent background", { background: "transparent" }, /^Invalid request: background: .*opaque/],
    ["jpeg output", { output_format: "jpeg" }, /^Invalid request: output_format: .*png only/],
    ["an explicit pixel size", { size: "1024x1024" }, /^Invalid request: size: .*explicit pixel sizes/],
    [
      "a size that is not the resolution",
      { size: "1K", resolution: "2K" },
      /^Invalid request: size: 1K is not resolution 2K/,
    ],
    ["a decimal aspect ratio", { aspect_ratio: "2.35:1" }, /^Invalid request: aspect_ratio: /],
    [
      "a reference image that is not base64",
      { input_references: [{ type: "image_url", image_url: { url: "data:image/png,xyz" } }] },
      /^Invalid request: input_references\.0\.image_url/,
    ],
  ];
  for (const [what, fields, message] of cases) {
    it(`refuses ${what} with a 400, charging nothing`, async () => {
      const { accountId, key } = await fundedAccount("5");
      const marker = nonce();
      const response = await postImages(key, { model: IMAGE_MODEL, prompt: `Draw ${marker}`, ...fields });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { message: string } };
      expect(error.message).toMatch(message);
      expect(await emulatorRequests(marker)).toEqual([]);
      expect((await settled(accountId)).totals.usageNanos).toBe(0);
    });
  }

  it("refuses a model that does not draw with a 404 saying so in this API's terms", async () => {
    const { key } = await fundedAccount("5");
    const marker = nonce();
    const response = await postImages(key, { model: "google/gemini-2.5-flash-lite", prompt: `Draw ${marker}` });
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: { message: string } };
    expect(error.message).toBe(
      "google/gemini-2.5-flash-lite does not generate images: GET /images/models lists the models that do",
    );
    expect(await emulatorRequests(marker)).toEqual([]);
  });
});

describe("the image models, as OpenRouter's image API lists them", () => {
  it("lists the catalog's models that draw, with what POST /images takes, read by the SDK", async () => {
    const { data } = await openRouterClient().images.listModels();
    const ids = data.map((m) => m.id);
    expect(ids).toContain(IMAGE_MODEL);
    expect(ids).not.toContain("google/gemini-2.5-flash-lite");
    const model = data.find((m) => m.id === IMAGE_MODEL);
    expect(model?.architecture.outputModalities).toContain("image");
    expect(model?.endpoints).toBe(`/api/v1/images/models/${IMAGE_MODEL}/endpoints`);
    expect(model?.supportedParameters.n).toEqual({ type: "range", min: 1, max: 1 });
    expect(model?.supportedParameters.output_format).toEqual({ type: "enum", values: ["png"] });
  });

  it("lists an image model's endpoints with their prices as pricing lines, and 404s a model that does not draw", async () => {
    const client = openRouterClient();
    const listed = await client.images.listModelEndpoints({ author: "google", slug: "gemini-2.5-flash-image" });
    expect(listed.id).toBe(IMAGE_MODEL);
    expect(listed.endpoints.map((e) => e.providerName)).toContain("Google AI Studio");
    const studio = listed.endpoints.find((e) => e.providerName === "Google AI Studio");
    expect(studio?.pricing).toEqual([
      { billable: "input_text", unit: "token", costUsd: 0.0000003 },
      { billable: "output_image", unit: "token", costUsd: 0.00003 },
    ]);
    const response = await gatewayFetch(`${BASE}/images/models/google/gemini-2.5-flash-lite/endpoints`);
    expect(response.status).toBe(404);
  });
});
