import { isPrivateHost } from "./private-address";

/**
 * A GET of a URL a client chose (an image to inline, a page the model asked for), with every hop
 * of its redirects held to the same rules as the URL itself: http(s) only, and no loopback or
 * private address unless the operator allows it. Redirects are followed here, not by fetch, since
 * fetch would follow a public URL's redirect to a private address unchecked.
 */

/** Redirects followed from one URL (browsers allow 20; a page or an image needs one or two). */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Why `target` may not be fetched: its protocol, or its host on a private network; undefined if it may. */
export function refusedTarget(target: URL, allowPrivate: boolean): "protocol" | "private" | undefined {
  if (target.protocol !== "http:" && target.protocol !== "https:") return "protocol";
  return !allowPrivate && isPrivateHost(target.hostname) ? "private" : undefined;
}

/**
 * Why a guarded fetch stopped: the connection failed (`unreachable`), the redirects went past
 * MAX_REDIRECTS, or a redirect's `Location` is no URL (`bad_location`, with the location) or is
 * refused (`protocol`, `private`, or `outside` the caller's own rule, with the URL it leads to).
 */
export class GuardedFetchError extends Error {
  constructor(
    readonly reason: "unreachable" | "too_many_redirects" | "bad_location" | "protocol" | "private" | "outside",
    /** The redirect's target (or raw location) where a redirect was refused. */
    readonly to = "",
    /** Why the caller's rule refused it (`outside`). */
    readonly detail = "",
  ) {
    super(reason);
  }
}

/**
 * The response at the end of `start`'s redirects (`start` itself is the caller's to check with
 * refusedTarget first). Throws a GuardedFetchError; `signal` bounds the whole chain.
 */
export async function fetchGuarded(
  start: URL,
  {
    allowPrivate,
    headers,
    within,
  }: {
    allowPrivate: boolean;
    headers: Record<string, string>;
    /** The caller's own rule for a redirect's target: why it is refused, or undefined. */
    within?: (hop: URL) => string | undefined;
  },
  signal: AbortSignal,
): Promise<Response> {
  let current = start;
  for (let redirects = 0; ; redirects++) {
    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: "manual", signal });
    } catch {
      throw new GuardedFetchError("unreachable");
    }
    const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get("location") : null;
    if (location === null) return response;
    await response.body?.cancel().catch(() => undefined);
    if (redirects === MAX_REDIRECTS) throw new GuardedFetchError("too_many_redirects");
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new GuardedFetchError("bad_location", location);
    }
    const refused = refusedTarget(next, allowPrivate);
    if (refused) throw new GuardedFetchError(refused, next.href);
    const outside = within?.(next);
    if (outside) throw new GuardedFetchError("outside", next.href, outside);
    current = next;
  }
}
