import { addCorsHeaders } from "./cors";

/**
 * Every reply carries the request's id and the CORS headers. Most replies are stamped after their
 * route (app.ts), in place. A generation's reply is built with them already in its init (see
 * replyHeaders in generation/lifecycle.ts); chat's, whole or streamed, and embeddings' and
 * rerank's are marked here and left as they are: stamping them again made the runtime build a
 * Headers object for the reply and set three headers, on every request. One rebuilt from another
 * (a Messages or Responses translation) is stamped again, to the same values.
 */
const stamped = new WeakSet<Response>();

/** Marks `response` as built with its stamp (its headers carry the request id and CORS). */
export function builtStamped(response: Response): Response {
  stamped.add(response);
  return response;
}

/** Stamps `response` with the request id and CORS headers, unless it was built with them. */
export function stamp(response: Response, requestId: string): void {
  if (stamped.has(response)) return;
  response.headers.set("x-request-id", requestId);
  addCorsHeaders(response.headers);
}
