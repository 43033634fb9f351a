import type { ChoiceOut } from "../providers/types";
import { CHAT_SHAPE, type CompletionReply, type ReplyShape } from "./reply-shape";
import type { PublicUsage } from "./usage";

/**
 * The image generation API's reply (OpenRouter's SDK's ImageGenerationResponse), built from the
 * chat reply that drew the images: each image's base64 bytes and media type, the usage with what
 * was charged, and the generation's id (an addition of Tollgate's, as chat replies carry it: the
 * key to `/generation?id=`).
 */
export interface ImageGenerationReply {
  id: string;
  created: number;
  data: Array<{ b64_json: string; media_type?: string }>;
  usage: PublicUsage;
}

/** A generated image's data URL (`data:image/png;base64,…`, as the chat path returns it), split. */
const DATA_URL = /^data:([^;,]+);base64,/;

export function imagesFromChat(chat: CompletionReply<unknown>): ImageGenerationReply {
  // The chat shape presents choices as they are (no `choices` mapping): they are ChoiceOut.
  const choices = chat.choices as ChoiceOut[];
  const data: ImageGenerationReply["data"] = [];
  for (const choice of choices) {
    for (const image of choice.message.images ?? []) {
      const url = image.image_url.url;
      const prefix = DATA_URL.exec(url);
      if (!prefix) continue;
      data.push({ b64_json: url.slice(prefix[0].length), media_type: prefix[1] });
    }
  }
  return { id: chat.id, created: chat.created, data, usage: chat.usage };
}

/** The chat path's non-streaming reply, presented as the image generation API's. */
export const IMAGES_SHAPE: ReplyShape<ChoiceOut> = { ...CHAT_SHAPE, reply: imagesFromChat };
