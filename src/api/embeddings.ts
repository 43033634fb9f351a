import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { createEmbeddings } from "../generation/embeddings";
import { EmbeddingsRequestSchema } from "../schema/embeddings";
import { parseJsonBody } from "../schema/validate";

export const embeddingsRoutes = new Hono<AppEnv>();

embeddingsRoutes.post("/embeddings", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, EmbeddingsRequestSchema);
  return createEmbeddings(c, request);
});
