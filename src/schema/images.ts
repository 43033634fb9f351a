import * as z from "zod/mini";
import { type ChatRequest, ChatRequestSchema, EndUser, ImagePart, ModelId, ProviderPreferences } from "./chat";
import { items } from "./items";
import { parseWith } from "./validate";

/**
 * `POST /images`: OpenRouter's image generation API (its SDK's ImageGenerationRequest), answered
 * by the chat path: the prompt and reference images become one user message asking for
 * `modalities: ["image"]`, with `image_config` from `aspect_ratio` and `resolution`/`size`.
 * The drawing models here are Gemini's, so what they cannot do is refused with a 400 naming the
 * field (a transparent background, a format other than PNG, an explicit pixel size, more than one
 * image), and what OpenRouter's SDK says a provider without the knob ignores (`quality`,
 * `output_compression`) is dropped and named in `x-tollgate-dropped-params`.
 */

/** The resolution tiers of OpenRouter's API: Gemini's `imageConfig.imageSize`. */
const Tier = z.enum(["512", "1K", "2K", "4K"]);

/** `size` as OpenRouter takes it: a tier, or explicit pixels ("2048x2048"). */
const PIXELS = /^\d+x\d+$/;

export const ImageGenerationRequestSchema = z
  .object({
    prompt: z.string().check(z.minLength(1, "a text description of the image to draw")),
    model: ModelId,
    // Gemini's image models draw one image a call: a candidateCount over 1 is Gemini's 400
    // ("Multiple candidates is not enabled for models/gemini-2.5-flash-image-preview",
    // google-gemini/gemini-cli#10370). OpenRouter's SDK says a provider that draws one refuses n > 1.
    n: z.optional(
      z.number().check(
        z.int(),
        z.gte(1),
        z.lte(10),
        z.refine((n) => n === 1, "the image models here (Gemini's) draw one image a request: send n: 1 and call again"),
      ),
    ),
    // "auto" is the model's choice; otherwise W:H as chat's image_config takes it (Gemini refuses a
    // ratio it does not draw, in its own words). OpenRouter's decimal ratios (2.35:1) name no
    // Gemini ratio, and are refused here.
    aspect_ratio: z.optional(
      z.union([
        z.literal("auto"),
        z
          .string()
          .check(z.regex(/^\d{1,2}:\d{1,2}$/, 'a ratio of width to height Gemini draws, e.g. "16:9", or "auto"')),
      ]),
    ),
    resolution: z.optional(Tier),
    size: z.optional(
      z.string().check((ctx) => {
        if (Tier.safeParse(ctx.value).success) return;
        const message = PIXELS.test(ctx.value)
          ? "Gemini's image models do not draw to explicit pixel sizes: send a tier (512, 1K, 2K, 4K) with aspect_ratio"
          : "a tier: 512, 1K, 2K or 4K";
        ctx.issues.push({ code: "custom", message, input: ctx.value });
      }),
    ),
    // Gemini returns PNG and has no knob for another encoding.
    output_format: z.optional(z.literal("png", { error: "the image models here (Gemini's) return png only" })),
    output_compression: z.optional(z.number().check(z.int(), z.gte(0), z.lte(100))),
    // Gemini draws opaque images: a transparent background would be a promise not kept.
    background: z.optional(
      z.enum(["auto", "opaque"], { error: "Gemini's image models draw opaque images: auto or opaque" }),
    ),
    quality: z.optional(z.enum(["auto", "low", "medium", "high", "xhigh", "max"])),
    // As many as a chat message takes: each is held and charged as a prompt image is.
    input_references: z.optional(items(ImagePart)),
    seed: z.optional(z.number().check(z.int())),
    provider: z.nullish(ProviderPreferences),
    user: EndUser,
    session_id: z.optional(z.string().check(z.maxLength(256, "at most 256 characters"))),
    // Streaming is for providers that stream partial images (OpenRouter's SDK: OpenAI's); the others
    // return the whole reply, as Gemini's do here.
    stream: z.optional(z.boolean()),
    // OpenRouter's observability (broadcast destinations), which the gateway has none of.
    trace: z.optional(z.looseObject({})),
  })
  .check((ctx) => {
    // A tier `size` is `resolution` by another name: two different tiers ask for two sizes.
    const { size, resolution } = ctx.value;
    if (size !== undefined && resolution !== undefined && size !== resolution) {
      ctx.issues.push({
        code: "custom",
        message: `${size} is not resolution ${resolution}: send one`,
        input: size,
        path: ["size"],
      });
    }
  });
export type ImageGenerationRequest = z.infer<typeof ImageGenerationRequestSchema>;

/** A request field taken and not honoured by Gemini, named in `x-tollgate-dropped-params`. */
export function droppedImageFields(request: ImageGenerationRequest): string[] {
  const dropped: string[] = [];
  if (request.quality !== undefined && request.quality !== "auto") dropped.push("quality");
  if (request.output_compression !== undefined) dropped.push("output_compression");
  return dropped;
}

/** The chat request that draws the image: the prompt, then the reference images to work from. */
export function imagesToChat(request: ImageGenerationRequest): ChatRequest {
  const references = request.input_references ?? [];
  const content = references.length === 0 ? request.prompt : [{ type: "text", text: request.prompt }, ...references];
  const imageConfig: Record<string, string> = {};
  if (request.aspect_ratio !== undefined && request.aspect_ratio !== "auto") {
    imageConfig.aspect_ratio = request.aspect_ratio;
  }
  const tier = request.resolution ?? request.size;
  if (tier !== undefined) imageConfig.image_size = tier;
  const chat: Record<string, unknown> = {
    model: request.model,
    messages: [{ role: "user", content }],
    modalities: ["image"],
    ...(Object.keys(imageConfig).length > 0 ? { image_config: imageConfig } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.provider ? { provider: request.provider } : {}),
    ...(request.user !== undefined ? { user: request.user } : {}),
    ...(request.session_id !== undefined ? { session_id: request.session_id } : {}),
  };
  return parseWith(ChatRequestSchema, chat);
}
