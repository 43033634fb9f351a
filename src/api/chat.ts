import { requireKey } from "../auth/middleware";
import { completeChat } from "../generation/chat";
import { withPreset } from "../presets/request";
import { routes } from "../routes";
import { applyPlugins } from "../routing/variants";
import { ChatRequestSchema } from "../schema/chat";
import { parseJsonBody } from "../schema/validate";

export const chatRoutes = routes();

chatRoutes.post("/chat/completions", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, ChatRequestSchema);
  return completeChat(c, applyPlugins(await withPreset(c, request)));
});
