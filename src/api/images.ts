import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { completeChat } from "../generation/chat";
import { IMAGES_SHAPE } from "../generation/images";
import { droppedImageFields, ImageGenerationRequestSchema, imagesToChat } from "../schema/images";
import { parseJsonBody } from "../schema/validate";

export const imagesRoutes = new Hono<AppEnv>();

/** OpenRouter's image generation API: drawn, billed and recorded by the chat path. */
imagesRoutes.post("/images", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, ImageGenerationRequestSchema);
  // Always one whole reply: `stream` is for providers that stream partial images, and OpenRouter
  // answers the others with the buffered response, as here.
  const reply = await completeChat(c, imagesToChat(request), IMAGES_SHAPE);
  const dropped = droppedImageFields(request);
  if (reply.ok && dropped.length > 0) {
    const named = reply.headers.get("x-tollgate-dropped-params");
    reply.headers.set("x-tollgate-dropped-params", [named, ...dropped].filter(Boolean).join(", "));
  }
  return reply;
});
