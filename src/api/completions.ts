import { requireKey } from "../auth/middleware";
import { completeChat } from "../generation/chat";
import { TEXT_COMPLETION_SHAPE } from "../generation/reply-shape";
import { withPreset } from "../presets/request";
import { routes } from "../routes";
import { applyPlugins } from "../routing/variants";
import { CompletionsRequestSchema, completionToChat } from "../schema/completions";
import { parseJsonBody } from "../schema/validate";

export const completionsRoutes = routes();

completionsRoutes.post("/completions", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, CompletionsRequestSchema);
  return completeChat(c, applyPlugins(await withPreset(c, completionToChat(request))), TEXT_COMPLETION_SHAPE);
});
