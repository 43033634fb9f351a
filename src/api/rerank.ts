import { requireKey } from "../auth/middleware";
import { createRerank } from "../generation/rerank";
import { routes } from "../routes";
import { RerankRequestSchema } from "../schema/rerank";
import { parseJsonBody } from "../schema/validate";

export const rerankRoutes = routes();

rerankRoutes.post("/rerank", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, RerankRequestSchema);
  return createRerank(c, request);
});
