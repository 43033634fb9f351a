import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { completeChat } from "../generation/chat";
import { applyPreset } from "../presets/apply";
import { accountPresets } from "../presets/read";
import { applyPlugins } from "../routing/variants";
import { ChatRequestSchema } from "../schema/chat";
import { parseJsonBody } from "../schema/validate";

export const chatRoutes = new Hono<AppEnv>();

chatRoutes.post("/chat/completions", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, ChatRequestSchema);
  const presets = accountPresets(c.env.KEYS, c.executionCtx, c.get("auth").accountId);
  return completeChat(c, applyPlugins(await applyPreset(request, presets)));
});
