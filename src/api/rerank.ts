import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { createRerank } from "../generation/rerank";
import { RerankRequestSchema } from "../schema/rerank";
import { parseJsonBody } from "../schema/validate";

export const rerankRoutes = new Hono<AppEnv>();

rerankRoutes.post("/rerank", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, RerankRequestSchema);
  return createRerank(c, request);
});
