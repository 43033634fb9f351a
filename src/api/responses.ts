import { Hono } from "hono";
import { requireKey } from "../auth/middleware";
import type { AppEnv } from "../context";
import { completeChat } from "../generation/chat";
import { responseFromChat, responsesEventStream } from "../generation/responses";
import { applyPlugins } from "../routing/variants";
import { ResponsesRequestSchema, responsesToChat } from "../schema/responses";
import { parseJsonBody } from "../schema/validate";

export const responsesRoutes = new Hono<AppEnv>();

/** OpenAI's Responses API (stateless, as OpenRouter's beta): answered and billed by the chat path. */
responsesRoutes.post("/responses", requireKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, ResponsesRequestSchema);
  const reply = await completeChat(c, applyPlugins(responsesToChat(request)));
  if (!reply.ok || !reply.body) return reply;
  const headers = new Headers(reply.headers);
  if (request.stream) return new Response(responsesEventStream(reply.body, request), { headers });
  headers.delete("content-length");
  return Response.json(responseFromChat(request, await reply.json()), { headers });
});
