import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { completeChat } from "../generation/chat";
import { TEXT_COMPLETION_SHAPE } from "../generation/reply-shape";
import { withPreset } from "../presets/request";
import { applyPlugins } from "../routing/variants";
import { CompletionsRequestSchema, completionToChat } from "../schema/completions";
import { parseJsonBody } from "../schema/validate";

export const completionsRoutes = new Hono<AppEnv>();

completionsRoutes.post("/completions", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, CompletionsRequestSchema);
  return completeChat(c, applyPlugins(await withPreset(c, completionToChat(request))), TEXT_COMPLETION_SHAPE);
});
