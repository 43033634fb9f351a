import { addCorsHeaders } from "./cors";

/**
 * Every reply carries the request's id and the CORS headers. Most replies are stamped after their
 * route (app.ts), in place. A reply built with them already in its init (a generation's: see
 * replyHeaders in generation/lifecycle.ts) is marked here and left as it is: stamping it again
 * made the runtime build a Headers object for it and set three headers, on every request.
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
