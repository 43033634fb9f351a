/**
 * Limits of the Workers platform the gateway plans around.
 *
 * `ctx.waitUntil` keeps a request's background work alive for at most this long after it
 * answers; work still pending then is cancelled, so a background refresh older than this was
 * cut off and will never finish.
 */
export const WAIT_UNTIL_LIMIT_MS = 30_000;
