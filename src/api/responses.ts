import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { completeChat } from "../generation/chat";
import { CHAT_SHAPE } from "../generation/reply-shape";
import { responseFromChat, responsesEventStream } from "../generation/responses";
import { withPreset } from "../presets/request";
import { echoedWithPreset } from "../presets/responses-echo";
import { applyPlugins } from "../routing/variants";
import { ResponsesRequestSchema, responsesToChat } from "../schema/responses";
import { parseJsonBody } from "../schema/validate";

export const responsesRoutes = new Hono<AppEnv>();

/** OpenAI's Responses API (stateless, as OpenRouter's beta): answered and billed by the chat path. */
responsesRoutes.post("/responses", requireKey, async (c) => {
  const asked = await parseJsonBody(c.req.raw, ResponsesRequestSchema);
  const chat = applyPlugins(await withPreset(c, responsesToChat(asked)));
  // The Response echoes the settings it was made with: with a preset, the preset's too.
  const preset = c.get("preset");
  const request = preset ? echoedWithPreset(asked, chat, preset) : asked;
  // A Response is built from the chat reply, but has no place for generated images: a request
  // asking for them (chat's `modalities`, passed on as an unknown field) is refused.
  const shape = { ...CHAT_SHAPE, showsImages: false };
  // A reply whole is built as a Response object from the chat reply's, before it is serialised.
  if (!request.stream) {
    return completeChat(c, chat, { ...shape, reply: (body) => responseFromChat(request, body) });
  }
  const reply = await completeChat(c, chat, shape);
  if (!reply.ok || !reply.body) return reply;
  return new Response(responsesEventStream(reply.body, request), { headers: reply.headers });
});
