/**
 * `ctx.waitUntil` keeps a request's background work alive for at most this long after it
 * answers; work still pending then was cancelled and will never finish.
 */
export const WAIT_UNTIL_LIMIT_MS = 30_000;

/**
 * A value loaded once and kept for a time to live. Past it, the value in hand is still returned
 * while one reload runs in the background: only the first load makes a request wait (and
 * concurrent first loads share it). Every load, first or not, is kept alive by the `waitUntil` of
 * the request that started it: a load is shared by the isolate's requests, and a request whose
 * client leaves has its own pending work cancelled by the runtime, which would leave the others
 * waiting on a promise that never settles (cancelled as hung, each a 500) and every later first
 * read with it. A load still pending after WAIT_UNTIL_LIMIT_MS was cut off all the same, and the
 * next read starts another; a failed one is retried by the next read past the TTL.
 */
export class Refreshing<T> {
  #held: { value: T; expires: number } | undefined;
  #loading: { promise: Promise<T>; since: number } | undefined;

  /**
   * `ttlMs` is asked only when a load completes, with what it loaded (a failure to keep for a
   * shorter time, say): reads within the TTL do no work but a clock read.
   */
  get(ctx: Pick<ExecutionContext, "waitUntil">, load: () => Promise<T>, ttlMs: (value: T) => number): T | Promise<T> {
    const now = Date.now();
    const held = this.#held;
    if (held && held.expires > now) return held.value;
    if (!this.#loading || now - this.#loading.since > WAIT_UNTIL_LIMIT_MS) {
      const promise = load()
        .then((value) => {
          this.#held = { value, expires: Date.now() + ttlMs(value) };
          return value;
        })
        .finally(() => {
          if (this.#loading?.promise === promise) this.#loading = undefined;
        });
      this.#loading = { promise, since: now };
      ctx.waitUntil(promise.catch(() => undefined));
    }
    // Stale: this request answers with the value in hand while the reload runs.
    return held ? held.value : this.#loading.promise;
  }
}

/**
 * The value `map` holds for `key`, created by `create` the first time. An isolate-wide cache that
 * starts over (is cleared) when it would pass `limit` entries, so an isolate serving many accounts
 * or keys never grows it without bound, at the price of recreating what it dropped.
 */
export function cachedIn<K, V>(map: Map<K, V>, key: K, limit: number, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    if (map.size >= limit) map.clear();
    value = create();
    map.set(key, value);
  }
  return value;
}
