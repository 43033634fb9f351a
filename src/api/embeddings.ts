import { requireKey } from "../auth/middleware";
import { createEmbeddings } from "../generation/embeddings";
import { routes } from "../routes";
import { EmbeddingsRequestSchema } from "../schema/embeddings";
import { parseJsonBody } from "../schema/validate";

export const embeddingsRoutes = routes();

embeddingsRoutes.post("/embeddings", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, EmbeddingsRequestSchema);
  return createEmbeddings(c, request);
});
