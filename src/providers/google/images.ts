import type { Model } from "../../catalog/types";
import type { ChatRequest } from "../../schema/chat";
import { asksForImages } from "../parameters";
import type { GeneratedImage } from "../types";

/**
 * Image output through Gemini (its image models, "Nano Banana"): what the request asks of it
 * (`responseModalities`, `imageConfig`) and the images of its reply (`inlineData` parts). Read
 * only for requests that ask for images or endpoints of a model that draws them.
 */

type Json = Record<string, unknown>;

/** Whether the catalog says the model draws images (OpenRouter's output modality "image"). */
export const drawsImages = (model: Model): boolean => model.architecture.output_modalities.includes("image");

/**
 * `modalities` ⇒ Gemini's `responseModalities`, in Gemini's words and the client's order
 * (["image", "text"] ⇒ ["IMAGE", "TEXT"]; ["image"] alone asks for images without text, which
 * Gemini's image models take). Undefined when the request does not ask for images: the model's
 * own default then stands.
 */
export function responseModalities(request: Pick<ChatRequest, "modalities">): string[] | undefined {
  if (!asksForImages(request)) return undefined;
  const wanted = new Set<string>();
  for (const modality of request.modalities ?? []) {
    if (modality === "text" || modality === "image") wanted.add(modality.toUpperCase());
  }
  return [...wanted];
}

/**
 * `image_config` ⇒ Gemini's `imageConfig` (`aspect_ratio` ⇒ `aspectRatio`, `image_size` ⇒
 * `imageSize`), for a model that draws images; other keys of the client's are OpenRouter's for
 * other providers and have no Gemini field. Undefined when there is nothing to send.
 */
export function imageConfig(request: Pick<ChatRequest, "image_config">, model: Model): Json | undefined {
  const config = request.image_config;
  if (!config || !drawsImages(model)) return undefined;
  const out: Json = {};
  if (config.aspect_ratio !== undefined) out.aspectRatio = config.aspect_ratio;
  if (config.image_size !== undefined) out.imageSize = config.image_size;
  return Object.keys(out).length > 0 ? out : undefined;
}

interface InlineDataPart {
  inlineData?: { mimeType?: unknown; data?: unknown };
  thought?: unknown;
}

/**
 * A reply part holding a generated image, as OpenRouter returns one: a base64 `data:` URL. Images
 * Gemini marks as thoughts (the drafts of a thinking image model) are not the answer.
 */
export function imageOf(part: InlineDataPart): GeneratedImage | undefined {
  const inline = part.inlineData;
  if (!inline || part.thought === true) return undefined;
  const { mimeType, data } = inline;
  if (typeof mimeType !== "string" || !mimeType.startsWith("image/") || typeof data !== "string") return undefined;
  return { type: "image_url", image_url: { url: `data:${mimeType};base64,${data}` } };
}

/**
 * Output tokens of generated images: the IMAGE entry of `usageMetadata.candidatesTokensDetails`
 * (Gemini counts 1290 for a 1024×1024 image, within candidatesTokenCount). 0 when none.
 */
export function imageTokensOf(usage: Json): number {
  const details = usage.candidatesTokensDetails;
  if (!Array.isArray(details)) return 0;
  let tokens = 0;
  for (const entry of details as Json[]) {
    if (entry?.modality === "IMAGE" && typeof entry.tokenCount === "number" && Number.isFinite(entry.tokenCount)) {
      tokens += entry.tokenCount;
    }
  }
  return tokens;
}
