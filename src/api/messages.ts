import { createMiddleware } from "hono/factory";
import { requireKeyOrApiKey } from "../auth/middleware";
import { getCatalog } from "../catalog/store";
import type { AppEnv } from "../context";
import { completeTranslated } from "../generation/chat";
import { errorBody, messageFromChat } from "../generation/messages";
import { messagesEventStream } from "../generation/messages-stream";
import { countPrompt } from "../generation/prompt-tokens";
import { withPreset } from "../presets/request";
import { routes } from "../routes";
import { applyPlugins } from "../routing/variants";
import type { ErrorBody } from "../schema/errors";
import { CountTokensRequestSchema, MessagesRequestSchema, messagesToChat } from "../schema/messages";
import { parseJsonBody } from "../schema/validate";

export const messagesRoutes = routes();

/**
 * Every error of these routes (a 401 from the key check, a 400 from validation, a 402, a 502 after
 * the attempts) in Anthropic's shape, `{"type":"error","error":{"type","message"}}`, with the
 * status and headers the gateway chose: Anthropic's SDK reads `error.message` from its own shape,
 * and Claude Code shows it. The gateway's own error (OpenRouter's shape) is read back here rather
 * than thrown differently, so every error on the path (thrown or returned) is converted once.
 */
const anthropicErrors = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const res = c.res;
  if (res.ok || !res.headers.get("content-type")?.includes("application/json")) return;
  const body = (await res.json().catch(() => ({}))) as Partial<ErrorBody>;
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  c.res = Response.json(errorBody(res.status, body.error?.message ?? res.statusText), {
    status: res.status,
    headers,
  });
});

messagesRoutes.use("/messages", anthropicErrors);
messagesRoutes.use("/messages/*", anthropicErrors);

/** Anthropic's Messages API (OpenRouter's Anthropic-compatible API): answered and billed by the chat path. */
messagesRoutes.post("/messages", requireKeyOrApiKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, MessagesRequestSchema);
  const chat = applyPlugins(await withPreset(c, messagesToChat(request)));
  return completeTranslated(c, chat, {
    // The searches and fetches the chat path's loop runs, and those the endpoint runs natively
    // (none without server tools).
    reply: (body) => messageFromChat(request, body, c.get("serverToolCallsShown")),
    events: (body) => messagesEventStream(body, request, c.get("serverToolCallsShown")),
  });
});

/**
 * Anthropic's token count: the gateway's own count of the prompt for the model (the one routing
 * and the credit hold use: an estimate, or the model family's tokenizer near its context), which
 * costs nothing.
 */
messagesRoutes.post("/messages/count_tokens", requireKeyOrApiKey, async (c) => {
  const request = await parseJsonBody(c.req.raw, CountTokensRequestSchema);
  const chat = await withPreset(c, messagesToChat(request));
  const catalog = await getCatalog(c.env, c.executionCtx);
  const { promptTokens } = await countPrompt(c.env, c.executionCtx, catalog, chat);
  return c.json({ input_tokens: promptTokens });
});
