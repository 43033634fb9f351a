import { activityRoutes } from "./api/activity";
import { adminRoutes } from "./api/admin";
import { audioRoutes } from "./api/audio";
import { chatRoutes } from "./api/chat";
import { completionsRoutes } from "./api/completions";
import { creditsRoutes } from "./api/credits";
import { embeddingsRoutes } from "./api/embeddings";
import { generationRoutes } from "./api/generation";
import { imagesRoutes } from "./api/images";
import { keyRoutes } from "./api/key";
import { keysRoutes } from "./api/keys";
import { messagesRoutes } from "./api/messages";
import { modelsRoutes } from "./api/models";
import { presetsRoutes } from "./api/presets";
import { rerankRoutes } from "./api/rerank";
import { responsesRoutes } from "./api/responses";
import { isPreflight, preflightResponse } from "./cors";
import { methodNotAllowed } from "./methods";
import { keyId, requestLine } from "./observability";
import { type Routes, routes } from "./routes";
import { GatewayError } from "./schema/errors";
import { stamp } from "./stamp";

/** The public API, mounted at `/api/v1` (OpenRouter's path) and `/v1` (OpenAI SDK default). */
function buildApi(): Routes {
  const api = routes();
  api.route("/", chatRoutes);
  api.route("/", embeddingsRoutes);
  api.route("/", rerankRoutes);
  api.route("/", audioRoutes);
  api.route("/", completionsRoutes);
  api.route("/", responsesRoutes);
  api.route("/", messagesRoutes);
  api.route("/", imagesRoutes);
  api.route("/", modelsRoutes);
  api.route("/", keyRoutes);
  api.route("/", creditsRoutes);
  api.route("/", generationRoutes);
  api.route("/", keysRoutes);
  api.route("/", activityRoutes);
  api.route("/", presetsRoutes);
  api.route("/admin", adminRoutes);
  return api;
}

export function buildApp(): Routes {
  const app = routes();
  app.use("*", async (c, next) => {
    const started = Date.now();
    const requestId = c.req.header("x-request-id") ?? crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("receivedAt", started);
    // A preflight is answered here, before any route, and logged and stamped as every reply is.
    if (isPreflight(c.req.raw)) c.res = preflightResponse(c.req.raw);
    else await next();
    // Stamped onto the reply in place (every reply is built here, so its headers are mutable):
    // setting them through hono after the route answered would copy the whole Response.
    stamp(c, requestId);
    if (!c.get("generationLogged")) {
      requestLine({
        requestId,
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        status: c.res.status,
        key: c.get("auth") ? keyId(c.get("auth").keyHash) : null,
        // A chat or embeddings request refused before any attempt (402, 429, no endpoint) still
        // names its model; null on the other routes.
        model: c.get("requestedModel") ?? null,
        latencyMs: Date.now() - started,
      });
    }
  });
  // Request bodies are read (and held to MAX_BODY_BYTES) by parseJsonBody, the only reader.

  const api = buildApi();
  app.route("/api/v1", api);
  app.route("/v1", api);
  app.get("/", (c) => c.json({ name: "tollgate", api: "/api/v1" }));

  // A known path asked with a method it does not take is a 405 naming the methods it does.
  const wrongMethod = methodNotAllowed(() => app.routes);
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const error = wrongMethod(c.req.method, path) ?? new GatewayError(404, `No route for ${c.req.method} ${path}`);
    return error.toResponse();
  });
  app.onError((error, c) => {
    if (error instanceof GatewayError) return error.toResponse();
    console.error(JSON.stringify({ msg: "unhandled error", requestId: c.get("requestId"), error: String(error) }));
    return new GatewayError(500, "Internal error").toResponse();
  });
  return app;
}
