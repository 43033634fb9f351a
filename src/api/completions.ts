import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { completeChat } from "../generation/chat";
import { TEXT_COMPLETION_SHAPE } from "../generation/reply-shape";
import { applyPreset } from "../presets/apply";
import { accountPresets } from "../presets/read";
import { applyPlugins } from "../routing/variants";
import { CompletionsRequestSchema, completionToChat } from "../schema/completions";
import { parseJsonBody } from "../schema/validate";

export const completionsRoutes = new Hono<AppEnv>();

completionsRoutes.post("/completions", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, CompletionsRequestSchema);
  const presets = accountPresets(c.env.KEYS, c.executionCtx, c.get("auth").accountId);
  return completeChat(c, applyPlugins(await applyPreset(completionToChat(request), presets)), TEXT_COMPLETION_SHAPE);
});
