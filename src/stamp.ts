import type { Context } from "hono";
import type { AppEnv } from "./context";
import { addCorsHeaders } from "./cors";

/**
 * Every reply carries the request's id and the CORS headers. Most replies are stamped after their
 * route (app.ts), in place. A generation's reply is built with them already in its init (see
 * replyHeaders in generation/lifecycle.ts); chat's, whole or streamed, and embeddings' and
 * rerank's are marked here and left as they are: stamping them again made the runtime build a
 * Headers object for the reply and set three headers, on every request. One rebuilt from another
 * (a Messages or Responses translation) is stamped again, to the same values.
 *
 * The mark is the request's context, not a WeakSet of replies: a key of a weak collection gets an
 * identity hash, which makes V8's scavenger keep the runtime's wrapper of it as a root, so every
 * reply was promoted and its C++ half (its headers with it) destroyed only in the sweep after a
 * full collection, which the runtime runs on the request thread in one go (under load at 16,
 * ~300 ms every ~8 s, ~5 µs a request of it the replies').
 */

/** Marks `response` as the request's reply built with its stamp (id and CORS in its headers). */
export function builtStamped(c: Context<AppEnv>, response: Response): Response {
  c.set("stampedReply", response);
  return response;
}

/** Stamps the request's reply with its id and the CORS headers, unless it was built with them. */
export function stamp(c: Context<AppEnv>, requestId: string): void {
  const response = c.res;
  if (c.get("stampedReply") === response) return;
  response.headers.set("x-request-id", requestId);
  addCorsHeaders(response.headers);
}
