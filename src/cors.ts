/**
 * CORS for browser clients: any origin may call the API with a key (keys, not cookies, carry the
 * authority, so there is nothing for a foreign origin to ride on), and may read the gateway's own
 * headers. Written here rather than with hono's middleware, which sets headers on a placeholder
 * response before the route runs and so makes hono copy every reply into a new Response.
 */
const ALLOW_HEADERS =
  "Authorization, Content-Type, HTTP-Referer, X-Title, X-Request-Id, X-OpenRouter-Cache, X-OpenRouter-Cache-TTL";
const EXPOSE_HEADERS =
  "x-request-id, x-tollgate-attempts, x-tollgate-dropped-params, server-timing, x-openrouter-cache-status, x-openrouter-cache-ttl";
const ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS";
const PREFLIGHT_MAX_AGE_SECONDS = "86400";

/** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
export function preflightResponse(request: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": "*",
      "access-control-allow-methods": ALLOW_METHODS,
      // Echo what the browser asks for (SDKs add their own x-stainless-* headers), else our list.
      "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? ALLOW_HEADERS,
      "access-control-max-age": PREFLIGHT_MAX_AGE_SECONDS,
      vary: "Access-Control-Request-Headers",
    },
  });
}

export function isPreflight(request: Request): boolean {
  return request.method === "OPTIONS" && request.headers.has("access-control-request-method");
}

/** The CORS headers of an actual (non-preflight) reply. */
export const CORS_REPLY_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": EXPOSE_HEADERS,
} as const;

/** Listed once per isolate: every reply that was not built with them is stamped with them. */
const CORS_REPLY_ENTRIES = Object.entries(CORS_REPLY_HEADERS);

/** Adds the CORS headers of an actual (non-preflight) reply. */
export function addCorsHeaders(headers: Headers): void {
  for (const [name, value] of CORS_REPLY_ENTRIES) headers.set(name, value);
}
