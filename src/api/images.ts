import { requireKey } from "../auth/middleware";
import { imageModels, presentImageEndpoints, presentImageModel } from "../catalog/image-models";
import { getCatalog } from "../catalog/store";
import type { Provider } from "../catalog/types";
import { completeChat } from "../generation/chat";
import { IMAGES_SHAPE } from "../generation/images";
import { adapterFor } from "../providers/registry";
import { routes } from "../routes";
import { parseModelId } from "../routing/plan";
import { notFound } from "../schema/errors";
import { droppedImageFields, ImageGenerationRequestSchema, imagesToChat } from "../schema/images";
import { parseJsonBody } from "../schema/validate";

export const imagesRoutes = routes();

/** OpenRouter's image generation API: drawn, billed and recorded by the chat path. */
imagesRoutes.post("/images", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, ImageGenerationRequestSchema);
  // The chat path refuses a model that does not draw in chat's words (the `modalities` asked for),
  // which this API's caller never sent: said here in its own. The catalog read is the isolate's
  // cached one, which the chat path reads next anyway.
  const index = await getCatalog(c.env, c.executionCtx);
  const model = index.models.get(parseModelId(request.model, index).id);
  if (model && !model.architecture.output_modalities.includes("image")) {
    throw notFound(`${request.model} does not generate images: GET /images/models lists the models that do`, {
      model: request.model,
    });
  }
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

/** An endpoint draws where its provider's wire format returns images, as routing decides. */
const drawsAt = (provider: Provider) => adapterFor(provider.adapter)?.drawsImages === true;

/** The image models, as OpenRouter's image API lists them. No key needed, as `/models`. */
imagesRoutes.get("/images/models", async (c) => {
  const index = await getCatalog(c.env, c.executionCtx);
  // `/api/v1` or `/v1`, as the client called it.
  const apiBase = new URL(c.req.url).pathname.replace(/\/images\/models\/?$/, "");
  return c.json({ data: imageModels(index, drawsAt).map((model) => presentImageModel(model, apiBase)) });
});

imagesRoutes.get("/images/models/:author/:slug/endpoints", async (c) => {
  const index = await getCatalog(c.env, c.executionCtx);
  const requested = `${c.req.param("author")}/${c.req.param("slug")}`;
  const model = index.models.get(parseModelId(requested, index).id);
  if (!model || !imageModels(index, drawsAt).includes(model)) throw notFound(`Image model ${requested} not found`);
  return c.json(presentImageEndpoints(index, model, drawsAt));
});
