import Anthropic from "@anthropic-ai/sdk";
import { NotFoundResponseError } from "@openrouter/sdk/models/errors";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultCatalog } from "../src/catalog/default-catalog";
import { indexCatalog } from "../src/catalog/store";
import { type PlanInput, planAttempts } from "../src/routing/plan";
import { GatewayError } from "../src/schema/errors";
import { anthropicClient } from "./support/anthropic-client";
import { BASE, chat, emulatorRequests, fundedAccount, gatewayFetch, nonce, openRouterClient } from "./support/gateway";

/**
 * What a request's messages carry beyond text (images, audio) goes only to models that read it, as
 * on OpenRouter: a text-only model is passed over (the `models` list's next one answers), and when
 * no requested model reads it the request is OpenRouter's 404, "No endpoints found that support
 * image input", the words agents match to retry without the image, before any hold or call.
 */
const TEXT_ONLY = "deepseek/deepseek-chat-v3-0324";
const VISION = "openai/gpt-4o-mini";
/** A 1×1 PNG. */
const PIXEL =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const withImage = (marker: string) => [
  {
    role: "user",
    content: [
      { type: "text", text: `What is in this picture? ${marker}` },
      { type: "image_url", image_url: { url: PIXEL } },
    ],
  },
];

let key: string;
beforeAll(async () => {
  ({ key } = await fundedAccount("5"));
});

describe("input modalities: /chat/completions", () => {
  it("an image sent to a text-only model is OpenRouter's 404, before any call, and the SDK reads it as its NotFoundResponseError", async () => {
    const marker = nonce();
    const response = await chat(key, { model: TEXT_ONLY, messages: withImage(marker) });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(404);
    expect(body.error.message).toMatch(
      /^No endpoints found that support image input: deepseek\/deepseek-chat-v3-0324: does not support image input/,
    );
    expect(await emulatorRequests(marker)).toEqual([]);

    const thrown = await openRouterClient(key)
      .chat.send({
        chatRequest: {
          model: TEXT_ONLY,
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: `What is in this picture? ${nonce()}` },
                { type: "image_url", imageUrl: { url: PIXEL } },
              ],
            },
          ],
        },
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(thrown).toBeInstanceOf(NotFoundResponseError);
    expect((thrown as NotFoundResponseError).error.message).toContain("No endpoints found that support image input");
  });

  it("the `models` list passes over a text-only model for the next one that reads images", async () => {
    const marker = nonce();
    const response = await chat(key, { model: TEXT_ONLY, models: [VISION], messages: withImage(marker) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { model: string; provider: string };
    expect(body.model).toBe(VISION);
    const calls = await emulatorRequests(marker);
    // One call, to OpenAI, with the image in it: the text-only model was never asked.
    expect(calls.map((call) => call.provider)).toEqual(["openai"]);
    expect(JSON.stringify(calls[0]?.body)).toContain(PIXEL);
  });

  it("an image in a tool's result counts too", async () => {
    const marker = nonce();
    const response = await chat(key, {
      model: TEXT_ONLY,
      messages: [
        { role: "user", content: `Take a screenshot ${marker}` },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "screenshot", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "call_1", content: [{ type: "image_url", image_url: { url: PIXEL } }] },
      ],
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /^No endpoints found that support image input/,
    );
    expect(await emulatorRequests(marker)).toEqual([]);
  });

  it("a text request to the same model is served as before", async () => {
    const response = await chat(key, { model: TEXT_ONLY, messages: [{ role: "user", content: `Hi ${nonce()}` }] });
    expect(response.status).toBe(200);
  });
});

describe("input modalities: the APIs answered through chat", () => {
  it("/messages: an image block for a text-only model is Anthropic's not_found_error with OpenRouter's words", async () => {
    const client = anthropicClient(key);
    const thrown = await client.messages
      .create({
        model: TEXT_ONLY,
        max_tokens: 20,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: `Describe it ${nonce()}` },
              {
                type: "image",
                source: { type: "base64", media_type: "image/png", data: PIXEL.split(",")[1] as string },
              },
            ],
          },
        ],
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(thrown).toBeInstanceOf(Anthropic.NotFoundError);
    const error = (thrown as InstanceType<typeof Anthropic.NotFoundError>).error as {
      error: { type: string; message: string };
    };
    expect(error.error.type).toBe("not_found_error");
    expect(error.error.message).toMatch(/^No endpoints found that support image input/);
  });

  it("/responses: an input_image for a text-only model is the same 404", async () => {
    const response = await gatewayFetch(`${BASE}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: TEXT_ONLY,
        input: [
          {
            role: "user",
            content: [
              { type: "input_text", text: `Describe it ${nonce()}` },
              { type: "input_image", image_url: PIXEL },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /^No endpoints found that support image input/,
    );
  });
});

describe("input modalities: the planner", () => {
  const catalog = indexCatalog(defaultCatalog, "default");
  const configured = () => ({ baseUrl: "http://upstream", apiKey: "k", emulated: true, setting: () => undefined });
  const plan = (request: PlanInput["request"]) =>
    planAttempts({ request, catalog, promptTokens: 100, access: configured, random: () => 0.5 });
  const refusal = (request: PlanInput["request"]) => {
    try {
      plan(request);
    } catch (error) {
      if (error instanceof GatewayError) return { status: error.status, message: error.message };
      throw error;
    }
    throw new Error("planned");
  };
  const audio = [
    {
      role: "user",
      content: [
        { type: "text", text: "Transcribe this" },
        { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
      ],
    },
  ] as PlanInput["request"]["messages"];

  it("audio goes only to models that hear: Gemini 3 yes, GPT-4o no", () => {
    expect(plan({ model: "google/gemini-3.5-flash-lite", messages: audio }).length).toBeGreaterThan(0);
    expect(refusal({ model: "openai/gpt-4o", messages: audio })).toEqual({
      status: 404,
      message: expect.stringMatching(/^No endpoints found that support audio input: openai\/gpt-4o: /),
    });
  });

  it("a model that reads neither of image and audio is named for both", () => {
    const both = [
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: PIXEL } },
          { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
        ],
      },
    ] as PlanInput["request"]["messages"];
    expect(refusal({ model: TEXT_ONLY, messages: both }).message).toMatch(
      /^No endpoints found that support image and audio input: .*does not support image or audio input/,
    );
    // GPT-4o reads the image, not the audio.
    expect(refusal({ model: "openai/gpt-4o", messages: both }).message).toMatch(
      /^No endpoints found that support audio input/,
    );
  });

  it("with other reasons in the mix, the refusal is the generic one naming each model's", () => {
    const { status, message } = refusal({
      model: TEXT_ONLY,
      models: ["openai/gpt-4o"],
      provider: { only: ["groq"] },
      messages: withImage("x") as PlanInput["request"]["messages"],
    });
    expect(status).toBe(404);
    expect(message).toMatch(/^No endpoints found that satisfy the request: /);
    expect(message).toContain(`${TEXT_ONLY}: does not support image input`);
  });
});
