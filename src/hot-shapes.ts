/**
 * V8 compiles the hot path against the hidden classes ("maps") of the objects it has seen. A map
 * is only as alive as the objects that have it: one that no live object has any more is freed by
 * the next full GC, and every compiled function that checks for it is thrown away with it (V8's
 * deopt "embedded weak objects cleared"), to run unoptimised until V8 compiles it again, seconds
 * later. A request's objects live a few milliseconds, and under steady load a full GC came every
 * ~5 s: ~30 of the hot path's functions (planning, the attempt loop, the reply, the settlement)
 * were thrown away at once and ran in V8's baseline tier most of the time.
 *
 * Two things keep those maps alive. Objects the gateway builds are built as one object literal
 * with every field named (undefined where a request has none), never by spreading another object
 * or adding fields later: a literal's map is held by the code that creates it. Objects built from
 * data (parsed JSON, a Durable Object call's arguments) take the maps their fields lead to, and the
 * latest of each kind is kept here, so that the map stays alive between requests.
 */

/** The kinds of object built from data whose latest is kept. */
type Site = "request body" | "validated request" | "upstream reply" | "upstream body" | "settlements" | "reservation";

/**
 * What is kept is at most this big as JSON text: a large body is not kept alive for its maps
 * (smaller ones have the same), and the isolate's memory stays its requests'.
 */
export const KEPT_SHAPE_MAX_CHARS = 64 * 1024;

const latest = new Map<Site, unknown>();

/** Keeps `value` (built from `chars` characters of JSON, where known) as its site's latest. */
export function keepShapes(site: Site, value: unknown, chars = 0): void {
  if (chars <= KEPT_SHAPE_MAX_CHARS) latest.set(site, value);
}
