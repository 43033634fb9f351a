import { requireKey } from "../auth/middleware";
import { completeTranslated } from "../generation/chat";
import { responseFromChat, responsesEventStream } from "../generation/responses";
import { withPreset } from "../presets/request";
import { echoedWithPreset } from "../presets/responses-echo";
import { routes } from "../routes";
import { applyPlugins } from "../routing/variants";
import { ResponsesRequestSchema, responsesToChat } from "../schema/responses";
import { parseJsonBody } from "../schema/validate";

export const responsesRoutes = routes();

/** OpenAI's Responses API (stateless, as OpenRouter's beta): answered and billed by the chat path. */
responsesRoutes.post("/responses", requireKey, async (c) => {
  const asked = await parseJsonBody(c.req.raw, ResponsesRequestSchema);
  const chat = applyPlugins(await withPreset(c, responsesToChat(asked)));
  // The Response echoes the settings it was made with: with a preset, the preset's too.
  const preset = c.get("preset");
  const request = preset ? echoedWithPreset(asked, chat, preset) : asked;
  return completeTranslated(c, chat, {
    // The server-tool calls the chat path's loop runs (none without server tools).
    reply: (body) => responseFromChat(request, body, c.get("serverToolCalls")),
    events: (body) => responsesEventStream(body, request, c.get("serverToolCalls")),
  });
});
