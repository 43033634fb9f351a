import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { completeChat } from "../generation/chat";
import { withPreset } from "../presets/request";
import { applyPlugins } from "../routing/variants";
import { ChatRequestSchema } from "../schema/chat";
import { parseJsonBody } from "../schema/validate";

export const chatRoutes = new Hono<AppEnv>();

chatRoutes.post("/chat/completions", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, ChatRequestSchema);
  return completeChat(c, applyPlugins(await withPreset(c, request)));
});
